"""Files a page receives through ``dcc.Upload`` (base64 data URLs), as bytes or text; undecodable files become
problems naming the file, like every other bad input."""

from __future__ import annotations

import base64
import binascii

from inputs.problems import InputFileError, Problem


def upload_bytes(contents: str, filename: str) -> bytes:
    _, _, data = contents.partition(",")
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise InputFileError([Problem(filename, None, "", "the upload is damaged: send the file again")]) from None


def upload_text(contents: str, filename: str) -> str:
    try:
        return upload_bytes(contents, filename).decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InputFileError(
            [Problem(filename, None, "", f"not UTF-8 text ({error.reason} at byte {error.start})")]
        ) from None

"""What every request and response of the console passes through (issue 14), as plain ASGI middleware:

* ``BodyLimit`` -- a request body over the limit is refused with 413 before it is parsed: at once when its
  ``Content-Length`` says so, else as soon as the streamed bytes pass it (``HOTLINE_MAX_BODY``, 1 MiB;
  uploads, ``multipart/form-data``, ``HOTLINE_MAX_UPLOAD``, 32 MiB);
* ``SecurityHeaders`` -- every answer under ``/api`` carries ``Cache-Control: no-store`` (customers' data
  stays out of caches), ``X-Content-Type-Options: nosniff``, ``Strict-Transport-Security`` (browsers
  honour it over HTTPS, behind the TLS proxy), ``Referrer-Policy: no-referrer`` and ``X-Frame-Options: DENY``;
* ``PhoneMaskingFilter`` -- a logging filter for uvicorn's access log: a ``phone``, ``number`` or ``caller``
  in a URL's query is masked as the console masks numbers, so the log never holds a full number (lookups
  also go as ``POST /api/customers/lookup``, with the number in the body).
"""

from __future__ import annotations

import json
import logging
import re
from urllib.parse import unquote_plus

from fastapi import HTTPException

from console.permissions import mask_phone

SECURITY_HEADERS = (
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"strict-transport-security", b"max-age=31536000; includeSubDomains"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)


def _too_large(limit: int) -> str:
    return f"the request body is larger than {limit} bytes"


class BodyLimit:
    def __init__(self, app, limit: int, upload_limit: int) -> None:
        self.app, self.limit, self.upload_limit = app, limit, upload_limit

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        upload = headers.get(b"content-type", b"").startswith(b"multipart/form-data")
        limit = self.upload_limit if upload else self.limit
        length = headers.get(b"content-length")
        if length is not None and (not length.isdigit() or int(length) > limit):
            body = json.dumps({"detail": _too_large(limit), "error": "BodyTooLarge"}).encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 413,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
                }
            )
            await send({"type": "http.response.body", "body": body})
            return
        received = 0

        async def counted():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:  # raised inside the body's parsing: FastAPI answers it as it is
                    raise HTTPException(413, _too_large(limit))
            return message

        await self.app(scope, counted, send)


class SecurityHeaders:
    def __init__(self, app, prefix: str = "/api") -> None:
        self.app, self.prefix = app, prefix

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return

        async def with_headers(message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                message["headers"] = list(message.get("headers", [])) + [
                    header for header in SECURITY_HEADERS if header[0] not in present
                ]
            await send(message)

        await self.app(scope, receive, with_headers)


_PHONE_IN_URL = re.compile(r"(?<=[?&])(phone|number|caller)=([^&#]*)")


def _masked(match: re.Match) -> str:
    return f"{match.group(1)}={mask_phone(unquote_plus(match.group(2))) or ''}"


class PhoneMaskingFilter(logging.Filter):
    """Masks phone numbers in the request line of uvicorn's access records (``args[2]`` is the path and
    query string)."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            masked = _PHONE_IN_URL.sub(_masked, args[2])
            record.args = args[:2] + (masked,) + args[3:]
        return True


def mask_access_log(logger_name: str = "uvicorn.access") -> None:
    """Install ``PhoneMaskingFilter`` on the access log once."""
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, PhoneMaskingFilter) for f in logger.filters):
        logger.addFilter(PhoneMaskingFilter())

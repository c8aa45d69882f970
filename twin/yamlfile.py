"""YAML loading that remembers the line of every key and item, so errors can name file, field and line."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from inputs.problems import InputFileError, Problem

Path_ = tuple[str | int, ...]


def field_name(path: Path_) -> str:
    """('airings', 2, 'start') -> 'airings[2].start'"""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class _Loader(yaml.SafeLoader):
    pass


def _no_duplicates(loader: _Loader, node: yaml.MappingNode) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first on line {seen[key]})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line + 1
    return loader.construct_mapping(node, deep=True)


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _no_duplicates)


def _lines(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            _lines(value_node, path + (key,), out)
            out[path + (key,)] = key_node.start_mark.line + 1  # the key's line reads best
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, path + (index,), out)


@dataclass(frozen=True)
class LoadedYaml:
    file: str
    data: Any
    lines: dict[Path_, int]

    def line_of(self, path: Path_) -> int | None:
        """The line of the deepest part of ``path`` that exists in the file."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def problem(self, path: Path_, message: str) -> Problem:
        return Problem(self.file, self.line_of(path), field_name(path), message)


def load_yaml(path: str | Path) -> LoadedYaml:
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise InputFileError([Problem(name, None, "", f"cannot read the file: {error.strerror or error}")]) from None
    except UnicodeDecodeError as error:
        raise InputFileError([Problem(name, None, "", f"not UTF-8 text: {error.reason}")]) from None
    return parse_yaml(text, name)


def parse_yaml(text: str, name: str) -> LoadedYaml:
    """YAML text (``name`` stands for the file in messages), with the line of every key and item."""
    try:
        node = yaml.compose(text, Loader=_Loader)
        data = yaml.load(text, Loader=_Loader)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        line = mark.line + 1 if mark else None
        message = " ".join(str(part) for part in (error.context, error.problem) if part)
        raise InputFileError([Problem(name, line, "", f"bad YAML: {message}")]) from None
    except yaml.YAMLError as error:
        raise InputFileError([Problem(name, None, "", f"bad YAML: {error}")]) from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _lines(node, (), lines)
    return LoadedYaml(name, data, lines)

"""``CenterConfig`` as plain JSON data (dicts, lists, str, numbers, None) and back.

The live driver's journal stores ``ApplyConfig`` this way, so a replay rebuilds the same core; the store
and the API may use the same form. Decoding follows the dataclasses' type hints, so a field added to the
configuration needs no change here. Bad data raises ``ValueError`` naming the field
(``policy.overflow.sales[0].after_wait: expected a number, got 'soon'``).
"""

from __future__ import annotations

import dataclasses
import types
import typing
from datetime import tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.config import CenterConfig


def config_to_dict(config: CenterConfig) -> dict[str, Any]:
    return _encode(config)


def config_from_dict(data: dict[str, Any]) -> CenterConfig:
    return _decode(data, CenterConfig, "config")


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): _encode(item) for key, item in value.items()}
    if isinstance(value, (frozenset, set)):
        return sorted(_encode(item) for item in value)
    if isinstance(value, (tuple, list)):
        return [_encode(item) for item in value]
    if isinstance(value, tzinfo):
        return str(value)  # a ZoneInfo's IANA key
    return value


def _decode(value: Any, hint: Any, path: str) -> Any:
    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None and type(None) in args:
            return None
        return _decode(value, next(a for a in args if a is not type(None)), path)
    if isinstance(hint, type) and dataclasses.is_dataclass(hint):
        return _decode_dataclass(value, hint, path)
    if origin is dict:
        _expect(value, dict, "an object", path)
        return {key: _decode(item, args[1], f"{path}.{key}") for key, item in value.items()}
    if origin in (tuple, frozenset):
        _expect(value, list, "a list", path)
        if origin is frozenset:
            return frozenset(_decode(item, args[0], f"{path}[{i}]") for i, item in enumerate(value))
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_decode(item, args[0], f"{path}[{i}]") for i, item in enumerate(value))
        if len(value) != len(args):
            raise ValueError(f"{path}: expected {len(args)} items, got {len(value)}")
        return tuple(_decode(item, arg, f"{path}[{i}]") for i, (item, arg) in enumerate(zip(value, args)))
    if hint is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValueError(f"{path}: expected a number, got {value!r}")
        return float(value)
    if hint is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{path}: expected a whole number, got {value!r}")
        return value
    if hint is bool:
        _expect(value, bool, "true or false", path)
        return value
    if hint is str:
        _expect(value, str, "text", path)
        return value
    if hint is tzinfo:
        _expect(value, str, "a time zone name", path)
        try:
            return ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
            raise ValueError(f"{path}: {value!r} is not a time zone name (e.g. Asia/Shanghai)") from None
    raise TypeError(f"{path}: no decoding for {hint!r}")


def _decode_dataclass(value: Any, cls: type, path: str) -> Any:
    _expect(value, dict, "an object", path)
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValueError(f"{path}: unknown field {unknown[0]!r}")
    fields = {}
    for f in dataclasses.fields(cls):
        if f.name in value:
            fields[f.name] = _decode(value[f.name], hints[f.name], f"{path}.{f.name}")
        elif f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
            raise ValueError(f"{path}.{f.name}: missing")
    try:
        return cls(**fields)
    except ValueError as error:  # CenterConfig names its own problems
        raise ValueError(f"{path}: {error}") from None


def _expect(value: Any, kind: type, what: str, path: str) -> None:
    if not isinstance(value, kind):
        raise ValueError(f"{path}: expected {what}, got {value!r}")

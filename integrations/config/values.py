"""How one value of ``config`` is parsed: text, numbers, flags, lists of names, entity mappings,
tax ids. Each parser returns the value typed or raises ``ConfigValueError`` saying what is
expected."""

from __future__ import annotations

import math
from typing import Any


class ConfigValueError(ValueError):
    """A value that does not fit its key; the message says what is expected."""


def parse_text(value: Any) -> str:
    if isinstance(value, (dict, list, bool)):
        raise ConfigValueError("must be a string")
    return str(value).strip()


def parse_number(value: Any) -> float:
    if isinstance(value, (bool, dict, list)):
        raise ConfigValueError("must be a number")
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise ConfigValueError("must be a number") from None
    if not math.isfinite(number):
        raise ConfigValueError("must be a finite number")
    return number


_TRUE = ("true", "1", "yes", "on")
_FALSE = ("false", "0", "no", "off")


def parse_flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in (*_TRUE, *_FALSE):
        return value.strip().lower() in _TRUE
    raise ConfigValueError("must be true or false")


def parse_mapping(value: Any) -> dict[str, str]:
    """``mapping`` as entity → source (a 1C entity set, a REST path). The usual form is an
    object; a list of names (each its own source) and objects with ``entity_set`` or ``path``
    are accepted too, as operators write them by hand."""
    if isinstance(value, list):
        return {str(name): str(name) for name in value if name}
    if not isinstance(value, dict):
        raise ConfigValueError("must be an object of entity → source (or a list of names)")
    result: dict[str, str] = {}
    for entity, source in value.items():
        if isinstance(source, dict):
            source = source.get("entity_set") or source.get("path") or entity
        result[str(entity)] = str(source or entity)
    return result


def parse_digits(value: Any, length: int) -> str:
    """A tax id: exactly ``length`` digits (a JSON number is accepted as written)."""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise ConfigValueError(f"must be {length} digits")
    text = str(value).strip()
    if not (text.isascii() and text.isdigit() and len(text) == length):
        raise ConfigValueError(f"must be {length} digits")
    return text


def parse_names(value: Any, *, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ConfigValueError(f"{what} must be a list of strings")
    return tuple(item.strip() for item in value if item.strip())

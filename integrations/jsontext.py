"""JSON from outside: read with a bound on its nesting, and made storable in PostgreSQL.

Python's JSON reader recurses once per level, so ``[`` × 200,000 raises ``RecursionError`` (not
``ValueError``) and every recursive walk of a deep but parsable value (cleaning it for storage,
redacting it for a log, writing it back) can raise it again later. Text nested deeper than
``MAX_JSON_DEPTH`` is therefore refused before it is parsed, with ``JSONTooDeep``, a
``ValueError``: the callers already treat "not JSON" that way (a webhook keeps it as
``payload.raw``, Payme answers -32700).
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

# Deeper than any real sender nests (Stripe's events are under 10 levels), far below the
# interpreter's recursion limit, with room for the frames of a request around it.
MAX_JSON_DEPTH = 128

# A JSON string (escapes included): brackets inside one do not nest anything.
_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.DOTALL)
_NOT_A_BRACKET = re.compile(r"[^\[\]{}]+")


class JSONTooDeep(ValueError):
    """The text nests arrays and objects deeper than ``MAX_JSON_DEPTH``."""


def json_depth_exceeds(text: str, *, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether ``text`` opens more than ``limit`` arrays/objects inside one another."""
    if text.count("[") + text.count("{") <= limit:
        return False  # the usual case, decided without a scan
    brackets = _NOT_A_BRACKET.sub("", _STRING.sub("", text))
    depth = 0
    for char in brackets:
        if char in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def json_loads_bounded(text: str, *, limit: int = MAX_JSON_DEPTH, **kwargs: Any) -> Any:
    """``json.loads(text, **kwargs)``, refusing text nested deeper than ``limit`` with
    ``JSONTooDeep`` (never ``RecursionError``)."""
    if json_depth_exceeds(text, limit=limit):
        raise JSONTooDeep(f"JSON nested deeper than {limit} levels")
    try:
        return json.loads(text, **kwargs)
    except RecursionError as error:  # a limit above what this interpreter's stack allows
        raise JSONTooDeep(f"JSON nested deeper than {limit} levels") from error


def json_contains_nul(value: Any) -> bool:
    """Whether a JSON value holds a NUL character anywhere, which PostgreSQL's jsonb refuses."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(json_contains_nul(key) or json_contains_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(json_contains_nul(item) for item in value)
    return False


def json_storable(value: Any) -> Any:
    """``value`` as PostgreSQL can store it, for data from outside (an upstream answer, a webhook
    body) that must be kept rather than refused: a NUL character becomes U+FFFD, and a number JSON
    has no spelling for (NaN, Infinity, which Python's JSON reader accepts) becomes that text."""
    if isinstance(value, str):
        return value.replace("\x00", "\ufffd")
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value).replace("inf", "Infinity").replace("nan", "NaN")
    if isinstance(value, dict):
        return {json_storable(key): json_storable(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_storable(item) for item in value]
    return value

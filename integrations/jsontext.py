"""Reading JSON text from outside with a bound on its nesting.

Python's JSON reader recurses once per level, so ``[`` × 200,000 raises ``RecursionError`` (not
``ValueError``) and every recursive walk of a deep but parsable value (cleaning it for storage,
redacting it for a log, writing it back) can raise it again later. Text nested deeper than
``MAX_JSON_DEPTH`` is therefore refused before it is parsed, with ``JSONTooDeep``, a
``ValueError``: the callers already treat "not JSON" that way (a webhook keeps it as
``payload.raw``, Payme answers -32700).
"""

from __future__ import annotations

import json
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

"""canonical_json: orjson's text is the standard library's (sorted keys, compact, non-ASCII kept)
for what JSON sources send (floats in exponent form aside: same values), so stored version hashes
stay what they were; the standard library writes what orjson refuses."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from integrations.providers.base import canonical_json

STDLIB = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))

# Everything json.loads gives but floats (whose exponent spelling differs, see below).
scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**64 - 1)
    | st.text(alphabet=st.characters(exclude_categories=["Cs"]))
)
documents = st.recursive(
    scalars,
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(), children),
    max_leaves=30,
)


@given(documents)
def test_the_text_is_the_standard_librarys(document: Any) -> None:
    assert canonical_json(document) == STDLIB.encode(document)


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_floats_keep_their_value(number: float) -> None:
    assert json.loads(canonical_json({"n": number})) == {"n": number}


def test_what_orjson_refuses_is_written_by_the_standard_library() -> None:
    huge = {"b": 10**30, "a": "x"}
    surrogate = {"s": "\ud800"}

    assert canonical_json(huge) == '{"a":"x","b":1000000000000000000000000000000}'
    assert canonical_json(surrogate) == STDLIB.encode(surrogate)


def test_nan_and_infinities_are_not_turned_into_null() -> None:
    record = {"price": float("inf"), "low": float("-inf"), "none": float("nan"), "null": None}

    assert canonical_json(record) == STDLIB.encode(record)
    assert '"price":Infinity' in canonical_json(record)


def test_control_characters_and_nul_are_escaped_as_before() -> None:
    record = {"z": '\x00\x1f\n\t"\\', "я": "Товар", "a": [True, None, 1.5]}

    assert canonical_json(record) == STDLIB.encode(record)
    assert "\\u0000" in canonical_json(record)

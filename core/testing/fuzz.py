"""What the suite's hypothesis tests of the receive URLs share: one settings profile (fixed
examples, ``FUZZ_EXAMPLES`` of them, no example database) and arbitrary JSON values."""

from __future__ import annotations

import os
from typing import Any

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "100"))
FUZZ = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def json_scalars(*, text: int) -> st.SearchStrategy[Any]:
    """Any JSON scalar, floats with NaN and infinities included (a strict parser refuses them)."""
    return st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=text)


def json_values(*, text: int, width: int, leaves: int) -> st.SearchStrategy[Any]:
    """Any JSON value: scalars (floats with NaN and infinities, which a strict parser refuses)
    nested in lists and objects up to ``width`` items and ``leaves`` scalars."""
    return st.recursive(
        json_scalars(text=text),
        lambda children: (
            st.lists(children, max_size=width)
            | st.dictionaries(st.text(max_size=text // 2), children, max_size=width)
        ),
        max_leaves=leaves,
    )

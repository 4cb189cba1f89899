"""Argument checks shared by the public functions: each raises ValueError naming the parameter,
the value and what is allowed (DESIGN.md: errors)."""
from __future__ import annotations

import operator


def check_int(name: str, value, lo: int, hi: int | None = None) -> int:
    """``value`` as an int (anything with ``__index__``: Python or NumPy integers, not floats or
    bools' surprises aside), checked to lie in [lo, hi] (hi None: no upper bound)."""
    try:
        v = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer (got {value!r})") from None
    if v < lo or (hi is not None and v > hi):
        allowed = f">= {lo}" if hi is None else f"in [{lo}, {hi}]"
        raise ValueError(f"{name} must be {allowed} (got {v})")
    return v

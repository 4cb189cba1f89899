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


def number(name: str, v, lo=None, hi=None, lo_open: bool = False, allow_inf: bool = False) -> float:
    """A real number (not a bool), finite unless ``allow_inf``, in [lo, hi] (``lo_open``: (lo, hi])."""
    import math

    import numpy as np

    ok = not isinstance(v, bool) and isinstance(v, (int, float, np.integer, np.floating))
    if not ok or math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ValueError(f"{name} must be a {'number' if allow_inf else 'finite number'} (got {v!r})")
    if lo is not None and (v <= lo if lo_open else v < lo):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo} (got {v!r})")
    if hi is not None and v > hi:
        raise ValueError(f"{name} must be <= {hi} (got {v!r})")
    return v


def integer(name: str, v, lo: int, hi: int | None = None) -> int:
    """A Python or NumPy integer (not a bool or a float) in [lo, hi]."""
    import numpy as np

    if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo or (hi is not None and v > hi):
        rng = f">= {lo}" if hi is None else f"in {lo}..{hi}"
        raise ValueError(f"{name} must be an integer {rng} (got {v!r})")
    return int(v)


def choice(name: str, v, choices):
    """``v`` if it is one of ``choices``."""
    if v not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(str, choices))} (got {v!r})")
    return v

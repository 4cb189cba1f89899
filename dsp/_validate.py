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


def number_or_auto(name: str, v):
    """None for ``"auto"`` (any case, surrounding blanks), else ``v`` as a float (numbers and numeric
    strings: preset values arrive as either); finiteness and range are the caller's to check."""
    if isinstance(v, str):
        if v.strip().lower() == "auto":
            return None
        try:
            return float(v)
        except ValueError:
            raise ValueError(f"{name} must be 'auto' or a finite number (got {v!r})") from None
    return v


def bit_array(name: str, a, length: int, dtype_error: type = TypeError):
    """``(xp, a)`` for a bool or integer array ``a`` (NumPy or CuPy) of 0/1 values of shape (..., length).

    A wrong dtype raises ``dtype_error``; a wrong last axis or a value other than 0 and 1, ValueError.
    """
    from dsp.backend import array_module

    xp = array_module(a)
    a = xp.asarray(a)
    if a.dtype != xp.bool_ and a.dtype.kind not in "ui":
        raise dtype_error(f"{name} must be an integer or bool array of 0/1 (got dtype {a.dtype})")
    if a.ndim < 1 or a.shape[-1] != length:
        raise ValueError(f"{name} must have shape (..., {length}) (got {tuple(a.shape)})")
    if a.dtype != xp.bool_ and a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi > 1:
            raise ValueError(f"{name} must hold only 0 and 1 (got values in [{lo}, {hi}])")
    return xp, a

"""Analog-to-digital conversion: a uniform mid-rise quantizer with clipping."""
from __future__ import annotations

import math


def quantize(x, bits: int, full_scale: float):
    """``x`` quantized to ``bits`` bits over [-full_scale, full_scale] (clipped), same dtype.

    Mid-rise: 2^bits levels at (k + 1/2) * step - full_scale, step = 2 full_scale / 2^bits.
    Works on NumPy or CuPy arrays.
    """
    if isinstance(bits, bool) or not isinstance(bits, int) or not 1 <= bits <= 16:
        raise ValueError(f"adc_bits must be an integer in 1..16 (got {bits!r})")
    fs = float(full_scale)
    if not (math.isfinite(fs) and fs > 0):
        raise ValueError(f"full_scale must be positive and finite (got {full_scale!r})")
    t = x.dtype.type
    levels = 1 << bits
    step = 2.0 * fs / levels
    k = (x + t(fs)) * t(1.0 / step)
    xp = __import__("numpy") if type(x).__module__ == "numpy" else __import__("cupy")
    k = xp.clip(xp.floor(k), 0, levels - 1)
    return (k * t(step) + t(step / 2.0 - fs)).astype(x.dtype, copy=False)

"""CPU kernels (Cython + OpenMP), same signatures as :mod:`dsp._ops.gpu`."""
from __future__ import annotations

import numpy as np

from dsp._kernels import slicer as _slicer
from dsp.backend import cpu_count

_DEFAULT_THREADS = cpu_count()


def default_threads() -> int:
    """Threads a kernel uses when not told: every core this process may run on."""
    return _DEFAULT_THREADS


def slice_count(y, labels, axes: int, m: int, bits_per_axis: int, scale: float, threads: int | None = None):
    """(bit errors, symbol errors) of received reals ``y`` (``axes`` per symbol) vs Gray ``labels``.

    ``y``: float32 or float64, C-contiguous, ``axes * len(labels)`` values;
    ``labels``: uint8; ``scale`` = 1 / (2 d) with d the half level spacing.
    """
    y = np.ascontiguousarray(y).reshape(-1)
    labels = np.ascontiguousarray(labels, dtype=np.uint8).reshape(-1)
    b, s = _slicer.slice_count(y, labels, axes, m, bits_per_axis, float(scale), threads or _DEFAULT_THREADS)
    return int(b), int(s)


def awgn_count(first: int, n: int, key: tuple[int, int], axes: int, m: int, bits_per_axis: int,
               s: float, double: bool, threads: int | None = None):
    """(bit errors, symbol errors) of symbols ``first .. first+n-1`` of the fused AWGN stream ``key``."""
    b, e = _slicer.awgn_count(first, n, key[0], key[1], axes, m, bits_per_axis, float(s), bool(double),
                              threads or _DEFAULT_THREADS)
    return int(b), int(e)

"""Synchronisation of a received PAM frame to its known training symbols.

Frames are periodic (the simulated channel filters circularly), so delays are removed by circular
shifts. Two steps, each per batch row:

- :func:`sampling_phase`: of ``sps`` candidate phases, the one whose symbol-rate samples carry the
  most AC power (the maximum-eye-opening criterion of clock recovery loops, in block form);
- :func:`frame_delay`: the integer symbol lag at which the received symbol-rate samples best match
  the known reference (peak of the circular cross-correlation, computed by FFT).
"""
from __future__ import annotations

import numpy as np

from dsp.backend import array_module, fft_module



def sampling_phase(y, sps: int):
    """Per-row best phase (int64 array of shape ``y.shape[:-1]``) among 0..sps-1 of ``y`` (..., n*sps)."""
    if isinstance(sps, bool) or not isinstance(sps, (int, np.integer)) or sps < 1:
        raise ValueError(f"sps must be an integer >= 1 (got {sps!r})")
    if y.shape[-1] % sps:
        raise ValueError(f"the last axis of y ({y.shape[-1]}) must be a multiple of sps ({sps})")
    xp = array_module(y)
    v = y.reshape(*y.shape[:-1], -1, sps)
    v = v - v.mean(axis=-2, keepdims=True)
    return xp.argmax((v * v).mean(axis=-2), axis=-1)


def frame_delay(y_sym, ref, max_lag: int | None = None):
    """Per-row lag d (int64, in -n/2..n/2) maximising sum_k y[k + d] ref[k] (circular).

    ``y_sym`` and ``ref`` are real (..., n) symbol-rate arrays. ``max_lag`` bounds |d| when given.
    Then ``roll(y_sym, -d)`` is aligned with ``ref``.
    """
    if y_sym.shape != ref.shape:
        raise ValueError(f"y_sym and ref must have the same shape (got {y_sym.shape} and {ref.shape})")
    xp, fft = array_module(y_sym), fft_module(y_sym)
    n = y_sym.shape[-1]
    a = y_sym - y_sym.mean(axis=-1, keepdims=True)
    b = ref - ref.mean(axis=-1, keepdims=True)
    corr = fft.irfft(fft.rfft(a, axis=-1) * xp.conj(fft.rfft(b, axis=-1)), n=n, axis=-1)
    if max_lag is not None:
        lags = xp.arange(n)
        lags = xp.where(lags > n // 2, lags - n, lags)
        corr = xp.where(xp.abs(lags) <= int(max_lag), corr, -xp.inf)
    d = xp.argmax(corr, axis=-1)
    return xp.where(d > n // 2, d - n, d)

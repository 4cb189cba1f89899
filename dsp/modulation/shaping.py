"""Root-raised-cosine pulse shaping and matched filtering (array level, NumPy or CuPy).

Conventions
-----------
- ``rolloff`` (beta) in [0, 1]; the raised-cosine spectrum occupies ``|f| <= (1 + beta) Rs / 2``.
- Frames are periodic: :func:`shape_rrc` and :func:`matched_filter_rrc` filter by circular
  convolution in the frequency domain (exact RRC, no truncation, no delay), which is what a
  Monte-Carlo frame of a stationary link needs. :func:`rrc_taps` gives the truncated FIR for
  streaming use and for tests.
- Scaling: :func:`shape_rrc` returns a waveform whose mean power per sample equals the mean
  symbol energy ``E|a|^2`` (unit power for the unit-energy constellations of
  :mod:`dsp.modulation`); :func:`matched_filter_rrc` has unit gain at DC, so that sampling its
  output at ``n = k * sps`` returns the symbols ``a[k]`` exactly (the raised cosine is Nyquist).
  White noise of variance ``sigma^2`` per sample leaves the matched filter with variance
  ``sigma^2 / sps`` per symbol sample, so the symbol SNR is ``Es/N0 = sps * P / sigma^2``.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from dsp.backend import array_module, fft_module


def _check(sps, rolloff):
    if isinstance(sps, bool) or not isinstance(sps, (int, np.integer)) or sps < 1:
        raise ValueError(f"sps must be an integer >= 1 (got {sps!r})")
    if not (isinstance(rolloff, (int, float, np.floating)) and 0.0 <= rolloff <= 1.0):
        raise ValueError(f"rolloff must be in [0, 1] (got {rolloff!r})")


def rrc_response(f_norm, rolloff: float) -> np.ndarray:
    """Root-raised-cosine amplitude response at frequencies ``f_norm`` in units of the symbol rate.

    1 for ``|f| <= (1 - beta)/2``, ``sqrt((1 + cos(pi/beta (|f| - (1 - beta)/2))) / 2)`` in the
    roll-off band, 0 beyond ``(1 + beta)/2`` (for beta = 0, sqrt(1/2) at exactly ``|f| = 1/2``).
    Float64 NumPy.
    """
    _check(1, rolloff)
    f = np.abs(np.asarray(f_norm, dtype=np.float64))
    lo, hi = (1.0 - rolloff) / 2.0, (1.0 + rolloff) / 2.0
    h = np.where(f <= lo, 1.0, 0.0)
    if rolloff == 0:  # the band edge itself: half the raised cosine, so that aliases sum to 1
        h = np.where(f == 0.5, np.sqrt(0.5), h)
    else:
        band = (f > lo) & (f < hi)
        h = np.where(band, np.sqrt(0.5 * (1.0 + np.cos(np.pi / rolloff * (f - lo)))), h)
    return h


@lru_cache(maxsize=32)
def _grid(n: int, sps: int, rolloff: float) -> np.ndarray:
    h = rrc_response(np.fft.fftfreq(n, d=1.0 / sps), rolloff)
    h.setflags(write=False)
    return h


def rrc_taps(span_symbols: int, sps: int, rolloff: float) -> np.ndarray:
    """Truncated RRC impulse response, ``span_symbols * sps + 1`` taps, unit energy, float64.

    The closed form (e.g. Proakis, Digital Communications) with its limits at ``t = 0`` and
    ``t = +-T / (4 beta)``.
    """
    _check(sps, rolloff)
    if isinstance(span_symbols, bool) or not isinstance(span_symbols, (int, np.integer)) or span_symbols < 1:
        raise ValueError(f"span_symbols must be an integer >= 1 (got {span_symbols!r})")
    b = float(rolloff)
    t = np.arange(-span_symbols * sps / 2, span_symbols * sps / 2 + 1) / sps
    h = np.empty_like(t)
    for i, ti in enumerate(t):
        if abs(ti) < 1e-12:
            h[i] = 1.0 - b + 4.0 * b / np.pi
        elif b > 0 and abs(abs(ti) - 1.0 / (4.0 * b)) < 1e-12:
            h[i] = b / math.sqrt(2) * ((1 + 2 / np.pi) * math.sin(np.pi / (4 * b))
                                        + (1 - 2 / np.pi) * math.cos(np.pi / (4 * b)))
        else:
            num = math.sin(np.pi * ti * (1 - b)) + 4 * b * ti * math.cos(np.pi * ti * (1 + b))
            h[i] = num / (np.pi * ti * (1 - (4 * b * ti) ** 2))
    return h / np.sqrt(np.sum(h * h))


def shape_rrc(symbols, sps: int, rolloff: float):
    """RRC-shaped waveform at ``sps`` samples/symbol of ``symbols`` (..., n), periodic in n.

    Returns (..., n * sps), complex of the input's precision (complex64 for complex64 / float32),
    mean power = mean symbol energy (see the module conventions).
    """
    _check(sps, rolloff)
    xp, fft = array_module(symbols), fft_module(symbols)
    a = xp.asarray(symbols)
    ctype = xp.complex128 if a.dtype in (xp.float64, xp.complex128) else xp.complex64
    n = a.shape[-1]
    spec = fft.fft(a.astype(ctype, copy=False), axis=-1)
    h = xp.asarray((sps * _grid(n * sps, sps, float(rolloff))).astype(ctype))
    # Zero-stuffing by sps tiles the spectrum sps times.
    tiled = xp.concatenate([spec] * sps, axis=-1) if sps > 1 else spec
    return fft.ifft(tiled * h, axis=-1)


def matched_filter_rrc(x, sps: int, rolloff: float):
    """RRC matched filter (unit DC gain) of a periodic waveform ``x`` (..., n_samples), same shape.

    Sample ``k * sps`` of the output is the symbol estimate ``a[k]`` (module conventions).
    """
    _check(sps, rolloff)
    xp, fft = array_module(x), fft_module(x)
    x = xp.asarray(x)
    ctype = xp.complex128 if x.dtype in (xp.float64, xp.complex128) else xp.complex64
    h = xp.asarray(_grid(x.shape[-1], sps, float(rolloff)).astype(ctype))
    return fft.ifft(fft.fft(x.astype(ctype, copy=False), axis=-1) * h, axis=-1)

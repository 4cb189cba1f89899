"""Analog low-pass responses (driver, TIA, photodiode) and their application by FFT.

A response is evaluated on the FFT frequency grid of a signal sampled at ``fs_hz`` and applied by
circular convolution along the last axis (signals in a batch row are periodic frames, so no edge
transients appear). Responses are normalised to 0 dB at DC; the constant group delay at DC is
removed (a Bessel filter then delays nothing, it only shapes), so symbol timing is preserved.

Kinds
-----
``"bessel"``      analog Bessel-Thomson of ``order`` (default 4), -3 dB at ``bandwidth_hz``
                  (the usual model of drivers, TIAs and reference receivers);
``"butterworth"`` analog Butterworth of ``order``, -3 dB at ``bandwidth_hz``;
``"gaussian"``    exp(-ln2/2 (f/B)^2), -3 dB at B, linear phase;
``"brickwall"``   1 for |f| <= B, else 0.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

KINDS = ("bessel", "butterworth", "gaussian", "brickwall")


def _check(bandwidth_hz, kind, order):
    if kind not in KINDS:
        raise ValueError(f"filter kind must be one of {', '.join(KINDS)} (got {kind!r})")
    if not (isinstance(bandwidth_hz, (int, float, np.floating)) and math.isfinite(bandwidth_hz) and bandwidth_hz > 0):
        raise ValueError(f"bandwidth_hz must be positive and finite (got {bandwidth_hz!r})")
    if kind in ("bessel", "butterworth") and not (isinstance(order, (int, np.integer)) and 1 <= order <= 12):
        raise ValueError(f"order must be an integer in 1..12 (got {order!r})")


def lowpass_response(f_hz, bandwidth_hz: float, kind: str = "bessel", order: int = 4) -> np.ndarray:
    """Complex frequency response (complex128) of a low-pass at frequencies ``f_hz`` (Hz, any sign).

    Real-coefficient filters: H(-f) = conj(H(f)). The DC group delay is removed.
    """
    _check(bandwidth_hz, kind, order)
    f = np.asarray(f_hz, dtype=float)
    if kind == "gaussian":
        return np.exp(-math.log(2.0) / 2.0 * (f / bandwidth_hz) ** 2).astype(complex)
    if kind == "brickwall":
        return (np.abs(f) <= bandwidth_hz).astype(complex)
    from scipy import signal

    wc = 2.0 * math.pi * bandwidth_hz
    if kind == "bessel":
        b, a = signal.bessel(order, wc, analog=True, norm="mag")
    else:
        b, a = signal.butter(order, wc, analog=True)
    w = 2.0 * math.pi * f
    h = signal.freqs(b, a, worN=w)[1]
    # DC group delay of b/a: d/dw of -phase at w = 0 is a1/a0 - b1/b0 (coefficients highest power first).
    tau0 = a[-2] / a[-1] - (b[-2] / b[-1] if len(b) > 1 else 0.0)
    return h * np.exp(1j * w * tau0)


@lru_cache(maxsize=64)
def _response_cached(n: int, fs_hz: float, bandwidth_hz: float, kind: str, order: int, real: bool):
    f = np.fft.rfftfreq(n, 1.0 / fs_hz) if real else np.fft.fftfreq(n, 1.0 / fs_hz)
    h = lowpass_response(f, bandwidth_hz, kind, order)
    h.setflags(write=False)
    return h


def grid_response(n: int, fs_hz: float, bandwidth_hz: float, kind: str = "bessel", order: int = 4,
                  real: bool = True) -> np.ndarray:
    """The response on the ``rfft`` (``real=True``) or ``fft`` grid of ``n`` samples at ``fs_hz`` (cached)."""
    return _response_cached(int(n), float(fs_hz), float(bandwidth_hz), kind, int(order), bool(real))


def apply_response(x, h):
    """Circularly filter ``x`` along its last axis by the response ``h`` on its FFT grid.

    Real ``x`` uses the ``rfft`` grid (``h`` of length n//2+1), complex ``x`` the ``fft`` grid.
    Returns an array of ``x``'s dtype; ``x`` is not modified.
    """
    from dsp.backend import array_module, fft_module

    xp, fft = array_module(x), fft_module(x)
    n = x.shape[-1]
    cplx = xp.iscomplexobj(x)
    ctype = xp.complex64 if x.dtype in (xp.float32, xp.complex64) else xp.complex128
    hh = xp.asarray(h, dtype=ctype)
    if cplx:
        return fft.ifft(fft.fft(x, axis=-1) * hh, axis=-1).astype(x.dtype, copy=False)
    return fft.irfft(fft.rfft(x, axis=-1) * hh, n=n, axis=-1).astype(x.dtype, copy=False)


def lowpass(x, fs_hz: float, bandwidth_hz: float, kind: str = "bessel", order: int = 4):
    """``x`` (real or complex, last axis time, sampled at ``fs_hz``) through :func:`lowpass_response`."""
    if not (math.isfinite(fs_hz) and fs_hz > 0):
        raise ValueError(f"fs_hz must be positive and finite (got {fs_hz!r})")
    real = x.dtype.kind != "c"
    return apply_response(x, grid_response(x.shape[-1], fs_hz, bandwidth_hz, kind, order, real))


def noise_bandwidth_hz(fs_hz: float, n: int, bandwidth_hz: float, kind: str = "bessel", order: int = 4) -> float:
    """One-sided noise-equivalent bandwidth of the response as sampled (integral of |H|^2 over 0..fs/2)."""
    h = grid_response(n, fs_hz, bandwidth_hz, kind, order, real=False)
    return float(np.mean(np.abs(h) ** 2) * fs_hz / 2.0)

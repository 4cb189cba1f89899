"""Laser noise: relative intensity noise (RIN).

RIN is given as a one-sided power spectral density ``rin_db_hz`` (dB/Hz) of the relative power
fluctuation dP/P, white over the simulated band. Sampled at ``fs_hz``, the band is 0..fs/2, so the
relative fluctuation per sample has variance sigma^2 = 10^(RIN/10) * fs/2, and the power becomes
P (1 + sigma n) (clipped at zero); the field is scaled by sqrt(1 + sigma n) and keeps its phase.
Later filtering (TIA) then limits the noise to the receiver's bandwidth, as in a real link.
"""
from __future__ import annotations

import math

import numpy as np

from dsp.backend import array_module


def rin_sigma(rin_db_hz: float, fs_hz: float) -> float:
    """Relative power standard deviation per sample of white RIN ``rin_db_hz`` sampled at ``fs_hz``."""
    r, fs = float(rin_db_hz), float(fs_hz)
    if not math.isfinite(r) or r > -80:
        raise ValueError(f"rin_db_hz must be finite and <= -80 dB/Hz (got {rin_db_hz!r})")
    if not (math.isfinite(fs) and fs > 0):
        raise ValueError(f"fs_hz must be positive and finite (got {fs_hz!r})")
    return math.sqrt(10.0 ** (r / 10.0) * fs / 2.0)


def add_rin(field, rin_db_hz: float, fs_hz: float, rng):
    """The field with white RIN (see module doc).

    ``rng``: anything with ``standard_normal(shape, dtype)`` on the field's device (a NumPy
    Generator, or a :class:`dsp.channel.noise.NormalStream`).
    """
    s = rin_sigma(rin_db_hz, fs_hz)
    if hasattr(rng, "scale_by_rin"):  # NormalStream: one fused pass
        return rng.scale_by_rin(field, s)
    xp = array_module(field)
    rdt = np.float32 if field.dtype == np.complex64 else np.float64
    n = rng.standard_normal(field.shape, dtype=rdt)
    n *= rdt(s)
    n += rdt(1.0)
    xp.maximum(n, 0, out=n)
    return field * xp.sqrt(n)


# ----------------------------------------------------------------------------- phase noise, frequency offset
# Coherent links: the laser phase is a Wiener process (Lorentzian line of full width ``linewidth_hz``)
# and the carrier may sit off the local oscillator. Convention (DOMAIN.md): E(t) = Re{A(t) exp(+j w0 t)}
# with w0 the LO's angular frequency, so a carrier ``freq_offset_hz`` above the LO multiplies the
# envelope by exp(+j 2 pi f t) and moves its spectrum to +f on NumPy's FFT grid.


def phase_ramp(cycles, n: int, dtype, xp=np, phase0=0.0):
    """``exp(j (2 pi cycles k + phase0))`` for k = 0 .. n-1: a complex tone, one per leading item.

    Parameters
    ----------
    cycles : float or float64 array (...,), cycles per sample (frequency / sample rate).
    n : int >= 0, samples.
    dtype : complex64 or complex128, the result's dtype.
    xp : numpy or cupy, the result's array module.
    phase0 : float or array broadcasting against ``cycles``, rad at k = 0.

    Returns
    -------
    ``(..., n)`` array of ``dtype``.

    The tone is the outer product of two short float64-accurate tones, at ``k = a B + b`` with
    ``B`` about ``sqrt(n)``: ``exp(j 2 pi frac(c a B)) * exp(j 2 pi frac(c b))``, each reduced
    modulo one cycle before the sine and cosine, so the phase stays exact for long frames and the
    cost is one complex product per sample instead of a sine and a cosine (error: a few ulp of
    ``dtype``).
    """
    n = int(n)
    c = xp.asarray(cycles, dtype=xp.float64)[..., None]
    b = max(1, int(math.isqrt(max(n, 1))))
    a = -(-n // b)
    def tone(k, p0):
        cyc = c * k
        return xp.exp(1j * (2.0 * math.pi * (cyc - xp.floor(cyc)) + p0)).astype(dtype, copy=False)
    inner = tone(xp.arange(b, dtype=xp.float64), 0.0)
    outer = tone(xp.arange(a, dtype=xp.float64) * b, xp.asarray(phase0, dtype=xp.float64)[..., None])
    ramp = (outer[..., :, None] * inner[..., None, :]).reshape(c.shape[:-1] + (a * b,))
    return ramp[..., :n] if a * b != n else ramp


def _rng_xp(rng):
    """The array module an ``rng`` draws on: NormalStream -> its backend; CuPy generators -> cupy."""
    if hasattr(rng, "backend") and hasattr(rng.backend, "xp"):
        return rng.backend.xp
    if type(rng).__module__.startswith("cupy"):
        import cupy

        return cupy
    if not hasattr(rng, "standard_normal"):
        raise TypeError(f"rng must have a standard_normal(shape, dtype) method (got {type(rng).__name__})")
    return np


def _positive_finite(name, v, allow_zero=False):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v) \
            or v < 0 or (v == 0 and not allow_zero):
        allowed = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name} must be a finite number {allowed} (got {v!r})")
    return float(v)


def phase_noise(shape, linewidth_hz: float, sample_rate_hz: float, rng, dtype=np.float64):
    """Wiener phase noise (rad) of a laser of full linewidth ``linewidth_hz`` sampled at ``sample_rate_hz``.

    ``phi[..., k] = sum_{i <= k} d[..., i]`` with independent increments ``d ~ N(0, 2 pi linewidth / fs)``
    along the last axis (time); the first sample already carries one increment, so the phase of
    each row starts near 0. For a transmitter and a local oscillator pass the sum of their linewidths.

    Parameters
    ----------
    shape : int or tuple of int, last axis time.
    linewidth_hz : float >= 0, the Lorentzian full width at half maximum (Hz).
    sample_rate_hz : float > 0.
    rng : ``numpy.random.Generator`` (NumPy result), a CuPy generator (CuPy result) or a
        :class:`dsp.channel.noise.NormalStream` (its backend's array module).
    dtype : real dtype of the result; the running sum is accumulated in float64 and then cast.

    Returns
    -------
    Real array of ``shape`` and ``dtype`` (rad), on the rng's device.
    """
    lw = _positive_finite("linewidth_hz", linewidth_hz, allow_zero=True)
    fs = _positive_finite("sample_rate_hz", sample_rate_hz)
    xp = _rng_xp(rng)
    shape = (int(shape),) if isinstance(shape, (int, np.integer)) else tuple(int(s) for s in shape)
    if len(shape) == 0 or any(s < 0 for s in shape):
        raise ValueError(f"shape must have at least one axis and no negative sizes (got {shape})")
    if np.dtype(dtype).kind != "f":
        raise ValueError(f"dtype must be a real floating dtype (got {np.dtype(dtype)})")
    # Increments are drawn in the result's precision (float32 increments of a small variance lose
    # nothing that matters); the running sum is float64 so that long walks do not drift.
    step = np.float32 if np.dtype(dtype) == np.float32 else np.float64
    d = rng.standard_normal(shape, dtype=step)
    d *= step(math.sqrt(2.0 * math.pi * lw / fs))
    return xp.cumsum(d, axis=-1, dtype=np.float64).astype(dtype, copy=False)


def _complex_field(field):
    if not hasattr(field, "dtype") or field.dtype.kind != "c" or field.ndim < 1:
        raise ValueError(f"field must be a complex array with time on the last axis "
                         f"(got {getattr(field, 'dtype', type(field).__name__)})")


def apply_phase_noise(field, linewidth_hz: float, fs_hz: float, rng):
    """``field * exp(j phi(t))`` with a Wiener phase :func:`phase_noise` common to both polarizations.

    Parameters
    ----------
    field : complex array ``(..., pol, n)`` (or ``(n,)``), NumPy or CuPy; not modified.
    linewidth_hz : float >= 0, combined transmitter + LO linewidth (Hz).
    fs_hz : float > 0, sample rate.
    rng : as in :func:`phase_noise`, on the field's device. One independent phase walk per leading
        index (frame); the polarization axis -2 shares it (one laser).

    Returns
    -------
    Array of ``field``'s shape and dtype.
    """
    _complex_field(field)
    shape = field.shape[:-2] + (1, field.shape[-1]) if field.ndim >= 2 else field.shape
    rdt = np.float32 if field.dtype == np.complex64 else np.float64
    phi = phase_noise(shape, linewidth_hz, fs_hz, rng, dtype=rdt)
    xp = array_module(field)
    rot = xp.empty(phi.shape, dtype=field.dtype)
    xp.cos(phi, out=rot.real)
    xp.sin(phi, out=rot.imag)
    return field * rot


def apply_frequency_offset(field, freq_offset_hz: float, fs_hz: float, phase0: float = 0.0):
    """``field * exp(j (2 pi f n / fs + phase0))``: the carrier ``freq_offset_hz`` above the LO.

    With E(t) = Re{A(t) exp(+j w_LO t)}, a positive offset means the signal's carrier is above the
    local oscillator; the envelope's spectrum moves to +f (NumPy FFT grid). Time ``n / fs`` starts
    at 0 in every frame (leading index); both polarizations get the same rotation.

    Parameters
    ----------
    field : complex array ``(..., n)``, NumPy or CuPy; not modified.
    freq_offset_hz : float, |f| < fs/2 (beyond it the offset aliases).
    fs_hz : float > 0, sample rate.
    phase0 : float, rad, the phase at n = 0.

    Returns
    -------
    Array of ``field``'s shape and dtype. The phase ramp is computed in float64 and then cast.
    """
    _complex_field(field)
    fs = _positive_finite("fs_hz", fs_hz)
    if isinstance(freq_offset_hz, bool) or not isinstance(freq_offset_hz, (int, float, np.integer, np.floating)) \
            or not math.isfinite(freq_offset_hz) or abs(freq_offset_hz) >= fs / 2:
        raise ValueError(f"freq_offset_hz must be finite with |f| < fs_hz/2 = {fs / 2:g} (got {freq_offset_hz!r})")
    if isinstance(phase0, bool) or not isinstance(phase0, (int, float, np.integer, np.floating)) \
            or not math.isfinite(phase0):
        raise ValueError(f"phase0 must be a finite number of radians (got {phase0!r})")
    xp = array_module(field)
    return field * phase_ramp(float(freq_offset_hz) / fs, field.shape[-1], field.dtype, xp, float(phase0))

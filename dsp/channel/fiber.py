"""Linear fiber propagation: attenuation and chromatic dispersion acting on the optical field.

Conventions (DOMAIN.md)
-----------------------
- Fourier: NumPy's, X(f) = sum_n x[n] exp(-j 2 pi f n / fs); the field envelope A(t) is defined by
  E(t) = Re{A(t) exp(+j w0 t)}, so f > 0 is above the carrier.
- Dispersion D (ps/nm/km) > 0 is anomalous. beta2 = -D lambda^2 / (2 pi c), and over a length L
  the field is multiplied by H(w) = exp(-j beta2 L w^2 / 2). The group delay is then
  tau(w) = beta2 L w: with D > 0 a tone above the carrier arrives earlier (tested).
- Accumulated dispersion ``cd_ps_nm`` = D * L (ps/nm).

Square-law detection of a chirp-free double-sideband signal after dispersion has the small-signal
intensity response ``cos(theta)`` with theta = pi lambda^2 D L f^2 / c (power fading); see
:func:`power_fading_response`.
"""
from __future__ import annotations

import math

import numpy as np

C_M_S = 299_792_458.0


def _finite(name, v, lo=None, lo_open=False):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number (got {v!r})")
    if lo is not None and (v <= lo if lo_open else v < lo):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo} (got {v!r})")
    return float(v)


def dispersion_g652(wavelength_nm: float, lambda0_nm: float = 1310.0, s0_ps_nm2_km: float = 0.092) -> float:
    """Dispersion D (ps/nm/km) of G.652 fiber: D = S0/4 (lambda - lambda0^4 / lambda^3).

    ITU-T G.652 bounds: zero-dispersion wavelength ``lambda0_nm`` in 1300..1324 nm and slope
    ``s0_ps_nm2_km`` <= 0.092 ps/nm^2/km. The most negative D at a wavelength below lambda0 takes
    lambda0 = 1324 nm; the most positive above it takes lambda0 = 1300 nm.
    """
    lam = _finite("wavelength_nm", wavelength_nm, 0, True)
    l0 = _finite("lambda0_nm", lambda0_nm, 0, True)
    s0 = _finite("s0_ps_nm2_km", s0_ps_nm2_km)
    return s0 / 4.0 * (lam - l0 ** 4 / lam ** 3)


def beta2_s2_m(dispersion_ps_nm_km: float, wavelength_nm: float) -> float:
    """Group-velocity dispersion beta2 (s^2/m) = -D lambda^2 / (2 pi c); -21.68 ps^2/km at D = 17, 1550 nm."""
    d = _finite("dispersion_ps_nm_km", dispersion_ps_nm_km) * 1e-6  # s/m^2
    lam = _finite("wavelength_nm", wavelength_nm, 0, True) * 1e-9
    return -d * lam * lam / (2.0 * math.pi * C_M_S)


def cd_response(n: int, fs_hz: float, cd_ps_nm: float, wavelength_nm: float) -> np.ndarray:
    """H(w) = exp(-j beta2 L w^2 / 2) (complex128) on the ``fft`` grid of ``n`` samples at ``fs_hz``."""
    fs = _finite("fs_hz", fs_hz, 0, True)
    cd = _finite("cd_ps_nm", cd_ps_nm) * 1e-3  # s/m
    lam = _finite("wavelength_nm", wavelength_nm, 0, True) * 1e-9
    beta2_l = -cd * lam * lam / (2.0 * math.pi * C_M_S)  # s^2
    w = 2.0 * math.pi * np.fft.fftfreq(int(n), 1.0 / fs)
    return np.exp(-0.5j * beta2_l * w * w)


def apply_cd(field, fs_hz: float, cd_ps_nm: float, wavelength_nm: float):
    """The complex field ``field`` (last axis time, ``fs_hz``) after accumulated dispersion ``cd_ps_nm``.

    Circular (the frame is periodic). Returns the field's dtype; the input is not modified.
    """
    from dsp.channel.filters import apply_response

    if field.dtype.kind != "c":
        raise ValueError(f"field must be complex (got dtype {field.dtype})")
    return apply_response(field, cd_response(field.shape[-1], fs_hz, cd_ps_nm, wavelength_nm))


def attenuate(field, loss_db: float):
    """The field after a power loss of ``loss_db`` dB (>= 0)."""
    loss = _finite("loss_db", loss_db, 0)
    return field * field.dtype.type(10.0 ** (-loss / 20.0))


def power_fading_response(f_hz, cd_ps_nm: float, wavelength_nm: float, chirp_alpha: float = 0.0):
    """Small-signal intensity response of fiber + square-law detection (real, may be negative).

    ``sqrt(1 + alpha^2) cos(theta + arctan(alpha))`` with theta = pi lambda^2 (D L) f^2 / c; for a
    chirp-free transmitter (alpha = 0) this is cos(theta). Sign of alpha as in
    :func:`dsp.channel.modulators.modulate_eml` (phase = alpha/2 ln P).
    """
    cd = _finite("cd_ps_nm", cd_ps_nm) * 1e-3
    lam = _finite("wavelength_nm", wavelength_nm, 0, True) * 1e-9
    a = _finite("chirp_alpha", chirp_alpha)
    theta = math.pi * lam * lam * cd * np.asarray(f_hz, dtype=float) ** 2 / C_M_S
    return math.sqrt(1.0 + a * a) * np.cos(theta + math.atan(a))


def fading_nulls_hz(cd_ps_nm: float, wavelength_nm: float, count: int = 3) -> np.ndarray:
    """The first ``count`` null frequencies of the chirp-free fading: f_k = sqrt((2k+1) c / (2 D L lambda^2))."""
    cd = abs(_finite("cd_ps_nm", cd_ps_nm)) * 1e-3
    lam = _finite("wavelength_nm", wavelength_nm, 0, True) * 1e-9
    if cd == 0:
        return np.array([])
    k = np.arange(int(count))
    return np.sqrt((2 * k + 1) * C_M_S / (2.0 * cd * lam * lam))

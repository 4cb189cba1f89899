"""Optical modulators for intensity modulation: drive waveform (real, nominally in [-1, 1]) to field.

Every modulator returns a complex field normalised to unit mean power over the frame (the link
sets the absolute power afterwards), so only the shape of the optical waveform matters here.

- :func:`modulate_intensity`: ideal, chirp-free intensity modulator with a given extinction ratio:
  P = 1 + k v with k = (ER - 1)/(ER + 1), so P(v=1)/P(v=-1) = ER; the field is sqrt(P), real.
- :func:`modulate_mzm`: push-pull (chirp-free) Mach-Zehnder, field transmission sin(pi u / 2) with
  u = bias + swing/2 * v in units of V_pi (bias 0.5 is quadrature; the field is real and, for
  0 < u < 2, positive). The sine law compresses the outer levels.
- :func:`modulate_eml`: electro-absorption modulated laser: the power follows the drive as in the
  ideal modulator, and the transient chirp adds the phase alpha/2 ln P (Henry factor ``alpha``;
  adiabatic chirp is not modelled).

Also :func:`pam_drive_levels`: the drive level of each PAM level, with a configurable middle eye.
"""
from __future__ import annotations

import math

import numpy as np


def pam_drive_levels(m: int, middle_eye_ratio: float = 1.0) -> np.ndarray:
    """Drive levels (float64, increasing) of PAM-``m`` in [-1, 1].

    Equally spaced for ``middle_eye_ratio`` = 1. For PAM4 the levels are (-1, -a, a, 1) with
    a = r / (2 + r), so that the middle eye is ``r`` times as tall as each outer eye (r < 1: a
    compressed middle eye, as a saturating driver makes).
    """
    if isinstance(m, bool) or not isinstance(m, (int, np.integer)) or m < 2 or m & (m - 1):
        raise ValueError(f"m must be a power of two >= 2 (got {m!r})")
    r = float(middle_eye_ratio)
    if not (math.isfinite(r) and r > 0):
        raise ValueError(f"middle_eye_ratio must be positive and finite (got {middle_eye_ratio!r})")
    if r != 1.0 and m != 4:
        raise ValueError(f"middle_eye_ratio applies to PAM4 only (got m={m}, middle_eye_ratio={r})")
    if m == 4:
        a = r / (2.0 + r)
        return np.array([-1.0, -a, a, 1.0])
    return np.linspace(-1.0, 1.0, m)


def _er(extinction_ratio_db):
    er = float(extinction_ratio_db)
    if not (math.isfinite(er) and er > 0):
        raise ValueError(f"extinction_ratio_db must be positive and finite (got {extinction_ratio_db!r})")
    lin = 10.0 ** (er / 10.0)
    return (lin - 1.0) / (lin + 1.0)


def _unit_power(field, xp):
    p = xp.mean(field.real ** 2 + field.imag ** 2, axis=-1, keepdims=True)
    return field / xp.sqrt(p).astype(field.real.dtype)


def _xp(a):
    return np if isinstance(a, np.ndarray) else __import__("cupy").get_array_module(a)


def _ctype(v):
    return np.complex64 if v.dtype == np.float32 else np.complex128


def power_waveform(drive, extinction_ratio_db: float):
    """Optical power (mean 1 for symmetric drive) of an ideal intensity modulator; clipped at 0."""
    xp = _xp(drive)
    k = drive.dtype.type(_er(extinction_ratio_db))
    return xp.maximum(drive.dtype.type(1.0) + k * drive, drive.dtype.type(0.0))


def modulate_intensity(drive, extinction_ratio_db: float):
    """Chirp-free field sqrt(P) of an ideal intensity modulator (see module doc); unit mean power."""
    xp = _xp(drive)
    p = power_waveform(drive, extinction_ratio_db)
    p *= (1.0 / p.mean(axis=-1, keepdims=True)).astype(p.dtype)
    return xp.sqrt(p).astype(_ctype(drive))


def modulate_mzm(drive, bias: float = 0.5, swing: float = 0.6):
    """Push-pull Mach-Zehnder: field sin(pi/2 (bias + swing/2 v)), unit mean power.

    ``bias`` and ``swing`` (peak-to-peak) are in units of V_pi; bias in (0, 1], swing in (0, 2].
    """
    b, s = float(bias), float(swing)
    if not (math.isfinite(b) and 0 < b <= 1):
        raise ValueError(f"mzm_bias must be in (0, 1] (V_pi units; 0.5 = quadrature) (got {bias!r})")
    if not (math.isfinite(s) and 0 < s <= 2):
        raise ValueError(f"mzm_swing must be in (0, 2] (peak-to-peak, V_pi units) (got {swing!r})")
    xp = _xp(drive)
    t = drive.dtype.type
    e = xp.sin(t(math.pi / 2.0) * (t(b) + t(s / 2.0) * drive))
    e *= (1.0 / xp.sqrt((e * e).mean(axis=-1, keepdims=True))).astype(e.dtype)
    return e.astype(_ctype(drive))


def modulate_eml(drive, extinction_ratio_db: float, alpha: float):
    """Chirped EML: power as :func:`modulate_intensity`, phase alpha/2 ln P (transient chirp); unit mean power."""
    a = float(alpha)
    if not math.isfinite(a):
        raise ValueError(f"eml_alpha must be finite (got {alpha!r})")
    xp = _xp(drive)
    t = drive.dtype.type
    p = xp.maximum(power_waveform(drive, extinction_ratio_db), t(1e-12))
    phase = t(a / 2.0) * xp.log(p)
    field = xp.sqrt(p) * (xp.cos(phase) + 1j * xp.sin(phase)).astype(_ctype(drive))
    return _unit_power(field.astype(_ctype(drive)), xp)


MODULATORS = ("ideal", "mzm", "eml")

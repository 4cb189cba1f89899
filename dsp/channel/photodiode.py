"""Photodetection: PIN photodiode, shot and thermal noise.

- :func:`photodetect`: square law, current I = R |E|^2 + I_dark (A) for a field in sqrt(W).
- :func:`add_receiver_noise`: white Gaussian shot noise (one-sided PSD 2 q I, signal dependent) and
  thermal noise given as an input-referred noise current density ``thermal_pa_rthz`` (pA/sqrt(Hz),
  one-sided), both over the simulated band 0..fs/2, so the per-sample variance is
  (i_th^2 + 2 q I) fs/2. The receiver filter (TIA bandwidth, or a matched filter) that follows sets
  the noise bandwidth, as in a real receiver: after it the thermal variance is i_th^2 times the
  filter's noise-equivalent bandwidth.
"""
from __future__ import annotations

import math

from dsp.backend import array_module

Q_E = 1.602176634e-19


def photodetect(field, responsivity_a_w: float = 0.8, dark_current_a: float = 0.0):
    """Photocurrent (A, real, the field's precision) of a PIN diode."""
    r, d = float(responsivity_a_w), float(dark_current_a)
    if not (math.isfinite(r) and r > 0):
        raise ValueError(f"responsivity_a_w must be positive and finite (got {responsivity_a_w!r})")
    if not (math.isfinite(d) and d >= 0):
        raise ValueError(f"dark_current_a must be finite and >= 0 (got {dark_current_a!r})")
    p = field.real * field.real + field.imag * field.imag
    t = p.dtype.type
    return p * t(r) + t(d)


def add_receiver_noise(current, fs_hz: float, thermal_pa_rthz: float, shot: bool, rng):
    """The current plus thermal (and, if ``shot``, shot) noise over the simulated band 0..fs/2.

    ``rng``: anything with ``standard_normal(shape, dtype)`` on the current's device (a NumPy
    Generator, or a :class:`dsp.channel.noise.NormalStream`).
    """
    fs, ith = float(fs_hz), float(thermal_pa_rthz)
    if not (math.isfinite(fs) and fs > 0):
        raise ValueError(f"fs_hz must be positive and finite (got {fs_hz!r})")
    if not (math.isfinite(ith) and ith >= 0):
        raise ValueError(f"thermal_pa_rthz must be finite and >= 0 (got {thermal_pa_rthz!r})")
    xp = array_module(current)
    t = current.dtype.type
    var_th = (ith * 1e-12) ** 2 * fs / 2.0
    if hasattr(rng, "add_signal_dependent_noise"):  # NormalStream: one fused pass
        return rng.add_signal_dependent_noise(current, var_th, Q_E * fs if shot else 0.0)
    n = rng.standard_normal(current.shape, dtype=current.dtype)
    if shot:
        var = t(var_th) + t(Q_E * fs) * xp.maximum(current, t(0))
        n *= xp.sqrt(var)
    else:
        n *= t(math.sqrt(var_th))
    n += current
    return n

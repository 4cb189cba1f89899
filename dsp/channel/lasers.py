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

"""Coherent transmitter and receiver front ends: IQ modulator, IQ imbalance and skew, hybrid + ADC.

Array level (NumPy or CuPy), signals ``(..., pol, n)`` complex. Frames are periodic (skew is a
circular fractional delay).

Transmitter (:func:`modulate_iq`): each polarization's complex drive ``v = v_I + j v_Q`` drives
a nested Mach-Zehnder IQ modulator biased at null. ``kind="ideal"``: the field is the drive
(a linear modulator). ``kind="mzm"``: each child MZM (push-pull, biased at null) has the field
transmission ``sin(pi/2 * u)`` with ``u`` the rail voltage in units of V_pi; the drive is scaled so
that each rail's rms voltage is ``drive_rms_vpi`` V_pi, so a larger drive compresses the outer
constellation points more. The output has unit mean power per polarization.

Impairments of the transmitter (:func:`apply_iq_imbalance`, :func:`apply_skew`): a gain imbalance
``g`` (dB, I up by g/2, Q down by g/2), a quadrature phase error ``phi`` (the Q carrier sits at
90 + phi degrees: ``y = I' + Q' exp(j (pi/2 + phi))``) and a skew ``tau`` (Q delayed by tau
relative to I: ``Q(t - tau)``).

Receiver (:func:`coherent_detect`): an ideal 90-degree hybrid with balanced photodiodes mixes the
signal with the local oscillator; the photocurrents of the I and Q branches are proportional to
``Re`` and ``Im`` of ``E_s conj(E_LO)``. The LO's phase noise and frequency offset are modelled in
the field (:mod:`dsp.channel.lasers`), so here the LO is a unit constant and the output is the
field itself, normalised to unit power per polarization, then quantized per rail by an ADC of
``adc_bits`` with full scale ``adc_clip`` times the rail rms.
"""
from __future__ import annotations

import math

import numpy as np

from dsp.backend import array_module, fft_module

IQ_MODULATORS = ("ideal", "mzm")


def _finite(name, v, lo=None, hi=None, lo_open=False):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number (got {v!r})")
    if lo is not None and (v <= lo if lo_open else v < lo):
        raise ValueError(f"{name} must be {'>' if lo_open else '>='} {lo} (got {v!r})")
    if hi is not None and v > hi:
        raise ValueError(f"{name} must be <= {hi} (got {v!r})")
    return float(v)


def _complex(x, name="field"):
    xp = array_module(x)
    if not xp.iscomplexobj(x):
        raise TypeError(f"{name} must be complex (got {x.dtype})")
    return xp


def _unit_power(e, xp):
    p = (e.real * e.real + e.imag * e.imag).mean(axis=-1, keepdims=True)
    return e * (1.0 / xp.sqrt(p)).astype(e.real.dtype)


def modulate_iq(drive, kind: str = "ideal", drive_rms_vpi: float = 0.3):
    """Optical field (unit mean power per polarization) of a nested-MZM IQ modulator.

    Parameters
    ----------
    drive : complex array (..., n), the shaped symbol waveform (e.g. from
        :func:`dsp.modulation.shaping.shape_rrc`); not modified.
    kind : ``"ideal"`` (field = drive) or ``"mzm"`` (sine transfer per rail, see module doc).
    drive_rms_vpi : rms rail voltage in units of V_pi (``"mzm"`` only), in (0, 1].
    """
    if kind not in IQ_MODULATORS:
        raise ValueError(f"iq_modulator must be one of {', '.join(IQ_MODULATORS)} (got {kind!r})")
    xp = _complex(drive, "drive")
    if kind == "ideal":
        return _unit_power(drive, xp)
    d = _finite("drive_rms_vpi", drive_rms_vpi, 0, 1, lo_open=True)
    t = drive.real.dtype.type
    rms = xp.sqrt(((drive.real ** 2 + drive.imag ** 2) / 2).mean(axis=-1, keepdims=True))
    u = drive * (t(d) / rms).astype(drive.real.dtype)
    half_pi = t(math.pi / 2)
    e = xp.sin(half_pi * u.real) + 1j * xp.sin(half_pi * u.imag)
    return _unit_power(e.astype(drive.dtype), xp)


def apply_iq_imbalance(field, gain_db: float = 0.0, phase_deg: float = 0.0):
    """Transmitter IQ gain imbalance (dB) and quadrature phase error (degrees); see the module doc."""
    g = _finite("iq_gain_imbalance_db", gain_db, -6, 6)
    ph = _finite("iq_phase_error_deg", phase_deg, -45, 45)
    _complex(field)
    t = field.real.dtype.type
    i = field.real * t(10 ** (g / 40))
    q = field.imag * t(10 ** (-g / 40))
    phi = math.radians(ph)
    return (i - q * t(math.sin(phi)) + 1j * (q * t(math.cos(phi)))).astype(field.dtype)


def apply_skew(field, skew_ps: float, sample_rate_hz: float):
    """Delay the Q rail by ``skew_ps`` relative to I (circular fractional delay by FFT)."""
    tau = _finite("iq_skew_ps", skew_ps) * 1e-12
    fs = _finite("sample_rate_hz", sample_rate_hz, 0, lo_open=True)
    xp = _complex(field)
    if tau == 0:
        return field.copy()
    fft = fft_module(field)
    n = field.shape[-1]
    f = np.fft.rfftfreq(n, 1.0 / fs)
    h = np.exp(-2j * np.pi * f * tau)
    if n % 2 == 0:  # the Nyquist bin of a real signal must stay real
        h[-1] = np.cos(np.pi * f[-1] * 2 * tau)
    rdt = field.real.dtype
    q = fft.irfft(fft.rfft(field.imag, axis=-1) * xp.asarray(h.astype(field.dtype)), n=n, axis=-1)
    return (field.real + 1j * q.astype(rdt)).astype(field.dtype)


def coherent_detect(field, adc_bits: int = 0, adc_clip: float = 3.0):
    """Ideal 90-degree hybrid + balanced detection + ADC: the baseband samples (see module doc).

    Returns the field normalised to unit mean power per polarization; with ``adc_bits`` > 0 each
    rail is quantized (:func:`dsp.channel.adc.quantize`) over +-``adc_clip`` times its rms
    (1/sqrt(2) for unit power).
    """
    xp = _complex(field)
    y = _unit_power(field, xp)
    if adc_bits:
        from dsp.channel.adc import quantize

        clip = _finite("adc_clip", adc_clip, 0, lo_open=True)
        fs = clip / math.sqrt(2.0)
        y = (quantize(y.real, adc_bits, fs) + 1j * quantize(y.imag, adc_bits, fs)).astype(field.dtype)
    return y

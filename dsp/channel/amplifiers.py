"""Optical amplifiers (EDFA): gain, amplified spontaneous emission (ASE), link OSNR.

Definitions
-----------
- The noise figure is the signal-spontaneous-beat-limited one,
  ``NF = 1/G + 2 n_sp (G - 1) / G`` (-> ``2 n_sp`` at high gain; the quantum limit n_sp = 1 is
  NF = 3 dB at high gain). The ASE power spectral density per polarization at the output is
  ``S_ASE = n_sp h nu (G - 1) = h nu (G NF - 1) / 2`` (W/Hz), white over the simulated band, the
  same in both polarizations (:func:`ase_psd_w_hz`).
- OSNR (DOMAIN.md): total signal power (both polarizations) over the ASE power of both
  polarizations in ``ref_bw_hz`` (12.5 GHz = 0.1 nm at 1550 nm): ``OSNR = P / (2 S_ASE B_ref)``.
- The "58 dB rule" (:func:`osnr_db_from_spans`) takes the high-gain limit ``2 S_ASE = NF h nu G``,
  so the OSNR after the amplifier is ``P_in / (NF h nu B_ref)``:
  ``OSNR_dB = P_in,amp_dBm - NF_dB - 10 log10(h nu B_ref / 1 mW) - 10 log10(N)`` for N identical
  spans. At 1550 nm and 12.5 GHz, ``10 log10(h nu B_ref / 1 mW) = -57.95 dBm``
  (:func:`hnu_bref_dbm`), so the rule reads P_in + 57.95 - NF. Against the exact PSD it is high by
  ``10 log10(G NF / (G NF - 1))``: 0.035 dB at G = 16 dB, NF = 5 dB.

Fields are complex envelopes in sqrt(W): power = mean |E|^2 summed over the polarizations.
"""
from __future__ import annotations

import math

import numpy as np

from dsp._validate import number
from dsp.backend import array_module
from dsp.channel.fiber import C_M_S
from dsp.channel.noise import REF_BW_HZ

H_PLANCK = 6.62607015e-34   # J s (exact, SI 2019)


def _num(name, v, lo=None, lo_open=False):
    return float(number(name, v, lo, lo_open=lo_open))


def carrier_frequency_hz(wavelength_nm: float) -> float:
    """Optical frequency ``c / lambda`` (Hz) of a vacuum wavelength ``wavelength_nm``."""
    return C_M_S / (_num("wavelength_nm", wavelength_nm, 0, True) * 1e-9)


def hnu_bref_dbm(wavelength_nm: float = 1550.0, ref_bw_hz: float = REF_BW_HZ) -> float:
    """``10 log10(h nu B_ref / 1 mW)``: -57.95 dBm at 1550 nm in 12.5 GHz (the "58" of the rule)."""
    b = _num("ref_bw_hz", ref_bw_hz, 0, True)
    return 10.0 * math.log10(H_PLANCK * carrier_frequency_hz(wavelength_nm) * b / 1e-3)


def ase_psd_w_hz(gain_db: float, nf_db: float, frequency_hz: float) -> float:
    """ASE power spectral density per polarization (W/Hz) at an EDFA's output.

    ``S = n_sp h nu (G - 1) = h nu (G NF - 1) / 2`` with NF = 1/G + 2 n_sp (G - 1)/G (module doc).

    Parameters
    ----------
    gain_db : float >= 0, the power gain G (dB).
    nf_db : float >= 0, the noise figure (dB).
    frequency_hz : float > 0, the optical frequency nu (:func:`carrier_frequency_hz`).
    """
    g = 10.0 ** (_num("gain_db", gain_db, 0) / 10.0)
    nf = 10.0 ** (_num("nf_db", nf_db, 0) / 10.0)
    nu = _num("frequency_hz", frequency_hz, 0, True)
    return H_PLANCK * nu * (g * nf - 1.0) / 2.0


def osnr_db_from_spans(launch_dbm_per_channel: float, span_loss_db: float, nf_db: float, n_spans: int = 1,
                       wavelength_nm: float = 1550.0, ref_bw_hz: float = REF_BW_HZ) -> float:
    """Link OSNR (dB in ``ref_bw_hz``) of ``n_spans`` identical spans by the 58 dB rule.

    ``OSNR = P_in,amp - NF - 10 log10(h nu B_ref / 1 mW) - 10 log10 N`` with
    ``P_in,amp = launch - span_loss`` (dBm, the channel's power of both polarizations); each span is
    followed by an EDFA whose gain restores the span loss; high-gain limit (module doc).
    """
    p = _num("launch_dbm_per_channel", launch_dbm_per_channel)
    loss = _num("span_loss_db", span_loss_db, 0)
    nf = _num("nf_db", nf_db, 0)
    if isinstance(n_spans, bool) or not isinstance(n_spans, (int, np.integer)) or n_spans < 1:
        raise ValueError(f"n_spans must be an integer >= 1 (got {n_spans!r})")
    return p - loss - nf - hnu_bref_dbm(wavelength_nm, ref_bw_hz) - 10.0 * math.log10(int(n_spans))


def add_ase_noise(field, psd_w_hz_per_pol: float, fs_hz: float, rng):
    """``field`` plus white circular Gaussian ASE of ``psd_w_hz_per_pol`` in each polarization.

    White over the simulated band ``fs_hz``: each sample of each polarization gets complex noise of
    variance ``psd * fs`` (W), split equally over I and Q, independent across polarizations.

    Parameters
    ----------
    field : complex array ``(..., pol, n)`` in sqrt(W), NumPy or CuPy; not modified.
    psd_w_hz_per_pol : float >= 0 (W/Hz), e.g. :func:`ase_psd_w_hz`.
    fs_hz : float > 0, sample rate.
    rng : a ``numpy.random.Generator`` (NumPy field), a CuPy generator, or a
        :class:`dsp.channel.noise.NormalStream`; anything with ``standard_normal(shape, dtype)``.

    Returns
    -------
    Array of ``field``'s shape and dtype.
    """
    if not hasattr(field, "dtype") or field.dtype.kind != "c" or field.ndim < 1:
        raise ValueError(f"field must be a complex array (got {getattr(field, 'dtype', type(field).__name__)})")
    psd = _num("psd_w_hz_per_pol", psd_w_hz_per_pol, 0)
    fs = _num("fs_hz", fs_hz, 0, True)
    if not hasattr(rng, "standard_normal"):
        raise TypeError(f"rng must have a standard_normal(shape, dtype) method (got {type(rng).__name__})")
    xp = array_module(field)
    rdt = np.float32 if field.dtype == np.complex64 else np.float64
    z = xp.asarray(rng.standard_normal((*field.shape, 2), dtype=rdt))
    z *= rdt(math.sqrt(psd * fs / 2.0))
    return field + z.view(field.dtype)[..., 0]


def amplify(field, gain_db: float, nf_db: float, fs_hz: float, rng, *, wavelength_nm: float = 1550.0,
            ase: bool = True):
    """An EDFA: ``field`` (sqrt(W)) times ``sqrt(G)`` plus ASE of :func:`ase_psd_w_hz` (if ``ase``).

    ``rng`` as in :func:`add_ase_noise` (unused, may be None, when ``ase`` is False).
    Returns the field's dtype.
    """
    g_db = _num("gain_db", gain_db, 0)
    psd = ase_psd_w_hz(g_db, nf_db, carrier_frequency_hz(wavelength_nm))
    if not hasattr(field, "dtype") or field.dtype.kind != "c":
        raise ValueError(f"field must be a complex array (got {getattr(field, 'dtype', type(field).__name__)})")
    out = field * field.dtype.type(10.0 ** (g_db / 20.0))
    return add_ase_noise(out, psd, fs_hz, rng) if ase else out

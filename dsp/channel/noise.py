"""Additive white Gaussian noise at a stated SNR.

SNR conventions (DOMAIN.md):
- complex signals: ``snr = E|x|^2 / E|n|^2`` (Es/N0 for QAM), noise circular, variance
  ``P / snr`` split equally over I and Q;
- real signals: ``snr = E[x^2] / sigma^2`` (the "electrical SNR" of PAM), noise variance
  ``P / snr``. Note this is 2 Es/N0 for the same sigma.
"""
from __future__ import annotations

import math

import numpy as np


def noise_std(snr_db: float, signal_power: float = 1.0, complex_noise: bool = True) -> float:
    """Standard deviation per real dimension of noise at ``snr_db`` for a signal of ``signal_power``."""
    if not math.isfinite(snr_db):
        raise ValueError(f"snr_db must be finite (got {snr_db})")
    if not (signal_power > 0 and math.isfinite(signal_power)):
        raise ValueError(f"signal_power must be positive and finite (got {signal_power})")
    var = signal_power / 10.0 ** (snr_db / 10.0)
    return math.sqrt(var / 2.0 if complex_noise else var)


def add_awgn(x, snr_db: float, rng=None, *, signal_power: float = 1.0):
    """``x`` plus white Gaussian noise at ``snr_db`` relative to ``signal_power`` (not measured).

    Parameters
    ----------
    x : array (NumPy or CuPy), real or complex, any shape; not modified.
    snr_db : float, dB. Complex ``x``: E|x|^2/E|n|^2; real ``x``: E[x^2]/sigma^2.
    rng : numpy.random.Generator (NumPy input) or cupy.random.Generator / RandomState (CuPy input);
        a fresh default generator when None.
    signal_power : float, the E|x|^2 the SNR refers to (1 for the unit-energy constellations).

    Returns
    -------
    Array of ``x``'s shape and dtype.
    """
    is_numpy = isinstance(x, np.ndarray)
    xp = np if is_numpy else __import__("cupy")
    if rng is None:
        rng = np.random.default_rng() if is_numpy else xp.random.default_rng()
    cplx = xp.iscomplexobj(x)
    sigma = noise_std(snr_db, signal_power, complex_noise=cplx)
    real_dtype = xp.float32 if x.dtype in (xp.float32, xp.complex64) else xp.float64
    if cplx:
        n = rng.standard_normal((2, *x.shape), dtype=real_dtype)
        return x + (sigma * (n[0] + 1j * n[1])).astype(x.dtype)
    return x + (sigma * rng.standard_normal(x.shape, dtype=real_dtype)).astype(x.dtype)


class NormalStream:
    """Standard normal draws from the counter-based Philox stream of the compiled kernels.

    A drop-in for ``numpy.random.Generator.standard_normal(shape, dtype)`` in the channel models,
    about twice as fast on two cores, and drawing the same numbers on the CPU and the GPU
    (``backend.ops.normal``; ``kernels/common/gauss.h``). Successive calls continue the stream.

    Parameters
    ----------
    backend : :class:`dsp.backend.Backend`
    key : two uint32 values, e.g. ``seed_seq.generate_state(2, numpy.uint32)``.
    threads : kernel threads (CPU).
    """

    def __init__(self, backend, key, threads: int | None = None):
        self.backend, self.key, self.threads = backend, (int(key[0]), int(key[1])), threads
        self._pair = 0

    def _advance(self, n: int) -> int:
        first = self._pair
        self._pair += (int(n) + 1) // 2
        return first

    def add_signal_dependent_noise(self, x, a: float, b: float):
        """``x + sqrt(a + b * max(x, 0)) * z`` with z = ``standard_normal(x.shape)`` (x not modified).

        Fused in one pass on the CPU (``kernels/cpu/noise.pyx``); the same numbers elsewhere.
        """
        if self.backend.name == "cpu":
            out = np.array(x, order="C", copy=True)
            from dsp._kernels import noise as _noise

            _noise.add_signal_dependent_noise(out.reshape(-1), float(a), float(b), self._advance(out.size),
                                              self.key[0], self.key[1], self.threads or self.backend.ops.default_threads())
            return out
        xp = self.backend.xp
        z = self.standard_normal(x.shape, x.dtype)
        t = x.dtype.type
        return x + xp.sqrt(t(a) + t(b) * xp.maximum(x, t(0))) * z

    def scale_by_rin(self, field, sigma: float):
        """``field * sqrt(max(1 + sigma * z, 0))`` with z = ``standard_normal(field.shape)`` (real dtype)."""
        rdt = np.float32 if field.dtype == np.complex64 else np.float64
        if self.backend.name == "cpu":
            out = np.array(field, order="C", copy=True)
            from dsp._kernels import noise as _noise

            _noise.scale_by_rin(out.reshape(-1).view(rdt), float(sigma), self._advance(out.size), self.key[0],
                                self.key[1], self.threads or self.backend.ops.default_threads())
            return out
        xp = self.backend.xp
        z = self.standard_normal(field.shape, rdt)
        return field * xp.sqrt(xp.maximum(rdt(1) + rdt(sigma) * z, rdt(0)))

    def standard_normal(self, shape, dtype=np.float64):
        shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
        n = int(np.prod(shape, dtype=np.int64))
        return self.backend.ops.normal(n, dtype, self.key, self._advance(n), self.threads).reshape(shape)


# ----------------------------------------------------------------------------- ASE at an OSNR

REF_BW_HZ = 12.5e9
"""The OSNR reference bandwidth: 0.1 nm at 1550 nm."""


def _positive(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not (math.isfinite(v) and v > 0):
        raise ValueError(f"{name} must be positive and finite (got {v!r})")
    return float(v)


def osnr_to_snr_db(osnr_db: float, symbol_rate_baud: float, ref_bw_hz: float = REF_BW_HZ) -> float:
    """Per-polarization Es/N0 (dB) of a dual-polarization signal at ``osnr_db`` (DOMAIN.md).

    OSNR is the total signal power (both polarizations) over the ASE power in both polarizations
    within ``ref_bw_hz``, so Es/N0 = OSNR * B_ref / Rs:
    ``SNR_dB = OSNR_dB - 10 log10(Rs / B_ref)``.
    """
    if not math.isfinite(osnr_db):
        raise ValueError(f"osnr_db must be finite (got {osnr_db})")
    rs, b = _positive("symbol_rate_baud", symbol_rate_baud), _positive("ref_bw_hz", ref_bw_hz)
    return float(osnr_db) - 10.0 * math.log10(rs / b)


def snr_to_osnr_db(snr_db: float, symbol_rate_baud: float, ref_bw_hz: float = REF_BW_HZ) -> float:
    """Inverse of :func:`osnr_to_snr_db`: the OSNR (dB, in ``ref_bw_hz``) for a per-pol Es/N0."""
    if not math.isfinite(snr_db):
        raise ValueError(f"snr_db must be finite (got {snr_db})")
    rs, b = _positive("symbol_rate_baud", symbol_rate_baud), _positive("ref_bw_hz", ref_bw_hz)
    return float(snr_db) + 10.0 * math.log10(rs / b)


def combine_osnr_db(*osnr_db: float) -> float:
    """OSNR of noise sources added in series: ``1/OSNR = sum 1/OSNR_i`` (linear); inf terms drop out."""
    inv = 0.0
    for v in osnr_db:
        if math.isnan(v):
            raise ValueError(f"osnr_db must not be NaN (got {osnr_db})")
        if v != math.inf:
            inv += 10.0 ** (-v / 10.0)
    return math.inf if inv == 0 else -10.0 * math.log10(inv)


def ase_sigma(osnr_db: float, signal_power: float, sample_rate_hz: float, ref_bw_hz: float = REF_BW_HZ) -> float:
    """Standard deviation per real dimension, per polarization and sample, of ASE at ``osnr_db``.

    ``signal_power``: total signal power over both polarizations (mean of ``|E_x|^2 + |E_y|^2``).
    The ASE power spectral density per polarization is ``P / (OSNR * 2 * B_ref)``; white over the
    simulation bandwidth ``sample_rate_hz`` it has complex variance ``PSD * fs`` per sample.
    """
    if not math.isfinite(osnr_db):
        raise ValueError(f"osnr_db must be finite (got {osnr_db})")
    p = _positive("signal_power", signal_power)
    fs, b = _positive("sample_rate_hz", sample_rate_hz), _positive("ref_bw_hz", ref_bw_hz)
    psd = p / (10.0 ** (osnr_db / 10.0) * 2.0 * b)
    return math.sqrt(psd * fs / 2.0)


def add_ase(field, osnr_db: float, sample_rate_hz: float, rng=None, *, signal_power: float | None = None,
            ref_bw_hz: float = REF_BW_HZ):
    """``field`` (..., 2, n) plus ASE noise at ``osnr_db`` (in ``ref_bw_hz``), both polarizations.

    Parameters
    ----------
    field : complex array (NumPy or CuPy), polarizations on axis -2; not modified.
    osnr_db : float, dB in the reference bandwidth (12.5 GHz = 0.1 nm at 1550 nm).
    sample_rate_hz : float, the sampling rate of ``field`` (the noise is white over it).
    rng : a :class:`NormalStream`, a ``numpy.random.Generator`` (NumPy input) or a CuPy generator;
        a fresh default generator when None.
    signal_power : total power of both polarizations the OSNR refers to; measured from ``field``
        (mean over the last axis, summed over polarizations, averaged over the leading axes) when None.

    Returns
    -------
    Array of ``field``'s shape and dtype.
    """
    xp = np if isinstance(field, np.ndarray) else __import__("cupy")
    if not xp.iscomplexobj(field) or field.ndim < 2 or field.shape[-2] not in (1, 2):
        raise ValueError(f"field must be complex with polarizations (1 or 2) on axis -2 (got {field.dtype}, shape {field.shape})")
    if signal_power is None:
        signal_power = float((xp.abs(field) ** 2).mean(axis=-1).sum(axis=-1).mean())
    sigma = ase_sigma(osnr_db, signal_power, sample_rate_hz, ref_bw_hz)
    rdt = xp.float32 if field.dtype == xp.complex64 else xp.float64
    if rng is None:
        rng = np.random.default_rng() if xp is np else xp.random.default_rng()
    z = rng.standard_normal((*field.shape, 2), dtype=rdt)
    z *= rdt(sigma)
    return field + z.view(field.dtype)[..., 0]

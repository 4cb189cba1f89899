"""Carrier recovery for coherent QAM: frequency offset, carrier phase and cycle slips.

Signals are symbol-rate, complex64 (``"single"``) or complex128, shaped ``(..., pol, n)`` (time
last, C-contiguous); leading axes are independent items and polarisations are independent
streams unless a function says otherwise (``joint=True``). NumPy input runs on the CPU (Cython
kernels), CuPy input on the GPU (CUDA kernels); or pass ``backend``.

Conventions
-----------
The received symbol is modelled as ``x[k] = s[k] exp(j theta[k]) + noise`` with the envelope
convention ``E(t) = Re{A(t) exp(+j w0 t)}``: a carrier offset ``f`` (Hz) adds
``theta[k] = 2 pi f k / fs + theta0``, i.e. a spectral shift to ``+f`` with NumPy's FFT sign
``X(f) = sum x[k] exp(-j 2 pi f k / fs)``. Every ``phase`` returned here is an estimate of the
carrier phase ``theta`` (radians, unwrapped along time), and corrected symbols are
``y = x exp(-j phase)``. Square QAM has a pi/2 rotational symmetry, so blind estimates are
defined up to a multiple of pi/2 (the *quadrant*): a constant quadrant error is resolved by
pilots (or a differential code), and a change of it along time is a *cycle slip*.

Functions
---------
- :func:`estimate_frequency_offset`, :func:`remove_frequency_offset`: 4th-power spectrum
  estimator (unambiguous within ``+-fs / 8``) and its correction.
- :func:`bps`: blind phase search (Pfau, Hoffmann, Noe, J. Lightw. Technol. 27(8), 2009) for
  square QAM, the kernel of ``kernels/common/cpr.h``.
- :func:`viterbi_viterbi`: the 4th-power (Viterbi & Viterbi, IEEE Trans. Inf. Theory 29(4), 1983)
  estimator for QPSK (``m=4``) or BPSK (``m=2``).
- :func:`correct_cycle_slips`: pilot-aided quadrant correction (400ZR frames carry a known QPSK
  pilot every 64 symbols); :func:`count_cycle_slips`: genie slip count against the true phase.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from dsp.backend import array_module, get_backend

__all__ = [
    "CprResult",
    "SlipCorrection",
    "estimate_frequency_offset",
    "remove_frequency_offset",
    "bps",
    "viterbi_viterbi",
    "correct_cycle_slips",
    "count_cycle_slips",
    "BPS_BLOCK",
    "MAX_PHASES",
]

BPS_BLOCK = 512
"""Symbols per block of the BPS kernel: the window sum is re-summed from scratch at every block start."""
MAX_PHASES = 256
"""Most BPS test phases the kernels hold."""
_QUARTER = 0.5 * math.pi


@dataclass(frozen=True)
class CprResult:
    """Result of :func:`bps` and :func:`viterbi_viterbi`.

    symbols : (..., pol, n), x's dtype
        Corrected symbols ``x exp(-j phase)``.
    phase : (..., pol, n), x's real precision (float32 / float64)
        Unwrapped carrier phase estimate (rad). With ``joint=True`` both polarisations hold the same.
    slips : (..., pol) int64 or None
        Cycle slips found by the pilots (``pilots`` given), else None.
    """

    symbols: Any
    phase: Any
    slips: Any = None


@dataclass(frozen=True)
class SlipCorrection:
    """Result of :func:`correct_cycle_slips`.

    symbols : (..., pol, n)
        Symbols rotated by ``exp(-j q[k] pi/2)``.
    phase : (..., pol, n)
        Phase estimate plus ``q[k] pi/2``.
    slips : (..., pol) int64
        Number of changes of the quadrant correction between consecutive pilots.
    quadrants : (..., pol, n_pilots) int8
        Quadrant correction ``q`` (0..3) measured at each pilot.
    """

    symbols: Any
    phase: Any
    slips: Any
    quadrants: Any


# ----------------------------------------------------------------------------------------- checks

def _backend(x, backend):
    if backend is None:
        return get_backend("gpu" if array_module(x).__name__ == "cupy" else "cpu")
    return get_backend(backend)


def _int(name, value, lo, hi=None):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer (got {value!r})")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        allowed = f"in {lo}..{hi}" if hi is not None else f">= {lo}"
        raise ValueError(f"{name} must be {allowed} (got {value})")
    return value


def _positive(name, value):
    if isinstance(value, bool) or not isinstance(value, Real) or not (math.isfinite(float(value)) and value > 0):
        raise ValueError(f"{name} must be a finite number > 0 (got {value!r})")
    return float(value)


def _signal(x, be, name="x", min_ndim=2):
    xp = be.xp
    x = xp.asarray(x)
    if x.dtype not in (xp.complex64, xp.complex128):
        raise TypeError(f"{name} must be complex64 or complex128 (got dtype {x.dtype})")
    if x.ndim < min_ndim:
        raise ValueError(f"{name} must have shape (..., pol, n) (got shape {tuple(x.shape)})")
    return xp.ascontiguousarray(x)


def _real_dtype(x, xp):
    return xp.float32 if x.dtype == xp.complex64 else xp.float64


def _qam_grid(constellation):
    """(levels per axis L, half spacing d) of a square QAM constellation or point set."""
    from dsp.modulation import Constellation

    if isinstance(constellation, Constellation):
        if constellation.kind != "qam":
            raise ValueError(f"constellation must be square QAM for BPS (got {constellation})")
        return constellation.levels, constellation.d
    pts = np.asarray(constellation.get() if hasattr(constellation, "get") else constellation)
    if pts.ndim != 1 or pts.size < 4 or not np.all(np.isfinite(pts)):
        raise ValueError("constellation must be a Constellation or 1-D finite square-QAM points "
                         f"(got shape {pts.shape})")
    L = int(round(math.sqrt(pts.size)))
    re, im = np.unique(np.round(pts.real, 12)), np.unique(np.round(pts.imag, 12))
    ok = L * L == pts.size and L >= 2 and (L & (L - 1)) == 0 and re.size == L and np.allclose(re, im)
    if ok:
        d = 0.5 * (re[-1] - re[0]) / (L - 1)
        grid = (2 * np.arange(L) - L + 1) * d
        pairs = np.unique(np.round(pts.real / d, 6) + 1j * np.round(pts.imag / d, 6))
        ok = d > 0 and np.allclose(re, grid, atol=1e-9 * d) and pairs.size == pts.size
    if not ok:
        raise ValueError("constellation must be square QAM (an L x L grid of equally spaced levels centred "
                         f"on 0, L a power of 2 >= 2; got {pts.size} points that are not)")
    return L, float(d)


# -------------------------------------------------------------------------------- frequency offset

def estimate_frequency_offset(x, sample_rate_hz: float, *, power: int = 4, nfft: int | None = None,
                              backend=None):
    """Carrier frequency offset by the ``power``-th power spectrum (4 for QAM / QPSK).

    ``x ** power`` strips the modulation of square QAM (``E[s^4] != 0``) and leaves a tone at
    ``power * f``; its frequency is the peak of the periodogram ``sum_pol |FFT(x^power, nfft)|^2``
    (both polarisations summed), refined below the bin spacing by a parabola through the log
    periodogram at the peak bin and its two neighbours, then divided by ``power``.

    Parameters
    ----------
    x : (..., pol, n) complex64 or complex128
        Symbol-rate samples (after CD compensation and equalisation); NumPy or CuPy.
    sample_rate_hz : float > 0
        Sample (symbol) rate ``fs`` of ``x``, Hz.
    power : int, 1..8
        The power; 4 for square QAM and QPSK, 2 for BPSK.
    nfft : int >= n, optional
        FFT length (zero padding); default the next power of two >= 2 n.
    backend : None, "cpu", "gpu" or Backend

    Returns
    -------
    float or numpy.ndarray of x.shape[:-2]
        Offset ``f`` in Hz (``x`` ~ ``s exp(+j 2 pi f k / fs)``), in ``[-fs / (2 power), fs / (2 power))``.

    Notes
    -----
    The estimate is unambiguous only within ``+-fs / (2 power)`` (``+-fs/8`` for ``power=4``): an
    offset ``f`` beyond it is reported as ``f - fs / power`` wrapped into that range. Accuracy:
    the tone sits on a noisy floor; with ``n`` symbols the standard deviation is a small fraction
    of ``fs / (power n)``. Cost: one FFT of ``nfft`` points per stream, float64 spectra.
    """
    fs = _positive("sample_rate_hz", sample_rate_hz)
    power = _int("power", power, 1, 8)
    be = _backend(x, backend)
    xp = be.xp
    x = _signal(x, be)
    n = x.shape[-1]
    if n < 3:
        raise ValueError(f"x must hold at least 3 symbols per stream (got n = {n})")
    if nfft is None:
        nfft = 1 << max(2, (2 * n - 1).bit_length())
    nfft = _int("nfft", nfft, n)
    z = x ** power if power != 1 else x
    spec = be.fft.fft(z, n=nfft, axis=-1)
    p = (spec.real.astype(xp.float64) ** 2 + spec.imag.astype(xp.float64) ** 2).sum(axis=-2)  # (..., nfft)
    k = xp.argmax(p, axis=-1)
    km = (k - 1) % nfft
    kp = (k + 1) % nfft
    tiny = 1e-300
    a = xp.log(xp.take_along_axis(p, km[..., None], axis=-1)[..., 0] + tiny)
    b = xp.log(xp.take_along_axis(p, k[..., None], axis=-1)[..., 0] + tiny)
    c = xp.log(xp.take_along_axis(p, kp[..., None], axis=-1)[..., 0] + tiny)
    den = a - 2.0 * b + c
    delta = xp.where(den < 0, 0.5 * (a - c) / xp.where(den < 0, den, -1.0), 0.0)
    delta = xp.clip(delta, -0.5, 0.5)
    frac = (k.astype(xp.float64) + delta) / nfft
    frac = (frac + 0.5) % 1.0 - 0.5
    f = be.to_host(frac * fs / power)
    f = np.asarray(f, dtype=np.float64)
    return float(f) if f.ndim == 0 else f


def remove_frequency_offset(x, f_hz, sample_rate_hz: float, *, phase0: float = 0.0, backend=None, out=None):
    """``x[..., k] * exp(-j (2 pi f k / fs + phase0))``: remove a carrier frequency offset.

    Parameters
    ----------
    x : (..., pol, n) complex64 or complex128
    f_hz : float or array broadcastable to ``x.shape[:-2]``
        Offset per item (Hz), e.g. from :func:`estimate_frequency_offset`.
    sample_rate_hz : float > 0
        Sample rate ``fs`` (Hz).
    phase0 : float
        Phase (rad) removed at ``k = 0``.
    out : array like ``x``, optional
        Where to write the result (``x`` itself works: in place).

    Returns
    -------
    (..., pol, n), x's dtype (``out`` when given)
        The rotor is :func:`dsp.channel.lasers.phase_ramp` (phases exact in float64, products
        accurate to a few ulp of x's precision).
    """
    fs = _positive("sample_rate_hz", sample_rate_hz)
    if isinstance(phase0, bool) or not isinstance(phase0, Real) or not math.isfinite(float(phase0)):
        raise ValueError(f"phase0 must be a finite number (got {phase0!r})")
    be = _backend(x, backend)
    xp = be.xp
    x = _signal(x, be)
    f = np.asarray(f_hz.get() if hasattr(f_hz, "get") else f_hz, dtype=np.float64)
    if not np.all(np.isfinite(f)):
        raise ValueError(f"f_hz must be finite (got {f_hz!r})")
    try:
        f = np.broadcast_to(f, x.shape[:-2])
    except ValueError:
        raise ValueError(f"f_hz must be a scalar or broadcastable to x.shape[:-2] = {x.shape[:-2]} "
                         f"(got shape {f.shape})") from None
    from dsp.channel.lasers import phase_ramp

    if out is not None and (out.shape != x.shape or out.dtype != x.dtype or array_module(out) is not xp):
        raise ValueError(f"out must be an array of x's shape {tuple(x.shape)}, dtype {x.dtype} and module "
                         f"(got {getattr(out, 'dtype', type(out).__name__)}, {getattr(out, 'shape', None)})")
    return xp.multiply(x, phase_ramp(xp.asarray(-f / fs), x.shape[-1], x.dtype, xp, -float(phase0))[..., None, :],
                       out=out)


def _rotor(angle, dtype, xp):
    """exp(j angle) as ``dtype`` (cos and sin in angle's precision: cheaper than a complex exp)."""
    rot = xp.empty(angle.shape, dtype=dtype)
    rot.real[...] = xp.cos(angle)
    rot.imag[...] = xp.sin(angle)
    return rot


# ------------------------------------------------------------------------------------ phase unwrap

def _unwrap(phi, period, xp):
    """phase[k] = phi[k] + floor(1/2 - (phi[k] - phase[k-1]) / period) period, phase[0] = phi[0]
    (as phi[k] + period * cumsum of the integer steps), float64, along the last axis."""
    steps = xp.floor(0.5 - xp.diff(phi, axis=-1) / period)
    m = xp.zeros(phi.shape, dtype=xp.float64)
    m[..., 1:] = xp.cumsum(steps, axis=-1)
    return phi + period * m


# ------------------------------------------------------------------------------------------- BPS

def _bps_tables(n_phases, lanes, dtype):
    b = np.minimum(np.arange(lanes), n_phases - 1).astype(np.float64)
    phi = (b - 0.5 * n_phases) * (math.pi / (2.0 * n_phases))
    return np.cos(phi).astype(dtype), np.sin(phi).astype(dtype)


def _pilots_arg(pilots):
    if not (isinstance(pilots, (tuple, list)) and len(pilots) == 2):
        raise ValueError(f"pilots must be a pair (positions, symbols) (got {type(pilots).__name__})")
    return pilots[0], pilots[1]


def bps(x, constellation, *, n_phases: int = 32, window: int = 16, joint: bool = False, pilots=None,
        pilot_window: int = 1, backend=None, threads: int | None = None) -> CprResult:
    """Blind phase search carrier recovery for square QAM.

    For each symbol ``k`` and test phase ``phi_b = (b - B/2) pi / (2B)``, ``b = 0..B-1``
    (``B = n_phases``, covering ``[-pi/4, pi/4)``: square QAM is pi/2-symmetric), the squared
    distance of ``x[k] exp(-j phi_b)`` to its nearest constellation point (per-axis slicing, no
    search over points) is summed over the centred window ``k - W .. k + W`` (``W = window``;
    symbols outside the stream are skipped); the smallest sum gives ``phi[k]``, then

        phase[k] = phi[k] + floor(1/2 - (phi[k] - phase[k-1]) / (pi/2)) pi/2,  phase[0] = phi[0]

    removes the pi/2 jumps of the wrapped estimate. Ties go to the smallest ``b``. The window
    sum runs as a running sum (add the entering symbol, subtract the leaving one), re-summed
    from scratch every :data:`BPS_BLOCK` symbols; the exact arithmetic (also the order of the
    float operations, identical on CPU and GPU) is in ``kernels/common/cpr.h``.

    Parameters
    ----------
    x : (..., pol, n) complex64 or complex128
        Symbol-rate samples at unit mean power (the constellation's scale), frequency offset removed.
    constellation : Constellation (square QAM) or 1-D array of square-QAM points
        E.g. ``dsp.modulation.qam(16)``. A point array must be an L x L grid centred on 0.
    n_phases : int, 2..256
        Test phases ``B``; resolution ``pi / (2B)``.
    window : int >= 0
        Half-width ``W``: sums run over ``2W + 1`` symbols. Larger for less noise, smaller for
        more phase noise (for 16QAM at ``linewidth * T`` about 1e-4, ``W`` about 10..30).
    joint : bool
        Search both polarisations together (distances of pol 0 and 1 summed; needs ``pol == 2``):
        one phase per item, for a shared laser.
    pilots : (positions, symbols), optional
        Known pilot symbols; when given the result goes through :func:`correct_cycle_slips`
        and ``slips`` is filled.
    pilot_window : int >= 0
        Half-width (in pilots) of the pilot averaging of :func:`correct_cycle_slips`.
    backend : None, "cpu", "gpu" or Backend
    threads : int, optional
        CPU threads (default: all cores).

    Returns
    -------
    CprResult
        ``symbols`` (x's dtype), ``phase`` (real, x's precision), ``slips``.

    Notes
    -----
    Without pilots the estimate carries the blind quadrant ambiguity: ``phase`` may differ from
    the true carrier phase by a constant multiple of pi/2 (and by further multiples after a
    cycle slip). Cost: about ``23 B`` float operations per symbol (SIMD over the test phases);
    the CPU kernel uses AVX2 where the CPU has it.
    """
    L, d = _qam_grid(constellation)
    B = _int("n_phases", n_phases, 2, MAX_PHASES)
    W = _int("window", window, 0)
    be = _backend(x, backend)
    xp = be.xp
    x = _signal(x, be)
    if joint and x.shape[-2] != 2:
        raise ValueError(f"joint=True needs 2 polarisations (got x.shape[-2] = {x.shape[-2]})")
    if threads is not None:
        threads = _int("threads", threads, 1)
    if pilots is not None:
        positions, psyms = _pilots_arg(pilots)
        _int("pilot_window", pilot_window, 0)
    shape = x.shape
    rows = x.reshape(math.prod(shape[:-1]), shape[-1])
    real = np.float32 if x.dtype == xp.complex64 else np.float64
    ct, st = _bps_tables(B, be.ops.bps_lanes(B), real)
    if be.name == "gpu":
        ct, st = xp.asarray(ct), xp.asarray(st)
    y, phase = be.ops.bps(rows, bool(joint), min(W, shape[-1]), ct, st, B, 1.0 / (2.0 * d), 0.5 * (L - 1), L - 1.0,
                          threads)
    y, phase = y.reshape(shape), phase.reshape(shape)
    if pilots is None:
        return CprResult(symbols=y, phase=phase)
    sc = correct_cycle_slips(y, phase, psyms, positions, pilot_window=pilot_window, backend=be)
    return CprResult(symbols=sc.symbols, phase=sc.phase, slips=sc.slips)


# ------------------------------------------------------------------------------- Viterbi-Viterbi

def viterbi_viterbi(x, *, window: int = 16, m: int = 4, joint: bool = False, pilots=None,
                    pilot_window: int = 1, backend=None) -> CprResult:
    """Viterbi-Viterbi (m-th power) carrier phase estimation for QPSK (``m=4``) or BPSK (``m=2``).

    ``S[k] = sum_{j=k-W}^{k+W} x[j]^m`` (centred window, symbols outside the stream skipped;
    ``joint``: both polarisations summed), ``phi[k] = arg(S[k] / r) / m`` with ``r = s^m`` of the
    reference constellation (``-1`` for QPSK ``(+-1 +-j)/sqrt(2)``, ``+1`` for BPSK ``+-1``), so
    ``phi`` lies in ``(-pi/m, pi/m]``; then the same unwrap as :func:`bps` with period ``2 pi / m``.
    NumPy / CuPy array code: a complex128 cumulative sum gives every window sum.

    Parameters
    ----------
    x : (..., pol, n) complex64 or complex128
    window : int >= 0
        Half-width ``W`` (``2W + 1`` symbols).
    m : int, 2 or 4
    joint : bool
        One phase for both polarisations (needs ``pol == 2``).
    pilots : (positions, symbols), optional
        As for :func:`bps` (the quadrant correction assumes the pi/2 ambiguity of ``m=4``).
    pilot_window : int >= 0
        As for :func:`bps` (at QPSK SNRs single pilots are unreliable: 2 is safer).

    Returns
    -------
    CprResult
        ``symbols`` (x's dtype), ``phase`` (real, x's precision), ``slips``.
    """
    W = _int("window", window, 0)
    if isinstance(m, bool) or m not in (2, 4):
        raise ValueError(f"m must be 2 (BPSK) or 4 (QPSK) (got {m!r})")
    if pilots is not None and m != 4:
        raise ValueError("pilots need m=4 (the pilot correction resolves a pi/2 ambiguity)")
    be = _backend(x, backend)
    xp = be.xp
    x = _signal(x, be)
    if joint and x.shape[-2] != 2:
        raise ValueError(f"joint=True needs 2 polarisations (got x.shape[-2] = {x.shape[-2]})")
    if pilots is not None:
        positions, psyms = _pilots_arg(pilots)
        _int("pilot_window", pilot_window, 0)
    n = x.shape[-1]
    z = (x * x) if m == 2 else (x * x) ** 2
    z = z.astype(xp.complex128)
    if joint:
        z = z.sum(axis=-2, keepdims=True)
    W = min(W, n)
    # c[W + j] = z[0] + .. + z[j - 1] for j = 0..n, clamped at both ends: S[k] = c[k + 2W + 1] - c[k]
    c = xp.empty(z.shape[:-1] + (n + 2 * W + 1,), dtype=xp.complex128)
    c[..., :W + 1] = 0
    c[..., W + 1:n + W + 1] = xp.cumsum(z, axis=-1)
    c[..., n + W + 1:] = c[..., n + W:n + W + 1]
    s = c[..., 2 * W + 1:] - c[..., :n]
    ref = -1.0 if m == 4 else 1.0
    phi = xp.angle(s * ref) / m
    phase = _unwrap(phi, 2.0 * math.pi / m, xp)
    if joint:
        phase = xp.broadcast_to(phase, x.shape)
    phase = xp.ascontiguousarray(phase.astype(_real_dtype(x, xp)))
    y = x * _rotor(-phase, x.dtype, xp)
    if pilots is None:
        return CprResult(symbols=y, phase=phase)
    sc = correct_cycle_slips(y, phase, psyms, positions, pilot_window=pilot_window, backend=be)
    return CprResult(symbols=sc.symbols, phase=sc.phase, slips=sc.slips)


# ---------------------------------------------------------------------------------- cycle slips

def correct_cycle_slips(y, phase, pilots, pilot_positions, *, pilot_window: int = 1, locate: str = "jump",
                        backend=None) -> SlipCorrection:
    """Resolve the quadrant (pi/2) ambiguity of a blind phase estimate with known pilot symbols.

    Method: pilot ``i`` (position ``p_i``, known symbol ``a_i``) gives ``z_i = y[p_i] conj(a_i)``,
    about ``|a_i|^2 exp(j q pi/2)`` when the blind estimate is off by ``q`` quadrants. The
    quadrant correction at pilot ``i`` is the multiple of pi/2 closest to the angle of the sum
    over the centred window of ``2 G + 1`` pilots (``G = pilot_window``, truncated at the ends),

        q_i = round(arg(sum_{|j - i| <= G} z_j) / (pi/2)) mod 4,

    which tolerates isolated pilots more than pi/4 off (likely for a QPSK pilot at low SNR) and
    still places a clean step of the quadrant exactly between the two pilots around it (the
    window then holds G pilots of the old quadrant and G + 1 of the new).

    Each symbol gets the correction of its segment: all symbols take ``q_0`` up to the first
    change; where ``q_{i+1} != q_i`` a cycle slip happened between the two pilots and the
    boundary is placed (``locate="jump"``) just before the largest step of ``phase`` inside
    ``(p_i, p_{i+1}]`` in the direction of the slip (a slip of the blind estimate is a jump of
    about ``-(q_{i+1} - q_i) pi/2``; for a change by pi the largest step either way), or
    (``locate="nearest"``) midway between the pilots (from ``(p_i + p_{i+1}) // 2 + 1`` on).
    A slip of the carrier itself (invisible to a blind estimator) leaves no step: "jump" then
    picks the largest noise step, no worse than "nearest" on average. Corrected:
    ``symbols = y exp(-j q[k] pi/2)`` and ``phase = phase + q[k] pi/2``, with ``q[k]`` counted
    without reduction mod 4 (``q_0`` taken in -1..2), so the corrected phase stays continuous.
    ``slips`` counts the changes ``q_{i+1} != q_i`` (a change by pi counts once); the initial
    quadrant ``q_0`` is not a slip.

    Parameters
    ----------
    y : (..., pol, n) complex64 or complex128
        Symbols after blind phase recovery (``x exp(-j phase)``).
    phase : (..., pol, n) real
        The blind carrier phase estimate (rad).
    pilots : complex (n_pilots,) or (..., pol, n_pilots)
        Known transmitted pilot symbols (broadcast over items and polarisations).
    pilot_positions : int (n_pilots,)
        Strictly increasing symbol indices in ``0..n-1`` (e.g. ``arange(0, n, 64)`` for 400ZR).
    pilot_window : int >= 0
        ``G``; 0 decides each pilot alone. Larger ``G`` rides out unreliable pilots (QPSK near
        its FEC threshold: ``G = 2``) but merges slips less than ``G`` pilots apart (frequent
        slips, e.g. 16QAM at ``linewidth * T = 1e-3``: ``G = 0``).
    locate : "jump" or "nearest"
    backend : None, "cpu", "gpu" or Backend

    Returns
    -------
    SlipCorrection
    """
    if locate not in ("jump", "nearest"):
        raise ValueError(f"locate must be 'jump' or 'nearest' (got {locate!r})")
    G = _int("pilot_window", pilot_window, 0)
    be = _backend(y, backend)
    xp = be.xp
    y = _signal(y, be, "y")
    phase = xp.asarray(phase)
    if phase.shape != y.shape or phase.dtype.kind != "f":
        raise ValueError(f"phase must be real with y's shape {tuple(y.shape)} "
                         f"(got {phase.dtype}, {tuple(phase.shape)})")
    n = y.shape[-1]
    pos = np.asarray(pilot_positions.get() if hasattr(pilot_positions, "get") else pilot_positions)
    if pos.ndim != 1 or pos.size < 1 or pos.dtype.kind not in "iu":
        raise ValueError(f"pilot_positions must be a non-empty 1-D integer array (got {pos.dtype}, shape {pos.shape})")
    pos = pos.astype(np.int64)
    if pos[0] < 0 or pos[-1] >= n or np.any(np.diff(pos) <= 0):
        raise ValueError(f"pilot_positions must be strictly increasing in 0..{n - 1} (got {pos[:5].tolist()}...)")
    a = xp.asarray(pilots)
    if a.dtype.kind not in "cfiu":
        raise TypeError(f"pilots must hold numeric (complex) symbols (got dtype {a.dtype})")
    try:
        a = xp.broadcast_to(a, y.shape[:-1] + (pos.size,))
    except ValueError:
        raise ValueError(f"pilots must have shape (n_pilots,) = ({pos.size},) or broadcast to "
                         f"{y.shape[:-1] + (pos.size,)} (got {tuple(a.shape)})") from None
    P = pos.size
    shape = y.shape
    S = math.prod(shape[:-1])
    yr = y.reshape(S, n)
    ar = a.reshape(S, P)
    phase = phase.reshape(S, n)
    z = yr[:, xp.asarray(pos)].astype(xp.complex128) * xp.conj(ar.astype(xp.complex128))
    if G:
        cz = xp.zeros((z.shape[0], P + 1), dtype=xp.complex128)
        cz[:, 1:] = xp.cumsum(z, axis=-1)
        i = np.arange(P)
        z = cz[:, xp.asarray(np.minimum(P, i + G + 1))] - cz[:, xp.asarray(np.maximum(0, i - G))]
    q = (xp.rint(xp.angle(z) / _QUARTER).astype(xp.int64)) % 4                       # (S, P)
    dq = (q[:, 1:] - q[:, :-1]) % 4                                                  # 0..3, 2 = pi
    slips = (dq != 0).sum(axis=-1)
    # per-symbol quadrant count: q_0 (taken in -1..2), then each change (+1, +2 or -1 for 3) from its
    # boundary on; not reduced mod 4, so that the corrected phase stays continuous
    table = xp.asarray(np.array([1, -1j, -1, 1j], dtype=np.complex128).astype(y.dtype))
    q0 = be.to_host((q[:, 0] + 1) % 4 - 1).astype(np.int64)
    chg_s = chg_i = np.zeros(0, dtype=np.int64)
    if P > 1:
        chg_s, chg_i = (np.asarray(v, dtype=np.int64) for v in be.to_host(xp.stack(xp.nonzero(dq))))
    if chg_s.size == 0:
        out_y = yr * table[xp.asarray(q0 % 4)][:, None]
        out_ph = phase + xp.asarray((_QUARTER * q0).astype(phase.dtype))[:, None]
    else:
        dq_h = be.to_host(dq)[chg_s, chg_i]
        if locate == "nearest":
            bnd = (pos[chg_i] + pos[chg_i + 1]) // 2 + 1
        else:
            ph_h = be.to_host(phase)
            bnd = np.empty(chg_s.size, dtype=np.int64)
            for t, (s_, i_, dqv) in enumerate(zip(chg_s, chg_i, dq_h)):
                seg = np.diff(ph_h[s_, pos[i_]:pos[i_ + 1] + 1].astype(np.float64))  # steps into p_i+1 .. p_{i+1}
                score = -seg if dqv == 1 else (seg if dqv == 3 else np.abs(seg))
                bnd[t] = pos[i_] + 1 + int(np.argmax(score))
        seg_s = np.concatenate([np.arange(S), chg_s])
        seg_k = np.concatenate([np.zeros(S, dtype=np.int64), bnd])
        seg_d = np.concatenate([q0, np.where(dq_h == 3, -1, dq_h)])
        order = np.lexsort((seg_k, seg_s))
        seg_s, seg_k, seg_d = seg_s[order], seg_k[order], seg_d[order]
        total = np.cumsum(seg_d)
        first = np.searchsorted(seg_s, np.arange(S))                                # each stream's q_0 entry
        val = total - (total[first] - seg_d[first])[seg_s]
        g = seg_s * n + seg_k
        if g.size <= 2 * S + 64:  # few segments: rotate slices (by 1, -j, -1 or j: exact, as the gather below)
            out_y, out_ph = xp.empty_like(yr), xp.empty_like(phase)
            yf, pf = yr.reshape(-1), phase.reshape(-1)
            oy, op = out_y.reshape(-1), out_ph.reshape(-1)
            for a, e, v in zip(g.tolist(), np.append(g[1:], S * n).tolist(), val.tolist()):
                xp.multiply(yf[a:e], table[v % 4], out=oy[a:e])
                xp.add(pf[a:e], phase.dtype.type(_QUARTER * v), out=op[a:e])
        else:
            qk = xp.asarray(np.repeat(val.astype(np.int32), np.diff(np.append(g, S * n)))).reshape(S, n)
            out_y = yr * table[qk % 4]
            out_ph = phase + (_QUARTER * qk).astype(phase.dtype)
    out_y = out_y.reshape(shape)
    out_ph = out_ph.reshape(shape)
    return SlipCorrection(symbols=out_y, phase=out_ph, slips=slips.reshape(shape[:-1]).astype(xp.int64),
                          quadrants=q.reshape(shape[:-1] + (P,)).astype(xp.int8))


def count_cycle_slips(phase_est, phase_true):
    """Genie count of cycle slips: jumps of the quadrant-rounded estimation error.

    ``e[k] = round((phase_est[k] - phase_true[k]) / (pi/2))``; a slip is a ``k`` with
    ``e[k] != e[k-1]`` (a jump by pi counts once). A constant quadrant offset is not a slip.

    Parameters
    ----------
    phase_est, phase_true : (..., n) real, broadcastable (NumPy or CuPy)

    Returns
    -------
    int (1-D input) or int64 array of the leading shape
    """
    xp = array_module(phase_est)
    pe, pt = xp.asarray(phase_est), xp.asarray(phase_true)
    if pe.dtype.kind not in "fiu" or xp.asarray(pt).dtype.kind not in "fiu":
        raise TypeError(f"phase_est and phase_true must be real (got {pe.dtype}, {pt.dtype})")
    e = xp.rint((pe.astype(xp.float64) - pt.astype(xp.float64)) / _QUARTER)
    if e.ndim < 1:
        raise ValueError("phase_est must have at least one axis (time last)")
    c = (e[..., 1:] != e[..., :-1]).sum(axis=-1).astype(xp.int64)
    return int(c) if c.ndim == 0 else c

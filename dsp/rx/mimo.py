"""2x2 MIMO adaptive equalizer of a coherent dual-polarization receiver (CMA, RDE, DD-LMS).

Array-level functions over batch-first signals: ``x`` is complex ``(..., 2, n_samples)``
complex64 or complex128 (axis -2: the X and Y polarizations, time last); every leading index is
an independent item (a frame with its own equalizer), processed in parallel (OpenMP threads over
items on the CPU, one CUDA thread per item on the GPU). NumPy input runs on the CPU kernel, CuPy
input on the GPU kernel (or pass ``backend``).

Filter
------
A butterfly of four complex FIRs of ``taps`` (odd) taps, T/2-spaced (``sps=2``, default) or
T-spaced (``sps=1``). With ``c = taps // 2`` the output of polarization ``o`` at symbol ``k`` is ::

    y[o, k] = sum_{i=0,1} sum_{j=0}^{taps-1} w[o, i, j] * x[i, sps * k + c - j]

(samples outside ``x`` count as 0): input sample ``sps * k`` is the sampling instant of symbol
``k``, ``w[..., c]`` is the centre tap, and the output has ``n_samples // sps`` symbols per
polarization. ``weights`` are ``(..., 2, 2, taps)`` in the order ``[out_pol, in_pol, tap]``;
the default start is the centre spike ``w[0, 0, c] = w[1, 1, c] = 1``, all other taps 0.

Adaptation (per output symbol and polarization; stochastic gradient, taps updated after each
output, ``w[o, i, j] += step * e_o * conj(x[i, sps k + c - j])``)
-------------------------------------------------------------------------------------------------
- ``"cma"`` (constant modulus): ``e = y (R2 - |y|^2)`` with ``R2 = E|a|^4 / E|a|^2`` of the
  constellation (1 for QPSK, also when ``constellation`` is None).
- ``"rde"`` (radius directed): ``e = y (R_r^2 - |y|^2)`` with ``R_r`` the constellation ring
  nearest to ``|y|`` (16-QAM: 3 rings).
- ``"dd"`` (decision-directed LMS): ``e = d - y`` with ``d`` the nearest constellation point
  (per-axis slicing of the square QAM), or the known symbol ``ref`` for the first ``n_train``
  symbols (data-aided training).

Schedule: a blind method runs for the first ``n_blind`` symbols with step ``mu``, then the
equalizer switches to DD-LMS with step ``mu_dd`` (default: ``mu``); ``n_blind=None`` keeps it
blind throughout. CMA and RDE are blind to the carrier phase: each output leaves the blind stage
with an arbitrary phase. At the switch the taps of each output are therefore rotated by
``exp(-j theta_o)``, ``theta_o = arg(-sum y_o^4) / 4`` over the last ``min(n_blind, 1024)`` blind
outputs (the Viterbi-Viterbi 4th-power estimate), so that the decisions see the square
constellation upright up to its 90-degree ambiguity.

DD-LMS needs input whose carrier phase is recovered (or varies slowly enough for the taps to
follow it: the taps absorb a static phase). ``pll_mu > 0`` adds a first-order decision-directed
phase tracker per output in the DD and training stages: ``z = y exp(-j phi)``, the decision is
taken on ``z``, the tap error is ``(d - z) exp(+j phi)`` and ``phi += pll_mu * Im(z conj(d))``;
the output is then ``z``. CMA/RDE outputs leave carrier recovery to a later stage.

Step sizes are raw (not normalised): the input is expected at about unit mean power per
polarization (e.g. ``x / sqrt(mean(|x|^2))`` after CD compensation); the constellations have
unit mean energy. Stability needs roughly ``mu * 2 * taps * P < 1`` (P: input power).

Singularity
-----------
CMA can converge with both outputs on the same transmitted polarization. Two guards:
``n_single > 0`` runs a single-output pre-stage: for the first ``n_single`` symbols only the X
output adapts (the Y taps stay at their start), then the Y taps are re-derived from the X taps
by the orthogonality of a unitary (Jones) channel's inverse,
``w[1, 1, j] = conj(w[0, 0, taps-1-j])``, ``w[1, 0, j] = -conj(w[0, 1, taps-1-j])``, and both
outputs adapt (the standard two-stage CMA start). And every result carries
``orthogonality``: ``mean_f |det W(f)| / mean_f (||W(f)||_F^2 / 2)`` of the final taps'
frequency responses over the signal band ``|f| <= 1 / (2 sps)`` cycles per sample (1 for a
scaled unitary inverse, 0 when the two outputs depend on one input combination), and
``converged = orthogonality >= ORTHOGONALITY_MIN`` with finite taps and outputs, so that a link
can report "did not converge" instead of a meaningless BER.

References: D. N. Godard, IEEE Trans. Commun. 28 (1980) (CMA); S. J. Savory, "Digital filters
for coherent optical receivers", Opt. Express 16 (2008) (butterfly, CMA, singularity); I. Fatadin
et al., J. Lightwave Technol. 27 (2009) (RDE, DD-LMS); H. Kikuchi, "Polarization-demultiplexing
algorithm in the digital coherent receiver", LEOS summer topicals 2008 (orthogonality rule).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from dsp.backend import array_module, get_backend

__all__ = ["MimoResult", "mimo_equalize", "MimoEqualizer", "MAX_MIMO_TAPS", "ORTHOGONALITY_MIN"]

MAX_MIMO_TAPS = 63
"""Most taps per FIR the kernels hold (padded windows of 8, 16, 24, 32, 48 or 64 lanes)."""
ORTHOGONALITY_MIN = 0.5
"""``converged`` needs ``orthogonality`` at least this (a 2x2 response with singular values
``s1 >= s2`` has ``2 s1 s2 / (s1^2 + s2^2)``: 0.5 at ``s1 / s2 = 3.7``, about 11 dB of PDL)."""
_METHODS = ("cma", "rde", "dd")
_STATE = 8
_NEVER = 1 << 62
_VV_LEN = 1024


@dataclass(frozen=True)
class MimoResult:
    """Result of :func:`mimo_equalize` / :class:`MimoEqualizer`.

    y : (..., 2, n_samples // sps), x's dtype
        Equalized symbols (the phase-tracked ``z`` in the DD/training stages when ``pll_mu > 0``).
    weights : (..., 2, 2, taps), x's dtype
        Final taps ``[out_pol, in_pol, tap]`` (FIR order, see the module notes).
    converged : (...) bool
        Finite taps and outputs and ``orthogonality >= ORTHOGONALITY_MIN``.
    orthogonality : (...) float64
        The singularity measure of the final taps (1: orthogonal outputs, 0: singular).
    error : (..., 2, n_symbols) real of x's precision, or None
        Per-symbol cost when asked for (``return_error=True``): ``(R^2 - |y|^2)^2`` in the blind
        stage, ``|d - z|^2`` in the training / DD stages.
    """

    y: Any
    weights: Any
    converged: Any
    orthogonality: Any
    error: Any = None


# ----------------------------------------------------------------------------------------- checks

def _int(name, value, lo, hi=None):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer (got {value!r})")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        what = f"in {lo}..{hi}" if hi is not None else f">= {lo}"
        raise ValueError(f"{name} must be {what} (got {value})")
    return value


def _real(name, value, positive=True):
    ok = not isinstance(value, bool) and isinstance(value, Real) and math.isfinite(float(value))
    if not ok or (float(value) <= 0 if positive else float(value) < 0):
        raise ValueError(f"{name} must be a finite number {'> 0' if positive else '>= 0'} (got {value!r})")
    return float(value)


@dataclass(frozen=True)
class _Config:
    taps: int
    sps: int
    method: str
    mu: float
    mu_dd: float
    n_blind: int          # symbols of the blind stage (0 for "dd"; _NEVER: blind throughout)
    n_single: int
    n_train: int
    pll_mu: float
    r2: tuple
    thr: tuple
    levels: int
    d: float


def _rings(const):
    p = np.asarray(const.points)
    r2 = np.unique(np.round(np.abs(p) ** 2, 12))
    r = np.sqrt(r2)
    thr = ((r[:-1] + r[1:]) / 2) ** 2
    return tuple(float(v) for v in r2), tuple(float(v) for v in thr)


def _config(*, taps, sps, method, mu, n_blind, mu_dd, constellation, n_train, pll_mu, n_single):
    """Validated settings (n_blind None: blind throughout, stored as _NEVER)."""
    from dsp.modulation import Constellation

    taps = _int("taps", taps, 1, MAX_MIMO_TAPS)
    if taps % 2 == 0:
        raise ValueError(f"taps must be odd, 1..{MAX_MIMO_TAPS} (got {taps})")
    sps = _int("sps", sps, 1, 2)
    if not isinstance(method, str) or method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))} (got {method!r})")
    mu = _real("mu", mu)
    mu_dd = mu if mu_dd is None else _real("mu_dd", mu_dd)
    pll_mu = _real("pll_mu", pll_mu, positive=False)
    n_train = _int("n_train", n_train, 0)
    n_single = _int("n_single", n_single, 0)
    if constellation is not None and not (isinstance(constellation, Constellation) and constellation.kind == "qam"):
        raise ValueError(f"constellation must be a square QAM dsp.modulation.Constellation, e.g. qam(16) "
                         f"(got {constellation!r})")
    if method == "dd":
        if n_blind not in (None, 0):
            raise ValueError(f"n_blind must be None for method='dd' (got {n_blind!r})")
        n_blind = 0
        if n_single:
            raise ValueError(f"n_single must be 0 for method='dd' (got {n_single}); it is a blind-stage guard")
    else:
        if n_train:
            raise ValueError(f"n_train must be 0 for method={method!r} (got {n_train}); "
                             "training is for method='dd'")
        n_blind = _NEVER if n_blind is None else _int("n_blind", n_blind, 0)
        if n_single > n_blind:
            raise ValueError(f"n_single must be in 0..n_blind = {n_blind} (got {n_single})")
    if constellation is None:
        if method != "cma" or n_blind < _NEVER:
            what = f"method={method!r}" if method != "cma" else f"the DD stage after n_blind = {n_blind}"
            raise ValueError(f"constellation is required for {what} (got None); pass e.g. dsp.modulation.qam(16)")
        r2, thr, levels, d = (1.0,), (), 2, math.sqrt(0.5)
    else:
        p = np.asarray(constellation.points)
        if method == "rde":
            r2, thr = _rings(constellation)
        else:
            r2, thr = (float(np.mean(np.abs(p) ** 4) / np.mean(np.abs(p) ** 2)),), ()
        levels, d = constellation.levels, constellation.d
    return _Config(taps, sps, method, mu, mu_dd, n_blind, n_single, n_train, pll_mu, r2, thr, levels, d)


def _backend(x, backend):
    if backend is None:
        return get_backend("gpu" if array_module(x).__name__ == "cupy" else "cpu")
    return get_backend(backend)


def _signal(x, sps, be):
    xp = be.xp
    x = xp.asarray(x)
    if x.dtype not in (xp.complex64, xp.complex128):
        raise TypeError(f"x must be complex64 or complex128 (got dtype {x.dtype})")
    if x.ndim < 2 or x.shape[-2] != 2:
        raise ValueError(f"x must have shape (..., 2, n_samples) with the polarization axis of length 2 "
                         f"(got shape {tuple(x.shape)})")
    n_sym = x.shape[-1] // sps
    if n_sym < 1:
        raise ValueError(f"x must hold at least sps = {sps} samples per polarization (got {x.shape[-1]})")
    return x, n_sym


def _initial_weights(weights, lead, taps, dtype, xp):
    shape = lead + (2, 2, taps)
    if weights is None:
        w = xp.zeros(shape, dtype=dtype)
        w[..., 0, 0, taps // 2] = 1
        w[..., 1, 1, taps // 2] = 1
        return w
    w = xp.asarray(weights)
    if w.dtype.kind not in "fc" or w.ndim < 3 or w.shape[-3:] != (2, 2, taps):
        raise ValueError(f"weights must be complex with shape (..., 2, 2, taps={taps}) broadcastable to {shape} "
                         f"(got dtype {w.dtype}, shape {tuple(w.shape)})")
    try:
        w = xp.broadcast_to(w, shape)
    except ValueError:
        raise ValueError(f"weights of shape {tuple(w.shape)} do not broadcast to {shape}") from None
    if not bool(xp.isfinite(w).all()):
        raise ValueError("weights must be finite (got NaN or infinity)")
    return xp.array(w, dtype=dtype, order="C", copy=True)


def _reference(ref, lead, n_sym, dtype, xp):
    shape = lead + (2, n_sym)
    r = xp.asarray(ref)
    if r.dtype.kind not in "fc" or r.ndim < 2 or r.shape[-2] != 2 or r.shape[-1] != n_sym:
        raise ValueError(f"ref must be complex symbols with shape (..., 2, n_symbols={n_sym}) broadcastable to "
                         f"{shape} (got dtype {r.dtype}, shape {tuple(r.shape)})")
    try:
        r = xp.broadcast_to(r, shape)
    except ValueError:
        raise ValueError(f"ref of shape {tuple(r.shape)} does not broadcast to {shape}") from None
    return xp.ascontiguousarray(r.astype(dtype, copy=False)).reshape(-1, 2, n_sym)


def orthogonality(weights, sps: int = 2):
    """The singularity measure of 2x2 butterfly taps ``(..., 2, 2, taps)`` (float64 ``(...)``).

    ``mean_f |det W(f)| / mean_f (||W(f)||_F^2 / 2)`` over ``4 taps`` frequencies spread uniformly
    over the signal band ``|f| < 1 / (2 sps)`` cycles per sample, ``W(f) = sum_j w[..., j]
    exp(-2j pi f j)``; 1 for a scaled unitary response, 0 for a singular one, 0 for all-zero taps.
    """
    xp = array_module(weights)
    w = xp.asarray(weights).astype(xp.complex128)
    taps = w.shape[-1]
    n_f = 4 * taps
    f = ((xp.arange(n_f) + 0.5) / n_f - 0.5) / sps
    E = xp.exp(-2j * math.pi * xp.arange(taps)[:, None] * f[None, :])
    H = w @ E                                                            # (..., 2, 2, n_f)
    det = H[..., 0, 0, :] * H[..., 1, 1, :] - H[..., 0, 1, :] * H[..., 1, 0, :]
    fro = (xp.abs(H) ** 2).sum(axis=(-3, -2)) / 2
    num = xp.abs(det).mean(axis=-1)
    den = fro.mean(axis=-1)
    out = xp.where(den > 0, num / xp.where(den > 0, den, 1.0), 0.0)
    return xp.where(xp.isfinite(out), out, 0.0)


def _run(x, n_sym, cfg: _Config, ref, w, state, k_off, return_error, be):
    xp = be.xp
    lead = tuple(x.shape[:-2])
    items = int(np.prod(lead, dtype=np.int64))
    rdt = xp.float32 if x.dtype == xp.complex64 else xp.float64
    xi = xp.ascontiguousarray(x).reshape(items, 2, x.shape[-1])
    t_lo, t_hi = max(cfg.n_blind, k_off), min(cfg.n_train, k_off + n_sym)
    if t_lo < t_hi:
        if ref is None:
            raise ValueError(f"ref is required: symbols {t_lo}..{t_hi - 1} are training symbols (n_train = "
                             f"{cfg.n_train})")
        ref = _reference(ref, lead, n_sym, x.dtype, xp)
    else:
        ref = None
    r2 = np.asarray(cfg.r2, dtype=np.float64)
    thr = np.asarray(cfg.thr if cfg.thr else (0.0,), dtype=np.float64)
    y, w, state, err = be.ops.mimo_equalize(
        xi, n_sym, cfg.sps, cfg.taps, ref, w.reshape(items, 2, 2, cfg.taps), state.reshape(items, _STATE), k_off,
        cfg.n_single, min(cfg.n_blind, _NEVER), cfg.n_train, cfg.mu, cfg.mu_dd, cfg.pll_mu, r2.astype(rdt),
        thr.astype(rdt), cfg.levels, cfg.d, bool(return_error))
    y = y.reshape(lead + (2, n_sym))
    w = w.reshape(lead + (2, 2, cfg.taps))
    orth = orthogonality(w, cfg.sps)
    finite = xp.isfinite(w).all(axis=(-3, -2, -1)) & xp.isfinite(y).all(axis=(-2, -1))
    conv = finite & (orth >= ORTHOGONALITY_MIN)
    if err is not None:
        err = err.reshape(lead + (2, n_sym))
    return MimoResult(y=y, weights=w, converged=conv, orthogonality=orth, error=err), state.reshape(lead + (_STATE,))


def mimo_equalize(x, *, taps: int = 15, sps: int = 2, method: str = "cma", mu: float = 1e-3,
                  n_blind: int | None = None, mu_dd: float | None = None, constellation=None, ref=None,
                  n_train: int = 0, pll_mu: float = 0.0, n_single: int = 0, weights=None,
                  return_error: bool = False, backend=None) -> MimoResult:
    """Adaptive 2x2 butterfly equalizer (polarization demultiplexing, residual CD/PMD/ISI), per item.

    Parameters
    ----------
    x : (..., 2, n_samples) complex64 or complex128
        Received X and Y polarizations, ``sps`` samples per symbol, about unit mean power per
        polarization; sample ``sps * k`` is the sampling instant of symbol ``k``.
    taps : int, odd, 1..63
        Taps per FIR (centre tap ``taps // 2``).
    sps : int, 1 or 2
        Input samples per symbol (the output has one sample per symbol).
    method : "cma", "rde" or "dd"
        Update rule (see the module notes); "cma"/"rde" are blind, "dd" is decision-directed
        LMS (after ``n_train`` training symbols when given).
    mu : float > 0
        Step of ``method`` (the blind step for "cma"/"rde", the DD/training step for "dd").
    n_blind : int >= 0, optional
        Blind-method symbols before the switch to DD-LMS; None: blind throughout. Only for
        "cma"/"rde".
    mu_dd : float > 0, optional
        DD-LMS step after the switch (default ``mu``).
    constellation : dsp.modulation.Constellation (square QAM), optional
        The transmitted constellation: ``R2`` for CMA (QPSK's 1 if None), the rings for RDE and
        the decisions for DD (required for "rde", "dd" and a DD stage after ``n_blind``).
    ref : (..., 2, n_symbols) complex, optional
        Known transmitted symbols (broadcast over the items); only the first ``n_train`` are read.
    n_train : int >= 0
        Data-aided LMS symbols at the start ("dd" only); then decision-directed.
    pll_mu : float >= 0
        Gain of the per-output decision-directed phase tracker in the DD/training stages (0: off).
    n_single : int, 0..n_blind
        Single-output pre-stage (blind methods): only the X output adapts for ``n_single``
        symbols, then the Y taps are derived from the X taps by the orthogonality rule.
    weights : (..., 2, 2, taps) complex, optional
        Initial taps ``[out_pol, in_pol, tap]`` (broadcast over the items); default: centre spike.
    return_error : bool
        Also return the per-symbol cost trace.
    backend : None, "cpu", "gpu" or Backend
        Default: the backend of ``x``'s array type.

    Returns
    -------
    MimoResult
        ``y (..., 2, n_samples // sps)``, ``weights``, ``converged``, ``orthogonality``, ``error``.
    """
    cfg = _config(taps=taps, sps=sps, method=method, mu=mu, n_blind=n_blind, mu_dd=mu_dd,
                  constellation=constellation, n_train=n_train, pll_mu=pll_mu, n_single=n_single)
    be = _backend(x, backend)
    x, n_sym = _signal(x, cfg.sps, be)
    lead = tuple(x.shape[:-2])
    w0 = _initial_weights(weights, lead, cfg.taps, x.dtype, be.xp)
    rdt = be.xp.float32 if x.dtype == be.xp.complex64 else be.xp.float64
    state = be.xp.zeros(lead + (_STATE,), dtype=rdt)
    res, _ = _run(x, n_sym, cfg, ref, w0, state, 0, return_error, be)
    return res


class MimoEqualizer:
    """Stateful 2x2 MIMO equalizer: the taps, the phase trackers and the schedule carry over calls.

    Takes the settings of :func:`mimo_equalize` (``n_blind``, ``n_single`` and ``n_train`` count
    symbols since construction or :meth:`reset`; ``n_blind=None`` keeps it blind). Each call
    equalizes a block ``x (..., 2, n_samples)`` whose leading shape must stay the same between
    calls; the block's edges are zero-padded (blocks are separate frames, not a seamless
    stream: only the adaptive state carries over). ``ref`` is needed for calls that hold
    training symbols. State stays on the data's device.
    """

    def __init__(self, *, taps: int = 15, sps: int = 2, method: str = "cma", mu: float = 1e-3,
                 n_blind: int | None = None, mu_dd: float | None = None, constellation=None, n_train: int = 0,
                 pll_mu: float = 0.0, n_single: int = 0, weights=None, backend=None):
        self._cfg = _config(taps=taps, sps=sps, method=method, mu=mu, n_blind=n_blind, mu_dd=mu_dd,
                            constellation=constellation, n_train=n_train, pll_mu=pll_mu, n_single=n_single)
        self._w_init = weights
        self._backend = backend
        self.reset()

    def reset(self):
        """Back to the initial taps and the start of the schedule."""
        self._w = None
        self._state = None
        self._lead = None
        self._be = None
        self.symbols = 0
        """Symbols per polarization equalized since construction or reset."""

    @property
    def weights(self):
        """Current taps ``(..., 2, 2, taps)`` or None before the first call."""
        return self._w

    def __call__(self, x, ref=None, *, return_error: bool = False) -> MimoResult:
        cfg = self._cfg
        be = self._be or _backend(x, self._backend)
        x, n_sym = _signal(x, cfg.sps, be)
        lead = tuple(x.shape[:-2])
        xp = be.xp
        if self._w is None:
            self._be, self._lead = be, lead
            self._w = _initial_weights(self._w_init, lead, cfg.taps, x.dtype, xp)
            rdt = xp.float32 if x.dtype == xp.complex64 else xp.float64
            self._state = xp.zeros(lead + (_STATE,), dtype=rdt)
        elif lead != self._lead:
            raise ValueError(f"x must keep the leading shape {self._lead} between calls (got {lead})")
        elif x.dtype != self._w.dtype:
            raise TypeError(f"x must keep the dtype {self._w.dtype} between calls (got {x.dtype})")
        res, state = _run(x, n_sym, cfg, ref, self._w, self._state, self.symbols, return_error, be)
        self._w, self._state = res.weights, state
        self.symbols += n_sym
        return res

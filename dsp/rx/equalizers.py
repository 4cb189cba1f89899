"""PAM receiver equalizers: adaptive FFE (LMS or least squares), DFE, and MLSE (Viterbi).

Array-level functions over batch-first signals: ``y`` is real ``(batch, n_samples)`` float32 or
float64 (time last), one independent equalizer per row (rows run in parallel: OpenMP threads on
the CPU, one CUDA thread per row on the GPU). NumPy input runs on the CPU kernels, CuPy input on
the GPU kernels (or pass ``backend``).

Symbols and decisions
---------------------
PAM-M symbols are level values ``(2k - M + 1) d``, ``k = 0..M-1`` (``d`` = half the spacing, unit
mean energy: the values of ``Constellation("pam", M).points``); decisions are level indices ``k``
(uint8, ordered by value, *not* Gray labels), the nearest level to the decision variable.
``ref`` ``(batch, n_symbols)`` holds the transmitted symbols as level values; only its first
``n_train`` columns are read (the rest may be anything, e.g. zeros), and after them the
equalizers run decision-directed.

Alignment
---------
Output column ``k`` is the estimate of symbol ``k``; outputs have the length of ``ref``.
Input sample ``sps * k`` is the sampling instant of symbol ``k`` (``sps`` = 1: T-spaced,
2: T/2-spaced; sample ``2k + 1`` lies half a symbol later). With ``c = taps // 2`` the FFE
output is the FIR filter ``w`` (``weights``, length ``taps``) applied at that instant::

    z[k] = sum_{j=0}^{taps-1} w[j] * y[sps * k + c - j]          (samples outside y count as 0)

so ``w[c]`` is the cursor tap (initialised to 1, all others 0, for LMS), ``w[:c]`` weight later
samples (precursor ISI) and ``w[c+1:]`` earlier ones (postcursor ISI). The decision delay of
the filter is thus absorbed: a channel whose main cursor lies within ``c`` samples of ``sps k``
is equalized without shifting anything. The DFE adds ``- sum_i fb[i-1] * a[k-i]`` over its
``fb_taps`` past decisions (training symbols during training), so ``fb`` approximates the
postcursor ISI left after the feed-forward part. The MLSE models
``y[k] = dc + sum_{i=0}^{memory} h[i] a[k-i]`` (``h[0]``: the cursor at the sampling instant).

Adaptation
----------
LMS with a normalised step: per row, ``step = mu / (taps * P + fb_taps)`` with ``P = mean(y**2)``
of the row (the expected squared norm of the regressor, the symbols having unit energy), so
``mu`` is dimensionless; stable for ``mu`` well below 2, default 0.02 (misadjustment about
``mu / 2``; convergence in about ``taps / mu`` symbols for a mild channel, much slower along
the weak eigenmodes of a channel with deep spectral nulls: there, prefer ``method="ls"``).
Training on ``ref`` for ``n_train`` symbols, then decision-directed LMS with the same step
(adaptation stays on; ``mu = 0`` freezes the taps).

Kernel limits: at most :data:`MAX_TAPS` FFE taps (fixed-size local arrays), at most
:data:`MAX_FB_TAPS` feedback taps and target taps beyond the first, and ``levels ** (memory + 1)
<= 512`` for the MLSE (every PAM order with memory 1, PAM-2/4/8 with memory 2).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from numbers import Integral, Real
from typing import Any

import numpy as np

from dsp.backend import Backend, array_module, get_backend

__all__ = [
    "FfeResult",
    "DfeResult",
    "ffe",
    "dfe",
    "mlse",
    "estimate_channel",
    "MAX_TAPS",
    "MAX_FB_TAPS",
    "MLSE_TRACEBACK",
]

MAX_TAPS = 64
"""Most FFE taps the kernels hold (their padded length is the next of 8, 16, 32, 64)."""
MAX_FB_TAPS = 3
"""Most DFE feedback taps; also the most partial-response target taps after the first."""
MLSE_TRACEBACK = 64
"""MLSE traceback depth: every decision sees at least this many later symbols (survivor ring of 256 steps)."""
_MLSE_MAX_BRANCHES = 512
_LEVELS = (2, 4, 8, 16)
_METHODS = ("lms", "ls")
DEFAULT_MU = 0.02
DEFAULT_N_TRAIN = 4096


@dataclass(frozen=True)
class FfeResult:
    """Result of :func:`ffe`.

    z : (batch, n_symbols), y's dtype
        Equalized soft outputs; ``z[:, k]`` estimates symbol ``k`` (times the target's ``t0``).
    weights : (batch, taps), y's dtype
        Final taps ``w`` in FIR order: ``z[k] = sum_j w[j] y[sps k + taps//2 - j]``.
    """

    z: Any
    weights: Any


@dataclass(frozen=True)
class DfeResult:
    """Result of :func:`dfe`.

    z : (batch, n_symbols), y's dtype
        Pre-decision outputs (feed-forward minus feedback).
    decisions : (batch, n_symbols) uint8
        Decided level indices ``0..levels-1`` (the slicer's, during training too).
    ff_weights : (batch, ff_taps)
        Final feed-forward taps, FIR order as :attr:`FfeResult.weights`.
    fb_weights : (batch, fb_taps)
        Final feedback taps: ``z[k] = ff part - sum_i fb_weights[i-1] * a[k-i]``.
    """

    z: Any
    decisions: Any
    ff_weights: Any
    fb_weights: Any


# ----------------------------------------------------------------------------------------- checks

def _int(name, value, lo, hi=None, allowed=None):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise ValueError(f"{name} must be an integer (got {value!r})")
    value = int(value)
    if value < lo or (hi is not None and value > hi):
        what = allowed or (f"in {lo}..{hi}" if hi is not None else f">= {lo}")
        raise ValueError(f"{name} must be {what} (got {value})")
    return value


def _levels(levels):
    if isinstance(levels, bool) or not isinstance(levels, Integral) or int(levels) not in _LEVELS:
        raise ValueError(f"levels must be one of {', '.join(map(str, _LEVELS))} (got {levels!r})")
    return int(levels)


def _mu(mu):
    if isinstance(mu, bool) or not isinstance(mu, Real) or not math.isfinite(float(mu)) or float(mu) < 0:
        raise ValueError(f"mu must be a finite number >= 0 (got {mu!r})")
    return float(mu)


def _backend(y, backend):
    if backend is None:
        mod = array_module(y)
        return get_backend("gpu" if mod.__name__ == "cupy" else "cpu")
    return get_backend(backend)


def _signals(y, ref, sps, be: Backend):
    """y (C-contiguous) and ref as arrays of the backend; n_symbols."""
    xp = be.xp
    y = xp.asarray(y)
    if y.dtype not in (xp.float32, xp.float64):
        raise ValueError(f"y must be real float32 or float64 (got dtype {y.dtype})")
    if y.ndim != 2:
        raise ValueError(f"y must be 2-D (batch, n_samples) (got shape {tuple(y.shape)})")
    ref = xp.asarray(ref)
    if ref.ndim != 2 or ref.shape[0] != y.shape[0]:
        raise ValueError(f"ref must be 2-D (batch, n_symbols) with batch = {y.shape[0]} (got shape {tuple(ref.shape)})")
    if ref.dtype.kind not in "fiu":
        raise ValueError(f"ref must hold real level values (got dtype {ref.dtype})")
    n_sym = ref.shape[1]
    if n_sym < 1:
        raise ValueError("ref must hold at least one symbol (got n_symbols = 0)")
    if y.shape[1] != sps * n_sym:
        raise ValueError(f"y must have sps * n_symbols = {sps} * {n_sym} = {sps * n_sym} samples per row "
                         f"(got {y.shape[1]})")
    return xp.ascontiguousarray(y), ref, n_sym


def _n_train(n_train, n_sym, lo=0, why=""):
    if n_train is None:
        n_train = max(min(DEFAULT_N_TRAIN, n_sym), lo)
    hi = n_sym
    if lo > hi:
        raise ValueError(f"n_train must be in {lo}..n_symbols{why}, but n_symbols = {n_sym} < {lo}")
    return _int("n_train", n_train, lo, hi, allowed=f"in {lo}..{hi} (n_symbols){why}")


def _padded_len(taps):
    for np_ in (8, 16, 32, 64):
        if taps <= np_:
            return np_
    raise AssertionError(taps)


def _half_spacing(levels):
    return math.sqrt(3.0 / (levels * levels - 1))


# ------------------------------------------------------------------------------------------- LMS

def _step(y, mu, taps, fb_taps, xp):
    # mean(y**2) per row by a batched dot product (BLAS / cuBLAS: no float64 copy of y)
    p = xp.matmul(y[:, None, :], y[:, :, None])[:, 0, 0].astype(xp.float64) / y.shape[1]
    den = xp.maximum(taps * p + fb_taps, 1e-30)
    return (mu / den).astype(y.dtype)


def _desired(ref, target, n_train, xp):
    """sum_i target[i] ref[k - i] for k < n_train (ref before 0 counts as 0), float64."""
    r = ref[:, :n_train].astype(xp.float64)
    d = target[0] * r
    for i in range(1, len(target)):
        if target[i] != 0.0 and n_train > i:
            d[:, i:] += target[i] * r[:, :-i]
    return d


def _ls_taps(y, des, taps, sps, n_train, xp):
    """Least-squares taps (batch, taps) in the kernel's lane order (reverse time), float64.

    Row k of the regression is y[sps k - off + i], i = 0..taps-1 (off = taps - 1 - taps // 2),
    samples outside y counting as 0.
    """
    off = taps - 1 - taps // 2
    length = sps * (n_train - 1) + taps                      # samples the training windows span
    pad = xp.zeros((y.shape[0], length), dtype=xp.float64)
    n = min(y.shape[1], length - off)
    pad[:, off:off + n] = y[:, :n]
    idx = sps * xp.arange(n_train)[:, None] + xp.arange(taps)[None, :]
    X = pad[:, idx]                                            # (batch, n_train, taps)
    R = xp.matmul(X.transpose(0, 2, 1), X)
    r = xp.matmul(X.transpose(0, 2, 1), des[:, :, None])
    tr = xp.trace(R, axis1=1, axis2=2) / taps
    R = R + (1e-12 * tr + 1e-300)[:, None, None] * xp.eye(taps)[None]
    return xp.linalg.solve(R, r)[:, :, 0]


def _run_lms(y, ref, *, taps, fb_taps, sps, mu, n_train, levels, target, method, want_dec, be, threads=None):
    xp = be.xp
    batch = y.shape[0]
    n_sym = ref.shape[1]
    np_ = _padded_len(taps)
    step = _step(y, mu, taps, fb_taps, xp)
    tgt = np.zeros(4)
    tgt[:len(target)] = target
    v0 = xp.zeros((batch, np_), dtype=y.dtype)
    if method == "ls":
        v0[:, :taps] = _ls_taps(y, _desired(ref, target, n_train, xp), taps, sps, n_train, xp).astype(y.dtype)
        mu_train = xp.zeros_like(step)
    else:
        v0[:, taps - 1 - taps // 2] = 1
        mu_train = step
    b0 = xp.zeros((batch, 3), dtype=y.dtype)
    ref_t = xp.ascontiguousarray(ref.astype(y.dtype, copy=False))
    z, dec, v, b = be.ops.lms_equalize(y, n_sym, sps, taps, n_train, ref_t, mu_train, step, fb_taps,
                                       xp.asarray(tgt.astype(y.dtype)), levels, _half_spacing(levels), v0, b0,
                                       want_dec, threads)
    weights = xp.ascontiguousarray(v[:, :taps][:, ::-1])
    return z, dec, weights, xp.ascontiguousarray(b[:, :fb_taps])


def _target(target):
    if target is None:
        return (1.0,)
    t = np.asarray(target, dtype=np.float64) if not hasattr(target, "get") else np.asarray(target.get())
    if t.ndim != 1 or not (1 <= t.size <= MAX_FB_TAPS + 1):
        raise ValueError(f"target must be 1-D with 1..{MAX_FB_TAPS + 1} taps (got shape {t.shape})")
    if not np.all(np.isfinite(t)) or t[0] == 0.0:
        raise ValueError(f"target must be finite with target[0] != 0 (got {t.tolist()})")
    return tuple(float(v) for v in t)


def ffe(y, ref, *, taps: int = 15, sps: int = 1, mu: float = DEFAULT_MU, n_train: int | None = None,
        method: str = "lms", levels: int = 4, target=None, backend=None) -> FfeResult:
    """Adaptive feed-forward equalizer (T- or T/2-spaced), one per row.

    Parameters
    ----------
    y : (batch, sps * n_symbols) float32 or float64
        Received samples; sample ``sps * k`` is the sampling instant of symbol ``k``.
    ref : (batch, n_symbols) real
        Transmitted level values; the first ``n_train`` are the training symbols.
    taps : int, 1..64
        FFE length; the cursor tap is ``taps // 2`` (see the module notes on alignment).
    sps : int, 1 or 2
        Input samples per symbol.
    mu : float >= 0
        Normalised LMS step (``step = mu / (taps * mean(y**2))`` per row); 0 freezes the taps.
    n_train : int, optional
        Training symbols, ``0..n_symbols`` (``>= taps`` for ``method="ls"``); default
        ``min(4096, n_symbols)`` (at least ``taps`` for LS).
    method : "lms" or "ls"
        ``"lms"``: LMS from the centre-spike taps, trained on ``ref`` for ``n_train`` symbols,
        then decision-directed. ``"ls"``: taps solved by least squares (Wiener) on the training
        part (float64 normal equations with a 1e-12 relative ridge), held fixed over the
        training symbols, then decision-directed LMS from them.
    levels : int, 2, 4, 8 or 16
        PAM order of the decisions.
    target : sequence of 1..4 floats, optional
        Partial-response target ``t`` (``t[0] != 0``): the FFE is trained so that ``z[k]`` matches
        ``sum_i t[i] a[k-i]`` (e.g. ``(1, alpha)`` before an MLSE of memory 1; symbols before the
        first count as 0). Decision-directed adaptation then decides symbols with the target's
        tail cancelled by past decisions, ``a[k] = slice((z[k] - sum_{i>=1} t[i] a[k-i]) / t[0])``.
    backend : None, "cpu", "gpu" or Backend
        Default: the backend of ``y``'s array type.

    Returns
    -------
    FfeResult
    """
    sps = _int("sps", sps, 1, 2)
    taps = _int("taps", taps, 1, MAX_TAPS)
    levels = _levels(levels)
    mu = _mu(mu)
    if method not in _METHODS:
        raise ValueError(f"method must be one of {', '.join(map(repr, _METHODS))} (got {method!r})")
    tgt = _target(target)
    be = _backend(y, backend)
    y, ref, n_sym = _signals(y, ref, sps, be)
    if method == "ls":
        n_train = _n_train(n_train, n_sym, lo=taps, why=" and >= taps for method='ls'")
    else:
        n_train = _n_train(n_train, n_sym)
    z, _, w, _ = _run_lms(y, ref, taps=taps, fb_taps=0, sps=sps, mu=mu, n_train=n_train, levels=levels,
                          target=tgt, method=method, want_dec=False, be=be)
    return FfeResult(z=z, weights=w)


def dfe(y, ref, *, ff_taps: int = 15, fb_taps: int = 1, sps: int = 1, mu: float = DEFAULT_MU,
        n_train: int | None = None, levels: int = 4, backend=None) -> DfeResult:
    """Decision-feedback equalizer (LMS), one per row.

    The feed-forward part is the FFE of :func:`ffe` (same alignment, ``ff_taps`` taps, cursor at
    ``ff_taps // 2``, initialised to a centre spike); the feedback part subtracts
    ``sum_{i=1}^{fb_taps} fb[i-1] a[k-i]``, where ``a`` are the training symbols for
    ``k - i < n_train`` and the DFE's own decisions after, so that wrong decisions propagate.
    Both parts adapt by LMS with the normalised step ``mu / (ff_taps * mean(y**2) + fb_taps)``,
    trained for ``n_train`` symbols (default ``min(4096, n_symbols)``), then decision-directed.

    Returns
    -------
    DfeResult
        ``z`` (pre-decision), ``decisions`` (uint8 level indices), ``ff_weights``, ``fb_weights``.
    """
    sps = _int("sps", sps, 1, 2)
    ff_taps = _int("ff_taps", ff_taps, 1, MAX_TAPS)
    fb_taps = _int("fb_taps", fb_taps, 1, MAX_FB_TAPS)
    levels = _levels(levels)
    mu = _mu(mu)
    be = _backend(y, backend)
    y, ref, n_sym = _signals(y, ref, sps, be)
    n_train = _n_train(n_train, n_sym)
    z, dec, w, b = _run_lms(y, ref, taps=ff_taps, fb_taps=fb_taps, sps=sps, mu=mu, n_train=n_train,
                            levels=levels, target=(1.0,), method="lms", want_dec=True, be=be)
    return DfeResult(z=z, decisions=dec, ff_weights=w, fb_weights=b)


# ------------------------------------------------------------------------------------------ MLSE

def _channel_ls(y, ref, memory, n_train, xp):
    """Least-squares (h_0..h_memory, dc) per row from symbols memory..n_train-1, float64."""
    r = ref.astype(xp.float64)
    yy = y[:, memory:n_train].astype(xp.float64)
    cols = [r[:, memory - i:n_train - i] for i in range(memory + 1)]
    cols.append(xp.ones_like(yy))
    X = xp.stack(cols, axis=2)                                   # (batch, n, memory + 2)
    R = xp.matmul(X.transpose(0, 2, 1), X)
    rhs = xp.matmul(X.transpose(0, 2, 1), yy[:, :, None])
    p = memory + 2
    tr = xp.trace(R, axis1=1, axis2=2) / p
    R = R + (1e-12 * tr + 1e-300)[:, None, None] * xp.eye(p)[None]
    sol = xp.linalg.solve(R, rhs)[:, :, 0]
    return sol[:, :memory + 1], sol[:, memory + 1]


def _mlse_args(y, ref, memory, n_train, levels, backend):
    memory = _int("memory", memory, 1, 2)
    levels = _levels(levels)
    if levels ** (memory + 1) > _MLSE_MAX_BRANCHES:
        raise ValueError(f"levels ** (memory + 1) must be <= {_MLSE_MAX_BRANCHES} for the MLSE "
                         f"(got levels={levels}, memory={memory})")
    be = _backend(y, backend)
    y, ref, n_sym = _signals(y, ref, 1, be)
    n_train = _n_train(n_train, n_sym, lo=2 * (memory + 1), why=f" and >= 2 * (memory + 1) = {2 * (memory + 1)}")
    return y, ref, n_sym, memory, levels, n_train, be


def estimate_channel(y, ref, *, memory: int = 1, n_train: int | None = None, backend=None):
    """The MLSE's channel estimate: least squares of ``y[k] ~ dc + sum_{i=0}^{memory} h[i] ref[k-i]``.

    Fitted per row over ``k = memory .. n_train - 1`` (float64 normal equations, 1e-12 relative
    ridge). Returns ``(h (batch, memory + 1), dc (batch,))``, float64.
    """
    y, ref, _, memory, _, n_train, be = _mlse_args(y, ref, memory, n_train, 4, backend)
    return _channel_ls(y, ref, memory, n_train, be.xp)


def mlse(y, ref, *, memory: int = 1, n_train: int | None = None, levels: int = 4, backend=None):
    """Maximum-likelihood sequence estimation (Viterbi) of PAM symbols, one trellis per row.

    Parameters
    ----------
    y : (batch, n_symbols) float32 or float64
        Symbol-rate samples, ``y[:, k]`` the sampling instant of symbol ``k`` (e.g. an FFE output
        with a partial-response target).
    ref : (batch, n_symbols) real
        Transmitted level values; the first ``n_train`` are known.
    memory : int, 1 or 2
        Channel memory: ``levels ** memory`` states (16 for PAM4 with memory 2).
    n_train : int, optional
        Known symbols, ``2 * (memory + 1) .. n_symbols``; default ``min(4096, n_symbols)``.
    levels : int, 2, 4, 8 or 16
        PAM order; ``levels ** (memory + 1) <= 512``.

    Returns
    -------
    (batch, n_symbols) uint8
        Level indices. Columns ``0..n_train-1`` are the training symbols (``ref`` sliced to the
        nearest level); the trellis starts in the state they leave and decides the rest.

    Notes
    -----
    The channel ``h`` and offset ``dc`` are learned per row by :func:`estimate_channel` on the
    training symbols; the branch metric is Euclidean, ``(y[k] - dc - sum_i h[i] a[k-i])**2``.
    Survivors are traced back in blocks from the best state: each decision has at least
    :data:`MLSE_TRACEBACK` (64) symbols of look-ahead, the last ones are traced back from the best
    final state, and memory is bounded (a survivor ring of 256 steps, one byte per state per step) whatever the length.
    """
    y, ref, n_sym, memory, levels, n_train, be = _mlse_args(y, ref, memory, n_train, levels, backend)
    xp = be.xp
    h, dc = _channel_ls(y, ref, memory, n_train, xp)
    hh = xp.zeros((y.shape[0], 3), dtype=y.dtype)
    hh[:, :memory + 1] = h.astype(y.dtype)
    d = _half_spacing(levels)
    t = ref[:, :n_train].astype(xp.float64) / (2 * d) + levels / 2
    train_idx = xp.clip(xp.floor(t), 0, levels - 1).astype(xp.uint8)
    return be.ops.mlse_viterbi(y, n_train, hh, xp.ascontiguousarray(dc.astype(y.dtype)), levels, memory, d,
                               xp.ascontiguousarray(train_idx))

"""Soft demapping: bit LLRs of Gray PAM and square Gray QAM over (complex) AWGN.

Conventions
-----------
- **LLR sign (the whole package):** ``LLR = log P(b = 0 | y) / P(b = 1 | y)`` with uniform priors,
  i.e. ``log p(y | b = 0) / p(y | b = 1)``; positive means bit 0, hard decision bit = 1 iff LLR < 0.
- **Bit order:** MSB first per symbol, as :func:`dsp.modulation.labels_to_bits`; for QAM the
  ``bits_per_axis`` I bits (from ``Re y``) come first, then the Q bits (from ``Im y``), because a QAM
  label is ``(g_I << b) | g_Q``.
- **Noise variance:** for QAM, ``noise_var`` is the total complex noise variance ``E|n|^2 = N0``, so
  each of I and Q carries ``noise_var / 2``; for PAM (real ``y``) it is the real noise variance
  ``sigma^2``. Note that PAM2's label 0 is the level ``-d`` (the constellations' convention), so
  its LLR is ``-2 d y / sigma^2`` (:func:`dsp.fec.bpsk_llr` assumes 0 -> +1 instead).

Algorithm
---------
Square Gray QAM is PAM-sqrt(M) on each axis with independent noise, and the I bits depend on the
I level only, so the LLRs of I bits are those of a PAM on ``Re y`` (likewise Q): the per-axis
decomposition is exact for both methods, and costs O(sqrt(M)) per axis instead of O(M).

With ``u_k = v a_k - a_k^2 / 2`` (the log-likelihood of level ``a_k`` times ``s2``, up to a term
common to all levels; linear in the axis value ``v``, so no ``v^2`` that could overflow) and
``S_j^b`` the levels whose label has bit j equal to b:

- ``exact``: ``LLR_j = LSE_{k in S_j^0}(u_k / s2) - LSE_{k in S_j^1}(u_k / s2)``, each log-sum-exp
  taken around its own maximum, so each sum is >= 1 and nothing underflows to log 0.
- ``maxlog``: ``LLR_j = (max_{S_j^0} u_k - max_{S_j^1} u_k) / s2 = (|v - a1|^2 - |v - a0|^2) / (2 s2)``
  with a0 / a1 the nearest levels whose bit j is 0 / 1. For Gray PAM this has a closed,
  piecewise-linear form computed bit by bit: the MSB separates the negative levels (bit 0) from the
  positive ones, and the reflected Gray code repeats the lower bits mirrored in each half, so the
  remaining bits are those of PAM-(L/2) at ``v' = (L/2) d - |v|``. For the MSB, with ``w = |v|``
  and ``a_up = min(2d floor(w / 2d) + d, (L - 1) d)`` the nearest positive level,
  ``LLR = -sign(v) (a_up + d)(2 w - a_up + d) / (2 s2)``. Tested against the max over all M points.

Results are clipped to ``[-LLR_MAX, LLR_MAX]`` (``LLR_MAX = 1e30``), so that a tiny ``noise_var``
or a huge ``|y|`` gives large finite LLRs, never inf or NaN (non-finite ``y`` gives NaN there).

References: G. Caire, G. Taricco, E. Biglieri, "Bit-interleaved coded modulation", IEEE Trans.
Inf. Theory 44(3), 1998; F. Tosato, P. Bisaglia, "Simplified soft-output demapper for binary
interleaved COFDM with application to HIPERLAN/2", ICC 2002 (piecewise-linear max-log LLRs).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from dsp.backend import array_module
from dsp.modulation.constellations import Constellation

__all__ = ["demap_llr", "LLR_MAX", "METHODS"]

METHODS = ("maxlog", "exact")
LLR_MAX = 1e30
# axis values per block: keeps the (levels, block) work arrays in cache on the CPU
_BLOCK_CPU = 1 << 15
_BLOCK_GPU = 1 << 24


@lru_cache(maxsize=None)
def _axis_tables(levels: int, d: float):
    """Per bit j (MSB first): the levels (float64) ordered with the bit-0 set first, then bit-1."""
    b = levels.bit_length() - 1
    k = np.arange(levels)
    a = (2 * k - levels + 1) * d
    g = k ^ (k >> 1)
    out = []
    for j in range(b):
        bit = (g >> (b - 1 - j)) & 1
        out.append(np.concatenate([a[bit == 0], a[bit == 1]]))
    return tuple(out)


def _maxlog_axis(v, levels: int, d: float, half_inv, out):
    """Max-log LLRs of Gray PAM-``levels`` at axis values ``v`` (1-D) into ``out`` (len(v), b).

    ``half_inv`` is 1 / (2 s2) (scalar or like ``v``)."""
    xp = array_module(v)
    ft = v.dtype.type
    b = levels.bit_length() - 1
    L = levels
    for j in range(b):
        w = xp.abs(v)
        two_d = ft(2 * d)
        a_up = xp.floor(w * ft(1.0 / (2 * d))) * two_d + ft(d)
        xp.minimum(a_up, ft((L - 1) * d), out=a_up)
        # D = (a_up + d)(2 w - a_up + d) >= 0: squared-distance gap between the nearest level of
        # the other half and the nearest level of v's half
        D = (a_up + ft(d)) * (w + w - a_up + ft(d))
        D *= half_inv
        xp.copysign(D, -v, out=out[:, j])
        if j + 1 < b:
            L //= 2
            v = ft(L * d) - w


def _exact_axis(v, levels: int, d: float, inv, out):
    """Exact (log-sum-exp) LLRs of Gray PAM-``levels`` at axis values ``v`` (1-D) into ``out``.

    ``inv`` is 1 / s2 (scalar or like ``v``)."""
    xp = array_module(v)
    half = levels // 2
    for j, lev in enumerate(_axis_tables(levels, d)):
        a = xp.asarray(lev.astype(v.dtype))[:, None]
        c = xp.asarray((lev * lev / 2).astype(v.dtype))[:, None]
        u = a * v - c                            # (levels, n): bit-0 rows, then bit-1 rows
        u0, u1 = u[:half], u[half:]
        m0 = u0.max(axis=0)
        m1 = u1.max(axis=0)
        u0 -= m0
        u1 -= m1
        u *= inv
        xp.exp(u, out=u)
        s0 = u0.sum(axis=0)
        s1 = u1.sum(axis=0)
        res = out[:, j]
        xp.subtract(m0, m1, out=res)
        res *= inv
        res += xp.log(s0 / s1)


def _noise_inv(noise_var, shape, axis_var_factor: float, ft, xp):
    """1 / (per-axis variance) as a Python float, or an array broadcast to ``shape`` (dtype ft)."""
    nv = noise_var
    if array_module(nv).__name__ == "cupy":
        nv_host = nv.get()
    else:
        nv_host = np.asarray(nv)
    if nv_host.dtype.kind not in "fiu" or nv_host.dtype == np.bool_:
        raise ValueError(f"noise_var must be a real number or array (got dtype {nv_host.dtype})")
    nvf = nv_host.astype(np.float64)
    if nvf.size == 0 or not (np.all(np.isfinite(nvf)) and np.all(nvf > 0)):
        bad = nvf if nvf.size <= 8 else nvf[~(np.isfinite(nvf) & (nvf > 0))][:4]
        raise ValueError(f"noise_var must be finite and > 0 (got {bad.tolist() if nvf.ndim else float(nvf)})")
    big = float(np.finfo(ft).max)
    if nvf.ndim == 0:
        return min(1.0 / (float(nvf) * axis_var_factor), big)
    try:
        np.broadcast_shapes(nvf.shape, shape)
    except ValueError:
        raise ValueError(f"noise_var of shape {nvf.shape} does not broadcast to the symbols' shape {shape}") from None
    if np.broadcast_shapes(nvf.shape, shape) != tuple(shape):
        raise ValueError(f"noise_var of shape {nvf.shape} must broadcast to the symbols' shape {shape} "
                         "without enlarging it")
    inv = np.minimum(1.0 / (nvf * axis_var_factor), big).astype(ft)
    return xp.asarray(inv)


def demap_llr(y, const: Constellation, noise_var, *, method: str = "maxlog", dtype=None):
    """Bit LLRs ``log P(b=0|y) / P(b=1|y)`` of Gray PAM or square Gray QAM symbols over AWGN.

    Parameters
    ----------
    y : array ``(..., n)``, NumPy or CuPy
        Received symbols at the constellation's scale (unit mean energy, as
        :func:`dsp.modulation.map_labels`): float32/float64 for PAM, complex64/complex128 for QAM.
        At least one dimension (the symbols, last).
    const : :class:`dsp.modulation.Constellation`
        ``pam(m)`` or ``qam(m)``.
    noise_var : float or array
        For QAM the total complex noise variance ``E|n|^2`` (each of I and Q has ``noise_var/2``);
        for PAM the real noise variance. Finite and > 0. A scalar, or an array (NumPy or CuPy)
        broadcastable to ``y.shape`` (e.g. ``(pol, 1)`` for one value per polarization); it is
        validated on the host (a CuPy ``noise_var`` is copied there: keep it small).
    method : {"maxlog", "exact"}
        ``exact``: log-sum-exp over the levels (the true LLR on AWGN). ``maxlog``: only the nearest
        level of each bit set (piecewise-linear closed form), a little less information (GMI).
    dtype : {None, float32, float64}
        Output (and arithmetic) precision; default float32 for float32/complex64 input, float64
        for float64/complex128.

    Returns
    -------
    array ``(..., n * const.bits_per_symbol)`` of ``dtype`` on y's device
        Bits of each symbol MSB first (QAM: the I bits, then the Q bits), positive = bit 0,
        clipped to ``[-LLR_MAX, LLR_MAX]``. With ``maxlog`` the hard decisions ``llr < 0`` equal
        ``labels_to_bits(demap_hard(y, const), bits_per_symbol)`` (up to exact ties); ``exact``
        signs are bit-wise MAP decisions, which differ from those near thresholds at low SNR.

    See the module documentation (:mod:`dsp.modulation.demapping`) for the algorithm.
    """
    if not isinstance(const, Constellation):
        raise TypeError(f"const must be a dsp.modulation.Constellation (got {type(const).__name__})")
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)} (got {method!r})")
    xp = array_module(y)
    y = xp.asarray(y)
    if y.ndim < 1:
        raise ValueError(f"y must have at least one dimension (symbols last) (got shape {y.shape})")
    if const.axes == 2:
        if y.dtype not in (xp.complex64, xp.complex128):
            raise ValueError(f"y must be complex64 or complex128 for {const} (got dtype {y.dtype})")
        in_ft = np.float32 if y.dtype == xp.complex64 else np.float64
    else:
        if y.dtype not in (xp.float32, xp.float64):
            raise ValueError(f"y must be float32 or float64 for {const} (got dtype {y.dtype})")
        in_ft = np.dtype(y.dtype).type
    if dtype is None:
        ft = in_ft
    else:
        try:
            ft = np.dtype(dtype).type
        except TypeError:
            raise ValueError(f"dtype must be None, float32 or float64 (got {dtype!r})") from None
        if ft not in (np.float32, np.float64):
            raise ValueError(f"dtype must be None, float32 or float64 (got {dtype!r})")

    A, L, b, d = const.axes, const.levels, const.bits_per_axis, const.d
    # per-axis variance: noise_var / 2 for QAM, noise_var for PAM
    inv = _noise_inv(noise_var, y.shape, 0.5 if A == 2 else 1.0, ft, xp)
    scalar_noise = isinstance(inv, float)

    if A == 2:
        v_all = xp.ascontiguousarray(y).view(in_ft).reshape(-1)    # re, im, re, im, ...
    else:
        v_all = xp.ascontiguousarray(y).reshape(-1)
    if not scalar_noise:
        inv_all = xp.broadcast_to(inv, y.shape)
        if A == 2:
            inv_all = xp.broadcast_to(inv_all[..., None], (*y.shape, 2))
        inv_all = xp.ascontiguousarray(inv_all).reshape(-1)

    n_ax = v_all.size
    out = xp.empty((n_ax, b), dtype=ft)
    block = _BLOCK_GPU if xp.__name__ == "cupy" else _BLOCK_CPU
    # a tiny noise_var may overflow (u - max) / s2 to -inf (exp -> 0) or the LLR to +-inf (then
    # clipped): both intended, so NumPy's overflow warnings are silenced here
    with np.errstate(over="ignore", under="ignore"):
        for s in range(0, n_ax, block):
            e = min(s + block, n_ax)
            v = v_all[s:e]
            if v.dtype != ft:
                v = v.astype(ft)
            iv = ft(inv) if scalar_noise else inv_all[s:e]
            if method == "maxlog":
                _maxlog_axis(v, L, d, iv * ft(0.5), out[s:e])
            else:
                _exact_axis(v, L, d, iv, out[s:e])
    xp.clip(out, -LLR_MAX, LLR_MAX, out=out)
    return out.reshape(*y.shape[:-1], y.shape[-1] * A * b)

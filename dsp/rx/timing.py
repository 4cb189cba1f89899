"""Feedforward symbol-timing recovery for coherent (DP-QAM) signals at 2 (or more) samples per symbol.

Signals are complex ``(..., pol, n)`` arrays, complex64 or complex128, NumPy or CuPy, after CD
compensation and before the MIMO equalizer. The polarisations (axis -2) are estimated *jointly*
(their spectral lines are summed, which keeps the estimate alive when the power moves between
them), separately for every leading index.

Convention
----------
The timing offset ``tau`` (in symbols) is the delay of the signal's symbol instants after the
sample grid: the optimum sampling instant of symbol k lies at time ``(k + tau) T``, i.e. at sample
``sps (k + tau)``. Positive = late: a signal delayed by d symbols (``x(t - d T)``) has
``tau = d`` (its symbol instants arrive d symbols after the grid's, i.e. the grid samples early).
Estimates are reduced to ``[-0.5, 0.5)`` (a whole-symbol delay is the frame synchroniser's
business). Recovery advances the signal by ``tau``:
the output sample ``sps k`` lies at symbol k's optimum instant.

Estimator
---------
Oerder & Meyr's square-law estimator: ``|x(t)|^2`` carries a spectral line at the symbol rate
whose phase is ``-2 pi tau``. It is computed in the frequency domain without aliasing (Godard's
form), from the spectrum ``X`` of a block of ``N`` samples::

    C = sum_{f in band} X(f) conj(X(f - Rs)),   tau = -arg(C) / (2 pi)

(``band``: the frequencies where both ``f`` and ``f - Rs`` lie inside ``[-fs/2, fs/2)``, i.e.
``0 <= f < fs/2`` at 2 sps), which equals the O&M sum ``sum_n |x_4[n]|^2 exp(-j pi n / 2)`` over
the signal interpolated to 4 samples per symbol, so no interpolation is needed. For
root-raised-cosine pulses the line is proportional to the roll-off: it vanishes for roll-off 0
(then no square-law estimator works). Residual CD or large DGD weakens it too.

Interpolation
-------------
:func:`recover_timing` with ``block=None`` removes one constant offset by an exact FFT
fractional delay (circular: the frame is treated as periodic). With ``block`` set, the offset is
estimated per block of ``block`` symbols, smoothed (complex average of ``smooth`` neighbouring
blocks' lines), unwrapped across blocks (so a clock frequency offset may drift it beyond half a
symbol without a slip), linearly interpolated between block centres (and extrapolated beyond
them), and applied by cubic Lagrange (Farrow) interpolation on the signal oversampled to 4 samples
per symbol (at 2 sps by a 48-tap Kaiser-windowed half-sample FIR, linear convolution by
overlap-save; cubic interpolation at 4 sps is accurate to about 1 % at the band edge of a 2-sps
signal, where at 2 sps it would be about 15 %). Output samples whose instants fall outside the
input are zero.

References
----------
M. Oerder and H. Meyr, "Digital filter and square timing recovery," IEEE Trans. Commun. 36(5),
605-612 (1988). D. N. Godard, "Passband timing recovery in an all-digital modem receiver," IEEE
Trans. Commun. 26(5), 517-523 (1978). L. Erup, F. M. Gardner and R. A. Harris, "Interpolation in
digital modems - Part II," IEEE Trans. Commun. 41(6), 998-1008 (1993).
"""
from __future__ import annotations

import math
from functools import lru_cache
from numbers import Integral

import numpy as np

from dsp.backend import array_module, fft_module

__all__ = [
    "estimate_timing_offset",
    "timing_track",
    "recover_timing",
    "fractional_delay",
    "recover_timing_spectrum",
]

_WORKERS = 2


def _signal(x, name="x"):
    if not hasattr(x, "dtype") or not hasattr(x, "shape"):
        raise TypeError(f"{name} must be a NumPy or CuPy array (got {type(x).__name__})")
    xp = array_module(x)
    if x.dtype not in (xp.complex64, xp.complex128):
        raise TypeError(f"{name} must be complex64 or complex128 (got dtype {x.dtype})")
    if x.ndim < 2:
        raise ValueError(f"{name} must have shape (..., pol, n) with at least 2 dimensions "
                         f"(got shape {tuple(x.shape)})")
    return xp


def _sps(sps):
    if isinstance(sps, bool) or not isinstance(sps, Integral) or int(sps) < 2:
        raise ValueError(f"sps must be an integer >= 2 (got {sps!r})")
    return int(sps)


def _kw(xp):
    return {"workers": _WORKERS} if xp is np else {}


def _real_dtype(x, xp):
    return xp.float32 if x.dtype == xp.complex64 else xp.float64


def _sum_line(X, sps, xp):
    """Symbol-rate line ``sum_{k in band} X[k] conj(X[k - N/sps])`` over the last axis (complex128).

    ``X`` (..., N) is a spectrum with N a multiple of ``sps``; band: the bins k where both the
    frequency of k and that minus Rs lie in [-fs/2, fs/2) (fftfreq order, no wrap-around)."""
    N = X.shape[-1]
    m = N // sps                                         # Rs in bins
    if sps == 2:                                         # k = 0..N/2-1, partners N/2..N-1
        a, b = X[..., :m], X[..., m:]
    else:
        f = np.fft.fftfreq(N) * N                        # signed bin frequencies
        k = np.nonzero((f >= m - N / 2.0) & (f < N / 2.0))[0]
        a, b = X[..., xp.asarray(k)], X[..., xp.asarray((k - m) % N)]
    return (a * xp.conj(b)).sum(axis=-1).astype(xp.complex128)


def estimate_timing_offset(x, sps: int = 2):
    """Timing offset (symbols, in [-0.5, 0.5)) of ``x``, one per leading index, pols jointly.

    Parameters
    ----------
    x : array, complex64/complex128, shape (..., pol, n), n >= 4 sps
        Received samples at ``sps`` samples per symbol (NumPy or CuPy).
    sps : int
        Integer samples per symbol, >= 2.

    Returns
    -------
    array of float64, shape ``x.shape[:-2]`` (0-d for a (pol, n) input), ``x``'s module
        ``tau``: symbol k's optimum instant is at sample ``sps (k + tau)`` (module convention).
    """
    xp = _signal(x)
    sps = _sps(sps)
    n = x.shape[-1]
    if n < 4 * sps:
        raise ValueError(f"x must hold at least 4 symbols ({4 * sps} samples) on its last axis (got {n})")
    N = n - n % sps
    X = fft_module(x).fft(x[..., :N], axis=-1, **_kw(xp))
    c = _sum_line(X, sps, xp).sum(axis=-1)                             # joint over pol
    return -xp.angle(c) / (2.0 * math.pi)


def timing_track(x, sps: int = 2, *, block: int = 1024, smooth: int = 5):
    """Per-block timing offsets (symbols, unwrapped) and the block centres (samples).

    Parameters
    ----------
    x : array, complex64/complex128, shape (..., pol, n)
        Received samples (NumPy or CuPy).
    sps : int
        Integer samples per symbol, >= 2.
    block : int
        Symbols per estimation block, >= 16; the last partial block is dropped
        (``n // (sps block)`` blocks, at least 1).
    smooth : int
        Odd number of neighbouring blocks whose spectral lines are averaged (complex mean, a
        centred moving average, shortened at the ends, where its estimate is attributed to the
        centroid of the blocks it averages: unbiased for a linear drift), >= 1; at most
        ``n_blocks`` (or ``n_blocks - 1``) blocks are averaged.

    Returns
    -------
    tau : array of float64, shape ``x.shape[:-2] + (n_blocks,)``
        Offset per block (module convention), unwrapped along the blocks: the first lies in
        [-0.5, 0.5), the others follow continuously.
    centres : numpy.ndarray of float64, shape (n_blocks,)
        Sample position each estimate belongs to: the centre ``(b + 1/2) sps block - 1/2`` of
        block b, or of the blocks averaged for it at the ends; strictly increasing.
    """
    xp = _signal(x)
    sps = _sps(sps)
    if isinstance(block, bool) or not isinstance(block, Integral) or block < 16:
        raise ValueError(f"block must be an integer >= 16 symbols (got {block!r})")
    if isinstance(smooth, bool) or not isinstance(smooth, Integral) or smooth < 1 or smooth % 2 == 0:
        raise ValueError(f"smooth must be an odd integer >= 1 (got {smooth!r})")
    L = sps * int(block)
    n = x.shape[-1]
    nb = n // L
    if nb < 1:
        raise ValueError(f"x must hold at least one block of sps * block = {L} samples (got {n})")
    v = x[..., :nb * L].reshape(x.shape[:-1] + (nb, L))
    X = fft_module(x).fft(v, axis=-1, **_kw(xp))                    # (..., pol, nb, L)
    c = _sum_line(X, sps, xp).sum(axis=-2)                             # (..., nb)
    h = min(int(smooth) // 2, (nb - 1) // 2)        # keeps the window centroids strictly increasing
    pos = np.arange(nb, dtype=np.float64)
    if h and nb > 1:
        cs = xp.cumsum(xp.concatenate([xp.zeros(c.shape[:-1] + (1,), dtype=c.dtype), c], axis=-1), axis=-1)
        lo, hi = np.maximum(pos - h, 0).astype(np.int64), np.minimum(pos + h + 1, nb).astype(np.int64)
        c = cs[..., xp.asarray(hi)] - cs[..., xp.asarray(lo)]
        pos = (lo + hi - 1) / 2.0                   # centroid of each window (shortened at the ends)
    # angle in (-pi, pi]: the first block's tau lies in [-0.5, 0.5); the others follow continuously
    tau = -xp.unwrap(xp.angle(c), axis=-1) / (2.0 * math.pi)
    centres = (pos + 0.5) * L - 0.5
    return tau, centres


def fractional_delay(x, delay_samples):
    """Delay ``x`` (..., n) by ``delay_samples`` (any real; positive = later) by an FFT phase ramp.

    Circular (the frame is treated as periodic): ``y(t) = x(t - delay)``, exact for a
    band-limited periodic signal. ``delay_samples`` is a float or an array broadcasting against
    ``x.shape[:-1]``. Returns ``x``'s dtype; the Nyquist bin (even n) is multiplied by the cosine
    of its phase so that real signals stay real.
    """
    if not hasattr(x, "dtype") or x.ndim < 1:
        raise TypeError(f"x must be an array with a time axis (got {type(x).__name__})")
    xp = array_module(x)
    if x.dtype not in (xp.complex64, xp.complex128):
        raise TypeError(f"x must be complex64 or complex128 (got dtype {x.dtype})")
    d = xp.asarray(delay_samples, dtype=xp.float64)
    if not bool(xp.all(xp.isfinite(d))):
        raise ValueError(f"delay_samples must be finite (got {delay_samples!r})")
    X = fft_module(x).fft(x, axis=-1, **_kw(xp))
    return _delay_spectrum(X, d, xp)


def _delay_spectrum(X, d, xp):
    """ifft(X * exp(-j 2 pi f d)) for delays ``d`` (samples, broadcasting against X.shape[:-1]); X is consumed."""
    from dsp.channel.lasers import phase_ramp

    n = X.shape[-1]
    d = xp.asarray(d, dtype=xp.float64)
    # exp(-j 2 pi f d) on the fftfreq grid: bins k < n/2 at f = k/n, the others at k/n - 1
    h = (n + 1) // 2
    if n % 2 == 0:  # the Nyquist bin (f = -1/2) gets its phase's cosine, so that real signals stay real
        nyq = X[..., h] * xp.cos(math.pi * d).astype(X.real.dtype)
    X[..., :h] *= phase_ramp(-d / n, h, X.dtype, xp)
    X[..., h:] *= phase_ramp(-d / n, n - h, X.dtype, xp, 2.0 * math.pi * d * (1.0 - h / n))
    if n % 2 == 0:
        X[..., h] = nyq
    return fft_module(X).ifft(X, axis=-1, overwrite_x=True, **_kw(xp))


def _lagrange3(xs, r, up, xp):
    """Cubic Lagrange (Farrow) interpolation: ``out[b, p, m] = xs(b, p, m * up + r[b, m])``.

    ``xs`` (B, pol, M) with M = up * k, ``r`` (B, k) a slowly varying real offset in xs samples.
    Instants outside [0, M-1] give 0. The integer part of ``r`` changes rarely, so each run of
    constant integer part is computed from strided slices (no gathers)."""
    B, P, M = xs.shape
    k = r.shape[-1]
    rdt = _real_dtype(xs, xp)
    t = xp.arange(k, dtype=xp.float64) * up + r
    valid = (t >= 0) & (t <= M - 1)
    ir = xp.floor(r)
    mu = (r - ir).astype(rdt)
    ir = ir.astype(xp.int64)
    one, two, six = rdt(1), rdt(2), rdt(6)
    mm1, mp1, mm2 = mu - one, mu + one, mu - two
    # Lagrange weights of x[i-1], x[i], x[i+1], x[i+2] for 0 <= mu < 1 (Farrow structure, cubic in mu)
    ws = (-mu * mm1 * mm2 / six, mp1 * mm1 * mm2 / two, -mp1 * mu * mm2 / two, mp1 * mu * mm1 / six)
    irh = ir.get() if hasattr(ir, "get") else ir
    pad = int(max(0, -irh.min())) + 2, int(max(0, irh.max())) + 3
    xpd = xp.zeros((B, P, M + pad[0] + pad[1]), dtype=xs.dtype)
    xpd[..., pad[0]:pad[0] + M] = xs
    out = xp.empty((B, P, k), dtype=xs.dtype)
    for b in range(B):
        cut = np.flatnonzero(np.diff(irh[b])) + 1
        edges = np.concatenate([[0], cut, [k]])
        for m0, m1 in zip(edges[:-1], edges[1:]):
            sft = int(irh[b, m0]) + pad[0]
            acc = None
            for off, w in zip((-1, 0, 1, 2), ws):
                st = m0 * up + sft + off
                term = xpd[b, :, st:st + (m1 - m0 - 1) * up + 1:up] * w[b, m0:m1]
                acc = term if acc is None else acc.__iadd__(term)
            out[b, :, m0:m1] = acc
    return out * valid[:, None, :] if not bool(valid.all()) else out


def recover_timing(x, sps: int = 2, *, block: int | None = None, smooth: int = 5, tau=None):
    """Resample ``x`` so that sample ``sps k`` lies at symbol k's optimum instant.

    Parameters
    ----------
    x : array, complex64/complex128, shape (..., pol, n)
        Received samples at ``sps`` samples per symbol (NumPy or CuPy); not modified.
    sps : int
        Integer samples per symbol, >= 2; the output has the same rate.
    block : int, optional
        ``None`` (default): one constant offset (:func:`estimate_timing_offset`) removed by an
        exact circular FFT fractional delay (for a frame with a fixed sampling phase). An integer:
        track a slowly varying offset (sampling clock frequency offset) with
        :func:`timing_track` on blocks of ``block`` symbols and cubic interpolation (module notes).
    smooth : int
        Blocks averaged by :func:`timing_track` (tracking mode only).
    tau : float or array, optional
        Constant-offset mode only: use this offset (symbols, broadcasting against
        ``x.shape[:-2]``) instead of estimating it.

    Returns
    -------
    array like ``x``: same shape, dtype and module
        The resampled signal. Tracking mode: samples whose instants fall beyond the input are 0
        (a clock drift of ``e`` ppm moves the last instant by ``e n 1e-6`` samples).
    """
    xp = _signal(x)
    sps = _sps(sps)
    if block is None:
        if tau is not None:
            t = xp.asarray(tau, dtype=xp.float64)
            if not bool(xp.all(xp.isfinite(t))):
                raise ValueError(f"tau must be finite (got {tau!r})")
        elif x.shape[-1] < 4 * sps:
            raise ValueError(f"x must hold at least 4 symbols ({4 * sps} samples) on its last axis "
                             f"(got {x.shape[-1]})")
        X = fft_module(x).fft(x, axis=-1, **_kw(xp))
        if tau is None:                                               # estimate on this spectrum
            N = x.shape[-1]
            if N % sps:
                X_est = fft_module(x).fft(x[..., :N - N % sps], axis=-1, **_kw(xp))
            else:
                X_est = X
            t = -xp.angle(_sum_line(X_est, sps, xp).sum(axis=-1)) / (2.0 * math.pi)
        d = -sps * xp.broadcast_to(t, x.shape[:-2])[..., None]          # advance by tau symbols
        return _delay_spectrum(X, d, xp)
    if tau is not None:
        raise ValueError("tau is only accepted with block=None (constant-offset mode)")
    tr, centres = timing_track(x, sps, block=block, smooth=smooth)        # (..., nb)
    n = x.shape[-1]
    off = _track_offsets(tr * sps, centres, n, xp)                      # (..., n) samples
    # oversample to >= 4 samples per symbol for an accurate cubic interpolator
    up = max(1, -(-4 // sps))
    if up > 1:
        xs = _upsample(x, up, xp)
    else:
        xs = xp.ascontiguousarray(x)
    r = xp.ascontiguousarray(xp.broadcast_to(off * up, x.shape[:-2] + (n,))).reshape((-1, n))
    y = _lagrange3(xs.reshape((-1,) + xs.shape[-2:]), r, up, xp)        # out[m] = xs(m up + r[m])
    return y.reshape(x.shape)


def recover_timing_spectrum(X, sps: int = 2):
    """:func:`recover_timing` (constant-offset mode) of a signal given by its spectrum ``X``.

    For receivers that already hold the frame's FFT (frequency-domain CD compensation and matched
    filtering of a periodic frame): the offset is estimated on ``X`` and removed by the same exact
    circular delay, and the time-domain signal is returned, so that the whole front end costs one
    FFT pair. ``X`` (..., pol, n) with n a multiple of ``sps`` is consumed (overwritten).
    """
    xp = _signal(X, "X")
    sps = _sps(sps)
    n = X.shape[-1]
    if n % sps or n < 4 * sps:
        raise ValueError(f"X must hold a multiple of sps = {sps} samples, at least 4 symbols (got {n})")
    t = -xp.angle(_sum_line(X, sps, xp).sum(axis=-1)) / (2.0 * math.pi)
    d = -sps * xp.broadcast_to(t, X.shape[:-2])[..., None]
    return _delay_spectrum(X, d, xp)


_HALF_TAPS = 48          # half-sample interpolator: Kaiser-windowed sinc (beta 8), 48 taps
_HALF_FFT = 4096


@lru_cache(maxsize=8)
def _half_sample_response(dtype_str):
    """Block response (/ fft size, as :func:`dsp.rx.cdc._overlap_save` wants) of the FIR with
    ``y[m] = sum_j g[j] x[m - j] ~ x(m + 1/2)``, g[j] = sinc(j + 1/2) w(j), j = -K..K-1."""
    k = _HALF_TAPS // 2
    j = np.arange(-k, k)
    g = np.sinc(j + 0.5) * np.kaiser(2 * k, 8.0)
    g /= g.sum()
    h_t = np.zeros(_HALF_FFT, dtype=np.complex128)
    h_t[j % _HALF_FFT] = g
    h = (np.fft.fft(h_t) / _HALF_FFT).astype(np.dtype(dtype_str))
    h.setflags(write=False)
    return h


def _track_offsets(tr_s, centres, n, xp):
    """Offsets (samples) at every sample 0..n-1 from the per-block track ``tr_s`` (..., nb) at
    ``centres``: linear between centres, linear extrapolation of the end segments beyond them."""
    nb = tr_s.shape[-1]
    lead = tr_s.shape[:-1]
    if nb == 1:
        return xp.ascontiguousarray(xp.broadcast_to(tr_s, lead + (n,)))
    pos = xp.arange(n, dtype=xp.float64)
    c = xp.asarray(centres)
    rows = tr_s.reshape((-1, nb))
    out = xp.empty((rows.shape[0], n), dtype=xp.float64)
    i0 = min(n, max(0, int(math.ceil(centres[0]))))                     # samples before the first centre
    i1 = min(n, max(i0, int(math.floor(centres[-1])) + 1))             # ... up to the last centre
    for r in range(rows.shape[0]):
        y = rows[r]
        out[r, i0:i1] = xp.interp(pos[i0:i1], c, y)
        s0 = (y[1] - y[0]) / (c[1] - c[0])
        s1 = (y[-1] - y[-2]) / (c[-1] - c[-2])
        out[r, :i0] = y[0] + s0 * (pos[:i0] - c[0])
        out[r, i1:] = y[-1] + s1 * (pos[i1:] - c[-1])
    return out.reshape(lead + (n,))


def _upsample(x, up, xp):
    """Interpolate by ``up`` (2 only: used at 2 sps) with a 48-tap Kaiser-windowed half-sample
    FIR (error about -90 dB for |f| < 0.4 fs, measured), applied by overlap-save; the input samples are
    kept at the even output positions."""
    if up != 2:                                                       # pragma: no cover (sps >= 2 gives up <= 2)
        raise AssertionError(up)
    from dsp.rx.cdc import _overlap_save

    h = _half_sample_response(np.dtype(x.dtype).str)
    h = h if xp is np else xp.asarray(h)
    xh = _overlap_save(xp.ascontiguousarray(x), h, _HALF_FFT, _HALF_TAPS, xp, fft_module(x))
    out = xp.empty(x.shape[:-1] + (2 * x.shape[-1],), dtype=x.dtype)
    out[..., 0::2] = x
    out[..., 1::2] = xh
    return out

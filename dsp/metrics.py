"""Error counting, BER confidence intervals, and closed-form BER references.

- :func:`count_errors`: bit and symbol errors of received symbols against transmitted Gray
  labels, by the fused slicer-and-counter kernel of the array's backend.
- :func:`ber_interval`: two-sided binomial confidence interval (Clopper-Pearson or Wilson).
- :func:`ber_gray_pam`, :func:`ber_awgn_pam`, :func:`ber_awgn_qam`: exact BER of Gray-labelled
  PAM / square QAM over AWGN, summing the probability of every decision region weighted by the
  Hamming distance of its label (no union-bound or nearest-neighbour approximation).
"""
from __future__ import annotations

import math

import numpy as np

INTERVALS = ("clopper-pearson", "wilson")


def _check_confidence(confidence):
    if not (0.0 < confidence < 1.0):
        raise ValueError(f"confidence must be in (0, 1) (got {confidence})")


def ber_interval(errors: int, trials: int, confidence: float = 0.95, method: str = "clopper-pearson"):
    """Two-sided ``confidence`` interval ``(low, high)`` for a proportion ``errors / trials``.

    ``clopper-pearson`` is exact (conservative); ``wilson`` is the score interval. Trials are
    treated as independent Bernoulli draws (bits of one symbol are slightly correlated; at the
    BERs of interest nearly every symbol error is a single bit error).
    """
    _check_confidence(confidence)
    if method not in INTERVALS:
        raise ValueError(f"method must be one of {', '.join(INTERVALS)} (got {method!r})")
    errors, trials = int(errors), int(trials)
    if trials <= 0:
        raise ValueError(f"trials must be positive (got {trials})")
    if not (0 <= errors <= trials):
        raise ValueError(f"errors must be in [0, trials={trials}] (got {errors})")
    alpha = 1.0 - confidence
    if method == "clopper-pearson":
        low = 0.0 if errors == 0 else _beta_quantile(errors, trials - errors + 1, alpha / 2)
        high = 1.0 if errors == trials else _beta_quantile(errors + 1, trials - errors, 1 - alpha / 2)
        return low, high
    from scipy.special import ndtri

    z = float(ndtri(1 - alpha / 2))
    p = errors / trials
    denom = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denom
    half = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denom
    low = 0.0 if errors == 0 else max(0.0, centre - half)
    high = 1.0 if errors == trials else min(1.0, centre + half)
    return low, high


def _beta_quantile(a: float, b: float, q: float) -> float:
    """x with I_x(a, b) = q. SciPy's betaincinv is tried first and verified by the forward
    betainc: it is wrong for some arguments (a = 1000, b ~ 1e9 in SciPy 1.17), where a bracketed
    root search on betainc takes over."""
    from scipy.optimize import brentq
    from scipy.special import betainc, betaincinv

    x = float(betaincinv(a, b, q))
    if 0.0 < x < 1.0 and abs(float(betainc(a, b, x)) - q) <= 1e-10 * max(q, 1 - q):
        return x
    mean = a / (a + b)
    hi = min(1.0, mean * 4 + 50.0 / (a + b))
    while float(betainc(a, b, hi)) < q and hi < 1.0:
        hi = min(1.0, hi * 2)
    return float(brentq(lambda t: float(betainc(a, b, t)) - q, 0.0, hi, xtol=1e-300, rtol=1e-15, maxiter=500))


def _q(x):
    from scipy.special import ndtr

    return ndtr(-np.asarray(x, dtype=float))


def ber_gray_pam(levels: int, d_over_sigma):
    """Exact BER of Gray-labelled PAM-``levels`` with half spacing ``d`` in Gaussian noise ``sigma``.

    Level k sits at (2k - L + 1) d; the region of level j is within d of it. For each pair (k, j)
    with |j - k| = s the decision probability is Q((2s - 1) d/sigma) - Q((2s + 1) d/sigma), or
    Q((2s - 1) d/sigma) for the outermost regions; weights are popcount(g(k) ^ g(j)).
    """
    L = int(levels)
    if L < 2 or L & (L - 1):
        raise ValueError(f"levels must be a power of two >= 2 (got {levels})")
    r = np.asarray(d_over_sigma, dtype=float)
    bits = L.bit_length() - 1
    total = np.zeros_like(r)
    gray = [k ^ (k >> 1) for k in range(L)]
    for k in range(L):
        for j in range(L):
            if j == k:
                continue
            s = abs(j - k)
            p = _q((2 * s - 1) * r)
            if j not in (0, L - 1):
                p = p - _q((2 * s + 1) * r)
            total = total + bin(gray[k] ^ gray[j]).count("1") * p
    out = total / (L * bits)
    return float(out) if out.ndim == 0 else out


def ber_awgn_pam(m: int, snr_db):
    """Exact BER of Gray PAM-``m`` over real AWGN at electrical SNR ``E[x^2]/sigma^2`` (dB)."""
    snr = 10.0 ** (np.asarray(snr_db, dtype=float) / 10.0)
    d = math.sqrt(3.0 / (m * m - 1))
    return ber_gray_pam(m, d * np.sqrt(snr))


def ber_awgn_qam(m: int, snr_db):
    """Exact BER of Gray square QAM-``m`` over complex AWGN at Es/N0 = ``snr_db`` (dB).

    Square Gray QAM is PAM-sqrt(m) on each axis with per-axis noise variance N0/2.
    """
    L = int(round(math.sqrt(m)))
    if L * L != m:
        raise ValueError(f"m must be a square QAM order (got {m})")
    snr = 10.0 ** (np.asarray(snr_db, dtype=float) / 10.0)
    d = math.sqrt(3.0 / (2.0 * (m - 1)))
    return ber_gray_pam(L, d * np.sqrt(2.0 * snr))


def count_errors(y, labels, const, backend=None, threads: int | None = None):
    """Bit and symbol errors ``(int, int)`` of received symbols ``y`` against Gray ``labels``.

    Parameters
    ----------
    y : real (PAM) or complex (QAM) array, NumPy or CuPy, any shape; single or double precision.
    labels : integer array of the same shape, transmitted Gray labels (< const.m).
    const : :class:`dsp.modulation.Constellation`.
    backend : Backend or name; default: the backend of ``y``.

    Decisions are those of :func:`dsp.modulation.demap_hard`; the count is one fused pass.
    """
    from dsp.backend import get_backend

    is_numpy = isinstance(y, np.ndarray)
    be = get_backend(backend if backend is not None else ("cpu" if is_numpy else "gpu"))
    xp = be.xp
    y = xp.asarray(y)
    labels = xp.asarray(labels)
    if y.shape != labels.shape:
        raise ValueError(f"y and labels must have the same shape (got {y.shape} and {labels.shape})")
    if const.bits_per_symbol > 8:
        raise ValueError(f"count_errors supports up to 8 bits per symbol (got {const})")
    if labels.dtype.kind not in "ui":
        raise ValueError(f"labels must be an integer array (got dtype {labels.dtype})")
    if labels.size and not (int(labels.min()) >= 0 and int(labels.max()) < const.m):
        raise ValueError(f"labels must be in [0, {const.m}) for {const}")
    if const.axes == 2:
        if not xp.iscomplexobj(y):
            raise ValueError(f"y must be complex for {const}")
        real = xp.ascontiguousarray(y).view(xp.float32 if y.dtype == xp.complex64 else xp.float64)
    else:
        if xp.iscomplexobj(y):
            raise ValueError(f"y must be real for {const}")
        real = y if y.dtype in (xp.float32, xp.float64) else y.astype(xp.float64)
    return be.ops.slice_count(real, labels.astype(xp.uint8), const.axes, const.levels,
                              const.bits_per_axis, 1.0 / (2.0 * const.d), threads)


def _cross(x, y, target):
    """First x where the piecewise-linear y(x) crosses target, or None."""
    for i in range(len(x) - 1):
        y0, y1 = y[i], y[i + 1]
        if (y0 - target) * (y1 - target) <= 0 and y0 != y1:
            return x[i] + (target - y0) * (x[i + 1] - x[i]) / (y1 - y0)
    return None


def threshold_crossing(x, ber, ber_low, ber_high, threshold: float):
    """Where a BER curve crosses ``threshold``: ``(value, low, high)`` or None when not bracketed.

    ``x`` is the swept quantity (e.g. ROP in dBm or OSNR in dB), sorted here. log10 BER is
    interpolated linearly between adjacent points; ``low``/``high`` are where the lower and upper
    confidence bounds cross (points with a zero bound are left out of that bound's curve), so they
    bracket the crossing of the true curve at the points' confidence, up to interpolation error.
    """
    if not (0 < threshold < 0.5):
        raise ValueError(f"threshold must be in (0, 0.5) (got {threshold!r})")
    order = np.argsort(np.asarray(x, dtype=float))
    xs = np.asarray(x, dtype=float)[order]
    t = math.log10(threshold)

    def curve(v):
        v = np.asarray(v, dtype=float)[order]
        keep = v > 0
        return _cross(xs[keep], np.log10(v[keep]), t)

    mid = curve(ber)
    if mid is None:
        return None
    a, b = curve(ber_low), curve(ber_high)
    bounds = [v for v in (a, b) if v is not None]
    lo = min(bounds + [mid])
    hi = max(bounds + [mid])
    return float(mid), float(lo), float(hi)

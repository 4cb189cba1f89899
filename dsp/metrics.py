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


# ------------------------------------------------------------------------------------------------
# Signal quality and information rates of coherent (and PAM) links
#
# - evm_rms, snr_db_data_aided: data-aided EVM (percent of the reference's rms) and SNR (dB).
# - q_factor_db: Q-factor from a BER, 20 log10(sqrt(2) erfcinv(2 BER)).
# - gmi_sum, gmi_from_sum, gmi, ngmi: bit-wise GMI / NGMI from LLRs (log P(b=0)/P(b=1)).
# - mi_gaussian: symbol-wise MI with a Gaussian auxiliary channel (Monte Carlo).
# - gmi_awgn_pam/qam, mi_awgn_pam/qam: reference GMI / MI of Gray PAM / square QAM over AWGN by
#   Gauss-Hermite quadrature.
# ------------------------------------------------------------------------------------------------

def _host_float(a):
    """A Python float from a 0-d NumPy/CuPy value, or a float64 NumPy array from an array."""
    if hasattr(a, "get"):
        a = a.get()
    a = np.asarray(a, dtype=np.float64)
    return float(a) if a.ndim == 0 else a


def _pair(y, x_ref):
    from dsp.backend import array_module

    xp = array_module(y)
    y = xp.asarray(y)
    x = xp.asarray(x_ref)
    if y.shape != x.shape:
        raise ValueError(f"y and x_ref must have the same shape (got {y.shape} and {x.shape})")
    if y.size == 0:
        raise ValueError("y must not be empty")
    for name, a in (("y", y), ("x_ref", x)):
        if a.dtype.kind not in "fc":
            raise ValueError(f"{name} must be a float or complex array (got dtype {a.dtype})")
    return xp, y, x


def _error_energy_ratio(y, x_ref, fit_gain: bool, axis):
    """sum |y/g - x|^2 / sum |x|^2 (g = 1, or the least-squares gain), float64, over ``axis``."""
    xp, y, x = _pair(y, x_ref)
    y = y.astype(xp.complex128 if (xp.iscomplexobj(y) or xp.iscomplexobj(x)) else xp.float64)
    x = x.astype(y.dtype)
    px = xp.sum(xp.abs(x) ** 2, axis=axis, keepdims=True)
    if bool(xp.any(px == 0)):
        raise ValueError("x_ref must not be all zero (over the reduced axes)")
    if fit_gain:
        g = xp.sum(xp.conj(x) * y, axis=axis, keepdims=True) / px
        if bool(xp.any(g == 0)):
            raise ValueError("the least-squares gain of y on x_ref is zero: y is orthogonal to x_ref")
        e = xp.sum(xp.abs(y - g * x) ** 2, axis=axis, keepdims=True) / (xp.abs(g) ** 2 * px)
    else:
        e = xp.sum(xp.abs(y - x) ** 2, axis=axis, keepdims=True) / px
    e = xp.squeeze(e, axis=axis) if axis is not None else e.reshape(())
    return e


def evm_rms(y, x_ref, *, fit_gain: bool = False, axis=None):
    """RMS error vector magnitude in percent of the reference's rms.

    ``EVM = 100 sqrt(sum |y' - x|^2 / sum |x|^2)`` with ``y' = y`` (default) or, with
    ``fit_gain=True``, ``y' = y / g`` where ``g = sum conj(x) y / sum |x|^2`` is the least-squares
    complex (or real) gain of y on x (removes a residual amplitude / phase scaling first).

    Parameters
    ----------
    y, x_ref : arrays of one shape (NumPy or CuPy), real or complex
        Received symbols and the transmitted (reference) symbols.
    fit_gain : bool
        Fit and remove a least-squares gain before measuring.
    axis : None, int or tuple of int
        Axes reduced (None: all; e.g. ``axis=-1`` for one value per polarization).

    Returns
    -------
    float (``axis=None``) or float64 NumPy array: EVM in percent.

    Consistent with :func:`snr_db_data_aided`: ``SNR_dB = -20 log10(EVM / 100)`` for the same
    ``fit_gain``. Reference: ITU-T / IEEE 802.3 EVM normalised to the reference's rms power.
    """
    return _host_float(100.0 * _error_energy_ratio(y, x_ref, fit_gain, axis) ** 0.5)


def snr_db_data_aided(y, x_ref, *, fit_gain: bool = False, axis=None):
    """Data-aided SNR in dB: ``10 log10(sum |x|^2 / sum |y' - x|^2)``.

    For complex symbols this is Es/N0 (``E|x|^2 / E|n|^2``, the total complex noise); for real
    PAM it is the electrical SNR ``E[x^2] / sigma^2``. ``y' = y`` by default; with
    ``fit_gain=True``, ``y' = y / g`` with the least-squares gain ``g = sum conj(x) y / sum |x|^2``
    (the usual blind-to-gain estimate; its noise estimate has a relative bias of about 1/N).
    Parameters as :func:`evm_rms`; returns a float or a float64 NumPy array (per ``axis``).
    """
    e = _error_energy_ratio(y, x_ref, fit_gain, axis)
    with np.errstate(divide="ignore"):
        return _host_float(-10.0 * _log10(e))


def _log10(a):
    from dsp.backend import array_module

    return array_module(a).log10(a)


def q_factor_db(ber):
    """Q-factor in dB from a BER: ``20 log10(sqrt(2) erfcinv(2 BER))``.

    The Q of a binary decision with Gaussian noise, ``BER = Q(q) = erfc(q / sqrt 2) / 2`` (e.g.
    BER 1e-3 -> 9.80 dB, 1e-9 -> 15.56 dB). ``ber`` in (0, 0.5), scalar or array; returns a float
    or a float64 array.
    """
    from scipy.special import erfcinv

    b = np.asarray(ber, dtype=np.float64)
    if b.size == 0 or not np.all((b > 0) & (b < 0.5)):
        raise ValueError(f"ber must be in (0, 0.5) (got {ber!r})")
    q = 20.0 * np.log10(np.sqrt(2.0) * erfcinv(2.0 * b))
    return float(q) if q.ndim == 0 else q


def gmi_sum(llr, bits):
    """The summable part of the GMI: ``(sum_i log2(1 + exp(-(1 - 2 b_i) L_i)), count)``.

    Parameters
    ----------
    llr : float32/float64 array (NumPy or CuPy), ``LLR = log P(b=0)/P(b=1)``
    bits : integer or bool array of 0/1 of the same shape, the transmitted bits.

    Returns
    -------
    (float, int): the sum in bits (terms evaluated stably as ``logaddexp(0, x) / ln 2`` and
    accumulated in float64) and the number of bits. Sums and counts of batches add exactly; from
    the merged ``(S, N)`` of bits taken ``bits_per_symbol = m`` per symbol (all bit positions
    equally often): ``NGMI = 1 - S / N`` and ``GMI = m (1 - S / N)`` bits per symbol
    (:func:`gmi_from_sum`). A term is 0 for a confident correct LLR and large for a confident
    wrong one; an infinite wrong LLR gives an infinite sum.
    """
    from dsp.backend import array_module

    xp = array_module(llr)
    llr = xp.asarray(llr)
    b = xp.asarray(bits)
    if llr.dtype not in (xp.float32, xp.float64):
        raise ValueError(f"llr must be float32 or float64 (got dtype {llr.dtype})")
    if b.shape != llr.shape:
        raise ValueError(f"bits must have the shape of llr {llr.shape} (got {b.shape})")
    if b.dtype.kind not in "uib":
        raise ValueError(f"bits must be an integer or bool array of 0/1 (got dtype {b.dtype})")
    if b.size and b.dtype.kind != "b":
        lo, hi = int(b.min()), int(b.max())
        if lo < 0 or hi > 1:
            raise ValueError(f"bits must hold only 0 and 1 (got values in [{lo}, {hi}])")
    if llr.size == 0:
        return 0.0, 0
    x = xp.where(b.astype(bool), llr, -llr)           # -(1 - 2 b) L
    with np.errstate(invalid="ignore"):                 # NaN LLRs: reported just below
        total = float(xp.sum(xp.logaddexp(x.dtype.type(0), x), dtype=xp.float64)) / math.log(2.0)
    if math.isnan(total):
        raise ValueError("llr must not contain NaN")
    return total, int(llr.size)


def gmi_from_sum(total: float, count: int, bits_per_symbol: int) -> float:
    """GMI in bits per symbol, ``m (1 - total / count)``, from (merged) :func:`gmi_sum` results."""
    from dsp._validate import check_int

    m = check_int("bits_per_symbol", bits_per_symbol, 1)
    count = check_int("count", count, 1)
    total = float(total)
    if math.isnan(total) or total < 0:
        raise ValueError(f"total must be >= 0 (got {total})")
    return m * (1.0 - total / count)


def gmi(llr, bits, bits_per_symbol: int) -> float:
    """Generalized mutual information (bit-wise decoder) in bits per symbol, from LLRs.

    ``GMI = sum_{j=1..m} [1 - E log2(1 + exp(-(1 - 2 b_j) L_j))]``, estimated by the sample mean
    over all symbols: with exact (true-posterior) LLRs this is the achievable rate of a
    bit-interleaved coded modulation receiver (BICM capacity); with mismatched LLRs (e.g. max-log)
    it is a lower bound on it. ``llr``, ``bits``: ``(..., n * m)`` with the bits of each symbol
    together (last axis a multiple of ``m = bits_per_symbol``), LLR = log P(b=0)/P(b=1).

    Reference: A. Alvarado, T. Fehenberger, B. Chen, F. M. J. Willems, "Achievable information
    rates for fiber optics: applications and computations", JLT 36(2), 2018; A. Alvarado,
    E. Agrell, D. Lavery, R. Maher, P. Bayvel, "Replacing the soft-decision FEC limit paradigm in
    the design of optical communication systems", JLT 33(20), 2015 (GMI and NGMI estimates).
    """
    from dsp._validate import check_int

    m = check_int("bits_per_symbol", bits_per_symbol, 1)
    shape = getattr(llr, "shape", np.shape(llr))
    if len(shape) < 1 or shape[-1] % m:
        raise ValueError(f"llr's last axis must be a multiple of bits_per_symbol={m} (got shape {tuple(shape)})")
    total, count = gmi_sum(llr, bits)
    if count == 0:
        raise ValueError("llr must not be empty")
    return gmi_from_sum(total, count, m)


def ngmi(llr, bits) -> float:
    """Normalized GMI (bit-wise decoders): ``1 - (1/N) sum_i log2(1 + exp(-(1 - 2 b_i) L_i))``.

    Equal to GMI / bits_per_symbol (see :func:`gmi`), at most 1; the figure soft-decision FEC
    thresholds are given in (e.g. NGMI 0.8-0.86 for about 20-25 % overhead codes).
    """
    total, count = gmi_sum(llr, bits)
    if count == 0:
        raise ValueError("llr must not be empty")
    return 1.0 - total / count


def mi_gaussian(y, x_ref, const, noise_var=None) -> float:
    """Symbol-wise mutual information (bits/symbol) with a Gaussian auxiliary channel.

    Monte-Carlo estimate ``MI = log2 M - mean_n log2( sum_x' q(y_n | x') / q(y_n | x_n) )`` with
    uniform inputs and ``q(y|x)`` circular complex Gaussian of variance ``noise_var`` = E|n|^2
    (QAM) or real Gaussian of variance ``noise_var`` (PAM). ``noise_var`` defaults to the measured
    ``mean |y - x_ref|^2``. For any channel this is a lower bound on the true MI of the
    constellation (mismatched decoding); on AWGN it estimates the MI itself.

    Parameters
    ----------
    y, x_ref : arrays of one shape (NumPy or CuPy)
        Received symbols and the transmitted constellation points (each must be a point of
        ``const``, checked to 1e-3).
    const : :class:`dsp.modulation.Constellation`
    noise_var : float, optional

    Reference: D. M. Arnold, H.-A. Loeliger, P. O. Vontobel, A. Kavcic, W. Zeng, "Simulation-based
    computation of information rates for channels with memory", IEEE Trans. Inf. Theory 52(8),
    2006; Alvarado et al., JLT 36(2), 2018.
    """
    from scipy.special import logsumexp

    from dsp.modulation import Constellation, demap_hard

    if not isinstance(const, Constellation):
        raise TypeError(f"const must be a dsp.modulation.Constellation (got {type(const).__name__})")
    xp, y, x = _pair(y, x_ref)
    if const.axes == 2 and not (xp.iscomplexobj(y) and xp.iscomplexobj(x)):
        raise ValueError(f"y and x_ref must be complex for {const}")
    if const.axes == 1 and (xp.iscomplexobj(y) or xp.iscomplexobj(x)):
        raise ValueError(f"y and x_ref must be real for {const}")
    y = np.asarray(y.get() if hasattr(y, "get") else y).reshape(-1)
    x = np.asarray(x.get() if hasattr(x, "get") else x).reshape(-1)
    pts = const.points
    if np.max(np.abs(pts[demap_hard(x, const).astype(np.intp)] - x)) > 1e-3:
        raise ValueError(f"x_ref must hold points of {const} (unit mean energy)")
    if noise_var is None:
        nv = float(np.mean(np.abs(y.astype(np.complex128 if const.axes == 2 else np.float64) - x) ** 2))
        if nv == 0:
            return float(const.bits_per_symbol)
    else:
        nv = float(noise_var)
        if not (math.isfinite(nv) and nv > 0):
            raise ValueError(f"noise_var must be finite and > 0 (got {noise_var!r})")
    s2 = nv / const.axes                                 # per-axis variance
    lv = const._axis_levels_by_label
    acc = 0.0
    block = 1 << 16
    for s in range(0, y.size, block):
        yb, xb = y[s:s + block], x[s:s + block]
        axes = [(yb.real, xb.real), (yb.imag, xb.imag)] if const.axes == 2 else [(yb, xb)]
        for v, a in axes:
            v = v.astype(np.float64)
            ll = -(v[:, None] - lv[None, :]) ** 2 / (2 * s2)
            acc += float(np.sum(logsumexp(ll, axis=1) + (v - a) ** 2 / (2 * s2)))
    return const.bits_per_symbol - acc / y.size / math.log(2.0)


def _gh_axis_info(levels: int, d: float, s2: float, nodes: int):
    """(MI, GMI) in bits of Gray PAM-``levels`` (half spacing d) on real AWGN of variance s2."""
    from scipy.special import logsumexp

    t, w = np.polynomial.hermite.hermgauss(nodes)
    w = w / math.sqrt(math.pi)                           # E[f(n)] = sum w f(sqrt(2 s2) t)
    k = np.arange(levels)
    a = (2 * k - levels + 1) * d
    g = k ^ (k >> 1)
    b = levels.bit_length() - 1
    v = a[:, None] + math.sqrt(2 * s2) * t[None, :]      # (level sent, node)
    ll = -(v[:, :, None] - a[None, None, :]) ** 2 / (2 * s2)     # (sent, node, candidate)
    own = ll[k, :, k]                                     # (sent, node)
    mi = b - np.sum(w * (logsumexp(ll, axis=2) - own)) / levels / math.log(2.0)
    gmi_val = float(b)
    for j in range(b):
        bit = (g >> (b - 1 - j)) & 1
        llr = logsumexp(ll[:, :, bit == 0], axis=2) - logsumexp(ll[:, :, bit == 1], axis=2)
        x = np.where(bit[:, None] == 1, llr, -llr)
        gmi_val -= np.sum(w * np.logaddexp(0.0, x)) / levels / math.log(2.0)
    return float(mi), float(gmi_val)


def _gh_sweep(kind: str, m: int, snr_db, nodes: int, which: int):
    from dsp._validate import check_int
    from dsp.modulation import Constellation

    c = Constellation(kind, m)
    nodes = check_int("nodes", nodes, 8, 300)  # numpy's hermgauss overflows beyond ~340
    snr_db = np.asarray(snr_db, dtype=np.float64)
    if snr_db.size == 0 or not np.all(np.isfinite(snr_db)):
        raise ValueError(f"snr_db must be finite (got {snr_db.tolist()})")
    out = np.empty(snr_db.shape)
    for i, s in np.ndenumerate(snr_db):
        snr = 10.0 ** (s / 10.0)
        # QAM: Es/N0 with N0/2 per axis; PAM: electrical SNR E[x^2]/sigma^2
        s2 = 1.0 / (2.0 * snr) if c.axes == 2 else 1.0 / snr
        out[i] = c.axes * _gh_axis_info(c.levels, c.d, s2, nodes)[which]
    return float(out) if out.ndim == 0 else out


def gmi_awgn_qam(m: int, snr_db, nodes: int = 200):
    """GMI (bits per symbol, exact LLRs) of Gray square QAM-``m`` on complex AWGN at Es/N0 (dB).

    By Gauss-Hermite quadrature (``nodes`` points) per axis: square Gray QAM is PAM-sqrt(m) on
    I and Q with noise N0/2 each, so the GMI is twice that PAM's. Accurate to about 1e-6 bits up to
    30 dB with the default nodes. A reference for Monte-Carlo GMI estimates and SNR thresholds.
    """
    return _gh_sweep("qam", m, snr_db, nodes, 1)


def gmi_awgn_pam(m: int, snr_db, nodes: int = 200):
    """GMI (bits per symbol, exact LLRs) of Gray PAM-``m`` on real AWGN at electrical SNR
    ``E[x^2] / sigma^2`` (dB), by Gauss-Hermite quadrature (see :func:`gmi_awgn_qam`)."""
    return _gh_sweep("pam", m, snr_db, nodes, 1)


def mi_awgn_qam(m: int, snr_db, nodes: int = 200):
    """Symbol-wise MI (bits per symbol, uniform inputs) of square QAM-``m`` on complex AWGN at
    Es/N0 (dB), by Gauss-Hermite quadrature per axis (twice the MI of PAM-sqrt(m) at noise N0/2)."""
    return _gh_sweep("qam", m, snr_db, nodes, 0)


def mi_awgn_pam(m: int, snr_db, nodes: int = 200):
    """Symbol-wise MI (bits per symbol, uniform inputs) of PAM-``m`` on real AWGN at electrical
    SNR ``E[x^2] / sigma^2`` (dB), by Gauss-Hermite quadrature."""
    return _gh_sweep("pam", m, snr_db, nodes, 0)

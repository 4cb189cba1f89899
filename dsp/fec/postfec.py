"""Post-FEC performance of bounded-distance hard-decision codes (RS KP4/KR4) from symbol statistics.

Model
-----
A codeword of n m-bit symbols is decoded correctly iff it holds at most t erroneous symbols.
A codeword with e > t erroneous symbols is *not corrected and delivered as received*: its e
erroneous symbols pass through with their bit errors. Miscorrection (the decoder adding up to t
further wrong symbols) is neglected: for a code with t errors corrected its probability given
e > t errors is at most about 1/t! (McEliece and Swanson, 1986), 8e-13 for KP4 (t = 15).
Erroneous symbols fall uniformly over the n positions, so the BER over message bits equals the
BER over all n m coded bits:

    BER_post = sum_{e > t} P(e) * e * beta / (n m),

where beta is the mean number of bit errors per erroneous symbol. For independent bit errors of
probability p_b: p_s = 1 - (1 - p_b)^m, P(e) = Binomial(n, p_s), beta = m p_b / p_s, and the sum
collapses to BER_post = p_b * P(Binomial(n - 1, p_s) >= t) (:func:`post_fec_ber_binomial`).
For KP4 at p_b = 2.4e-4 this gives about 2.5e-15.

Tails are summed term by term in log space (no 1 - cdf cancellation), accurate to about 1e-12
relative down to 1e-300.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

__all__ = ["symbol_error_prob_from_ber", "codeword_error_rate_binomial", "post_fec_ber_binomial",
           "post_fec_from_histogram", "PostFecEstimate", "CompoundPoissonFit", "fit_compound_poisson",
           "post_fec_from_bursts"]


def _prob(name, x):
    a = np.asarray(x, dtype=np.float64)
    if not np.all(np.isfinite(a)) or np.any((a < 0) | (a > 1)):
        raise ValueError(f"{name} must be a probability in [0, 1] (got {x!r})")
    return a


def _int(name, v, lo):
    try:
        iv = int(v)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be an integer (got {v!r})") from None
    if iv != v or iv < lo:
        raise ValueError(f"{name} must be an integer >= {lo} (got {v!r})")
    return iv


def _out(a):
    return float(a) if np.ndim(a) == 0 else a


def symbol_error_prob_from_ber(ber, m: int):
    """P(an m-bit symbol holds at least one bit error) = 1 - (1 - ber)^m, for independent bit errors.

    ``ber``: float or array in [0, 1]. Computed as -expm1(m log1p(-ber)) (exact for tiny ber).
    """
    p = _prob("ber", ber)
    m = _int("m", m, 1)
    with np.errstate(divide="ignore"):
        return _out(-np.expm1(m * np.log1p(-p)))


def _binom_tail(p, n, t):
    """P(X > t), X ~ Binomial(n, p), for an array p (float64)."""
    p = np.asarray(p, dtype=np.float64)
    if t >= n:
        return np.zeros_like(p)
    if t < 0:
        return np.ones_like(p)
    ei = np.arange(t + 1, n + 1)
    e = ei.astype(np.float64)
    lg = np.array([math.lgamma(i + 1.0) for i in range(n + 1)])  # log i!
    log_c = lg[n] - lg[ei] - lg[n - ei]  # log C(n, e), e = t+1 .. n
    flat = p.reshape(-1)
    out = np.empty_like(flat)
    for i, pi in enumerate(flat):
        if pi == 0.0:
            out[i] = 0.0
        elif pi == 1.0:
            out[i] = 1.0
        else:
            terms = log_c + e * math.log(pi) + (n - e) * math.log1p(-pi)
            top = terms.max()
            out[i] = min(1.0, math.exp(top) * float(np.exp(terms - top).sum()))
    return out.reshape(p.shape)


def codeword_error_rate_binomial(symbol_error_prob, n: int, t: int):
    """P(more than t of n symbols in error) for independent symbol errors of probability ``symbol_error_prob``.

    The exact binomial tail, summed in log space: relative accuracy about 1e-12 for results down to
    1e-300 (e.g. KP4: n = 544, t = 15). ``symbol_error_prob``: float or array in [0, 1].
    """
    p = _prob("symbol_error_prob", symbol_error_prob)
    n = _int("n", n, 1)
    t = _int("t", t, 0)
    return _out(_binom_tail(p, n, t))


def post_fec_ber_binomial(ber, m: int, n: int, t: int):
    """Post-FEC BER for independent bit errors of probability ``ber`` (module docstring: failed words
    delivered unchanged, miscorrection neglected): ``ber * P(Binomial(n - 1, p_s) >= t)``."""
    pb = _prob("ber", ber)
    m, n, t = _int("m", m, 1), _int("n", n, 1), _int("t", t, 0)
    ps = np.asarray(symbol_error_prob_from_ber(pb, m), dtype=np.float64)
    return _out(pb * _binom_tail(ps, n - 1, t - 1))


@dataclass(frozen=True)
class PostFecEstimate:
    """Post-FEC estimate from a histogram of symbol errors per codeword.

    Attributes
    ----------
    codewords : int
        Codewords counted.
    uncorrectable : int
        Codewords with more than t symbol errors.
    codeword_error_rate : float
        uncorrectable / codewords.
    ber : float
        Post-FEC BER (module model): sum_{e>t} hist[e] e beta / (codewords n m).
    """

    codewords: int
    uncorrectable: int
    codeword_error_rate: float
    ber: float

    def cer_interval(self, confidence: float = 0.95):
        """Clopper-Pearson interval for the codeword error rate."""
        from dsp.metrics import ber_interval

        return ber_interval(self.uncorrectable, self.codewords, confidence)


def post_fec_from_histogram(hist, t: int, m: int, *, bit_errors_per_symbol_error: float = 1.0) -> PostFecEstimate:
    """Post-FEC codeword error rate and BER from a measured histogram of symbol errors per codeword.

    Parameters
    ----------
    hist : integer array ``(n + 1,)``
        ``hist[e]`` = codewords with e erroneous symbols (:func:`dsp.fec.error_histogram`).
    t : int
        Symbol errors the code corrects (KP4: 15).
    m : int
        Bits per symbol.
    bit_errors_per_symbol_error : float
        Mean bit errors carried by an erroneous symbol (beta in the module docstring; measure it as
        pre-FEC bit errors / symbol errors, or use m p_b / p_s for independent bit errors; about 1
        at low BER, larger for bursts).
    """
    h = np.asarray(hist)
    if h.ndim != 1 or h.size < 2 or h.dtype.kind not in "ui" or (h.size and h.min() < 0):
        raise ValueError(f"hist must be a 1-D array of n + 1 >= 2 non-negative integer counts (got {hist!r})")
    n = h.size - 1
    t = _int("t", t, 0)
    if t >= n:
        raise ValueError(f"t must be < n = len(hist) - 1 = {n} (got {t})")
    m = _int("m", m, 1)
    beta = float(bit_errors_per_symbol_error)
    if not (math.isfinite(beta) and 0.0 < beta <= m):
        raise ValueError(f"bit_errors_per_symbol_error must be in (0, m={m}] (got {bit_errors_per_symbol_error!r})")
    h = h.astype(np.int64)
    total = int(h.sum())
    if total == 0:
        raise ValueError("hist must count at least one codeword")
    e = np.arange(n + 1, dtype=np.float64)
    bad = int(h[t + 1:].sum())
    sym = float((h[t + 1:] * e[t + 1:]).sum())
    return PostFecEstimate(total, bad, bad / total, sym * beta / (total * n * m))


# ------------------------------------------------------------------ bursts: compound Poisson

@dataclass(frozen=True)
class CompoundPoissonFit:
    """Error events per codeword ~ Poisson(``rate``); each event brings ``size_pmf[k]`` (k >= 1)
    erroneous symbols to the codeword (``size_pmf[0] = 0``). Fitted by :func:`fit_compound_poisson`."""

    rate: float
    size_pmf: np.ndarray

    def pmf(self, n: int) -> np.ndarray:
        """P(e erroneous symbols in a codeword), e = 0..n (float64), by Panjer's recursion.

        Computed in a scaled form (p_e / p_0) so that a tiny p_0 does not underflow.
        """
        lam, q = self.rate, self.size_pmf
        r = np.zeros(n + 1)
        r[0] = 1.0
        j = np.arange(1, q.size)
        for k in range(1, n + 1):
            jj = j[j <= k]
            r[k] = lam / k * float(np.sum(jj * q[jj] * r[k - jj]))
        return r * math.exp(-lam)


def fit_compound_poisson(hist, max_size: int | None = None) -> CompoundPoissonFit:
    """Compound-Poisson model of bursty symbol errors fitted to a histogram of errors per codeword.

    The number of error events (independent bursts, each possibly spanning several symbols of one
    codeword) per codeword is Poisson with rate ``lambda = -ln(h[0] / N)``; the event-size
    distribution q is recovered from the measured pmf p by inverting Panjer's recursion
    ``k p_k = lambda sum_{j=1..k} j q_j p_{k-j}`` term by term, for sizes up to ``max_size`` (default:
    the largest k with at least 10 codewords); a size whose estimate does not stand 3 sigma above
    the counting noise of ``hist[k]`` gets 0, and q is renormalised.
    For independent symbol errors the fit is (nearly) q = [0, 1] and the model tends to the
    binomial one.

    Parameters
    ----------
    hist : integer array (n + 1,), ``hist[e]`` codewords with e erroneous symbols; needs codewords
        with and without errors.
    """
    h = np.asarray(hist)
    if h.ndim != 1 or h.size < 2 or h.dtype.kind not in "ui" or h.min() < 0:
        raise ValueError(f"hist must be a 1-D array of n + 1 >= 2 non-negative integer counts (got {hist!r})")
    total = int(h.sum())
    if total == 0 or h[0] == 0 or h[0] == total:
        raise ValueError("hist must count codewords both with and without errors to fit a burst model "
                         f"(got {total} codewords, {int(h[0]) if total else 0} error-free)")
    p = h.astype(np.float64) / total
    lam = -math.log(p[0])
    if max_size is None:
        big = np.nonzero(h >= 10)[0]
        max_size = int(max(1, big.max())) if big.size else 1
    max_size = _int("max_size", max_size, 1)
    K = min(max_size, h.size - 1)
    q = np.zeros(K + 1)
    for k in range(1, K + 1):
        acc = sum(j * q[j] * p[k - j] for j in range(1, k))
        num = k * p[k] / lam - acc
        # Keep a size only where it stands out of the counting noise of h[k] (3 sigma): spurious
        # small masses at large sizes would inflate the far tail that the estimate is for.
        if num > 3.0 * k * math.sqrt(max(h[k], 1)) / (total * lam):
            q[k] = num / (k * p[0])
    if q.sum() <= 0:
        q[1] = 1.0
    return CompoundPoissonFit(lam, q / q.sum())


def post_fec_from_bursts(hist, t: int, m: int, *, bit_errors_per_symbol_error: float = 1.0,
                         max_size: int | None = None) -> tuple[float, float, CompoundPoissonFit]:
    """(codeword error rate, post-FEC BER, fit) of a bounded-distance code under the compound-Poisson
    burst model (:func:`fit_compound_poisson`) fitted to ``hist``; usable far below the Monte-Carlo
    floor, as it needs failures of no codeword. BER model as in the module docstring."""
    h = np.asarray(hist)
    n = h.size - 1
    t = _int("t", t, 0)
    if t >= n:
        raise ValueError(f"t must be < n = len(hist) - 1 = {n} (got {t})")
    m = _int("m", m, 1)
    fit = fit_compound_poisson(h, max_size)
    pe = fit.pmf(n)
    e = np.arange(n + 1, dtype=np.float64)
    cer = float(pe[t + 1:].sum())
    ber = float((pe[t + 1:] * e[t + 1:]).sum() * bit_errors_per_symbol_error / (n * m))
    return cer, ber, fit

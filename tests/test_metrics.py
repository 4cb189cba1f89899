"""dsp.metrics: confidence intervals, closed-form BER, and count_errors, against independent references."""
import math
import os
import sys

import numpy as np
import pytest
from scipy import stats
from scipy.special import erfc

sys.path.insert(0, os.path.dirname(__file__))
import reference as ref  # noqa: E402

from dsp.metrics import ber_awgn_pam, ber_awgn_qam, ber_gray_pam, ber_interval, count_errors  # noqa: E402
from dsp.modulation import Constellation, pam, qam  # noqa: E402


def Q(x):
    """Gaussian tail, written independently of dsp.metrics (which uses scipy.special.ndtr)."""
    return 0.5 * erfc(np.asarray(x, dtype=float) / math.sqrt(2.0))


# ---------------------------------------------------------------------------------- ber_interval

CASES = [(0, 1), (1, 1), (0, 10), (1, 10), (5, 10), (9, 10), (10, 10), (3, 1000), (200, 10_000),
         (0, 10**7), (1000, 10**8), (17, 123_457), (123_456, 123_457), (5000, 10**9), (200, 10**9)]

# scipy.special.betaincinv(a, b, q) is wrong for a == 1000 and b ~ 1e9 (it returns a point where
# betainc(a, b, x) = 1); ber_interval must not inherit that (regression cases).
CP_CASES = CASES + [(1000, 10**9), (999, 10**9)]


@pytest.mark.parametrize("confidence", [0.68, 0.95, 0.999])
@pytest.mark.parametrize("k,n", CP_CASES)
def test_clopper_pearson_matches_scipy(k, n, confidence):
    low, high = ber_interval(k, n, confidence, "clopper-pearson")
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="exact")
    # scipy's own exact interval (a root search) is only good to ~1e-7 relative for tiny p: e.g. for k = 0,
    # n = 1e7 it is 8e-8 off the closed form 1 - (alpha/2)^(1/n), which ber_interval matches to 1e-10
    assert low == pytest.approx(ci.low, rel=1e-6, abs=1e-300)
    assert high == pytest.approx(ci.high, rel=1e-6, abs=1e-300)
    assert 0.0 <= low <= k / n <= high <= 1.0
    assert isinstance(low, float) and isinstance(high, float)


@pytest.mark.parametrize("confidence", [0.68, 0.95, 0.999])
@pytest.mark.parametrize("k,n", CP_CASES)
def test_clopper_pearson_defining_equations(k, n, confidence):
    # low: P(X >= k | n, low) = alpha / 2; high: P(X <= k | n, high) = alpha / 2 (forward binomial tails)
    low, high = ber_interval(k, n, confidence, "clopper-pearson")
    half = (1 - confidence) / 2
    if k > 0:
        assert stats.binom.sf(k - 1, n, low) == pytest.approx(half, rel=1e-6)
    else:
        assert low == 0.0
    if k < n:
        assert stats.binom.cdf(k, n, high) == pytest.approx(half, rel=1e-6)
    else:
        assert high == 1.0


@pytest.mark.parametrize("confidence", [0.68, 0.9, 0.95, 0.99, 0.999])
@pytest.mark.parametrize("k,n", CASES + [(1000, 10**9), (999, 10**9)])
def test_wilson_matches_scipy(k, n, confidence):
    low, high = ber_interval(k, n, confidence, "wilson")
    ci = stats.binomtest(k, n).proportion_ci(confidence_level=confidence, method="wilson")
    assert low == pytest.approx(ci.low, rel=1e-9, abs=1e-15)
    assert high == pytest.approx(ci.high, rel=1e-9, abs=1e-15)
    assert 0.0 <= low <= high <= 1.0
    if 0 < k < n:
        assert low < k / n < high


def test_wilson_edges_exact():
    for n in (1, 3, 10, 10**7):
        assert ber_interval(0, n, 0.68, "wilson")[0] == 0.0
        assert ber_interval(n, n, 0.9, "wilson")[1] == 1.0


def test_interval_default_and_edges():
    assert ber_interval(3, 100) == ber_interval(3, 100, 0.95, "clopper-pearson")
    for n in (1, 7, 1000, 10**8):
        low, high = ber_interval(0, n, 0.95, "clopper-pearson")
        assert low == 0.0
        # k = 0: the upper bound solves (1 - p)^n = alpha / 2
        assert high == pytest.approx(1 - 0.025 ** (1 / n), rel=1e-9)
        low, high = ber_interval(n, n, 0.95, "clopper-pearson")
        assert high == 1.0
        assert low == pytest.approx(0.025 ** (1 / n), rel=1e-9)
        wl, wh = ber_interval(0, n, 0.95, "wilson")
        assert wl == pytest.approx(0.0, abs=1e-15) and 0 < wh < 1
        wl, wh = ber_interval(n, n, 0.95, "wilson")
        assert wh == pytest.approx(1.0, abs=1e-15) and 0 < wl < 1
    # wider with more confidence, narrower with more trials
    a = ber_interval(50, 1000, 0.9)
    b = ber_interval(50, 1000, 0.99)
    c = ber_interval(500, 10_000, 0.99)
    assert b[0] < a[0] < a[1] < b[1]
    assert c[1] - c[0] < b[1] - b[0]


def test_clopper_pearson_coverage_is_conservative():
    # the exact interval covers p with probability >= confidence for every p (checked by summing the pmf)
    n, conf = 40, 0.9
    bounds = [ber_interval(k, n, conf) for k in range(n + 1)]
    for p in np.linspace(0.01, 0.99, 37):
        cover = sum(stats.binom.pmf(k, n, p) for k, (lo, hi) in enumerate(bounds) if lo <= p <= hi)
        assert cover >= conf - 1e-12, (p, cover)


@pytest.mark.parametrize("args,word", [
    ((1, 0), "trials"), ((0, 0), "trials"), ((1, -5), "trials"),
    ((11, 10), "errors"), ((-1, 10), "errors"),
    ((1, 10, 1.5), "confidence"), ((1, 10, 1.0), "confidence"), ((1, 10, 0.0), "confidence"),
    ((1, 10, -0.5), "confidence"), ((1, 10, float("nan")), "confidence"),
    ((1, 10, 0.95, "jeffreys"), "method"), ((1, 10, 0.95, "Wilson"), "method"),
])
def test_interval_bad_arguments(args, word):
    with pytest.raises(ValueError, match=word):
        ber_interval(*args)


# ------------------------------------------------------------------------------- closed-form BER

@pytest.mark.parametrize("levels", [2, 4, 8, 16])
def test_ber_gray_pam_matches_numerical_integration(levels):
    r = np.geomspace(0.1, 8.0, 15)
    got = ber_gray_pam(levels, r)
    assert isinstance(got, np.ndarray) and got.shape == r.shape
    expected = np.array([ref.ber_gray_pam_numeric(levels, v) for v in r])
    np.testing.assert_allclose(got, expected, rtol=1e-9, atol=0)
    # scalar in, float out
    assert isinstance(ber_gray_pam(levels, 1.5), float)
    assert ber_gray_pam(levels, 1.5) == pytest.approx(ref.ber_gray_pam_numeric(levels, 1.5), rel=1e-9)
    assert np.all(np.diff(got) < 0)  # decreasing in d / sigma


def test_ber_gray_pam_limits_and_bad_levels():
    assert ber_gray_pam(2, 0.0) == pytest.approx(0.5)
    # no signal: only the two outer regions are ever chosen, each with probability 1/2; for Gray PAM4
    # that averages to 4 bit errors over 4 levels x 2 bits
    assert ber_gray_pam(4, 1e-9) == pytest.approx(0.5, abs=1e-6)
    for bad in (1, 3, 6, 0, -4):
        with pytest.raises(ValueError, match="levels"):
            ber_gray_pam(bad, 1.0)


@pytest.mark.parametrize("snr_db", [-5.0, 0.0, 3.0, 7.5, 10.0, 13.0])
def test_qpsk_and_bpsk_closed_forms(snr_db):
    snr = 10 ** (snr_db / 10)
    assert ber_awgn_qam(4, snr_db) == pytest.approx(float(Q(math.sqrt(snr))), rel=1e-12)
    assert ber_awgn_pam(2, snr_db) == pytest.approx(float(Q(math.sqrt(snr))), rel=1e-12)


def test_ber_awgn_vectorized():
    s = np.array([0.0, 5.0, 10.0])
    np.testing.assert_allclose(ber_awgn_qam(4, s), Q(np.sqrt(10 ** (s / 10))), rtol=1e-12)
    np.testing.assert_allclose(ber_awgn_pam(2, s), Q(np.sqrt(10 ** (s / 10))), rtol=1e-12)


def test_16qam_high_snr_approximation():
    es_n0 = 10 ** (20 / 10)
    approx = 0.75 * float(Q(math.sqrt(es_n0 / 5)))
    assert ber_awgn_qam(16, 20.0) == pytest.approx(approx, rel=0.01)
    # PAM4 at the same per-axis d / sigma is the same BER (QAM = PAM on each axis)
    assert ber_awgn_qam(16, 20.0) == pytest.approx(ber_gray_pam(4, math.sqrt(es_n0 / 5)), rel=1e-12)


@pytest.mark.parametrize("m", [4, 16, 64, 256])
@pytest.mark.parametrize("snr_db", [0.0, 10.0, 20.0])
def test_ber_awgn_qam_from_first_principles(m, snr_db):
    # complex noise of total variance 1/snr: sigma^2 = 1 / (2 snr) per axis; d from the constellation itself
    d = qam(m).d
    sigma = math.sqrt(1 / (2 * 10 ** (snr_db / 10)))
    L = int(math.isqrt(m))
    assert ber_awgn_qam(m, snr_db) == pytest.approx(ref.ber_gray_pam_numeric(L, d / sigma), rel=1e-9)


@pytest.mark.parametrize("m", [2, 4, 8, 16])
@pytest.mark.parametrize("snr_db", [0.0, 10.0, 20.0])
def test_ber_awgn_pam_from_first_principles(m, snr_db):
    # real noise: snr = E[x^2] / sigma^2 with E[x^2] = 1
    d = pam(m).d
    sigma = math.sqrt(1 / 10 ** (snr_db / 10))
    assert ber_awgn_pam(m, snr_db) == pytest.approx(ref.ber_gray_pam_numeric(m, d / sigma), rel=1e-9)


def test_ber_awgn_qam_rejects_non_square():
    for m in (8, 32, 2):
        with pytest.raises(ValueError, match="m"):
            ber_awgn_qam(m, 10.0)


# ---------------------------------------------------------------------------------- count_errors

ALL = [("pam", 2), ("pam", 4), ("pam", 8), ("pam", 16), ("qam", 4), ("qam", 16), ("qam", 64), ("qam", 256)]


def noisy(kind, m, n, dtype, seed):
    c = Constellation(kind, m)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, m, size=n)
    nz = rng.standard_normal((2, n)) * 0.7 * c.d
    y = c.points[labels] + (nz[0] + 1j * nz[1] if c.axes == 2 else nz[0])
    far = rng.random(n) < 0.05
    y[far] = y[far] * 30
    y = y.astype(dtype)
    parts = [y.real, y.imag] if c.axes == 2 else [y]
    t = [p.astype(np.float64) / (2 * c.d) + c.levels / 2 for p in parts]
    keep = np.all([np.abs(v - np.round(v)) > 1e-3 for v in t], axis=0)  # no (near) ties for the oracle
    return c, y[keep], labels[keep]


@pytest.mark.parametrize("precision", ["single", "double"])
@pytest.mark.parametrize("kind,m", ALL, ids=[f"{k}{m}" for k, m in ALL])
def test_count_errors_matches_oracle(kind, m, precision):
    dtype = {("qam", "single"): np.complex64, ("qam", "double"): np.complex128,
             ("pam", "single"): np.float32, ("pam", "double"): np.float64}[kind, precision]
    c, y, labels = noisy(kind, m, 40_000, dtype, seed=m * 3 + len(precision))
    expected = ref.count_errors(y, labels, kind, m)
    assert expected[0] > 1000 and expected[1] < y.size
    assert count_errors(y, labels, c) == expected
    assert count_errors(y, labels.astype(np.uint8), c, backend="cpu", threads=1) == expected
    assert count_errors(y, labels.astype(np.int64), c, threads=2) == expected
    # any shape, and non-contiguous views, count the same symbols
    n = (y.size // 40) * 40
    y2, l2 = y[:n].reshape(40, -1), labels[:n].reshape(40, -1)
    sub = ref.count_errors(y2, l2, kind, m)
    assert count_errors(y2, l2, c) == sub
    assert count_errors(y2.T, l2.T, c) == sub
    assert count_errors(np.asfortranarray(y2), l2, c) == sub
    assert count_errors(y2[:, ::3], l2[:, ::3], c) == ref.count_errors(y2[:, ::3], l2[:, ::3], kind, m)
    assert count_errors(y[:0], labels[:0], c) == (0, 0)


def test_count_errors_counts_bits_not_symbols():
    c = pam(4)  # Gray labels by level: 0, 1, 3, 2
    y = c.points[[0, 1, 3, 2]]  # exactly on the levels (far from thresholds)
    sent = np.array([3, 2, 1, 0])
    hat = np.array([0, 1, 3, 2])
    # label XOR 3, 3, 2, 2: 2 + 2 + 1 + 1 bit errors in 4 symbols
    assert count_errors(y, sent, c) == (6, 4)
    assert count_errors(y, hat, c) == (0, 0)
    # integer and float16 inputs for PAM are accepted (converted to float64)
    p2 = pam(2)
    yi = np.array([-5, -1, 1, 2, 7])
    assert count_errors(yi, np.array([0, 1, 1, 1, 0]), p2) == (2, 2)
    assert count_errors(yi.astype(np.float16), np.array([0, 0, 1, 1, 1]), p2) == (0, 0)


def test_count_errors_bad_inputs():
    c = qam(16)
    y = c.points[np.arange(16)].astype(np.complex64)
    lab = np.arange(16)
    with pytest.raises(ValueError, match="shape"):
        count_errors(y, lab[:-1], c)
    with pytest.raises(ValueError, match="shape"):
        count_errors(y.reshape(4, 4), lab, c)
    with pytest.raises(ValueError, match="complex"):
        count_errors(y.real.copy(), lab, c)
    with pytest.raises(ValueError, match="labels"):
        count_errors(y, np.where(lab == 5, 16, lab), c)
    with pytest.raises(ValueError, match="labels"):
        count_errors(y, np.where(lab == 5, -1, lab), c)
    with pytest.raises(ValueError, match="labels"):
        count_errors(y, lab.astype(np.float64), c)
    p = pam(4)
    with pytest.raises(ValueError, match="real"):
        count_errors(p.points.astype(np.complex128), np.arange(4), p)
    with pytest.raises(ValueError, match="labels"):
        count_errors(p.points, np.array([0, 1, 2, 4]), p)
    with pytest.raises(ValueError, match="backend"):
        count_errors(p.points, np.arange(4), p, backend="tpu")

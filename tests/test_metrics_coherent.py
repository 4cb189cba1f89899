"""dsp.metrics for coherent links: EVM, data-aided SNR, Q-factor, GMI / NGMI, MI, and the
Gauss-Hermite AWGN references, against independent references.

- The quadrature references (gmi_awgn_qam, mi_awgn_qam, ..._pam) are checked against
  scipy.integrate.quad of the defining integrals written here from scratch, and against a published
  value: the capacity of binary-input AWGN is 1/2 bit at Eb/N0 = 0.187 dB (the Shannon limit of
  rate-1/2 binary codes; e.g. T. Richardson, R. Urbanke, Modern Coding Theory, 2008), i.e. QPSK
  (two BPSK axes) has GMI = MI = 1 bit/symbol at Es/N0 = 0.187 dB and PAM2 MI = 1/2 at electrical
  SNR 0.187 dB.
- Monte-Carlo GMI / NGMI / MI from demap_llr on AWGN agree with the quadrature within 5 standard
  errors (the standard error estimated from the per-symbol terms).
"""
import math

import numpy as np
import pytest
from scipy import integrate
from scipy.special import erfc, logsumexp

from dsp.metrics import (evm_rms, gmi, gmi_awgn_pam, gmi_awgn_qam, gmi_from_sum, gmi_sum, mi_awgn_pam, mi_awgn_qam,
                         mi_gaussian, ngmi, q_factor_db, snr_db_data_aided)
from dsp.modulation import bits_to_labels, demap_llr, labels_to_bits, map_labels, pam, qam


def awgn_qam(m, snr_db, n, seed, dtype=np.complex64):
    """(bits, labels, x, y, N0) of random Gray QAM symbols over complex AWGN at Es/N0 = snr_db."""
    rng = np.random.default_rng(seed)
    c = qam(m)
    bits = rng.integers(0, 2, n * c.bits_per_symbol, dtype=np.uint8)
    lab = bits_to_labels(bits, c.bits_per_symbol)
    x = map_labels(lab, c, dtype=np.complex128)
    n0 = 10 ** (-snr_db / 10)
    y = x + math.sqrt(n0 / 2) * (rng.standard_normal(n) + 1j * rng.standard_normal(n))
    return bits, lab, x, y.astype(dtype), n0


# ------------------------------------------------------------------------ EVM, SNR, Q

def test_evm_snr_small_example_by_hand():
    x = np.array([1 + 1j, -1 - 1j])
    y = x + np.array([0.2, -0.2j])
    # |e|^2 = 0.04 each, |x|^2 = 2 each: EVM = sqrt(0.04 / 2) = 14.142 %, SNR = 10 log10(50)
    assert evm_rms(y, x) == pytest.approx(100 * math.sqrt(0.02), rel=1e-12)
    assert snr_db_data_aided(y, x) == pytest.approx(10 * math.log10(50), rel=1e-12)
    assert isinstance(evm_rms(y, x), float) and isinstance(snr_db_data_aided(y, x), float)
    # real PAM: electrical SNR E[x^2] / E[(y - x)^2]
    assert snr_db_data_aided(np.array([1.1, -2.9]), np.array([1.0, -3.0])) == pytest.approx(10 * math.log10(500))


@pytest.mark.parametrize("fit_gain", [False, True])
def test_evm_snr_consistent_and_match_noise(fit_gain):
    _, _, x, y, n0 = awgn_qam(16, 17.0, 200_000, 1, np.complex128)
    evm = evm_rms(y, x, fit_gain=fit_gain)
    snr = snr_db_data_aided(y, x, fit_gain=fit_gain)
    assert snr == pytest.approx(-20 * math.log10(evm / 100), abs=1e-9)
    # E|n|^2 = N0 estimated from 2e5 symbols: relative standard error 1/sqrt(2e5) ~ 0.0022 (0.01 dB)
    assert snr == pytest.approx(17.0, abs=0.05)


def test_fit_gain_removes_a_complex_gain():
    _, _, x, y, _ = awgn_qam(64, 25.0, 100_000, 2, np.complex128)
    g = 0.7 * np.exp(0.3j)
    plain = snr_db_data_aided(y, x)
    assert snr_db_data_aided(g * y, x, fit_gain=True) == pytest.approx(plain, abs=0.02)
    assert snr_db_data_aided(g * y, x) < 10.0                      # without the fit the gain is "noise"
    assert evm_rms(g * y, x, fit_gain=True) == pytest.approx(evm_rms(y, x), rel=0.005)


def test_evm_snr_per_axis():
    rng = np.random.default_rng(3)
    x = map_labels(rng.integers(0, 16, (2, 50_000)), qam(16), dtype=np.complex128)
    noise = rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape)
    y = x + noise * np.sqrt(np.array([[0.01], [0.1]]) / 2)          # pol X at 20 dB, pol Y at 10 dB
    snr = snr_db_data_aided(y, x, axis=-1)
    assert snr.shape == (2,) and snr.dtype == np.float64
    np.testing.assert_allclose(snr, [20.0, 10.0], atol=0.05)
    np.testing.assert_allclose(evm_rms(y, x, axis=-1), 100 * 10 ** (-snr / 20), rtol=1e-12)
    assert snr_db_data_aided(y[:1], x[:1]) == pytest.approx(snr[0], abs=1e-9)


def test_evm_snr_bad_input():
    x = np.ones(4, complex)
    with pytest.raises(ValueError, match="same shape"):
        evm_rms(x[:3], x)
    with pytest.raises(ValueError, match="must not be empty"):
        snr_db_data_aided(x[:0], x[:0])
    with pytest.raises(ValueError, match="x_ref must not be all zero"):
        evm_rms(x, 0 * x)
    with pytest.raises(ValueError, match="float or complex"):
        evm_rms(np.ones(4, int), np.ones(4, int))
    with pytest.raises(ValueError, match="gain of y on x_ref is zero"):
        evm_rms(np.array([1.0, -1.0]), np.array([1.0, 1.0]), fit_gain=True)


def test_q_factor():
    assert q_factor_db(1e-3) == pytest.approx(9.80, abs=0.005)
    # independent: BER = Q(q) = erfc(q / sqrt 2) / 2 at q = 10^(Q_dB / 20)
    for ber in (0.2, 1.2e-2, 2.4e-4, 1e-9, 1e-15):
        q = 10 ** (q_factor_db(ber) / 20)
        assert 0.5 * erfc(q / math.sqrt(2)) == pytest.approx(ber, rel=1e-9)
    arr = q_factor_db(np.array([1e-3, 1e-9]))
    assert arr.shape == (2,) and arr[1] == pytest.approx(15.56, abs=0.005)
    for bad in (0.0, 0.5, -1e-3, float("nan"), [1e-3, 0.7]):
        with pytest.raises(ValueError, match="ber must be in"):
            q_factor_db(bad)


# ------------------------------------------------------------------------ quadrature references

def quad_axis_info(levels, d, s2):
    """(MI, GMI) of Gray PAM on real AWGN, bits per axis, by adaptive quadrature of the definitions."""
    k = np.arange(levels)
    a = (2 * k - levels + 1) * d
    g = k ^ (k >> 1)
    b = levels.bit_length() - 1
    sd = math.sqrt(s2)

    def pdf(n):
        return math.exp(-n * n / (2 * s2)) / math.sqrt(2 * math.pi * s2)

    mi = gm = 0.0
    for ks in range(levels):
        def loglik(v):
            return -(v - a) ** 2 / (2 * s2)

        def mi_term(n):
            ll = loglik(a[ks] + n)
            return pdf(n) * (logsumexp(ll) - ll[ks]) / math.log(2)

        mi += integrate.quad(mi_term, -12 * sd, 12 * sd, epsabs=1e-13, epsrel=1e-11, limit=400)[0] / levels
        for j in range(b):
            bit = (g >> (b - 1 - j)) & 1

            def gmi_term(n):
                ll = loglik(a[ks] + n)
                llr = logsumexp(ll[bit == 0]) - logsumexp(ll[bit == 1])
                s = 1 - 2 * bit[ks]
                return pdf(n) * np.logaddexp(0, -s * llr) / math.log(2)

            gm += integrate.quad(gmi_term, -12 * sd, 12 * sd, epsabs=1e-13, epsrel=1e-11, limit=400)[0] / levels
    return b - mi, b - gm


@pytest.mark.parametrize("m,snr_db", [(16, 3.0), (16, 10.0), (16, 18.0), (64, 12.0), (64, 22.0), (4, -3.0)])
def test_qam_quadrature_matches_adaptive_quad(m, snr_db):
    c = qam(m)
    mi_q, gmi_q = quad_axis_info(c.levels, c.d, 0.5 * 10 ** (-snr_db / 10))
    assert gmi_awgn_qam(m, snr_db) == pytest.approx(2 * gmi_q, abs=2e-7)
    assert mi_awgn_qam(m, snr_db) == pytest.approx(2 * mi_q, abs=2e-7)


@pytest.mark.parametrize("m,snr_db", [(4, 8.0), (8, 20.0)])
def test_pam_quadrature_matches_adaptive_quad(m, snr_db):
    c = pam(m)
    mi_q, gmi_q = quad_axis_info(c.levels, c.d, 10 ** (-snr_db / 10))
    assert gmi_awgn_pam(m, snr_db) == pytest.approx(gmi_q, abs=2e-7)
    assert mi_awgn_pam(m, snr_db) == pytest.approx(mi_q, abs=2e-7)


def test_binary_awgn_shannon_limit():
    # BI-AWGN capacity 1/2 at Eb/N0 = 0.187 dB (rate 1/2): Es/N0 = -2.823 dB per BPSK axis
    assert gmi_awgn_qam(4, 0.187) == pytest.approx(1.0, abs=2e-4)
    assert mi_awgn_qam(4, 0.187) == pytest.approx(1.0, abs=2e-4)
    assert mi_awgn_pam(2, 0.187) == pytest.approx(0.5, abs=1e-4)   # electrical SNR = 2 Es/N0
    assert gmi_awgn_qam(4, 0.10) < 1.0 < gmi_awgn_qam(4, 0.30)


def test_reference_curves_shape_and_limits():
    s = np.array([-20.0, 0.0, 10.0, 20.0, 35.0])
    for m in (16, 64):
        g = gmi_awgn_qam(m, s)
        mi = mi_awgn_qam(m, s)
        assert g.shape == s.shape
        assert np.all(np.diff(g) > 0)                             # increasing in SNR
        assert np.all(mi >= g - 1e-12)                            # MI >= GMI (BICM loses a little)
        assert mi[1] - g[1] > 0.05                                # ... and does lose at 0 dB
        assert g[0] < 0.05 and g[-1] == pytest.approx(math.log2(m), abs=1e-6)
    assert gmi_awgn_qam(4, 5.0) == pytest.approx(mi_awgn_qam(4, 5.0), abs=1e-12)   # QPSK: GMI = MI
    with pytest.raises(ValueError, match="m must be one of"):
        gmi_awgn_qam(32, 10.0)
    with pytest.raises(ValueError, match="snr_db must be finite"):
        gmi_awgn_qam(16, float("nan"))
    with pytest.raises(ValueError, match="nodes must be"):
        gmi_awgn_qam(16, 10.0, nodes=4)


# ------------------------------------------------------------------------ Monte-Carlo GMI / MI

def per_symbol_terms(llr, bits, m):
    x = np.where(bits == 1, llr.astype(np.float64), -llr.astype(np.float64))
    return (np.logaddexp(0, x) / math.log(2)).reshape(-1, m).sum(axis=1)


@pytest.mark.parametrize("snr_db", [6.0, 11.0, 16.0])
def test_gmi_16qam_monte_carlo_matches_quadrature(snr_db):
    n = 100_000
    bits, lab, x, y, n0 = awgn_qam(16, snr_db, n, int(snr_db * 10))
    llr = demap_llr(y, qam(16), n0, method="exact")
    g = gmi(llr, bits, 4)
    terms = per_symbol_terms(llr, bits, 4)
    se = terms.std() / math.sqrt(n)
    ref = gmi_awgn_qam(16, snr_db)
    assert abs(g - ref) < 5 * se + 1e-5, (g, ref, se)
    assert ngmi(llr, bits) == pytest.approx(g / 4, rel=1e-12)
    assert 0.0 <= ngmi(llr, bits) <= 1.0
    # max-log LLRs are mismatched: less GMI on the same samples (clearly so at 6 dB)
    llr_ml = demap_llr(y, qam(16), n0, method="maxlog")
    g_ml = gmi(llr_ml, bits, 4)
    diff = per_symbol_terms(llr_ml, bits, 4) - terms                  # paired: same noise samples
    se_diff = diff.std() / math.sqrt(n)
    assert g_ml <= g + 3 * se_diff                                     # in expectation g_ml <= g
    if snr_db == 6.0:
        assert g - g_ml > 5 * se_diff and g - g_ml > 1e-3


def test_gmi_limits():
    bits, _, _, y, n0 = awgn_qam(16, 35.0, 20_000, 7)
    assert gmi(demap_llr(y, qam(16), n0, method="exact"), bits, 4) == pytest.approx(4.0, abs=1e-6)
    bits, _, _, y, n0 = awgn_qam(64, -25.0, 20_000, 8)
    g = gmi(demap_llr(y, qam(64), n0, method="exact"), bits, 6)
    assert abs(g) < 0.02
    # PAM4 with exact LLRs on real AWGN at electrical SNR 14 dB
    rng = np.random.default_rng(9)
    b = rng.integers(0, 2, 2 * 50_000, dtype=np.uint8)
    xp = map_labels(bits_to_labels(b, 2), pam(4), dtype=np.float64)
    s2 = 10 ** (-14 / 10)
    yp = xp + rng.normal(0, math.sqrt(s2), xp.shape)
    llr = demap_llr(yp, pam(4), s2, method="exact")
    se = per_symbol_terms(llr, b, 2).std() / math.sqrt(50_000)
    assert gmi(llr, b, 2) == pytest.approx(gmi_awgn_pam(4, 14.0), abs=5 * se + 1e-5)


def test_gmi_sum_merges_batches_exactly():
    bits, _, _, y, n0 = awgn_qam(64, 12.0, 30_000, 10)
    llr = demap_llr(y, qam(64), n0, method="exact")
    whole = gmi_sum(llr, bits)
    parts = [gmi_sum(llr[i:i + 6 * 7001], bits[i:i + 6 * 7001]) for i in range(0, llr.size, 6 * 7001)]
    total = sum(p[0] for p in parts)
    count = sum(p[1] for p in parts)
    assert count == whole[1] == llr.size
    assert total == pytest.approx(whole[0], rel=1e-12)
    assert gmi_from_sum(total, count, 6) == pytest.approx(gmi(llr, bits, 6), rel=1e-12)
    # the sum by its definition, term by term in float64
    want = np.sum(np.log2(1 + np.exp(-(1 - 2.0 * bits) * llr.astype(np.float64))))
    assert whole[0] == pytest.approx(want, rel=1e-6)
    assert isinstance(whole[0], float) and isinstance(whole[1], int)


def test_gmi_sign_convention_and_extremes():
    bits = np.array([0, 1, 0, 1], np.uint8)
    good = np.array([50.0, -50.0, 1e30, -1e30])                 # confident and right: GMI = m
    assert gmi(good, bits, 2) == pytest.approx(2.0, abs=1e-12)
    assert ngmi(-good, bits) < -1e28                             # confident and wrong: hugely negative
    assert ngmi(np.zeros(4), bits) == pytest.approx(0.0, abs=1e-15)   # no information
    assert gmi_sum(np.zeros(0), np.zeros(0, np.uint8)) == (0.0, 0)
    assert ngmi(good.astype(np.float32), bits.astype(bool)) == pytest.approx(1.0, abs=1e-12)


def test_gmi_bad_input():
    llr = np.zeros(8)
    bits = np.zeros(8, np.uint8)
    with pytest.raises(ValueError, match="same shape|shape of llr"):
        gmi_sum(llr, bits[:4])
    with pytest.raises(ValueError, match="only 0 and 1"):
        gmi_sum(llr, bits + 2)
    with pytest.raises(ValueError, match="float32 or float64"):
        gmi_sum(llr.astype(int), bits)
    with pytest.raises(ValueError, match="integer or bool"):
        gmi_sum(llr, bits.astype(float))
    with pytest.raises(ValueError, match="NaN"):
        gmi_sum(np.full(8, np.nan), bits)
    with pytest.raises(ValueError, match="multiple of bits_per_symbol"):
        gmi(llr, bits, 3)
    with pytest.raises(ValueError, match="bits_per_symbol must be"):
        gmi(llr, bits, 0)
    with pytest.raises(ValueError, match="must not be empty"):
        ngmi(llr[:0], bits[:0])
    with pytest.raises(ValueError, match="count must be"):
        gmi_from_sum(1.0, 0, 4)


@pytest.mark.parametrize("m,snr_db", [(16, 8.0), (64, 16.0)])
def test_mi_gaussian_matches_quadrature(m, snr_db):
    n = 60_000
    bits, lab, x, y, n0 = awgn_qam(m, snr_db, n, m + int(snr_db))
    mi = mi_gaussian(y, x, qam(m))
    ref = mi_awgn_qam(m, snr_db)
    # standard error of the MC mean (per-symbol log-ratio spread is < 2.5 bits here)
    assert mi == pytest.approx(ref, abs=5 * 2.5 / math.sqrt(n))
    assert mi_gaussian(y, x, qam(m), noise_var=n0) == pytest.approx(ref, abs=5 * 2.5 / math.sqrt(n))
    g = gmi(demap_llr(y, qam(m), n0, method="exact"), bits, qam(m).bits_per_symbol)
    assert mi > g                                               # MI >= GMI (BICM loss) on the same data


def test_mi_gaussian_brute_force_small():
    # the per-sample definition over all M points, written out directly
    rng = np.random.default_rng(12)
    c = qam(16)
    x = map_labels(rng.integers(0, 16, 500), c, dtype=np.complex128)
    y = x + 0.3 * (rng.standard_normal(500) + 1j * rng.standard_normal(500))
    nv = 0.2
    ll = -np.abs(y[:, None] - c.points[None]) ** 2 / nv
    own = -np.abs(y - x) ** 2 / nv
    want = 4 - np.mean(logsumexp(ll, axis=1) - own) / math.log(2)
    assert mi_gaussian(y, x, c, noise_var=nv) == pytest.approx(want, rel=1e-12)
    # PAM: real Gaussian of variance noise_var
    cp = pam(8)
    xp = map_labels(rng.integers(0, 8, 500), cp, dtype=np.float64)
    yp = xp + 0.1 * rng.standard_normal(500)
    ll = -(yp[:, None] - cp.points[None]) ** 2 / (2 * 0.01)
    want = 3 - np.mean(logsumexp(ll, axis=1) + (yp - xp) ** 2 / (2 * 0.01)) / math.log(2)
    assert mi_gaussian(yp, xp, cp, noise_var=0.01) == pytest.approx(want, rel=1e-12)
    assert mi_gaussian(xp, xp, cp) == 3.0


def test_mi_gaussian_bad_input():
    c = qam(16)
    x = map_labels(np.arange(16), c)
    with pytest.raises(ValueError, match="points of 16-QAM"):
        mi_gaussian(x, x * 1.5, c)
    with pytest.raises(ValueError, match="must be complex"):
        mi_gaussian(x.real, x.real, c)
    with pytest.raises(ValueError, match="must be real"):
        mi_gaussian(x, x, pam(4))
    with pytest.raises(ValueError, match="noise_var must be finite"):
        mi_gaussian(x, x, c, noise_var=0.0)
    with pytest.raises(TypeError, match="const must be"):
        mi_gaussian(x, x, 16)
    with pytest.raises(ValueError, match="same shape"):
        mi_gaussian(x[:3], x, c)
    # labels_to_bits is the bit order the GMI expects for QAM LLRs: I bits, then Q bits
    assert labels_to_bits(np.array([0b0110]), 4).tolist() == [0, 1, 1, 0]


@pytest.mark.gpu
def test_gpu_metrics_equal_cpu():
    import cupy as cp

    bits, _, x, y, n0 = awgn_qam(16, 9.0, 20_000, 30)
    llr = demap_llr(y, qam(16), n0, method="exact")
    llr_g = demap_llr(cp.asarray(y), qam(16), n0, method="exact")
    assert gmi(llr_g, cp.asarray(bits), 4) == pytest.approx(gmi(llr, bits, 4), abs=1e-5)
    t, c = gmi_sum(llr_g, cp.asarray(bits))
    assert isinstance(t, float) and c == llr.size
    assert snr_db_data_aided(cp.asarray(y), cp.asarray(x)) == pytest.approx(snr_db_data_aided(y, x), abs=1e-5)
    assert evm_rms(cp.asarray(y), cp.asarray(x), fit_gain=True) == pytest.approx(evm_rms(y, x, fit_gain=True),
                                                                                rel=1e-5)
    assert mi_gaussian(cp.asarray(y), cp.asarray(x), qam(16)) == pytest.approx(mi_gaussian(y, x, qam(16)), abs=1e-9)

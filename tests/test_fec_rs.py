"""Reed-Solomon FEC (dsp.fec): encoder, decoder, interleave, counting path, post-FEC formulas.

Independent references (tests/reference.py): GF(2^m) arithmetic from the definition, an encoder by
polynomial long division, the codeword check (the word vanishes at every generator root), whole
codebooks of small codes for brute-force nearest-codeword decoding, the exact weight distribution
of MDS codes for the miscorrection probability, and exact rational binomial tails. Statistical
checks use Clopper-Pearson intervals at 99.9 % so that a correct implementation fails rarely.
"""
import math
import os
import sys
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, os.path.dirname(__file__))
import reference as ref  # noqa: E402

import dsp.fec as fec  # noqa: E402
from dsp.fec import ReedSolomon  # noqa: E402
from dsp.metrics import ber_interval  # noqa: E402

HYP = settings(max_examples=40, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])

# (m, prim_poly, n, k, first_root): full length, shortened, odd parity count, the generic (w > 40)
# LFSR path of the kernel, m = 16.
CODES = {
    "kp4": (10, 0x409, 544, 514, 0),
    "kr4": (10, 0x409, 528, 514, 0),
    "rs15_11": (4, 0x13, 15, 11, 0),
    "rs12_6_short": (4, 0x19, 12, 6, 1),
    "rs15_10_odd": (4, 0x13, 15, 10, 3),
    "rs255_191": (8, 0x11D, 255, 191, 1),
    "rs200_180_m16": (16, 0x1100B, 200, 180, 5),
}
CODE_IDS = list(CODES)


def make(name):
    if name == "kp4":
        return fec.kp4()
    if name == "kr4":
        return fec.kr4()
    return ReedSolomon(*CODES[name])


def random_codewords(code, count, seed):
    rng = np.random.default_rng(seed)
    return code.encode(rng.integers(0, 1 << code.m, (count, code.k)))


def add_errors(word, positions, values):
    r = np.array(word, dtype=np.uint16, copy=True)
    r[list(positions)] ^= np.asarray(values, dtype=np.uint16)
    return r


# ------------------------------------------------------------------------------ encoder vs oracle

def test_known_answer_matlab_rsenc():
    # MathWorks rsenc documentation: m = 3, D^3 + D + 1, narrow-sense (first root alpha^1), RS(7,3)
    code = ReedSolomon(3, 0b1011, 7, 3, first_root=1)
    got = code.encode(np.array([[2, 7, 3], [4, 0, 6]]))
    np.testing.assert_array_equal(got, [[2, 7, 3, 3, 6, 7, 6], [4, 0, 6, 4, 2, 2, 0]])


@pytest.mark.parametrize("name", CODE_IDS)
def test_generator_matches_oracle(name):
    code = make(name)
    m, p, n, k, b = CODES[name]
    np.testing.assert_array_equal(code.generator, ref.rs_generator(m, p, n, k, b))
    assert (code.n, code.k, code.t, code.m, code.first_root) == (n, k, (n - k) // 2, m, b)
    assert code.rate == pytest.approx(k / n)


@pytest.mark.parametrize("name", CODE_IDS)
def test_encoder_matches_long_division_and_roots(name):
    code = make(name)
    m, p, n, k, b = CODES[name]
    rng = np.random.default_rng(7)
    msgs = rng.integers(0, 1 << m, (3, k))
    msgs[0] = (1 << m) - 1            # all-ones symbols
    cw = code.encode(msgs)
    assert cw.dtype == np.uint16 and cw.shape == (3, n)
    for msg, word in zip(msgs, cw):
        assert word.tolist() == ref.rs_encode(msg, m, p, n, k, b)
        assert ref.rs_is_codeword(word.tolist(), m, p, n, k, b)
    np.testing.assert_array_equal(cw[:, :k], msgs)  # systematic, parity last


def test_symbol_order_is_highest_degree_first():
    # c(x) = sum c[i] x^(n-1-i): the code is cyclic for n = 2^m - 1, so shifting a codeword left by
    # one (multiplying by x mod x^n - 1) gives a codeword; with the reversed convention it still
    # would, so check the polynomial directly: the word g(x) itself (message 0..01) is a codeword.
    code = make("rs15_11")
    msg = np.zeros(11, dtype=np.uint16)
    msg[-1] = 1
    np.testing.assert_array_equal(code.encode(msg), np.r_[np.zeros(10, np.uint16), code.generator])
    cw = random_codewords(code, 5, 1)
    assert code.is_codeword(np.roll(cw, -1, axis=-1)).all()


def test_field_tables_match_definition():
    from dsp.fec.rs import _field

    for m, p in [(4, 0x13), (10, 0x409), (16, 0x1100B)]:
        exp, log = _field(m, p)
        q1 = (1 << m) - 1
        a = 1
        for i in range(min(q1, 3000)):
            assert exp[i] == a and exp[i + q1] == a and log[a] == i
            a = ref.gf_mul(a, 2, m, p)
        assert not exp[2 * q1:].any() and log[0] == 2 * q1
        rng = np.random.default_rng(m)
        x, y = rng.integers(0, 1 << m, (2, 500))
        got = exp[log[x] + log[y]]
        assert got.tolist() == [ref.gf_mul(int(u), int(v), m, p) for u, v in zip(x, y)]


def test_encode_shapes_and_dtypes():
    code = make("rs15_11")
    rng = np.random.default_rng(3)
    msgs = rng.integers(0, 16, (2, 3, 11))
    for dt in (np.uint8, np.int32, np.int64, np.uint16):
        cw = code.encode(msgs.astype(dt))
        assert cw.shape == (2, 3, 15) and cw.dtype == np.uint16
    np.testing.assert_array_equal(code.encode(msgs[0, 0]), code.encode(msgs)[0, 0])
    assert code.encode(np.zeros((0, 11), np.uint16)).shape == (0, 15)
    res = code.decode(np.zeros((0, 4, 15), np.uint16))
    assert res.codewords.shape == (0, 4, 15) and res.failed.shape == (0, 4) and res.n_corrected.shape == (0, 4)
    # non-contiguous input
    big = code.encode(rng.integers(0, 16, (6, 11)))
    np.testing.assert_array_equal(code.decode(big[::2]).codewords, big[::2])


# ------------------------------------------------------------------------------ decoding up to t

@pytest.mark.parametrize("name", CODE_IDS)
def test_every_error_count_up_to_t_is_corrected(name):
    code = make(name)
    n, t, q = code.n, code.t, 1 << code.m
    rng = np.random.default_rng(11)
    per = 40
    cw = random_codewords(code, per * (t + 1), 2)
    r = cw.copy()
    counts = np.repeat(np.arange(t + 1), per)
    for i, e in enumerate(counts):
        pos = rng.choice(n, e, replace=False)
        r[i, pos] ^= rng.integers(1, q, e).astype(np.uint16)
    res = code.decode(r)
    assert not res.failed.any()
    np.testing.assert_array_equal(res.codewords, cw)
    np.testing.assert_array_equal(res.n_corrected, counts)
    assert res.n_corrected.dtype == np.int32 and res.failed.dtype == np.bool_


@pytest.mark.parametrize("name", CODE_IDS)
def test_random_errors_up_to_t_property(name):
    code = make(name)
    cw = random_codewords(code, 1, 5)[0]

    @HYP
    @given(st.data())
    def run(data):
        e = data.draw(st.integers(0, code.t))
        pos = data.draw(st.lists(st.integers(0, code.n - 1), min_size=e, max_size=e, unique=True))
        vals = data.draw(st.lists(st.integers(1, (1 << code.m) - 1), min_size=e, max_size=e))
        res = code.decode(add_errors(cw, pos, vals))
        assert not res.failed
        np.testing.assert_array_equal(res.codewords, cw)
        assert res.n_corrected == e

    run()


@pytest.mark.parametrize("name", CODE_IDS)
def test_bursts_up_to_t_property(name):
    code = make(name)
    cw = random_codewords(code, 1, 6)[0]

    @HYP
    @given(st.data())
    def run(data):
        length = data.draw(st.integers(1, code.t))
        start = data.draw(st.integers(0, code.n - length))
        vals = data.draw(st.lists(st.integers(1, (1 << code.m) - 1), min_size=length, max_size=length))
        res = code.decode(add_errors(cw, range(start, start + length), vals))
        assert not res.failed and res.n_corrected == length
        np.testing.assert_array_equal(res.codewords, cw)

    run()


def test_detection_only_code_t0():
    code = ReedSolomon(4, 0x13, 15, 14)                               # one parity symbol: t = 0
    assert code.t == 0
    cw = random_codewords(code, 30, 4)
    r = cw.copy()
    r[:, 3] ^= 5
    res = code.decode(np.concatenate([cw, r]))
    np.testing.assert_array_equal(res.failed, np.r_[np.zeros(30, bool), np.ones(30, bool)])
    np.testing.assert_array_equal(res.codewords[30:], r)


def test_decoder_is_thread_count_invariant():
    code = fec.kp4()
    rng = np.random.default_rng(8)
    cw = random_codewords(code, 300, 9)
    r = cw ^ (rng.random(cw.shape) < 0.025).astype(np.uint16) * rng.integers(1, 1024, cw.shape).astype(np.uint16)
    a, b = code.decode(r, threads=1), code.decode(r, threads=2)
    for x, y in zip((a.codewords, a.n_corrected, a.failed), (b.codewords, b.n_corrected, b.failed)):
        np.testing.assert_array_equal(x, y)
    assert a.failed.any() and (~a.failed).any()


# ------------------------------------------------------------------------------ beyond t

@pytest.mark.parametrize("name", CODE_IDS)
def test_beyond_t_flags_or_miscorrects_never_raises(name):
    code = make(name)
    n, t, q = code.n, code.t, 1 << code.m
    rng = np.random.default_rng(12)
    cw = random_codewords(code, 300, 13)
    r = cw.copy()
    counts = rng.integers(t + 1, min(n, 3 * t + 3) + 1, len(cw))
    for i, e in enumerate(counts):
        pos = rng.choice(n, e, replace=False)
        r[i, pos] ^= rng.integers(1, q, e).astype(np.uint16)
    res = code.decode(r)
    f = res.failed
    np.testing.assert_array_equal(res.codewords[f], r[f])          # failed words unchanged
    assert not res.n_corrected[f].any()
    ok = ~f                                                          # miscorrections: a codeword within t
    if ok.any():
        assert code.is_codeword(res.codewords[ok]).all()
        dist = (res.codewords[ok] != r[ok]).sum(axis=1)
        np.testing.assert_array_equal(dist, res.n_corrected[ok])
        assert (dist <= t).all()
        assert (res.codewords[ok] != cw[ok]).any(axis=1).all()
    # garbage words: never an exception
    garbage = rng.integers(0, q, (200, n)).astype(np.uint16)
    code.decode(garbage)


@pytest.mark.parametrize("params", [(3, 0b1011, 7, 3, 1), (3, 0b1101, 6, 2, 3), (4, 0x13, 7, 3, 0)],
                         ids=["rs7_3", "rs6_2_short", "rs7_3_gf16_short"])
def test_bounded_distance_decoding_against_brute_force(params):
    """Failed iff no codeword lies within t of the received word; otherwise that (unique) codeword."""
    m, p, n, k, b = params
    code = ReedSolomon(*params)
    book = ref.rs_codebook(m, p, n, k, b)
    assert np.array_equal(code.encode(book[:, :k]), book)
    t, q = code.t, 1 << m
    rng = np.random.default_rng(21)
    base = book[rng.integers(0, len(book), 3000)]
    errs = np.zeros_like(base)
    for i in range(len(base)):
        e = rng.integers(0, n + 1)
        pos = rng.choice(n, e, replace=False)
        errs[i, pos] = rng.integers(1, q, e)
    r = (base ^ errs).astype(np.uint16)
    res = code.decode(r)
    dist = (r[:, None, :] != book[None, :, :]).sum(axis=2)
    nearest = dist.argmin(axis=1)
    dmin = dist.min(axis=1)
    np.testing.assert_array_equal(res.failed, dmin > t)
    ok = dmin <= t
    np.testing.assert_array_equal(res.codewords[ok], book[nearest[ok]])
    np.testing.assert_array_equal(res.n_corrected[ok], dmin[ok])
    assert ok.sum() > 500 and (~ok).sum() > 500


@pytest.mark.parametrize("e", [3, 4, 6])
def test_miscorrection_rate_matches_mds_theory(e):
    """RS(15,11), t = 2: the fraction of weight-e error patterns decoded to a wrong codeword equals the
    exact value from the MDS weight distribution (about 0.29 at e = 3, 0.36 beyond)."""
    code = make("rs15_11")
    n, q, trials = 15, 16, 6000
    rng = np.random.default_rng(100 + e)
    r = np.zeros((trials, n), dtype=np.uint16)          # the zero codeword (the code is linear)
    pos = np.argsort(rng.random((trials, n)), axis=1)[:, :e]
    np.put_along_axis(r, pos, rng.integers(1, q, (trials, e)).astype(np.uint16), axis=1)
    res = code.decode(r)
    mis = int((~res.failed).sum())
    assert (res.codewords[~res.failed].any(axis=1)).all()  # a wrong (non-zero) codeword
    expected = float(ref.rs_miscorrection_prob(n, 11, q, e))
    lo, hi = ber_interval(mis, trials, 0.999)
    assert lo <= expected <= hi, (mis / trials, expected)


def test_uniform_random_words_decode_with_sphere_probability():
    """A uniformly random word lies within t of a codeword with probability q^k V(n, t) / q^n."""
    code = make("rs15_11")
    trials = 6000
    r = np.random.default_rng(5).integers(0, 16, (trials, 15)).astype(np.uint16)
    ok = int((~code.decode(r).failed).sum())
    expected = sum(math.comb(15, i) * 15 ** i for i in range(3)) / 16 ** 4
    lo, hi = ber_interval(ok, trials, 0.999)
    assert lo <= expected <= hi


# ------------------------------------------------------------------------------ KP4 statistics

def test_kp4_codeword_error_rate_matches_binomial_and_counting_path():
    """KP4 on independent bit errors (p_b = 105 / 2^16 = 1.60e-3): codeword error rate by real decoding
    within the Clopper-Pearson interval of the binomial formula; the counting path sees exactly the
    decoder's symbol errors and a word fails iff it holds more than t (miscorrection ~1e-12 is ignored)."""
    code = fec.kp4()
    words, thr = 16000, 105
    pb = thr / 65536
    rng = np.random.default_rng(2024)
    cw = random_codewords(code, words, 77)
    err_bits = np.concatenate([rng.integers(0, 65536, (4000, 5440), dtype=np.uint16) < thr
                               for _ in range(words // 4000)]).view(np.uint8)
    r = cw ^ fec.bits_to_symbols(err_bits, 10)
    res = code.decode(r)
    counts = fec.symbol_errors_per_codeword(err_bits, m=10, n=544)
    np.testing.assert_array_equal(counts[:, 0], (r != cw).sum(axis=1))
    np.testing.assert_array_equal(res.failed, counts[:, 0] > 15)
    np.testing.assert_array_equal(res.codewords[~res.failed], cw[~res.failed])
    np.testing.assert_array_equal(res.n_corrected[~res.failed], counts[~res.failed, 0])
    failures = int(res.failed.sum())
    expected = fec.codeword_error_rate_binomial(fec.symbol_error_prob_from_ber(pb, 10), 544, 15)
    assert 0.005 < expected < 0.02
    lo, hi = ber_interval(failures, words, 0.999)
    assert lo <= expected <= hi, (failures / words, expected)
    # the histogram estimate agrees with the decoder's count
    est = fec.post_fec_from_histogram(fec.error_histogram(counts, 544), 15, 10)
    assert est.uncorrectable == failures and est.codewords == words


def test_interleaved_counting_matches_decoding_of_deinterleaved_words():
    code = fec.kp4()
    ways, groups = 4, 50
    rng = np.random.default_rng(4)
    cw = random_codewords(code, ways * groups, 31).reshape(groups, ways, 544)
    line = fec.interleave(cw, ways)                                   # (groups, 2176)
    tx_bits = fec.symbols_to_bits(line, 10).reshape(-1)
    err = np.zeros(tx_bits.size, dtype=bool)
    err[rng.random(err.size) < 2e-3] = True
    for start in rng.integers(0, err.size - 400, 20):                 # bursts of up to 40 symbols
        err[start:start + rng.integers(10, 400)] = True
    rx_bits = tx_bits ^ err
    counts = fec.symbol_errors_per_codeword(err, m=10, n=544, ways=ways)
    assert counts.shape == (groups * ways,)
    rx = fec.deinterleave(fec.bits_to_symbols(rx_bits.reshape(groups, -1), 10), ways)
    np.testing.assert_array_equal(counts, (rx != cw).sum(axis=-1).reshape(-1))
    res = code.decode(rx)
    np.testing.assert_array_equal(res.failed.reshape(-1), counts > 15)
    packed = np.packbits(tx_bits) ^ np.packbits(rx_bits)
    np.testing.assert_array_equal(fec.symbol_errors_per_codeword_packed(packed, err.size, ways=ways), counts)


# ------------------------------------------------------------------------------ counting path

def count_reference(err, m, n, ways):
    err = np.asarray(err).astype(bool)
    L = err.shape[-1]
    groups = L // (m * n * ways)
    used = err[..., :groups * m * n * ways]
    sym = used.reshape(*err.shape[:-1], groups, n, ways, m).any(axis=-1)   # line symbol j -> (j // ways, j % ways)
    return sym.sum(axis=-2).reshape(*err.shape[:-1], groups * ways).astype(np.int32)


@settings(max_examples=60, deadline=None, derandomize=True)
@given(m=st.integers(1, 16), n=st.integers(1, 12), ways=st.integers(1, 5), rows=st.integers(1, 3),
       extra=st.integers(0, 40), groups=st.integers(0, 4), density=st.sampled_from([0.0, 0.01, 0.2, 1.0]),
       seed=st.integers(0, 2**32 - 1))
def test_counting_matches_reference_property(m, n, ways, rows, extra, groups, density, seed):
    L = groups * m * n * ways + extra
    rng = np.random.default_rng(seed)
    err = rng.random((rows, L)) < density
    expected = count_reference(err, m, n, ways)
    got = fec.symbol_errors_per_codeword(err, m=m, n=n, ways=ways)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int32
    np.testing.assert_array_equal(fec.symbol_errors_per_codeword(err.astype(np.uint8) * 7, m=m, n=n, ways=ways),
                                  expected)                           # any non-zero byte is an error
    packed = np.packbits(err, axis=-1)
    np.testing.assert_array_equal(fec.symbol_errors_per_codeword_packed(packed, L, m=m, n=n, ways=ways), expected)


def test_counting_leading_dims_threads_and_trailing_bits():
    rng = np.random.default_rng(9)
    err = rng.random((2, 3, 5440 * 3 * 2 + 123)) < 1e-3
    got = fec.symbol_errors_per_codeword(err, ways=2)
    assert got.shape == (2, 3, 6)
    np.testing.assert_array_equal(got, count_reference(err, 10, 544, 2))
    np.testing.assert_array_equal(fec.symbol_errors_per_codeword(err, ways=2, threads=1), got)
    assert fec.symbol_errors_per_codeword(err[..., :100]).shape == (2, 3, 0)
    h = fec.error_histogram(got, 544)
    assert h.shape == (545,) and h.sum() == got.size and h @ np.arange(545) == got.sum()


# ------------------------------------------------------------------------------ interleave, bits

@settings(max_examples=30, deadline=None, derandomize=True)
@given(ways=st.integers(1, 5), n=st.integers(1, 20), lead=st.lists(st.integers(1, 3), max_size=2))
def test_interleave_round_trip_and_rule(ways, n, lead):
    a = np.arange(int(np.prod(lead, dtype=int)) * ways * n).reshape(*lead, ways, n)
    line = fec.interleave(a, ways)
    assert line.shape == (*lead, ways * n)
    for j in range(ways * n):
        np.testing.assert_array_equal(line[..., j], a[..., j % ways, j // ways])
    np.testing.assert_array_equal(fec.deinterleave(line, ways), a)


def test_bits_symbols_round_trip_msb_first():
    assert fec.bits_to_symbols(np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1]), 10).tolist() == [513]
    assert fec.symbols_to_bits(np.array([513], np.uint16), 10).tolist() == [1, 0, 0, 0, 0, 0, 0, 0, 0, 1]
    rng = np.random.default_rng(1)
    for m in (1, 3, 10, 16):
        s = rng.integers(0, 1 << m, (2, 7)).astype(np.uint16)
        b = fec.symbols_to_bits(s, m)
        assert b.shape == (2, 7 * m) and b.dtype == np.uint8
        np.testing.assert_array_equal(fec.bits_to_symbols(b, m), s)
        np.testing.assert_array_equal(fec.bits_to_symbols(b.astype(bool), m), s)


# ------------------------------------------------------------------------------ post-FEC formulas

@pytest.mark.parametrize("p,n,t", [(Fraction(24, 10000), 544, 15), (Fraction(1, 100), 544, 15),
                                   (Fraction(1, 10**5), 544, 15), (Fraction(3, 10), 20, 4),
                                   (Fraction(1, 1000), 528, 7), (Fraction(1, 2), 15, 0)])
def test_binomial_tail_exact(p, n, t):
    exact = ref.binomial_tail_exact(p, n, t)
    got = fec.codeword_error_rate_binomial(float(p), n, t)
    assert got == pytest.approx(float(exact), rel=1e-11)
    if n == 544 and p == Fraction(1, 10**5):
        assert got < 1e-40                                              # far below 1e-30, still accurate


def test_binomial_tail_edges_and_arrays():
    assert fec.codeword_error_rate_binomial(0.0, 544, 15) == 0.0
    assert fec.codeword_error_rate_binomial(1.0, 544, 15) == 1.0
    assert fec.codeword_error_rate_binomial(0.3, 10, 10) == 0.0
    got = fec.codeword_error_rate_binomial(np.array([1e-3, 1e-2]), 544, 15)
    assert got.shape == (2,) and got[0] < got[1]
    from scipy.stats import binom

    np.testing.assert_allclose(got, binom.sf(15, 544, [1e-3, 1e-2]), rtol=1e-9)


def test_symbol_error_prob_and_post_fec_ber():
    assert fec.symbol_error_prob_from_ber(1e-3, 10) == pytest.approx(1 - (1 - 1e-3) ** 10, rel=1e-14)
    assert fec.symbol_error_prob_from_ber(1e-20, 10) == pytest.approx(1e-19, rel=1e-12)
    # BER_post = sum_{e>t} P(e) e beta / (n m) with beta = m pb / ps, exactly in rationals
    pb, m, n, t = Fraction(1, 500), 10, 60, 3
    ps = 1 - (1 - pb) ** m
    beta = m * pb / ps
    exact = sum(math.comb(n, e) * ps ** e * (1 - ps) ** (n - e) * e for e in range(t + 1, n + 1)) * beta / (n * m)
    assert fec.post_fec_ber_binomial(float(pb), m, n, t) == pytest.approx(float(exact), rel=1e-10)
    kp4 = fec.post_fec_ber_binomial(2.4e-4, 10, 544, 15)
    assert 1e-15 < kp4 < 5e-15                                          # "about 2.4e-15" (DOMAIN.md)


def test_post_fec_from_histogram():
    hist = np.zeros(545, dtype=np.int64)
    hist[0], hist[3], hist[16], hist[20] = 900, 96, 3, 1
    est = fec.post_fec_from_histogram(hist, 15, 10, bit_errors_per_symbol_error=1.5)
    assert est.codewords == 1000 and est.uncorrectable == 4
    assert est.codeword_error_rate == pytest.approx(4e-3)
    assert est.ber == pytest.approx((3 * 16 + 20) * 1.5 / (1000 * 544 * 10))
    lo, hi = est.cer_interval(0.95)
    assert lo < 4e-3 < hi


# ------------------------------------------------------------------------------ validation

@pytest.mark.parametrize("kwargs,param", [
    (dict(m=1, prim_poly=0b11, n=1, k=1), "m"),
    (dict(m=17, prim_poly=0x20009, n=100, k=90), "m"),
    (dict(m=4, prim_poly=0x1F, n=15, k=11), "prim_poly"),        # irreducible, not primitive (order 5)
    (dict(m=4, prim_poly=0x15, n=15, k=11), "prim_poly"),        # reducible
    (dict(m=4, prim_poly=0x9, n=15, k=11), "prim_poly"),         # degree 3
    (dict(m=4, prim_poly=0x12, n=15, k=11), "prim_poly"),        # no constant term
    (dict(m=4, prim_poly=0x13, n=16, k=11), "n"),
    (dict(m=4, prim_poly=0x13, n=15, k=15), "k"),
    (dict(m=4, prim_poly=0x13, n=15, k=0), "k"),
    (dict(m=4, prim_poly=0x13, n=15, k=11, first_root=15), "first_root"),
    (dict(m=4, prim_poly=0x13, n=15, k=11, first_root=-1), "first_root"),
    (dict(m=4, prim_poly=0x13, n=15.0, k=11), "n"),
    (dict(m=10, prim_poly=0x409, n=544, k=400), "k"),            # n - k > 128
])
def test_bad_code_parameters(kwargs, param):
    with pytest.raises(ValueError, match=param):
        ReedSolomon(**kwargs)


def test_bad_encode_decode_arguments():
    code = make("rs15_11")
    with pytest.raises(ValueError, match="msg"):
        code.encode(np.zeros((2, 10), np.uint16))                 # wrong length
    with pytest.raises(ValueError, match="msg"):
        code.encode(np.zeros((2, 11), np.float64))                # wrong dtype
    with pytest.raises(ValueError, match="msg"):
        code.encode(np.zeros((2, 11), bool))
    with pytest.raises(ValueError, match="msg"):
        code.encode(np.full((2, 11), 16, np.int64))               # out of range (checked in Python)
    with pytest.raises(ValueError, match="msg"):
        code.encode(np.full((2, 11), -1, np.int64))
    with pytest.raises(ValueError, match="msg"):
        code.encode(np.full((2, 11), 16, np.uint16))              # out of range (found by the kernel)
    with pytest.raises(ValueError, match="received"):
        code.decode(np.zeros((15,), np.float32))
    with pytest.raises(ValueError, match="received"):
        code.decode(np.zeros((3, 14), np.uint16))
    bad = np.zeros((3, 15), np.uint16)
    bad[1, 4] = 1 << 15
    with pytest.raises(ValueError, match="received"):
        code.decode(bad)
    with pytest.raises(ValueError, match="received"):
        code.decode(np.array(3))


def test_bad_counting_interleave_and_postfec_arguments():
    bits = np.zeros((2, 5440), bool)
    with pytest.raises(ValueError, match="err_bits"):
        fec.symbol_errors_per_codeword(bits.astype(np.float32))
    with pytest.raises(ValueError, match="err_bits"):
        fec.symbol_errors_per_codeword(np.bool_(True))
    for name, val in [("m", 0), ("m", 17), ("n", 0), ("ways", 0)]:
        with pytest.raises(ValueError, match=name):
            fec.symbol_errors_per_codeword(bits, **{name: val})
    with pytest.raises(ValueError, match="packed"):
        fec.symbol_errors_per_codeword_packed(np.zeros((2, 679), np.uint8), 5440)
    with pytest.raises(ValueError, match="packed"):
        fec.symbol_errors_per_codeword_packed(np.zeros((2, 680), np.int8), 5440)
    with pytest.raises(ValueError, match="ways"):
        fec.interleave(np.zeros((3, 10)), 2)
    with pytest.raises(ValueError, match="ways"):
        fec.interleave(np.zeros((2, 10)), 0)
    with pytest.raises(ValueError, match="line"):
        fec.deinterleave(np.zeros(9), 2)
    with pytest.raises(ValueError, match="bits"):
        fec.bits_to_symbols(np.zeros(9, np.uint8), 10)
    with pytest.raises(ValueError, match="bits"):
        fec.bits_to_symbols(np.full(10, 2, np.uint8), 10)
    with pytest.raises(ValueError, match="bits"):
        fec.bits_to_symbols(np.zeros(10), 10)
    with pytest.raises(ValueError, match="symbols"):
        fec.symbols_to_bits(np.array([1024]), 10)
    with pytest.raises(ValueError, match="m"):
        fec.symbols_to_bits(np.array([1]), 17)
    with pytest.raises(ValueError, match="symbol_error_prob"):
        fec.codeword_error_rate_binomial(1.5, 544, 15)
    with pytest.raises(ValueError, match="ber"):
        fec.symbol_error_prob_from_ber(float("nan"), 10)
    with pytest.raises(ValueError, match="^t must"):
        fec.codeword_error_rate_binomial(0.1, 544, -1)
    with pytest.raises(ValueError, match="hist"):
        fec.post_fec_from_histogram(np.array([1.0, 2.0]), 0, 10)
    with pytest.raises(ValueError, match="^t must"):
        fec.post_fec_from_histogram(np.array([1, 2]), 1, 10)
    with pytest.raises(ValueError, match="counts"):
        fec.error_histogram(np.array([0, 545]), 544)


def test_import_is_cheap():
    import subprocess

    code = ("import sys, dsp.fec; bad = [m for m in ('scipy', 'cupy', 'dsp._kernels.rs') if m in sys.modules]; "
            "print(bad); sys.exit(bool(bad))")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True).returncode == 0


# ------------------------------------------------------------------------------ GPU (skipped without one)

@pytest.mark.gpu
@pytest.mark.parametrize("name", ["kp4", "kr4", "rs15_10_odd", "rs255_191", "rs200_180_m16"])
def test_gpu_encode_decode_equal_cpu(name):
    import cupy as cp

    code = make(name)
    rng = np.random.default_rng(3)
    msg = rng.integers(0, 1 << code.m, (3001, code.k)).astype(np.uint16)
    cw = code.encode(msg)
    np.testing.assert_array_equal(cp.asnumpy(code.encode(cp.asarray(msg))), cw)
    p = 1.5 * code.t / code.n
    r = cw ^ ((rng.random(cw.shape) < p) * rng.integers(1, 1 << code.m, cw.shape)).astype(np.uint16)
    a, b = code.decode(r), code.decode(cp.asarray(r))
    assert isinstance(b.codewords, cp.ndarray)
    np.testing.assert_array_equal(cp.asnumpy(b.codewords), a.codewords)
    np.testing.assert_array_equal(cp.asnumpy(b.n_corrected), a.n_corrected)
    np.testing.assert_array_equal(cp.asnumpy(b.failed), a.failed)
    assert a.failed.any() and (~a.failed).any()
    bad = cp.asarray(r)
    bad[5, 3] = 1 << 15
    if code.m < 16:
        with pytest.raises(ValueError, match="received"):
            code.decode(bad)


@pytest.mark.gpu
@pytest.mark.parametrize("m,n,ways,extra", [(10, 544, 1, 0), (10, 544, 4, 77), (3, 7, 3, 5), (16, 5, 2, 9)])
def test_gpu_counting_equals_cpu(m, n, ways, extra):
    import cupy as cp

    rng = np.random.default_rng(m + n)
    L = 7 * m * n * ways + extra
    err = rng.random((3, L)) < 3e-3
    cpu = fec.symbol_errors_per_codeword(err, m=m, n=n, ways=ways)
    gpu = fec.symbol_errors_per_codeword(cp.asarray(err), m=m, n=n, ways=ways)
    np.testing.assert_array_equal(cp.asnumpy(gpu), cpu)
    packed = np.packbits(err, axis=-1)
    gpk = fec.symbol_errors_per_codeword_packed(cp.asarray(packed), L, m=m, n=n, ways=ways)
    np.testing.assert_array_equal(cp.asnumpy(gpk), cpu)


# ----------------------------------------------------------------------------- burst-aware post-FEC

def _bursty_histogram(rng, codewords, rate, sizes, n=544):
    """Symbol errors per codeword from Poisson(rate) events of the given size pmf (a direct simulation)."""
    k = rng.poisson(rate, codewords)
    e = np.zeros(codewords, dtype=np.int64)
    for i in np.nonzero(k)[0]:
        e[i] = rng.choice(len(sizes), size=k[i], p=sizes).sum()
    return np.bincount(np.minimum(e, n), minlength=n + 1)


def test_compound_poisson_recovers_burst_sizes_and_failure_rate():
    from dsp.fec.postfec import fit_compound_poisson, post_fec_from_bursts, post_fec_from_histogram

    rng = np.random.default_rng(7)
    sizes = np.array([0, 0.5, 0.2, 0.15, 0.1, 0.05])
    # Event rate high enough that Monte Carlo sees failures (> 15 symbols), to check against.
    h = _bursty_histogram(rng, 400_000, 2.6, sizes)
    fit = fit_compound_poisson(h, max_size=5)
    assert fit.rate == pytest.approx(2.6, rel=0.01)
    np.testing.assert_allclose(fit.size_pmf, sizes, atol=0.01)
    cer, ber, _ = post_fec_from_bursts(h, 15, 10, max_size=5)
    mc = post_fec_from_histogram(h, 15, 10)
    assert mc.uncorrectable > 1000
    assert cer == pytest.approx(mc.codeword_error_rate, rel=0.15)  # the far tail is sensitive to q_5
    assert ber == pytest.approx(mc.ber, rel=0.15)


def test_compound_poisson_reaches_below_the_floor_and_beats_iid():
    from dsp.fec.postfec import codeword_error_rate_binomial, post_fec_from_bursts

    rng = np.random.default_rng(8)
    sizes = np.array([0, 0.4, 0.3, 0.3])
    h = _bursty_histogram(rng, 200_000, 0.2, sizes)
    assert h[16:].sum() == 0                        # nothing fails in Monte Carlo
    cer, _, fit = post_fec_from_bursts(h, 15, 10)
    # Exact compound-Poisson tail of the true model, by the same recursion but independent parameters.
    from dsp.fec.postfec import CompoundPoissonFit

    exact = CompoundPoissonFit(0.2, sizes).pmf(544)[16:].sum()
    assert 0 < cer and cer == pytest.approx(exact, rel=0.5)   # orders of magnitude below 1/200000
    ps = float((h * np.arange(545)).sum()) / (h.sum() * 544)
    assert cer > 1e3 * codeword_error_rate_binomial(ps, 544, 15)  # independent errors would be far too optimistic
    # Independent symbol errors: the fit is single-symbol events and agrees with the binomial.
    hi = np.bincount(rng.binomial(544, 3e-3, 300_000), minlength=545)
    c_iid, _, f_iid = post_fec_from_bursts(hi, 15, 10)
    assert f_iid.size_pmf[1] > 0.99
    assert c_iid == pytest.approx(float(codeword_error_rate_binomial(3e-3, 544, 15)), rel=0.3)
    with pytest.raises(ValueError, match="with and without errors"):
        post_fec_from_bursts(np.bincount([0, 0, 0], minlength=545), 15, 10)

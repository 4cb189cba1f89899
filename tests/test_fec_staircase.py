"""BCH component codes (dsp.fec.bch) and the 400ZR / G.709.2 staircase code (dsp.fec.staircase).

Independent references, written here from the definitions: GF(2^10) arithmetic by shift-and-reduce,
the BCH generator g(x) = lcm of the minimal polynomials of alpha, alpha^3, alpha^5 (from the
cyclotomic cosets), codewords checked by polynomial division over GF(2) plus the F and overall
parity rows; the staircase component words assembled with NumPy from the block geometry; and a
slow staircase decoder that re-decodes whole words with the public component decoder in the same
window schedule (the kernel works on syndromes only).
"""
import numpy as np
import pytest

from dsp.fec.bch import BchCode, ebch_1022_990, g7092_f
from dsp.fec.staircase import StaircaseCode, zr400_staircase

P10 = 0x409  # x^10 + x^3 + 1
Q1 = 1023


# ------------------------------------------------------------------ independent GF(2^10) / GF(2)[x]

def gf_mul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        b >>= 1
        a <<= 1
        if a & 0x400:
            a ^= P10
    return r


def gf_pow(a, e):
    r = 1
    for _ in range(e):
        r = gf_mul(r, a)
    return r


def minimal_poly(i):
    """Minimal polynomial of alpha^i over GF(2) as an int (bit j = coefficient of x^j)."""
    coset, e = [], i % Q1
    while e not in coset:
        coset.append(e)
        e = (2 * e) % Q1
    poly = [1]  # coefficients in GF(2^10), lowest degree first
    for e in coset:
        root = gf_pow(2, e)
        new = [0] * (len(poly) + 1)
        for d, cf in enumerate(poly):  # poly * (x + root)
            new[d + 1] ^= cf
            new[d] ^= gf_mul(cf, root)
        poly = new
    assert all(cf in (0, 1) for cf in poly)
    return sum(cf << d for d, cf in enumerate(poly))


def gf2_polymul(a, b):
    r = 0
    while b:
        if b & 1:
            r ^= a
        a <<= 1
        b >>= 1
    return r


def gf2_polymod(a, g):
    dg = g.bit_length() - 1
    while a and a.bit_length() - 1 >= dg:
        a ^= g << (a.bit_length() - 1 - dg)
    return a


@pytest.fixture(scope="module")
def gen_poly():
    m1, m3, m5 = minimal_poly(1), minimal_poly(3), minimal_poly(5)
    assert len({m1, m3, m5}) == 3
    assert m1 == P10
    g = gf2_polymul(gf2_polymul(m1, m3), m5)
    assert g.bit_length() - 1 == 30
    return g


def word_poly(bits):
    """c(x) = sum_p c_p x^(n-1-p) (position 0 = highest degree)."""
    return int("".join(str(int(b)) for b in bits), 2)


def f_indep(beta):
    return 1 if 1 <= (beta & 7) <= 4 else 0


@pytest.fixture(scope="module")
def code():
    return ebch_1022_990()


@pytest.fixture(scope="module")
def rng():
    return np.random.default_rng(20260511)


def flip_random(words, n_err, rng):
    r = words.copy()
    idx = np.argsort(rng.random(words.shape), axis=1)[:, :n_err]
    rows = np.arange(len(r))[:, None]
    r[rows, idx] ^= 1
    return r


# ------------------------------------------------------------------ BCH component code

def test_parameters(code):
    assert (code.n, code.k, code.t, code.m) == (1022, 990, 3, 10)
    h = code.parity_check_matrix
    assert h.shape == (32, 1022)
    beta = [gf_pow(2, 1021 - p) for p in range(1022)]
    assert list(code.locators) == beta
    # rows: beta bits, beta^3, beta^5, F, parity
    for p in (0, 1, 500, 1021):
        col = h[:, p]
        assert int("".join(map(str, col[:10][::-1])), 2) == beta[p]
        assert int("".join(map(str, col[10:20][::-1])), 2) == gf_pow(beta[p], 3)
        assert int("".join(map(str, col[20:30][::-1])), 2) == gf_pow(beta[p], 5)
        assert col[30] == f_indep(beta[p]) and col[31] == 1
    g = code.generator_matrix
    assert g.shape == (990, 1022)
    assert not ((g.astype(np.int64) @ h.T.astype(np.int64)) % 2).any()


def test_encoder_matches_generator_polynomial(code, gen_poly, rng):
    msg = rng.integers(0, 2, (40, 990), dtype=np.uint8)
    cw = code.encode(msg)
    assert cw.dtype == np.uint8 and cw.shape == (40, 1022)
    assert np.array_equal(cw[:, :990], msg)
    for w in cw:
        assert gf2_polymod(word_poly(w), gen_poly) == 0
        assert int(w.sum()) % 2 == 0
        beta = [gf_pow(2, 1021 - p) for p in np.flatnonzero(w)]
        assert sum(f_indep(b) for b in beta) % 2 == 0
    # a non-codeword is caught by the same check (the test can fail)
    bad = cw[0].copy()
    bad[5] ^= 1
    assert gf2_polymod(word_poly(bad), gen_poly) != 0
    assert code.is_codeword(cw).all() and not code.is_codeword(bad)


def test_encoder_linear_and_batched(code, rng):
    a = rng.integers(0, 2, (3, 4, 990), dtype=np.uint8)
    b = rng.integers(0, 2, (3, 4, 990), dtype=np.uint8)
    ca, cb = code.encode(a), code.encode(b)
    assert ca.shape == (3, 4, 1022)
    assert np.array_equal(code.encode(a ^ b), ca ^ cb)
    assert np.array_equal(code.encode(a.astype(bool)), ca)
    assert np.array_equal(code.encode(a[0, 0]), ca[0, 0])
    assert code.encode(np.zeros((0, 990), np.uint8)).shape == (0, 1022)


def test_every_single_error_corrected(code, rng):
    cw = code.encode(rng.integers(0, 2, (1, 990), dtype=np.uint8))[0]
    r = np.repeat(cw[None], 1022, axis=0)
    r[np.arange(1022), np.arange(1022)] ^= 1
    d = code.decode(r)
    assert (d.bits == cw).all() and (d.n_corrected == 1).all() and not d.failed.any()


@pytest.mark.parametrize("n_err", [0, 1, 2, 3])
def test_up_to_three_errors_corrected(code, rng, n_err):
    cw = code.encode(rng.integers(0, 2, (6000, 990), dtype=np.uint8))
    d = code.decode(flip_random(cw, n_err, rng))
    assert np.array_equal(d.bits, cw)
    assert (d.n_corrected == n_err).all() and not d.failed.any()
    assert d.n_corrected.dtype == np.int32 and d.failed.dtype == bool


def test_adjacent_and_edge_triples(code, rng):
    cw = code.encode(rng.integers(0, 2, (1, 990), dtype=np.uint8))[0]
    pats = [(0, 1, 2), (1019, 1020, 1021), (0, 511, 1021), (989, 990, 991)]
    pats += [(i, i + 1, i + 2) for i in range(0, 1020, 7)]
    r = np.repeat(cw[None], len(pats), axis=0)
    for i, p in enumerate(pats):
        r[i, list(p)] ^= 1
    d = code.decode(r)
    assert (d.bits == cw).all() and (d.n_corrected == 3).all()


def test_four_errors_always_detected(code, rng):
    cw = code.encode(rng.integers(0, 2, (6000, 990), dtype=np.uint8))
    r = flip_random(cw, 4, rng)
    d = code.decode(r)
    assert d.failed.all() and (d.n_corrected == 0).all()
    assert np.array_equal(d.bits, r)  # failed words come back unchanged


def test_five_errors_detected_or_decoded_to_a_codeword(code, rng):
    cw = code.encode(rng.integers(0, 2, (6000, 990), dtype=np.uint8))
    r = flip_random(cw, 5, rng)
    d = code.decode(r)
    ok = ~d.failed
    assert code.is_codeword(d.bits[ok]).all()
    assert ((d.bits[ok] != r[ok]).sum(axis=1) == d.n_corrected[ok]).all()
    assert (d.n_corrected[ok] == 3).all()  # d_min = 8: a weight-8 neighbour at distance 3
    assert 0.8 < d.failed.mean() < 1.0  # mostly detected, a few miscorrections


def test_syndromes_match_parity_check_matrix(code, rng):
    w = rng.integers(0, 2, (50, 1022), dtype=np.uint8)
    s = code.syndromes(w)
    ref = (w.astype(np.int64) @ code.parity_check_matrix.T.astype(np.int64)) % 2
    assert np.array_equal(s.astype(np.int64), (ref << np.arange(32)).sum(axis=1))


def test_small_code_without_f_row(gen_poly, rng):
    # plain shortened + extended BCH over GF(2^10): n - k = 31
    loc = [gf_pow(2, 299 - p) for p in range(300)]
    c = BchCode(loc)
    assert (c.n, c.k) == (300, 269)
    cw = c.encode(rng.integers(0, 2, (30, 269), dtype=np.uint8))
    for w in cw:
        assert gf2_polymod(word_poly(w), gen_poly) == 0 and w.sum() % 2 == 0
    for n_err in (1, 2, 3):
        d = c.decode(flip_random(cw, n_err, rng))
        assert np.array_equal(d.bits, cw)
    assert c.decode(flip_random(cw, 4, rng)).failed.all()


def test_bch_bad_inputs(code):
    with pytest.raises(ValueError, match=r"received must have shape \(\.\.\., 1022\)"):
        code.decode(np.zeros((2, 1021), np.uint8))
    with pytest.raises(TypeError, match="msg must be a bool or integer array"):
        code.encode(np.zeros(990, np.float32))
    with pytest.raises(ValueError, match=r"bits 0 or 1 \(got values in \[2, 2\]\)"):
        code.decode(np.full(1022, 2, np.uint8))
    with pytest.raises(ValueError, match=r"bits 0 or 1"):
        code.encode(-np.ones(990, np.int64))
    with pytest.raises(ValueError, match="locators must be distinct"):
        BchCode([1, 2, 3] * 20)
    with pytest.raises(ValueError, match=r"locators must lie in \[1, 1023\]"):
        BchCode(np.arange(0, 60))
    with pytest.raises(ValueError, match="m must be in"):
        BchCode(np.arange(1, 60), m=11, prim_poly=0x805)
    with pytest.raises(ValueError, match="f_row must hold"):
        BchCode(np.arange(1, 60), f_row=np.full(59, 2))
    with pytest.raises(ValueError, match="linearly dependent"):
        BchCode(np.arange(1, 1023), f_row=g7092_f(np.arange(1, 1023)))  # consecutive integer labels


# ------------------------------------------------------------------ staircase

@pytest.fixture(scope="module")
def sc():
    return zr400_staircase()


def component_words(sc, blocks):
    """All component words (L, R, n) of one stream, assembled from the geometry."""
    R, C = sc.rows, sc.cols
    L = blocks.shape[0]
    words = np.zeros((L, R, R + C), np.uint8)
    words[:, :, R:] = blocks
    for j in range(1, L):
        words[j, R - C:, :R] = blocks[j - 1][:, sc._perm].T
    return words


def test_staircase_geometry(sc):
    assert (sc.rows, sc.cols, sc.info_cols) == (512, 510, 478)
    assert sc.info_bits_per_block == 244736 and sc.bits_per_block == 261120
    assert sc.rate == pytest.approx(239 / 255, abs=1e-12)
    assert sc.overhead == pytest.approx(16 / 239, abs=1e-12)  # 6.69 %
    assert (1 + sc.overhead) * 128 / 119 - 1 == pytest.approx(0.148, abs=1e-3)  # 400ZR CFEC total


@pytest.mark.parametrize("perm_kind", ["identity", "random"])
def test_staircase_encoder_components_are_codewords(code, gen_poly, rng, perm_kind):
    perm = None if perm_kind == "identity" else rng.permutation(510)
    s = StaircaseCode(perm=perm)
    info = rng.integers(0, 2, (2, 3, 512, 478), dtype=np.uint8)
    tx = s.encode(info)
    assert tx.shape == (2, 3, 512, 510) and tx.dtype == np.uint8
    assert np.array_equal(tx[..., :478], info)
    for st in range(2):
        w = component_words(s, tx[st]).reshape(-1, 1022)
        assert code.is_codeword(w).all()
        for row in w[[0, 1, 2, 700, 1535]]:
            assert gf2_polymod(word_poly(row), gen_poly) == 0 and row.sum() % 2 == 0
    # streams are independent: each starts after its own zero block
    assert np.array_equal(s.encode(info[1]), tx[1])


def test_staircase_round_trip_error_free(sc, rng):
    info = rng.integers(0, 2, (2, 4, 512, 478), dtype=np.uint8)
    tx = sc.encode(info)
    d = sc.decode(tx)
    assert np.array_equal(d.blocks, tx) and np.array_equal(d.info, info)
    assert (d.unsolved == 0).all() and (d.flips == 0).all()
    assert d.unsolved.shape == (2, 4) and d.flips.shape == (2,)


def slow_decode(sc, rx, window, iterations):
    """Reference: re-decode whole component words with the public decoder, same window schedule."""
    comp = sc.component
    R, C = sc.rows, sc.cols
    b = rx.copy()
    L = b.shape[0]
    perm = sc._perm

    def decode_set(j):
        w = component_words(sc, b[max(j - 1, 0):j + 1])[-1] if j > 0 else component_words(sc, b[:1])[0]
        d = comp.decode(w)
        changed = d.bits != w
        short = np.zeros(R, bool)
        short[:R - C] = True
        if j == 0:
            short[:] = True
        ok = ~d.failed & ~(short & changed[:, :R].any(axis=1))
        if not (ok & (d.n_corrected > 0)).any():
            return False
        new = np.where(ok[:, None], d.bits, w)
        b[j] = new[:, R:]
        if j > 0:
            b[j - 1][:, perm] = new[R - C:, :R].T
        return True

    for e in range(L + window - 1):
        j0, j1 = max(0, e - window + 1), min(e, L - 1)
        for _ in range(iterations):
            changed = False
            for j in range(j0, j1 + 1):
                changed |= decode_set(j)
            if not changed:
                break
    return b


@pytest.mark.parametrize("ber,window,iterations", [(4.5e-3, 3, 3), (8e-3, 2, 2)])
def test_staircase_decoder_equals_slow_reference(rng, ber, window, iterations):
    s = StaircaseCode(perm=rng.permutation(510))
    info = rng.integers(0, 2, (5, 512, 478), dtype=np.uint8)
    tx = s.encode(info)
    rx = tx ^ (rng.random(tx.shape) < ber).astype(np.uint8)
    d = s.decode(rx, window=window, iterations=iterations)
    ref = slow_decode(s, rx, window, iterations)
    assert np.array_equal(d.blocks, ref)
    assert int(d.flips) >= int((d.blocks != rx).sum()) > 0
    words = component_words(s, d.blocks).reshape(-1, 1022)
    assert np.array_equal(d.unsolved, (s.component.syndromes(words) != 0).reshape(5, 512).sum(axis=1))


def run_channel(sc, rng, ber, streams=2, blocks=10):
    info = rng.integers(0, 2, (streams, blocks, 512, 478), dtype=np.uint8)
    tx = sc.encode(info)
    rx = tx ^ (rng.random(tx.shape) < ber).astype(np.uint8)
    d = sc.decode(rx)
    keep = slice(0, blocks - 3)  # the last blocks of a finite stream lack the next blocks' protection
    return int((d.info[:, keep] != info[:, keep]).sum()), info[:, keep].size, d


def test_staircase_corrects_below_threshold(sc, rng):
    for ber in (2e-3, 3e-3):
        errs, total, d = run_channel(sc, rng, ber)
        assert errs == 0, (ber, errs)
        assert (d.unsolved[:, :-3] == 0).all()
        assert int(d.flips.sum()) > 0.9 * ber * d.blocks.size


def test_staircase_fails_above_threshold(sc, rng):
    errs, total, d = run_channel(sc, rng, 1e-2)
    assert errs / total > 5e-3  # output BER of the order of the input: the decoder gives up
    assert (d.unsolved > 100).all()


def test_staircase_bad_inputs(sc):
    with pytest.raises(ValueError, match=r"info must have shape \(\.\.\., L, 512, 478\)"):
        sc.encode(np.zeros((2, 512, 510), np.uint8))
    with pytest.raises(ValueError, match=r"received must have shape \(\.\.\., L, 512, 510\) with L >= 1"):
        sc.decode(np.zeros((0, 512, 510), np.uint8))
    with pytest.raises(TypeError, match="received must be a bool or integer array"):
        sc.decode(np.zeros((1, 512, 510), np.float64))
    with pytest.raises(ValueError, match=r"bits 0 or 1 \(got values in \[3, 3\]\)"):
        sc.decode(np.full((1, 512, 510), 3, np.uint8))
    with pytest.raises(ValueError, match=r"window must be in \[1, 64\] \(got 0\)"):
        sc.decode(np.zeros((1, 512, 510), np.uint8), window=0)
    with pytest.raises(ValueError, match="iterations must be an integer"):
        sc.decode(np.zeros((1, 512, 510), np.uint8), iterations=2.5)
    with pytest.raises(ValueError, match="perm must be a permutation"):
        StaircaseCode(perm=np.zeros(510, int))
    with pytest.raises(ValueError, match="rows \\+ cols must equal"):
        StaircaseCode(rows=512, cols=500)
    with pytest.raises(TypeError, match="component must be a BchCode"):
        StaircaseCode(component="ebch")


# ------------------------------------------------------------------ GPU against CPU

@pytest.mark.gpu
def test_bch_gpu_equals_cpu(code, rng):
    cp = pytest.importorskip("cupy")
    msg = rng.integers(0, 2, (3001, 990), dtype=np.uint8)
    cw = code.encode(msg)
    assert np.array_equal(code.encode(cp.asarray(msg)).get(), cw)
    r = cw ^ (rng.random(cw.shape) < 4e-3).astype(np.uint8)
    a, g = code.decode(r), code.decode(cp.asarray(r))
    assert np.array_equal(g.bits.get(), a.bits)
    assert np.array_equal(g.n_corrected.get(), a.n_corrected) and np.array_equal(g.failed.get(), a.failed)
    assert np.array_equal(code.syndromes(cp.asarray(r)).get(), code.syndromes(r))


@pytest.mark.gpu
@pytest.mark.parametrize("ber", [3e-3, 5e-3])
def test_staircase_gpu_equals_cpu(sc, rng, ber):
    cp = pytest.importorskip("cupy")
    info = rng.integers(0, 2, (6, 8, 512, 478), dtype=np.uint8)
    tx = sc.encode(info)
    assert np.array_equal(sc.encode(cp.asarray(info)).get(), tx)
    rx = tx ^ (rng.random(tx.shape) < ber).astype(np.uint8)
    a, g = sc.decode(rx, window=6, iterations=5), sc.decode(cp.asarray(rx), window=6, iterations=5)
    assert np.array_equal(g.blocks.get(), a.blocks)
    assert np.array_equal(g.unsolved.get(), a.unsolved) and np.array_equal(g.flips.get(), a.flips)

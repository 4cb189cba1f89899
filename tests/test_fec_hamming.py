"""Hamming inner codes (dsp.fec.hamming): construction, encoder, hard and Chase-II decoders.

Independent references: the codes' definitions rebuilt here from their published descriptions
(OIF 400ZR g(i) columns, the IEEE P802.3dj Table 177-1 generator and its test vector), exhaustive
enumeration of low-weight error patterns, a slow NumPy Chase-II written from the algorithm's
statement (one codeword and one test pattern at a time), and the union bound of a d = 4 code on
BPSK-AWGN. Statistical checks use Clopper-Pearson intervals at 99.9 %.
"""
import functools
import itertools
import zlib

import numpy as np
import pytest

from dsp.fec import (HammingCode, SymbolPairHammingCode, extended_hamming, hamming_68_60, hamming_128_119,
                     hamming_128_120)
from dsp.fec.hamming import DEFAULT_P, MAX_P, STATUS_CORRECTED, STATUS_FAILED, STATUS_OK
from dsp.metrics import ber_interval

# IEEE P802.3dj draft test vector (120 message bits, MSB = bit 0) and its parity, as transcribed in
# github.com/Omer-Sella/802.3 (ieeeConstants.py: tv1_tp4, tv1_parity)
TV1 = np.array([int(c) for c in
                "010110001100110011010110101010110110110110101110101110110011011110101010111110110110100101110101"
                "100000101101010010110000"], dtype=np.uint8)
TV1_PARITY = np.array([0, 1, 0, 1, 0, 0, 0, 1], dtype=np.uint8)


def binary_codes():
    return {"400zr-128-119": hamming_128_119(), "ext-128-120": extended_hamming(8),
            "dj-68-60": hamming_68_60(), "ext-short-40-33": extended_hamming(7, 40)}


def cols_int(H):
    return (H.astype(np.int64) << np.arange(H.shape[0])[:, None]).sum(axis=0)


# --------------------------------------------------------------------------- construction

def test_oif_400zr_matrix_from_definition():
    code = hamming_128_119()
    assert (code.n, code.k, code.m) == (128, 119, 9)
    # rebuild g(i) = [s0..s6, s7, 1] independently: s7 from its truth table
    s7_of = {(0, 0, 0): 0, (1, 0, 0): 0, (0, 1, 0): 0, (1, 1, 0): 1,
             (0, 0, 1): 1, (1, 0, 1): 1, (0, 1, 1): 0, (1, 1, 1): 1}

    def g(i):
        s = [(i // 2 ** j) % 2 for j in range(7)]
        return s + [s7_of[(s[0], s[1], s[2])], 1]

    order = list(range(63)) + list(range(64, 95)) + list(range(96, 111)) + list(range(112, 119)) + [120, 122, 124]
    order += [63, 95, 111, 119, 121, 123, 125, 126, 127]
    np.testing.assert_array_equal(code.H, np.array([g(i) for i in order]).T)
    assert sorted(order) == list(range(128))


def test_ieee_8023dj_test_vector_and_structure():
    code = hamming_128_120()
    assert isinstance(code, SymbolPairHammingCode) and (code.n, code.k) == (128, 120)
    c = code.encode(TV1)
    np.testing.assert_array_equal(c[:120], TV1)
    np.testing.assert_array_equal(c[120:], TV1_PARITY)
    comp = hamming_68_60()
    assert (comp.n, comp.k) == (68, 60)
    np.testing.assert_array_equal(comp.H[:, 60:], np.eye(8, dtype=np.uint8))
    assert np.all(comp.H.sum(axis=0) % 2 == 1)  # odd columns: d_min = 4
    # the XOR word of a codeword is a component codeword; both bits of a pair flipped stay a codeword
    assert comp.is_codeword(code.xor_word(c))
    c2 = c.copy()
    c2[10:12] ^= 1
    assert code.is_codeword(c2)


@pytest.mark.parametrize("name", list(binary_codes()))
def test_encoder_against_H(name):
    code = binary_codes()[name]
    G = code.G
    assert not np.any((G.astype(np.int64) @ code.H.T.astype(np.int64)) % 2)          # G H^T = 0
    rng = np.random.default_rng(1)
    u = rng.integers(0, 2, (3, 5, code.k), dtype=np.uint8)
    c = code.encode(u)
    assert c.shape == (3, 5, code.n) and c.dtype == np.uint8
    np.testing.assert_array_equal(c, (u.astype(np.int64) @ G) % 2)
    np.testing.assert_array_equal(code.message(c), u)
    assert code.is_codeword(c).all() and not code.syndrome(c).any()
    # rank of G = k (the encoder is injective)
    assert np.linalg.matrix_rank(G.astype(float)) == code.k


@pytest.mark.parametrize("name", list(binary_codes()))
def test_min_distance_exhaustive(name):
    code = binary_codes()[name]
    n = code.n
    col = cols_int(code.H)
    assert code.min_distance == 4
    # every pattern of weight 1, 2, 3 has a non-zero syndrome
    assert np.all(col != 0)
    i, j = np.triu_indices(n, 1)
    assert np.all(col[i] ^ col[j] != 0)
    three = np.array(list(itertools.combinations(range(n), 3)))
    assert np.all(col[three[:, 0]] ^ col[three[:, 1]] ^ col[three[:, 2]] != 0)
    # and some weight-4 pattern is a codeword
    x = col[i] ^ col[j]
    assert np.unique(x).size < x.size


def test_weight4_counts():
    # the double extension of 400ZR leaves fewer weight-4 codewords than the extended Hamming code
    def a4(code):
        col = cols_int(code.H)
        i, j = np.triu_indices(code.n, 1)
        _, cnt = np.unique(col[i] ^ col[j], return_counts=True)
        return int((cnt * (cnt - 1) // 2).sum() // 3)
    assert a4(hamming_128_119()) == 52576
    # extended Hamming code of length N = 2^r: A4 = N (N-1) (N-2) / 24 (every 3 columns have a 4th)
    assert a4(extended_hamming(8)) == 128 * 127 * 126 // 24


# --------------------------------------------------------------------------- hard decoding

@pytest.mark.parametrize("name", list(binary_codes()))
def test_hard_single_correction_double_detection_exhaustive(name):
    code = binary_codes()[name]
    n = code.n
    rng = np.random.default_rng(2)
    c = code.encode(rng.integers(0, 2, (1, code.k), dtype=np.uint8))[0]
    r = code.decode_hard(c[None])
    assert r.status[0] == STATUS_OK
    e1 = np.broadcast_to(c, (n, n)).copy()
    e1[np.arange(n), np.arange(n)] ^= 1
    r = code.decode_hard(e1)
    np.testing.assert_array_equal(r.bits, np.broadcast_to(c, (n, n)))
    assert np.all(r.status == STATUS_CORRECTED)
    np.testing.assert_array_equal(r.info, np.broadcast_to(c[:code.k], (n, code.k)))
    i, j = np.triu_indices(n, 1)
    e2 = np.broadcast_to(c, (i.size, n)).copy()
    e2[np.arange(i.size), i] ^= 1
    e2[np.arange(i.size), j] ^= 1
    r = code.decode_hard(e2)
    assert np.all(r.status == STATUS_FAILED)
    np.testing.assert_array_equal(r.bits, e2)  # returned unchanged


def test_hard_decoding_bool_and_batch_shapes():
    code = hamming_128_119()
    c = code.encode(np.zeros((2, 3, 119), dtype=bool))
    r = code.decode_hard(c.astype(bool))
    assert r.bits.shape == (2, 3, 128) and r.status.shape == (2, 3) and r.status.dtype == np.int8
    r0 = code.decode_hard(np.zeros((0, 128), dtype=np.uint8))
    assert r0.bits.shape == (0, 128) and r0.status.shape == (0,)


# --------------------------------------------------------------------------- Chase vs oracle

def chase_oracle(cols, llr_row, p, pairs=0):
    """Chase-II for one word, straight from the statement in kernels/common/hamming.h."""
    T = llr_row.dtype.type
    n = cols.size
    bits = (llr_row < 0).astype(np.uint8)
    if pairs:
        a, b = llr_row[:2 * pairs:2], llr_row[1:2 * pairs:2]
        h = np.concatenate([bits[:2 * pairs:2] ^ bits[1:2 * pairs:2], bits[2 * pairs:]])
        r = np.concatenate([np.minimum(np.abs(a), np.abs(b)), np.abs(llr_row[2 * pairs:])])
    else:
        h, r = bits, np.abs(llr_row)
    s0 = functools.reduce(lambda x, y: x ^ y, cols[h == 1].tolist(), 0)
    if s0 == 0:
        return bits, STATUS_OK
    where = {int(c): j for j, c in enumerate(cols)}
    q = sorted(range(n), key=lambda j: (r[j], j))[:p]
    best, best_d = None, None
    for t in range(2 ** p):
        flips = [i for i in range(p) if (t >> i) & 1]
        s = s0
        for i in flips:
            s ^= int(cols[q[i]])
        d = {q[i] for i in flips}
        extra = None
        if s:
            if s not in where:
                continue
            extra = where[s]
        metric = T(0)
        for i in sorted(flips, reverse=True):
            if q[i] != extra:
                metric = T(metric + r[q[i]])
        if extra is not None:
            if extra in d:
                d.discard(extra)
            else:
                d.add(extra)
                metric = T(metric + r[extra])
        if best is None or metric < best:
            best, best_d = metric, d
    if best is None:
        return bits, STATUS_FAILED
    out = bits.copy()
    for j in best_d:
        if j < pairs:
            out[2 * j if abs(llr_row[2 * j]) < abs(llr_row[2 * j + 1]) else 2 * j + 1] ^= 1
        else:
            out[j + pairs] ^= 1
    return out, STATUS_CORRECTED


def noisy(code, frames, ebn0_db, seed, dtype, quantize=None):
    rng = np.random.default_rng(seed)
    u = rng.integers(0, 2, (frames, code.k), dtype=np.uint8)
    c = code.encode(u)
    s2 = 1.0 / (2.0 * code.rate * 10 ** (ebn0_db / 10))
    y = (1.0 - 2.0 * c) + rng.normal(0.0, np.sqrt(s2), c.shape)
    llr = 2 * y / s2
    if quantize:  # few distinct magnitudes: many equal reliabilities and equal metrics
        llr = np.clip(np.round(llr / quantize), -3, 3) * quantize
    return u, c, llr.astype(dtype)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("quantize", [None, 1.5], ids=["continuous", "ties"])
@pytest.mark.parametrize("name", ["400zr-128-119", "dj-68-60", "ext-short-40-33"])
def test_chase_matches_oracle(name, quantize, dtype):
    code = binary_codes()[name]
    _, _, llr = noisy(code, 60, 3.0, seed=zlib.crc32(name.encode()) % 997, dtype=dtype, quantize=quantize)
    col = cols_int(code.H)
    for p in (0, 1, 3, DEFAULT_P):
        got = code.decode_chase(llr, p=p)
        want = [chase_oracle(col, row, p) for row in llr]
        np.testing.assert_array_equal(got.bits, np.array([w[0] for w in want]))
        np.testing.assert_array_equal(got.status, np.array([w[1] for w in want], dtype=np.int8))
        assert got.bits.dtype == np.uint8 and got.status.dtype == np.int8
    # the sample spans all three outcomes
    st = code.decode_chase(llr, p=1).status
    assert {0, 1, 2} <= set(st.tolist())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("quantize", [None, 1.5], ids=["continuous", "ties"])
def test_pair_code_chase_matches_oracle(quantize, dtype):
    code = hamming_128_120()
    _, _, llr = noisy(code, 60, 3.0, seed=7, dtype=dtype, quantize=quantize)
    col = cols_int(code.component.H)
    for p in (0, 2, DEFAULT_P):
        got = code.decode_chase(llr, p=p)
        want = [chase_oracle(col, row, p, pairs=60) for row in llr]
        np.testing.assert_array_equal(got.bits, np.array([w[0] for w in want]))
        np.testing.assert_array_equal(got.status, np.array([w[1] for w in want], dtype=np.int8))
        ok = got.status != STATUS_FAILED
        assert code.is_codeword(got.bits[ok]).all()
        np.testing.assert_array_equal(got.info, got.bits[:, :120])
    # pair_llr: the component's max-log LLRs
    pl = code.pair_llr(llr)
    a, b = llr[:, 0:120:2], llr[:, 1:120:2]
    np.testing.assert_array_equal(np.abs(pl[:, :60]), np.minimum(np.abs(a), np.abs(b)))
    nz = np.minimum(np.abs(a), np.abs(b)) > 0
    np.testing.assert_array_equal((pl[:, :60] < 0)[nz], ((a < 0) ^ (b < 0))[nz])


def test_pair_code_corrects_any_single_symbol_error():
    # one PAM4 symbol one level off (a single bit of a pair, the less reliable one) is corrected
    code = hamming_128_120()
    rng = np.random.default_rng(3)
    c = code.encode(rng.integers(0, 2, 120, dtype=np.uint8))
    llr = np.where(c == 0, 4.0, -4.0)
    words = []
    for k in range(64):
        for bit in (0, 1):
            w = llr.copy()
            pos = 2 * k + bit
            w[pos] = -0.5 * np.sign(w[pos])           # wrong sign, low reliability
            words.append(w)
    r = code.decode_chase(np.array(words), p=0)
    np.testing.assert_array_equal(r.bits, np.broadcast_to(c, (128, 128)))
    assert np.all(r.status == STATUS_CORRECTED)


def test_chase_llr_convention_noiseless_and_one_flip():
    code = hamming_128_119()
    rng = np.random.default_rng(4)
    c = code.encode(rng.integers(0, 2, (4, 119), dtype=np.uint8))
    llr = np.where(c == 0, 3.0, -3.0).astype(np.float32)     # positive = bit 0
    r = code.decode_chase(llr)
    np.testing.assert_array_equal(r.bits, c)
    assert np.all(r.status == STATUS_OK)
    bad = llr.copy()
    bad[:, [5, 77]] *= -0.1                                    # two weak wrong bits: beyond hard decoding
    assert np.all(code.decode_hard((bad < 0).astype(np.uint8)).status == STATUS_FAILED)
    r = code.decode_chase(bad, p=2)
    np.testing.assert_array_equal(r.bits, c)
    assert np.all(r.status == STATUS_CORRECTED)


# --------------------------------------------------------------------------- error rates

def q_func(x):
    from math import erfc, sqrt

    return 0.5 * erfc(x / sqrt(2))


def test_chase_beats_hard_decoding_awgn():
    code = hamming_128_119()
    u, _, llr = noisy(code, 40_000, 6.0, seed=11, dtype=np.float32)
    e_hard = int((code.decode_chase(llr, p=0).info != u).sum())
    e_chase = int((code.decode_chase(llr).info != u).sum())
    bits = u.size
    lo_h, _ = ber_interval(e_hard, bits, 0.999)
    _, hi_c = ber_interval(e_chase, bits, 0.999)
    assert e_chase >= 100 and e_hard >= 1000
    assert hi_c * 8 < lo_h, (e_hard, e_chase)      # measured ratio about 20 at 6 dB


def test_chase_near_ml_union_bound():
    # d = 4 code with A4 weight-4 codewords: near-ML decoding has a word error rate close to the
    # union bound's leading term A4 Q(sqrt(8 R Eb/N0)) at high SNR; Chase with p = 7 measures 0.90 ..
    # 1.04 of it at 6 dB (three seeds). Words, not bits, are the independent trials.
    code = hamming_128_119()
    ebn0 = 6.0
    frames = 150_000
    u, _, llr = noisy(code, frames, ebn0, seed=12, dtype=np.float32)
    w = int((code.decode_chase(llr, p=7).info != u).any(axis=-1).sum())
    lo, hi = ber_interval(w, frames, 0.999)
    ub = 52576 * q_func(np.sqrt(8 * code.rate * 10 ** (ebn0 / 10)))
    assert w >= 150
    assert 0.7 * ub < hi and lo < 1.1 * ub, (w / frames, ub)


# --------------------------------------------------------------------------- bad input

def test_bad_input():
    code = hamming_128_119()
    pair = hamming_128_120()
    llr = np.ones((2, 128), dtype=np.float32)
    with pytest.raises(ValueError, match=r"llr must have shape \(\.\.\., 128\)"):
        code.decode_chase(np.ones((2, 127), dtype=np.float32))
    with pytest.raises(TypeError, match="llr must be float32 or float64"):
        code.decode_chase(np.ones((2, 128), dtype=np.int32))
    with pytest.raises(TypeError, match="llr must be float32 or float64"):
        pair.decode_chase(np.ones((2, 128), dtype=np.float16))
    bad = llr.copy()
    bad[1, 7] = np.nan
    with pytest.raises(ValueError, match="llr must be finite .*codeword 1, bit 7"):
        code.decode_chase(bad)
    bad[1, 7] = np.inf
    with pytest.raises(ValueError, match="llr must be finite"):
        pair.decode_chase(bad)
    for p in (-1, MAX_P + 1, 2.5):
        with pytest.raises(ValueError, match="p must be"):
            code.decode_chase(llr, p=p)
    with pytest.raises(ValueError, match="p must be"):
        extended_hamming(3).decode_chase(np.ones(4), p=5)   # p > n
    with pytest.raises(ValueError, match=r"msg must have shape \(\.\.\., 119\)"):
        code.encode(np.zeros(120, dtype=np.uint8))
    with pytest.raises(ValueError, match="msg must hold only 0 and 1"):
        code.encode(np.full(119, 2, dtype=np.uint8))
    with pytest.raises(TypeError, match="bits must be an integer or bool"):
        code.decode_hard(np.zeros(128, dtype=np.float32))
    with pytest.raises(ValueError, match="threads must be"):
        code.decode_chase(llr, threads=0)
    # constructor checks
    with pytest.raises(ValueError, match="distinct columns"):
        HammingCode(np.array([[1, 1, 1, 0], [0, 0, 0, 1]]))
    with pytest.raises(ValueError, match="no zero column"):
        HammingCode(np.array([[0, 1, 0], [0, 0, 1]]))
    with pytest.raises(ValueError, match="linearly independent"):
        HammingCode(np.array([[0, 1, 0, 1], [0, 0, 1, 1], [1, 0, 0, 0]]))
    with pytest.raises(ValueError, match="only 0 and 1"):
        HammingCode(np.array([[2, 0, 1], [0, 1, 1]]))
    with pytest.raises(ValueError, match="r must be"):
        extended_hamming(2)
    with pytest.raises(AttributeError, match="immutable"):
        code._n = 5
    with pytest.raises(AttributeError, match="immutable"):
        pair.x = 1
    assert not code.H.flags.writeable


# --------------------------------------------------------------------------- GPU

@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gpu_equals_cpu(dtype):
    from dsp.backend import gpu_unavailable_reason

    if gpu_unavailable_reason():
        pytest.skip(gpu_unavailable_reason())
    import cupy as cp

    for code in (hamming_128_119(), hamming_128_120()):
        _, _, llr = noisy(code, 5000, 4.0, seed=21, dtype=dtype, quantize=None)
        _, _, llr_t = noisy(code, 500, 3.0, seed=22, dtype=dtype, quantize=1.5)
        for x in (llr, llr_t):
            for p in (0, 3, DEFAULT_P):
                a = code.decode_chase(x, p=p)
                b = code.decode_chase(cp.asarray(x), p=p)
                np.testing.assert_array_equal(cp.asnumpy(b.bits), a.bits)
                np.testing.assert_array_equal(cp.asnumpy(b.status), a.status)
        u = np.random.default_rng(1).integers(0, 2, (100, code.k), dtype=np.uint8)
        np.testing.assert_array_equal(cp.asnumpy(code.encode(cp.asarray(u))), code.encode(u))
    bad = cp.ones((3, 128), dtype=dtype)
    bad[2, 4] = cp.nan
    with pytest.raises(ValueError, match="llr must be finite"):
        hamming_128_119().decode_chase(bad)

"""FEC chains (dsp.fec.chains): the codeword-translation argument checked against real encoders and
decoders, the KP4 counting path against the real RS decoder, threshold behaviour on AWGN, input checks.

Run: python -m pytest tests/test_fec_chains.py -q
"""
import math

import numpy as np
import pytest
from scipy.stats import norm

from dsp.fec import (codeword_error_rate_binomial, hamming_128_119, symbol_error_prob_from_ber, hamming_128_120, kp4, ldpc_code,
                     list_ldpc_codes, zr400_staircase)
from dsp.fec.chains import (FEC_SPECS, CfecChain, FecCounts, Kp4Chain, Kp4HammingChain, LdpcChain, _conv_gather_index,
                            fec_chain)
from dsp.fec.interleave import bits_to_symbols, deinterleave, interleave, symbols_to_bits
from dsp.modulation import bits_to_labels, demap_llr, map_labels, pam

THREADS = 2


def _bpsk_llr(rng, c, ber):
    """Channel LLRs of BPSK (0 -> +1) over AWGN at the raw BER ``ber``, for transmitted bits ``c``."""
    s = 1.0 / norm.isf(ber)
    y = (1.0 - 2.0 * c) + rng.normal(0.0, s, c.shape)
    return (2.0 * y / s ** 2).astype(np.float32)


def _pam4_llr(rng, c, ber):
    """Exact LLRs of Gray PAM4 over AWGN for bits ``c`` (pairs MSB first), the noise set so that the
    raw BER is about ``ber``: Gray PAM4 (levels 2d apart) has BER = (3/4) Q(d / sigma)."""
    const = pam(4)
    d = float(const.d)
    sigma = d / norm.isf(ber / 0.75)
    y = map_labels(bits_to_labels(c, 2), const, dtype=np.float64)
    y = y + rng.normal(0.0, sigma, y.shape)
    return demap_llr(y, const, sigma ** 2, method="exact", dtype=np.float32)


def _wilson(k, n, z=4.0):
    p = k / n
    den = 1 + z * z / n
    mid = (p + z * z / (2 * n)) / den
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / den
    return mid - half, mid + half


# ------------------------------------------------------------------ specs and inputs

def test_fec_chain_specs():
    assert fec_chain("none") is None
    assert isinstance(fec_chain("kp4"), Kp4Chain)
    assert isinstance(fec_chain("kp4+hamming"), Kp4HammingChain)
    assert isinstance(fec_chain("cfec"), CfecChain)
    for name in list_ldpc_codes():
        ch = fec_chain(f"ldpc:{name}")
        assert isinstance(ch, LdpcChain) and ch.name == f"ldpc:{name}"
    assert fec_chain("kp4", ways=4).ways == 4
    assert "ldpc:<name>" in FEC_SPECS


@pytest.mark.parametrize("bad", ["KP4", "kp4 ", "rs", "ldpc:", "ldpc:nope", "hamming", "", 3, None])
def test_fec_chain_bad_spec(bad):
    with pytest.raises(ValueError, match="kp4, kp4\\+hamming, cfec, ldpc:wifi-1944-r12"):
        fec_chain(bad)


def test_fec_chain_bad_options():
    with pytest.raises(ValueError, match="ways"):
        fec_chain("kp4", ways=0)
    with pytest.raises(ValueError, match="p must be"):
        fec_chain("kp4+hamming", p=11)
    with pytest.raises(ValueError, match="stream_blocks"):
        fec_chain("cfec", stream_blocks=3)
    with pytest.raises(ValueError, match="scaling"):
        fec_chain("ldpc:wifi-648-r56", scaling=0.0)
    with pytest.raises(TypeError):
        fec_chain("kp4", p=3)
    with pytest.raises(TypeError):
        fec_chain("none", ways=2)


def test_count_input_checks():
    ch = fec_chain("kp4")
    b = np.zeros((2, 11000), np.uint8)
    with pytest.raises(TypeError, match="tx_bits must be a uint8 or bool"):
        ch.count(b.astype(np.int64), hard=b)
    with pytest.raises(ValueError, match="hard must have the shape of tx_bits"):
        ch.count(b, hard=b[:, :-2])
    with pytest.raises(ValueError, match="llr must have the shape of tx_bits"):
        ch.count(b, llr=np.ones((2, 10000), np.float32))
    with pytest.raises(TypeError, match="llr must be float32 or float64"):
        ch.count(b, llr=np.ones(b.shape, np.float16))
    with pytest.raises(ValueError, match="tx_bits must hold only 0 and 1"):
        ch.count(b + 2, hard=b)
    with pytest.raises(ValueError, match="needs llr or hard"):
        ch.count(b)
    with pytest.raises(ValueError, match="threads"):
        ch.count(b, hard=b, threads=0)
    with pytest.raises(ValueError, match="llr must be given"):
        fec_chain("kp4+hamming").count(b, hard=b)
    with pytest.raises(ValueError, match="llr must be given"):
        fec_chain("ldpc:wifi-648-r56").count(b, hard=b)


def test_fec_counts_add_and_rates():
    a = FecCounts(1, 10, 1, 2, 3, 20, 2, 15)
    s = a + FecCounts(2, 30, 0, 2, 1, 20)
    assert s == FecCounts(3, 40, 1, 4, 4, 40, 2, 15)
    assert s.ber == 3 / 40 and s.fer == 1 / 4 and s.pre_fec_ber == 0.1
    assert math.isnan(FecCounts().ber)
    assert sum([a, a], FecCounts()) == a + a


# ------------------------------------------------------------------ zero errors, short input

@pytest.mark.parametrize("spec", ["kp4", "kp4+hamming", "cfec", "ldpc:wifi-648-r56"])
def test_zero_errors_zero_counts(spec):
    ch = fec_chain(spec)
    rng = np.random.default_rng(1)
    n = ch.min_bits + 1234  # the remainder is dropped
    b = rng.integers(0, 2, (2, n // 2), dtype=np.uint8)
    llr = np.where(b == 1, -8.0, 8.0).astype(np.float32)
    c = ch.count(b, llr, threads=THREADS)
    assert c.frames >= 1 and c.info_bits > 0
    assert c.info_bit_errors == 0 and c.frame_errors == 0 and c.channel_bit_errors == 0 and c.inner_bit_errors == 0
    assert c.info_bits == pytest.approx(c.frames * c.info_bits / c.frames)
    # too short: nothing counted, no error
    short = ch.count(b[:1, :ch.min_bits // 4], llr[:1, :ch.min_bits // 4])
    assert short.frames == 0 and short.info_bits == 0


def test_kp4_hard_and_llr_agree():
    ch = fec_chain("kp4")
    rng = np.random.default_rng(2)
    b = rng.integers(0, 2, (3, 40000), dtype=np.uint8)
    llr = _bpsk_llr(rng, b, 3e-3)
    c1 = ch.count(b, llr)
    c2 = ch.count(b.astype(bool), hard=(llr < 0))
    assert c1 == c2 and c1.frame_errors > 0
    assert c1.frames == 2 * (120000 // 10880) and c1.info_bits == c1.frames * 5140


# ------------------------------------------------------------------ KP4 counting path vs the decoder

def test_kp4_counting_matches_rs_decoder():
    """Random error patterns of 10 .. 20 symbol errors per codeword (around t = 15): the chain's
    failure decisions and residual message-bit errors equal the real decoder's."""
    rs = kp4()
    rng = np.random.default_rng(3)
    ways, groups = 2, 100
    msg = rng.integers(0, 1024, (groups, ways, 514)).astype(np.uint16)
    cw = rs.encode(msg)  # (groups, ways, 544)
    err = np.zeros_like(cw)
    nerr = rng.integers(10, 21, (groups, ways))
    for g in range(groups):
        for w in range(ways):
            pos = rng.choice(544, nerr[g, w], replace=False)
            err[g, w, pos] = rng.integers(1, 1024, pos.size)
    rx = cw ^ err
    tx_bits = symbols_to_bits(interleave(cw, ways), 10)  # (groups, 10880) line bits
    rx_bits = symbols_to_bits(interleave(rx, ways), 10)
    c = fec_chain("kp4", ways=ways).count(tx_bits, hard=rx_bits)
    dec = rs.decode(rx)
    assert c.frames == groups * ways
    assert c.frame_errors == int(dec.failed.sum()) == int((nerr > 15).sum())
    wrong = symbols_to_bits(dec.codewords[..., :514] ^ msg, 10)
    assert c.info_bit_errors == int(wrong.sum())
    assert c.channel_bit_errors == int(symbols_to_bits(err, 10).sum())


def test_kp4_fer_matches_binomial():
    """Independent bit errors at BER 2e-3: codeword error rate vs the binomial closed form
    (dsp.fec.postfec), inside a 4-sigma Wilson interval."""
    rng = np.random.default_rng(4)
    p = 2e-3
    n = 10880 * 600
    b = rng.integers(0, 2, n, dtype=np.uint8)
    e = (rng.random(n) < p).astype(np.uint8)
    c = fec_chain("kp4").count(b, hard=b ^ e)
    lo, hi = _wilson(c.frame_errors, c.frames)
    expect = codeword_error_rate_binomial(symbol_error_prob_from_ber(p, 10), n=544, t=15)
    assert c.frames == 1200 and lo <= expect <= hi, (c.frame_errors, c.frames, expect)


# ------------------------------------------------------------------ the translation argument

def test_translation_ldpc():
    code = ldpc_code("wifi-648-r56")
    rng = np.random.default_rng(5)
    cw = code.encode(rng.integers(0, 2, (400, code.k), dtype=np.uint8))
    llr = _bpsk_llr(rng, cw, 2.2e-2)
    real = code.decode(llr, max_iterations=10, scaling=0.75)
    c = fec_chain("ldpc:wifi-648-r56").count(cw, llr)
    info_err = real.info ^ cw[:, code.info_positions]
    assert c.info_bit_errors == int(info_err.sum()) > 0
    assert c.frame_errors == int((real.bits != cw).any(axis=1).sum())
    assert c.frames == 400 and c.info_bits == 400 * code.k
    # and the translated decode returns exactly c XOR (real decode)
    lt = np.where(cw == 1, -llr, llr)
    assert np.array_equal(code.decode(lt).bits ^ cw, real.bits)


@pytest.mark.parametrize("which", ["128-119", "128-120"])
def test_translation_hamming(which):
    code = hamming_128_119() if which == "128-119" else hamming_128_120()
    rng = np.random.default_rng(6)
    cw = code.encode(rng.integers(0, 2, (20000, code.k), dtype=np.uint8))
    llr = (_pam4_llr(rng, cw, 1e-2) if which == "128-120" else _bpsk_llr(rng, cw, 1e-2))
    real = code.decode_chase(llr).bits
    lt = np.where(cw == 1, -llr, llr)
    trans = code.decode_chase(lt).bits
    assert np.array_equal(trans ^ cw, real)
    assert (real != cw).any()  # the noise was strong enough to leave errors


def test_conv_interleaver_gather_matches_fifo():
    """The tail-biting gather equals a shift-register (Forney) deinterleaver away from the wrap."""
    P, D = 3, 4
    delays = [(P - 1 - i) * D for i in range(P)]
    U = 3 * 40
    data = np.arange(U)
    # transmitter: branch i is a FIFO of delays[i] cells clocked when the commutator visits it
    fifos = [[-1] * d for d in delays]
    line = np.empty(U, dtype=np.int64)
    for t in range(U):
        f = fifos[t % P]
        f.append(data[t])
        line[t] = f.pop(0)
    idx = _conv_gather_index(np, U, P, delays)
    out = line[idx]
    ok = np.arange(U) + np.asarray(delays)[np.arange(U) % P] * P < U
    assert np.array_equal(out[ok], data[ok]) and ok.sum() > U // 2
    assert np.array_equal(np.sort(idx), np.arange(U))  # a permutation


def test_kp4_hamming_end_to_end():
    """Real encoders (RS, interleavers, Hamming(128,120)) and decoders (Chase, RS) on PAM4 AWGN give
    the chain's counts (the chain never sees the code)."""
    ch = fec_chain("kp4+hamming")
    rs, hm = kp4(), hamming_128_120()
    rng = np.random.default_rng(7)
    ways, groups = 2, 60
    frames = groups * ways * 5440 // 120  # 5440 = 45.33 frames: 60 groups fill 5440 whole frames
    msg = rng.integers(0, 1024, (groups, ways, 514)).astype(np.uint16)
    rs_bits = symbols_to_bits(interleave(rs.encode(msg), ways), 10).reshape(-1)  # outer stream
    units = rs_bits.reshape(-1, 40)
    idx = _conv_gather_index(np, units.shape[0], 3, [384, 192, 0])
    line_units = np.empty_like(units)
    line_units[idx] = units  # transmitter: the inverse of the receiver's gather
    tx = hm.encode(line_units.reshape(frames, 120))  # (frames, 128)
    llr = _pam4_llr(rng, tx, 9e-3)
    # real receiver
    inner = hm.decode_chase(llr).info.reshape(-1, 40)[idx].reshape(groups, -1)
    dec = rs.decode(deinterleave(bits_to_symbols(inner, 10), ways))
    wrong = int(symbols_to_bits(dec.codewords[..., :514] ^ msg, 10).sum())
    c = ch.count(tx, llr)
    assert c.frames == groups * ways and c.frame_errors == int(dec.failed.sum())
    assert 0 < c.frame_errors < c.frames
    assert c.info_bit_errors == wrong
    assert c.inner_bit_errors == int((inner != rs_bits.reshape(groups, -1)).sum())


def test_cfec_end_to_end():
    """Real staircase + interleaver + Hamming(128,119) encoders and decoders on BPSK AWGN near the
    threshold give the chain's counts (last 3 blocks of the stream not counted)."""
    ch = fec_chain("cfec")
    sc, hm = zr400_staircase(), hamming_128_119()
    rng = np.random.default_rng(8)
    L = 5
    frames = 16 * 686  # 1,306,144 payload bits: 5 blocks (1,305,600) + 544 filler bits
    info = rng.integers(0, 2, (1, L, 512, 478), dtype=np.uint8)
    blocks = sc.encode(info)
    stream = np.concatenate([blocks.reshape(-1), rng.integers(0, 2, frames * 119 - blocks.size, dtype=np.uint8)])
    units = stream.reshape(frames, 119)
    idx = _conv_gather_index(np, frames, 16, [2 * i for i in range(16)])
    line = np.empty_like(units)
    line[idx] = units
    tx = hm.encode(line)
    llr = _bpsk_llr(rng, tx, 1.2e-2)
    inner = hm.decode_chase(llr).info[idx].reshape(-1)[:blocks.size].reshape(blocks.shape)
    dec = sc.decode(inner)
    wrong = dec.info[:, :L - 3] ^ info[:, :L - 3]
    c = ch.count(tx, llr)
    assert c.frames == L - 3 and c.info_bits == (L - 3) * 512 * 478
    assert c.info_bit_errors == int(wrong.sum())
    assert c.frame_errors == int(wrong.reshape(L - 3, -1).any(axis=1).sum())
    assert c.inner_bit_errors == int((inner[:, :L - 3] != blocks[:, :L - 3]).sum()) > 0


# ------------------------------------------------------------------ threshold behaviour on AWGN

def test_threshold_kp4_hamming_pam4():
    """802.3dj concatenated code on Gray PAM4 AWGN: no residual errors at 0.8x the literature
    threshold (4.85e-3), a large fraction of the RS codewords failed at 2.5x. (Measured with this
    chain, 4.5e7 information bits per point: post-FEC BER 0 at 6.5e-3, 3.8e-7 at 7.0e-3, 3.2e-6
    at 7.5e-3; the inner decoder's output BER is 2.6e-4, the KP4 limit, at 4.85e-3.)"""
    ch = fec_chain("kp4+hamming")
    rng = np.random.default_rng(9)
    n = 128 * 16000
    b = rng.integers(0, 2, n, dtype=np.uint8)
    good = ch.count(b, _pam4_llr(rng, b, 0.8 * 4.85e-3))
    assert good.info_bit_errors == 0 and good.frames >= 350
    assert 0.7 * 4.85e-3 < good.pre_fec_ber < 0.9 * 4.85e-3
    bad = ch.count(b, _pam4_llr(rng, b, 2.5 * 4.85e-3))
    assert bad.frame_errors > 0.3 * bad.frames


def test_threshold_cfec_bpsk():
    """CFEC on BPSK AWGN: no residual errors at 1.0e-2 (0.8x the 1.25e-2 of the literature), nearly
    every block in error at 1.4e-2."""
    ch = fec_chain("cfec")
    rng = np.random.default_rng(10)
    n = ch.min_bits * 2
    b = rng.integers(0, 2, n, dtype=np.uint8)
    good = ch.count(b, _bpsk_llr(rng, b, 1.0e-2))
    assert good.frames >= 5 and good.info_bit_errors == 0
    bad = ch.count(b, _bpsk_llr(rng, b, 1.4e-2))
    assert bad.frame_errors == bad.frames and bad.ber > 1e-3


def test_threshold_ldpc_and_kp4():
    rng = np.random.default_rng(11)
    ch = fec_chain("ldpc:wifi-648-r56")
    b = rng.integers(0, 2, 648 * 1000, dtype=np.uint8)
    assert ch.count(b, _bpsk_llr(rng, b, 5e-3)).info_bit_errors == 0
    assert ch.count(b, _bpsk_llr(rng, b, 4e-2)).fer > 0.5
    k = fec_chain("kp4")
    b = rng.integers(0, 2, 10880 * 300, dtype=np.uint8)
    assert k.count(b, _bpsk_llr(rng, b, 0.5 * 2.4e-4)).info_bit_errors == 0
    assert k.count(b, _bpsk_llr(rng, b, 4e-3)).fer > 0.9


def test_chain_attributes():
    for spec, thr in [("kp4", 2.4e-4), ("kp4+hamming", 4.85e-3), ("cfec", 1.25e-2), ("ldpc:wifi-1944-r56", None)]:
        ch = fec_chain(spec)
        assert ch.threshold_ber == thr and ch.name == spec
        assert 0.8 < ch.rate < 1 and ch.bits_per_frame > 0 and ch.min_bits > 0
    assert fec_chain("kp4+hamming").rate == pytest.approx(514 / 544 * 120 / 128)
    assert fec_chain("cfec").rate == pytest.approx(239 / 255 * 119 / 128)
    assert fec_chain("cfec").bits_per_frame == pytest.approx(512 * 510 * 128 / 119)


# ------------------------------------------------------------------ GPU

@pytest.mark.gpu
@pytest.mark.parametrize("spec,ber", [("kp4", 3e-3), ("kp4+hamming", 9e-3), ("cfec", 1.2e-2),
                                      ("ldpc:wifi-648-r56", 2e-2)])
def test_gpu_equals_cpu(spec, ber):
    """CuPy input runs the GPU decoders; the counts equal the CPU chain's exactly."""
    from dsp.backend import gpu_unavailable_reason

    if gpu_unavailable_reason():
        pytest.skip(gpu_unavailable_reason())
    import cupy as cp

    ch = fec_chain(spec)
    rng = np.random.default_rng(12)
    b = rng.integers(0, 2, (3, ch.min_bits // 2 + 5000), dtype=np.uint8)
    llr = _bpsk_llr(rng, b, ber)
    cpu = ch.count(b, llr)
    gpu = ch.count(cp.asarray(b), cp.asarray(llr))
    assert gpu == cpu and cpu.channel_bit_errors > 0

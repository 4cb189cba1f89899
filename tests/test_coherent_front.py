"""The fused CPU front end of the coherent link (dsp.sim.coherent CoherentLink._front_cpu,
kernels/cpu/coherent_front.pyx) against the generic stage-by-stage chain
``coherent_detect(propagate(transmit(...)))`` on the same seed, and the kernels against slow NumPy
oracles."""
import dataclasses
import math

import numpy as np
import pytest

import dsp.sim.coherent as coherent
from dsp.backend import get_backend
from dsp.channel import NormalStream
from dsp.channel.iq import coherent_detect
from dsp.modulation import map_labels
from dsp.sim.coherent import CoherentLink

BE = get_backend("cpu")
# The 400ZR impairment set (CD, 100 kHz lasers, 1 GHz offset, 10 ps DGD, random SOP) on short frames.
BASE = CoherentLink(osnr_db=21.0, cd_ps_nm=2400.0, linewidth_hz=100e3, freq_offset_hz=1e9, dgd_ps=10.0,
                    frame_symbols=1031, n_skip=128, tail_symbols=64)


def _symbols(link, frames, seed, threads):
    label_rng, normal, sop_rng = link._random_sources(BE, np.random.SeedSequence(seed), threads)
    labels = label_rng.integers(0, link.m, size=(frames, 2, link.frame_symbols), dtype=np.uint8)
    return map_labels(labels, link.constellation, link._ctype()), normal, link._jones(sop_rng, frames)


def _generic_and_fast(link, frames, seed=1, threads=2):
    sym, n_a, jones = _symbols(link, frames, seed, threads)
    a = coherent_detect(link.propagate(link.transmit(sym, n_a), n_a, jones), link.adc_bits, link.adc_clip)
    _, n_b, _ = _symbols(link, frames, seed, threads)
    assert link._fast_front_applies(sym, n_b)
    b = link._front_cpu(sym, n_b, jones)
    assert n_a._pair == n_b._pair  # the same stream use
    return a, b


@pytest.mark.parametrize("over", [
    {}, dict(precision="double"), dict(tx_osnr_db=28.0), dict(pdl_db=3.0), dict(pdl_db=3.0, dgd_ps=0.0),
    dict(pdl_db=2.0, tx_osnr_db=25.0, precision="double"), dict(dgd_ps=0.0), dict(linewidth_hz=0.0),
    dict(linewidth_hz=0.0, pdl_db=2.0), dict(linewidth_hz=0.0, pdl_db=2.0, dgd_ps=0.0, precision="double"),
    dict(linewidth_hz=20e6), dict(osnr_db=math.inf), dict(freq_offset_hz=-3.3e9, timing_offset_sym=0.3),
    dict(cd_ps_nm=0.0, dgd_ps=0.0), dict(random_sop=False, dgd_ps=0.0, cd_ps_nm=0.0, linewidth_hz=0.0,
                                         freq_offset_hz=0.0, osnr_db=math.inf),
    dict(random_sop=False, pdl_db=0.0, dgd_ps=4.0), dict(frame_symbols=1024, m=64, rolloff=0.0),
    dict(cd_ps_nm="auto", length_km=50.0, m=4)])
@pytest.mark.parametrize("frames", [1, 5])
def test_fused_front_end_equals_the_stage_chain(over, frames, monkeypatch):
    monkeypatch.setattr(coherent, "FRONT_BLOCK_SAMPLES", 2)  # blocks of two frames, so the thread pool runs
    link = dataclasses.replace(BASE, **over)
    a, b = _generic_and_fast(link, frames)
    assert a.dtype == b.dtype == link._ctype() and a.shape == b.shape == (frames, 2, 2 * link.frame_symbols)
    tol = 1e-11 if link.precision == "double" else 3e-6
    assert np.abs(a - b).max() <= tol * np.abs(a).max()
    assert np.allclose(np.mean(np.abs(b) ** 2, axis=-1), 1.0, rtol=1e-4)  # unit power per (frame, pol)


def test_fused_front_end_with_adc_quantizes_like_coherent_detect():
    link = dataclasses.replace(BASE, adc_bits=5, adc_clip=2.5)
    a, b = _generic_and_fast(link, 3)
    step = 2 * 2.5 / math.sqrt(2) / 32
    diff = np.abs(a - b)
    # identical levels except where float rounding put a sample on the other side of a threshold
    assert np.mean(diff > 0) < 1e-3 and diff.max() <= 1.5 * step
    assert np.unique(b.real).size <= 32


def test_fused_front_end_does_not_depend_on_threads(monkeypatch):
    monkeypatch.setattr(coherent, "FRONT_BLOCK_SAMPLES", 2)
    _, one = _generic_and_fast(BASE, 5, threads=1)
    _, two = _generic_and_fast(BASE, 5, threads=2)
    assert np.array_equal(one, two)


def test_fast_path_applies_only_where_it_models_the_link():
    sym, normal, _ = _symbols(BASE, 1, 0, 1)
    assert BASE._fast_front_applies(sym, normal)
    assert dataclasses.replace(BASE, adc_bits=6)._fast_front_applies(sym, normal)  # the ADC runs after it
    for over in (dict(iq_modulator="mzm"), dict(iq_gain_imbalance_db=0.5), dict(iq_phase_error_deg=2.0),
                 dict(iq_skew_ps=1.0), dict(n_spans=1)):
        assert not dataclasses.replace(BASE, **over)._fast_front_applies(sym, normal), over
    assert not BASE._fast_front_applies(sym, np.random.default_rng(0))  # not a NormalStream
    assert not BASE._fast_front_applies(sym.astype(np.complex128), normal)  # not the link's precision
    assert not BASE._fast_front_applies(sym[0], normal)  # not (frames, 2, n)
    assert not BASE._fast_front_applies(sym.tolist(), normal)  # not a NumPy array (e.g. CuPy)


def test_run_batch_counts_equal_the_generic_path(monkeypatch):
    link = CoherentLink(osnr_db=17.5, cd_ps_nm=2400.0, linewidth_hz=100e3, freq_offset_hz=1e9, dgd_ps=10.0,
                        frame_symbols=8192, n_skip=2048)
    n = 2 * 2 * link.counted_per_frame
    fast = link.run_batch(BE, np.random.SeedSequence(3), n)
    monkeypatch.setattr(CoherentLink, "_fast_front_applies", lambda self, symbols, normal: False)
    generic = link.run_batch(BE, np.random.SeedSequence(3), n)
    assert fast.bits == generic.bits and generic.bit_errors > 100
    # the two front ends differ by float rounding (about 1e-7 of the signal): a decision may flip
    assert abs(fast.bit_errors - generic.bit_errors) <= 2


# ----------------------------------------------------------------------------- kernels vs NumPy oracles

def _stream(key, first_pair, count, dtype):
    z = NormalStream(BE, key).standard_normal(2 * first_pair + count, dtype=dtype)
    return z[2 * first_pair:].astype(np.float64)


@pytest.mark.parametrize("ctype", [np.complex64, np.complex128])
def test_kernel_normals_are_the_stream_elements_exactly(ctype):
    rdt = np.float32 if ctype == np.complex64 else np.float64
    frames, n, row0, pair = 3, 333, 2, 17
    x = np.zeros((frames, 2, n), dtype=ctype)
    BE.ops.coherent_tx_pass(x, 0.0, 0, 1.0, pair, None, row0, (9, 10), 2)
    z = NormalStream(BE, (9, 10)).standard_normal(2 * pair + (row0 + frames) * 2 * n * 2, dtype=rdt)
    want = z[2 * pair + row0 * 2 * n * 2:].view(ctype).reshape(frames, 2, n)
    assert np.array_equal(x, want)  # bit-identical: the same Philox stream, vectorized or not


def _phase(key, pair, row0, frames, n, sigma, rdt):
    z = _stream(key, pair, (row0 + frames) * n, rdt)[row0 * n:].reshape(frames, 1, n)
    d = (z.astype(rdt) * rdt(sigma)).astype(np.float64)  # increments in the field's precision
    return np.cumsum(d, axis=-1)


def _ase(key, pair, row0, frames, n, rdt):
    z = _stream(key, pair, (row0 + frames) * 2 * n * 2, rdt)[row0 * 2 * n * 2:]
    return (z[0::2] + 1j * z[1::2]).reshape(frames, 2, n)


@pytest.mark.parametrize("ctype", [np.complex64, np.complex128])
@pytest.mark.parametrize("frames, n", [(1, 1), (1, 64), (3, 130), (2, 1001)])
def test_tx_pass_matches_numpy(ctype, frames, n):
    rng = np.random.default_rng(n)
    rdt = np.float32 if ctype == np.complex64 else np.float64
    x = (rng.standard_normal((frames, 2, n)) + 1j * rng.standard_normal((frames, 2, n))).astype(ctype)
    jones = rng.standard_normal((frames, 2, 2)) + 1j * rng.standard_normal((frames, 2, 2))
    key, row0, pn_pair, ase_pair, pn_sigma, ase_sigma = (3, 4), 1, 5, 1000, 0.3, 0.2
    tol = 2e-5 if ctype == np.complex64 else 1e-12
    for pn, ase, m in ((pn_sigma, 0.0, None), (0.0, ase_sigma, None), (pn_sigma, ase_sigma, jones), (0.0, 0.0, None)):
        y = x.copy()
        gram = BE.ops.coherent_tx_pass(y, pn, pn_pair, ase, ase_pair, m, row0, key, 2)
        want = x.astype(np.complex128)
        if pn:
            want = want * np.exp(1j * _phase(key, pn_pair, row0, frames, n, pn, rdt))
        if ase:
            want = want + ase * _ase(key, ase_pair, row0, frames, n, rdt)
        if m is not None:
            want = np.einsum("rpq,rqk->rpk", m.astype(ctype).astype(np.complex128), want)
        assert np.abs(y - want).max() <= tol * np.abs(want).max()
        s01 = np.sum(want[:, 0] * np.conj(want[:, 1]), axis=-1)
        ref = np.stack([np.sum(np.abs(want[:, 0]) ** 2, -1), np.sum(np.abs(want[:, 1]) ** 2, -1), s01.real, s01.imag], -1)
        assert np.allclose(gram, ref, rtol=tol, atol=tol * np.abs(ref).max())


@pytest.mark.parametrize("ctype", [np.complex64, np.complex128])
@pytest.mark.parametrize("frames, n", [(1, 3), (3, 130), (2, 1001)])
def test_rx_pass_matches_numpy(ctype, frames, n):
    rng = np.random.default_rng(n + 1)
    rdt = np.float32 if ctype == np.complex64 else np.float64
    x = (rng.standard_normal((frames, 2, n)) + 1j * rng.standard_normal((frames, 2, n))).astype(ctype)
    rot = rng.standard_normal((frames, 2, 2)) + 1j * rng.standard_normal((frames, 2, 2))
    key, row0, ase_pair, pn_pair = (7, 8), 2, 3, 99
    tol = 2e-5 if ctype == np.complex64 else 1e-12
    for m, ase, pn, cyc in ((rot, 0.3, 0.05, 0.0123), (None, 0.0, 0.0, -0.37), (None, 0.1, 0.2, 0.0), (rot, 0, 0, 0)):
        y = BE.ops.coherent_rx_pass(x.copy(), m, ase, ase_pair, pn, pn_pair, cyc, row0, key, 2)
        want = x.astype(np.complex128)
        if m is not None:
            want = np.einsum("rpq,rqk->rpk", m.astype(ctype).astype(np.complex128), want)
        if ase:
            want = want + ase * _ase(key, ase_pair, row0, frames, n, rdt)
        theta = 2 * np.pi * cyc * np.arange(n)
        if pn:
            theta = theta + _phase(key, pn_pair, row0, frames, n, pn, rdt)
        want = want * np.exp(1j * theta)
        want = want / np.sqrt(np.mean(np.abs(want) ** 2, axis=-1, keepdims=True))
        assert np.abs(y - want).max() <= tol * np.abs(want).max()


@pytest.mark.parametrize("ctype, tol", [(np.complex64, 3e-7), (np.complex128, 2e-15)])
def test_rotor_is_accurate_over_many_turns(ctype, tol):
    # Pure carrier offset on a unit field: every quadrant and thousands of turns of the reduction.
    n = 200_003
    for cyc in (0.0123456789, -0.4999, 0.25, 1e-7):
        y = BE.ops.coherent_rx_pass(np.ones((1, 2, n), ctype), None, 0.0, 0, 0.0, 0, cyc, 0, (1, 1), 1)
        k = np.arange(n)
        want = np.exp(2j * np.pi * ((cyc * k) % 1.0))
        assert np.abs(y[0, 0] - want).max() <= tol and np.array_equal(y[0, 0], y[0, 1])


def test_kernel_input_errors():
    with pytest.raises(ValueError, match="zero power"):
        BE.ops.coherent_rx_pass(np.zeros((2, 2, 8), np.complex64), None, 0.0, 0, 0.0, 0, 0.0, 0, (1, 2))
    with pytest.raises(TypeError, match="complex64/complex128"):
        BE.ops.coherent_tx_pass(np.zeros((2, 2, 8), np.float32), 0.0, 0, 0.0, 0, None, 0, (1, 2))
    with pytest.raises(TypeError, match=r"\(frames, 2, n\)"):
        BE.ops.coherent_rx_pass(np.zeros((2, 3, 8), np.complex64), None, 0.0, 0, 0.0, 0, 0.0, 0, (1, 2))

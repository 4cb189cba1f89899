"""The fused CPU path of the IM/DD chain (dsp.sim.imdd._front_cpu, kernels/cpu/imdd_front.pyx,
the sparse error counting) against the generic stage-by-stage chain and slow NumPy oracles."""
import numpy as np
import pytest

import dsp.sim.imdd as imdd
from dsp.backend import get_backend
from dsp.channel import NormalStream
from dsp.sim.imdd import ImddLink, count_imdd_errors

BE = get_backend("cpu")
BASE = dict(frame_symbols=1024, n_train=256, rin_db_hz=-145.0, driver_bandwidth_ghz=40.0, wavelength_nm=1271.0,
            lambda0_nm=1324.0, length_km=2.0, dark_current_na=10.0)


def _generic_and_fast(link, rows, seed=1, threads=None):
    label_rng, n_a = link._random_sources(BE, np.random.SeedSequence(seed), threads)
    labels = label_rng.integers(0, link.m, size=(rows, link.frame_symbols), dtype=np.uint8)
    _, n_b = link._random_sources(BE, np.random.SeedSequence(seed), threads)
    a = link.detect(link.propagate(link.transmit(labels, n_a)), n_a)
    assert link._fast_front_applies(labels, n_b)
    b = link._front_cpu(labels, n_b)
    assert n_a._pair == n_b._pair  # the same stream use
    return a, b


@pytest.mark.parametrize("over", [
    {}, dict(precision="double"), dict(driver_bandwidth_ghz=0.0), dict(rin_db_hz=0.0), dict(length_km=0.0),
    dict(modulator="mzm"), dict(rx_filter="matched"), dict(rx_filter="none"), dict(sps=3),
    dict(frame_symbols=1023, sps=3), dict(sps=1), dict(dac_bits=3, adc_bits=4), dict(m=8),
    dict(wavelength_nm=1550.0, length_km=20.0), dict(frame_symbols=1025, sps=1, shot_noise=False)])
@pytest.mark.parametrize("rows", [1, 5])
def test_fused_front_end_equals_the_stage_chain(over, rows, monkeypatch):
    monkeypatch.setattr(imdd, "FRONT_BLOCK_SAMPLES", 4096)  # several blocks, so the thread pool runs
    link = ImddLink(**{**BASE, **over})
    a, b = _generic_and_fast(link, rows, threads=2)
    assert a.dtype == b.dtype == link._rtype() and a.shape == b.shape
    tol = 1e-12 if link.precision == "double" else 1e-5
    assert np.abs(a - b).max() <= tol * np.abs(a).max()


def test_fused_front_end_does_not_depend_on_threads(monkeypatch):
    monkeypatch.setattr(imdd, "FRONT_BLOCK_SAMPLES", 2048)
    link = ImddLink(**BASE)
    _, one = _generic_and_fast(link, 7, threads=1)
    _, two = _generic_and_fast(link, 7, threads=2)
    assert np.array_equal(one, two)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", [(1, 1), (3, 127), (2, 1000)])
def test_modulate_kernel_matches_numpy(dtype, shape):
    rng = np.random.default_rng(0)
    d = rng.uniform(-1.2, 1.2, shape).astype(dtype)
    rows, n = shape
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for mode, p1, p2 in ((0, 0.52, 0.0), (1, 0.5, 0.3)):
        for sigma in (0.0, 0.05):
            elem0 = 3  # odd start: rows begin mid-pair
            got = BE.ops.imdd_modulate(d.copy(), mode, p1, p2, sigma, 11, elem0, (5, 6), 2)
            z = NormalStream(BE, (5, 6)).standard_normal(2 * 11 + elem0 + rows * n, dtype=dtype)[2 * 11 + elem0:]
            z = z.reshape(shape).astype(np.float64)
            v = d.astype(np.float64)
            if mode == 0:
                p = np.maximum(1 + p1 * v, 0)
                e = np.sqrt(p / p.mean(axis=1, keepdims=True))
            else:
                e = np.sin(np.pi / 2 * (p1 + p2 * v))
                e = e / np.sqrt((e * e).mean(axis=1, keepdims=True))
            if sigma:
                e = e * np.sqrt(np.maximum(1 + sigma * z, 0))
            assert np.allclose(got, e, rtol=tol, atol=tol)
    with pytest.raises(ValueError, match="zero optical power"):
        BE.ops.imdd_modulate(np.full((2, 8), -5.0, dtype), 0, 0.5, 0.0, 0.0, 0, 0, (1, 2))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_detect_kernel_matches_numpy(dtype):
    rng = np.random.default_rng(1)
    re, im = (rng.standard_normal((3, 501)).astype(dtype) for _ in range(2))
    z = NormalStream(BE, (7, 8)).standard_normal(2 * 4 + 1 + re.size, dtype=dtype)[9:].reshape(re.shape)
    tol = 2e-5 if dtype == np.float32 else 1e-12
    for with_im in (True, False):
        got = BE.ops.imdd_detect(re.copy(), im if with_im else None, 2.0, 0.1, 0.01, 0.02, 4, 1, (7, 8), 2)
        i = 2.0 * (re.astype(np.float64) ** 2 + (im.astype(np.float64) ** 2 if with_im else 0)) + 0.1
        want = i + np.sqrt(0.01 + 0.02 * np.maximum(i, 0)) * z
        assert np.allclose(got, want, rtol=tol, atol=tol)


@pytest.mark.parametrize("m", [2, 4, 8])
def test_slice_errors_kernel_matches_nearest(m):
    rng = np.random.default_rng(m)
    levels = np.linspace(-3, 3, m)
    z = (levels[rng.integers(0, m, (4, 333))] + rng.normal(0, 0.8, (4, 333))).astype(np.float32)
    z[0, 5], z[1, 7] = np.nan, 1e30
    labels = rng.integers(0, m, (4, 333), dtype=np.uint8)
    gray = np.array([k ^ (k >> 1) for k in range(m)], dtype=np.uint8)
    got = BE.ops.imdd_slice_errors(z, labels, 17, levels[0], levels[1] - levels[0], gray)
    dec = imdd._nearest(np.nan_to_num(z, nan=-1e30), levels)
    assert np.array_equal(got, labels[:, 17:] ^ gray[dec[:, 17:]])


def _dense_counts(x, bps, ways):
    """The histogram definitions written out directly (dsp.fec.symbol_errors_per_codeword)."""
    from dsp.fec import symbol_errors_per_codeword

    shifts = np.arange(bps - 1, -1, -1, dtype=np.uint8)
    bits = ((x[..., None] >> shifts) & 1).astype(np.uint8).reshape(x.shape[0], -1)
    per_cw = np.asarray(symbol_errors_per_codeword(bits, m=10, n=544, ways=ways)).ravel()
    kp4 = np.bincount(np.minimum(per_cw, imdd.KP4_BINS - 1), minlength=imdd.KP4_BINS)
    runs = []
    for row in x != 0:
        k = 0
        for v in list(row) + [False]:
            if v:
                k += 1
            elif k:
                runs.append(min(k, imdd.BURST_BINS))
                k = 0
    bursts = np.bincount(np.array(runs, dtype=np.int64) - 1, minlength=imdd.BURST_BINS)
    return int(bits.sum()), int((x != 0).sum()), tuple(kp4.tolist()), tuple(bursts.tolist())


@pytest.mark.parametrize("rows,n,bps,ways,p", [(3, 6000, 2, 2, 1e-3), (5, 1000, 2, 1, 0.3), (2, 999, 3, 4, 0.05),
                                               (4, 2720, 2, 4, 0.0), (1, 5440, 1, 1, 0.5), (7, 333, 2, 2, 0.9)])
def test_sparse_counting_matches_dense_definition(rows, n, bps, ways, p):
    rng = np.random.default_rng(rows * n)
    x = ((rng.random((rows, n)) < p) * rng.integers(1, 1 << bps, (rows, n))).astype(np.uint8)
    x[0, 10:50] = 1  # a long burst
    c = count_imdd_errors(x, bps, ways)
    bit_err, sym_err, kp4, bursts = _dense_counts(x, bps, ways)
    h = dict(c.hist)
    assert (c.bit_errors, c.symbol_errors, c.bits, c.symbols) == (bit_err, sym_err, x.size * bps, x.size)
    assert h["kp4_symbol_errors"] == kp4 and h["error_bursts"] == bursts


def test_run_batch_same_counts_for_any_thread_count():
    link = ImddLink(**{**BASE, "rop_dbm": -12.0})
    a = link.run_batch(BE, np.random.SeedSequence(3), 20000, threads=1)
    b = link.run_batch(BE, np.random.SeedSequence(3), 20000, threads=2)
    assert a == b and a.bit_errors > 0

"""Throughput of the BER engine and its kernels (pytest-benchmark; reports, never fails on speed).

    pytest benchmarks/bench_engine.py --benchmark-only

Each benchmark stores its throughput in ``extra_info`` (shown with ``--benchmark-json``) and
prints it. The reference is the same uncoded-16QAM-over-AWGN chain in plain vectorized NumPy
(random labels, map, add noise, slice, count bit errors, in chunks), on one core.
"""
import numpy as np
import pytest

from dsp.modulation import Constellation
from throughput import report as _report

SNR_DB = 12.0          # 16QAM BER about 2.8e-2: every stage does real work
BITS = 1 << 27         # per measured round of the engine (134 Mbit)


def numpy_16qam_chain(n_symbols, snr_db, seed=0, chunk=1 << 20):
    """The plain-NumPy reference chain; returns bit errors."""
    c = Constellation("qam", 16)
    rng = np.random.default_rng(seed)
    pts = c.points.astype(np.complex64)
    sigma = np.sqrt(0.5 / 10 ** (snr_db / 10))
    L, b = c.levels, c.bits_per_axis
    gray = np.arange(L) ^ (np.arange(L) >> 1)
    popcount = np.array([bin(i).count("1") for i in range(256)], dtype=np.int64)
    errors = 0
    for start in range(0, n_symbols, chunk):
        n = min(chunk, n_symbols - start)
        labels = rng.integers(0, 16, n, dtype=np.uint8)
        y = pts[labels] + sigma * (rng.standard_normal(n, dtype=np.float32) + 1j * rng.standard_normal(n, dtype=np.float32))
        ki = np.clip(np.floor(y.real / (2 * c.d) + L / 2), 0, L - 1).astype(np.intp)
        kq = np.clip(np.floor(y.imag / (2 * c.d) + L / 2), 0, L - 1).astype(np.intp)
        hat = (gray[ki] << b) | gray[kq]
        errors += int(popcount[hat ^ labels].sum())
    return errors


def test_numpy_reference_16qam(benchmark):
    n = (BITS // 4) // 8
    benchmark.pedantic(numpy_16qam_chain, args=(n, SNR_DB), rounds=3, iterations=1)
    _report(benchmark, "bits_per_s", 4 * n, "bit")


def _engine(backend):
    from dsp.sim.engine import simulate_ber

    return simulate_ber("awgn-qam", params={"m": 16, "snr_db": SNR_DB}, target_errors=10**15, max_bits=BITS,
                        backend=backend, workers=1)


def test_engine_16qam_cpu(benchmark):
    res = benchmark.pedantic(_engine, args=("cpu",), rounds=3, iterations=1)
    assert res.points[0].bits >= BITS
    rate = _report(benchmark, "bits_per_s", res.points[0].bits, "bit")
    benchmark.extra_info["symbols_per_s"] = rate / 4


@pytest.mark.gpu
def test_engine_16qam_gpu(benchmark):
    _engine("gpu")  # compile and warm up
    res = benchmark.pedantic(_engine, args=("gpu",), rounds=3, iterations=1)
    rate = _report(benchmark, "bits_per_s", res.points[0].bits, "bit")
    benchmark.extra_info["symbols_per_s"] = rate / 4


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_fused_awgn_kernel(benchmark, backend):
    from dsp.backend import get_backend

    be = get_backend(backend)
    c = Constellation("qam", 16)
    n = 1 << (26 if backend == "gpu" else 24)
    args = (0, n, (1, 2), c.axes, c.levels, c.bits_per_axis, 0.2, False)
    be.ops.awgn_count(*args)
    benchmark.pedantic(be.ops.awgn_count, args=args, rounds=5, iterations=1)
    _report(benchmark, "symbols_per_s", n, "symbol")


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_slicer_counter(benchmark, backend):
    from dsp.backend import get_backend
    from dsp.metrics import count_errors
    from dsp.modulation import map_labels

    be = get_backend(backend)
    c = Constellation("qam", 16)
    rng = np.random.default_rng(0)
    n = 1 << 23
    labels = rng.integers(0, 16, n).astype(np.uint8)
    y = map_labels(labels, c) + (0.1 * rng.standard_normal(n)).astype(np.float32)
    y, labels = be.xp.asarray(y), be.xp.asarray(labels)
    count_errors(y, labels, c)
    benchmark.pedantic(count_errors, args=(y, labels, c), rounds=5, iterations=1)
    _report(benchmark, "symbols_per_s", n, "symbol")

"""Throughput of CD compensation and timing recovery (pytest-benchmark; reports, never fails on speed).

    python -m pytest benchmarks/bench_cdc.py --benchmark-only -s -q

Workload: a dual-polarisation frame ``(2, 2**21)`` complex64 at 2 samples per symbol, 60 GBd
(120 GS/s), 2400 ps/nm at 1550 nm (400ZR's CD tolerance). Reported: samples per second *per
polarisation* (``n / t`` with both polarisations processed in the call; the total sample rate is
twice that). Target on a 2-core x86-64: frequency-domain CDC >= 60 M samples/s per polarisation
(QAMpy 0.5: 17 M, OptiCommPy: 4-16 M, measured on such a machine).
"""
import numpy as np
import pytest

from dsp.backend import get_backend
from throughput import report as _report

N = 1 << 21
GPU_BATCH = 16
FS = 120e9
CD = 2400.0


def _signal(backend, batch=None, seed=0):
    rng = np.random.default_rng(seed)
    shape = (2, N) if batch is None else (batch, 2, N)
    x = (rng.standard_normal(shape, dtype=np.float32) + 1j * rng.standard_normal(shape, dtype=np.float32))
    return get_backend(backend).xp.asarray(x.astype(np.complex64))


def _run(benchmark, backend, fn, x):
    be = get_backend(backend)
    fn(x)  # warm up (filter cache, FFT plans)

    def call():
        out = fn(x)
        if backend == "gpu":
            be.xp.cuda.runtime.deviceSynchronize()
        return out

    benchmark.pedantic(call, rounds=5, iterations=1)
    per_pol = x.size // x.shape[-2]
    return _report(benchmark, "samples_per_s_per_pol", per_pol, " sample")


BACKENDS = ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_cdc_fd(benchmark, backend):
    from dsp.rx import compensate_cd

    x = _signal(backend, None if backend == "cpu" else GPU_BATCH)
    _run(benchmark, backend, lambda v: compensate_cd(v, CD, FS), x)


@pytest.mark.parametrize("backend", BACKENDS)
def test_cdc_td(benchmark, backend):
    from dsp.rx import compensate_cd

    x = _signal(backend, None if backend == "cpu" else GPU_BATCH)
    _run(benchmark, backend, lambda v: compensate_cd(v, CD, FS, method="td"), x)


@pytest.mark.parametrize("fft_size", [1024, 2048, 4096, 8192])
def test_cdc_fd_fft_size(benchmark, fft_size):
    """The FFT-size sweep behind :func:`dsp.rx.cdc.default_fft_size` (CPU)."""
    from dsp.rx import compensate_cd

    _run(benchmark, "cpu", lambda v: compensate_cd(v, CD, FS, fft_size=fft_size), _signal("cpu"))


@pytest.mark.parametrize("backend", BACKENDS)
def test_timing_constant(benchmark, backend):
    from dsp.rx import recover_timing

    x = _signal(backend, None if backend == "cpu" else GPU_BATCH)
    _run(benchmark, backend, lambda v: recover_timing(v, 2), x)


@pytest.mark.parametrize("backend", BACKENDS)
def test_timing_tracking(benchmark, backend):
    from dsp.rx import recover_timing

    x = _signal(backend, None if backend == "cpu" else GPU_BATCH)
    _run(benchmark, backend, lambda v: recover_timing(v, 2, block=4096), x)

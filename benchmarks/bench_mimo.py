"""Throughput of the 2x2 MIMO equalizer (pytest-benchmark; reports, never fails on speed).

    python -m pytest benchmarks/bench_mimo.py --benchmark-only -s -q

Each benchmark times :func:`dsp.rx.mimo_equalize` (15 taps, T/2-spaced, complex64) on a batch of
items and reports dual-polarization symbols/s (one symbol = one output symbol on each of X and Y).
Target on a 2-core x86-64 (SSE2 baseline build): CMA and DD-LMS >= 15 M dual-pol symbols/s
(QAMpy's 21-tap CMA: 7.4 M/s).
"""
import numpy as np
import pytest

from dsp.backend import get_backend
from dsp.modulation import qam
from throughput import report as _report

ITEMS = 8                 # CPU: 8 frames of 2^16 symbols (two threads, four frames each)
N_SYM = 1 << 16
GPU_ITEMS = 8192          # GPU: one thread per item, so many shorter frames
GPU_N_SYM = 1 << 12


def _signal(backend, const, seed=0):
    items, n = (GPU_ITEMS, GPU_N_SYM) if backend == "gpu" else (ITEMS, N_SYM)
    rng = np.random.default_rng(seed)
    a = const.points[rng.integers(0, const.m, (items, 2, n))]
    x = np.zeros((items, 2, 2 * n), np.complex64)
    x[..., ::2] = a
    x[..., 1::2] = 0.5 * (a + np.roll(a, -1, axis=-1))
    th = 0.3
    J = np.array([[np.cos(th), -np.sin(th)], [np.sin(th), np.cos(th)]])
    x = np.einsum("ab,...bn->...an", J, x)
    x += 0.05 * (rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape))
    return x.astype(np.complex64)


def _run(benchmark, backend, x, **kw):
    from dsp.rx import mimo_equalize

    be = get_backend(backend)
    x = be.xp.asarray(x)
    mimo_equalize(x, **kw)  # warm up (GPU: compile)

    def call():
        out = mimo_equalize(x, **kw)
        if backend == "gpu":
            be.xp.cuda.runtime.deviceSynchronize()
        return out

    benchmark.pedantic(call, rounds=5, iterations=1)
    return _report(benchmark, "dp_symbols_per_s", x.shape[0] * (x.shape[-1] // 2), " dual-pol symbol")


BACKENDS = ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)]


@pytest.mark.parametrize("backend", BACKENDS)
def test_mimo15_cma_sps2(benchmark, backend):
    _run(benchmark, backend, _signal(backend, qam(4)), taps=15, sps=2, method="cma", mu=1e-3)


@pytest.mark.parametrize("backend", BACKENDS)
def test_mimo15_dd_sps2(benchmark, backend):
    _run(benchmark, backend, _signal(backend, qam(16)), taps=15, sps=2, method="dd", mu=1e-3,
         constellation=qam(16))


@pytest.mark.parametrize("backend", BACKENDS)
def test_mimo15_cma_then_dd_pll_sps2(benchmark, backend):
    _run(benchmark, backend, _signal(backend, qam(16)), taps=15, sps=2, method="cma", mu=1e-3, n_blind=4096,
         constellation=qam(16), pll_mu=1e-2)


@pytest.mark.parametrize("backend", BACKENDS)
def test_mimo21_cma_sps2(benchmark, backend):
    _run(benchmark, backend, _signal(backend, qam(4)), taps=21, sps=2, method="cma", mu=1e-3)

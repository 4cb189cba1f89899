"""Throughput of soft demapping, dsp.modulation.demap_llr (pytest-benchmark; reports, never fails on speed).

    python -m pytest benchmarks/bench_demap.py --benchmark-only -s -q

16-QAM and 64-QAM, complex64 in, float32 LLRs out, exact (log-sum-exp over the axis levels) and
max-log (closed piecewise-linear form), one noise variance per polarization ``(pol, 1)``.
Input: 2 pols x 2^20 symbols on the CPU (2^24 on the GPU) at Es/N0 = 12 dB. Reported as symbols/s
and LLR bits/s.
"""
import numpy as np
import pytest
from throughput import report as _report


def _symbols(m, n, seed=0):
    from dsp.modulation import map_labels, qam

    rng = np.random.default_rng(seed)
    x = map_labels(rng.integers(0, m, (2, n)), qam(m))
    n0 = 10 ** (-12 / 10)
    noise = np.sqrt(n0 / 2) * (rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape))
    return (x + noise).astype(np.complex64), np.array([[n0], [n0 * 1.1]])


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("method", ["exact", "maxlog"])
@pytest.mark.parametrize("m", [16, 64])
def test_demap_llr(benchmark, backend, method, m):
    from dsp.backend import get_backend
    from dsp.modulation import demap_llr, qam

    be = get_backend(backend)
    n = (1 << 24) if backend == "gpu" else (1 << 20)
    y, nv = _symbols(m, n)
    y = be.xp.asarray(y)
    const = qam(m)

    def run():
        out = demap_llr(y, const, nv, method=method)
        if backend == "gpu":
            be.xp.cuda.runtime.deviceSynchronize()
        return out

    run()  # warm up
    benchmark.pedantic(run, rounds=5, iterations=1)
    _report(benchmark, "symbols_per_s", y.size, "sym")
    _report(benchmark, "bits_per_s", y.size * const.bits_per_symbol, "bit")

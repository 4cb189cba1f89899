"""Throughput of carrier recovery (pytest-benchmark; reports, never fails on speed).

    python -m pytest benchmarks/bench_carrier.py --benchmark-only -s -q

Each benchmark times the public function of :mod:`dsp.rx.carrier` on a batch of dual-pol 16QAM
(QPSK for Viterbi-Viterbi) with Wiener phase noise and AWGN, complex64, and reports dual-pol
symbols/s (one dual-pol symbol = one symbol on each of the two polarisations).
Target on a 2-core x86-64: BPS with 32 test phases >= 8 M dual-pol symbols/s (QAMpy 0.5: 1.4 M/s).
"""
import math

import numpy as np
import pytest

from dsp.backend import get_backend
from dsp.modulation import map_labels, qam
from dsp.rx.carrier import bps, estimate_frequency_offset, viterbi_viterbi
from throughput import report as _report

ITEMS, N = 4, 1 << 18          # CPU: 4 items x 2 pols x 262144 symbols
GPU_ITEMS, GPU_N = 64, 1 << 18
FS = 59.84375e9


def _signal(backend, m=16, linewidth_t=1e-4, snr_db=14.0, f_rel=0.0, seed=0, clean=False):
    items, n = (GPU_ITEMS, GPU_N) if backend == "gpu" else (ITEMS, N)
    rng = np.random.default_rng(seed)
    s = map_labels(rng.integers(0, m, (items, 2, n)), qam(m), dtype=np.complex64)
    theta = np.cumsum(rng.normal(0.0, math.sqrt(2 * math.pi * linewidth_t), (items, 2, n)), axis=-1)
    theta += 2 * math.pi * f_rel * np.arange(n)
    sig = math.sqrt(10 ** (-snr_db / 10) / 2)
    x = s * np.exp(1j * theta) + sig * (rng.standard_normal(s.shape) + 1j * rng.standard_normal(s.shape))
    x = get_backend(backend).xp.asarray(x.astype(np.complex64))
    return (x, s) if clean else x


def _run(benchmark, backend, fn, x, **kw):
    be = get_backend(backend)
    fn(x, **kw)  # warm up (GPU: compile)

    def call():
        out = fn(x, **kw)
        if backend == "gpu":
            be.xp.cuda.runtime.deviceSynchronize()
        return out

    benchmark.pedantic(call, rounds=5, iterations=1)
    return _report(benchmark, "dualpol_symbols_per_s", x.shape[0] * x.shape[-1], " dual-pol symbol")


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("joint", [False, True])
def test_bps_16qam_32_phases(benchmark, backend, joint):
    x = _signal(backend)
    _run(benchmark, backend, bps, x, constellation=qam(16), n_phases=32, window=16, joint=joint)


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_bps_16qam_with_pilots(benchmark, backend):
    x, s = _signal(backend, clean=True)
    pos = np.arange(0, x.shape[-1], 64)               # a known symbol every 64 (400ZR): the sent ones here
    pil = get_backend(backend).xp.asarray(s[..., pos])

    def run(x, **kw):
        return bps(x, qam(16), n_phases=32, window=16, pilots=(pos, pil))

    _run(benchmark, backend, run, x)


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_viterbi_viterbi_qpsk(benchmark, backend):
    x = _signal(backend, m=4, snr_db=8.0)
    _run(benchmark, backend, viterbi_viterbi, x, window=16)


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_frequency_offset_estimate(benchmark, backend):
    x = _signal(backend, f_rel=0.01)

    def run(x):
        return estimate_frequency_offset(x, FS)

    _run(benchmark, backend, run, x)

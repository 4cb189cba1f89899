"""Throughput of the coherent optical channel (pytest-benchmark; reports, never fails on speed).

    python -m pytest benchmarks/bench_ssfm.py --benchmark-only -s -q

- ``test_ssfm_span``: one 80 km span (0.2 dB/km, 17 ps/nm/km, gamma 1.3 /W/km, Manakov) by the
  split-step Fourier method with the nonlinear-phase step rule (0.005 rad), a DP signal of
  60 GBd at 2 samples/symbol (120 GS/s), Gaussian-like statistics at 2 dBm launch (54
  steps; the rule uses the launch peak), complex64; samples/s per polarization;
- ``test_pmd``: first-order PMD (random principal states, 10 ps DGD) on the same frames.
"""
import math

import numpy as np
import pytest

from dsp.backend import get_backend
from throughput import report as _report

FS = 120e9           # 60 GBd x 2 sps
FRAMES = 4           # CPU: 4 frames of 2^16 samples per polarization
N = 1 << 16
GPU_FRAMES = 64

BACKENDS = ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)]


def _field(be, frames, launch_dbm=2.0):
    rng = np.random.default_rng(0)
    x = rng.standard_normal((frames, 2, N, 2)).astype(np.float32).view(np.complex64)[..., 0]
    x *= np.float32(math.sqrt(1e-3 * 10 ** (launch_dbm / 10) / 4))  # the power of both pols: launch_dbm
    return be.xp.asarray(x)


def _timed(benchmark, be, fn):
    fn()  # warm up (FFT plans, GPU kernels)

    def call():
        out = fn()
        if be.name == "gpu":
            be.xp.cuda.runtime.deviceSynchronize()
        return out

    benchmark.pedantic(call, rounds=3, iterations=1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ssfm_span(benchmark, backend):
    from dsp.channel.nonlinear import ssfm_manakov, ssfm_steps_km

    be = get_backend(backend)
    frames = GPU_FRAMES if backend == "gpu" else FRAMES
    x = _field(be, frames)
    peak = float((be.xp.abs(x) ** 2).sum(axis=-2).max())
    steps = ssfm_steps_km(80.0, peak_power_w=peak).size
    _timed(benchmark, be, lambda: ssfm_manakov(x, FS, 80.0))
    benchmark.extra_info["steps"] = steps
    print(f"\n{steps} steps")
    _report(benchmark, "samples_per_s_per_pol", frames * N, " samples per pol")


@pytest.mark.parametrize("backend", BACKENDS)
def test_pmd(benchmark, backend):
    from dsp.channel.polarization import apply_pmd, random_sop

    be = get_backend(backend)
    frames = GPU_FRAMES if backend == "gpu" else FRAMES
    x = _field(be, frames)
    j = random_sop(np.random.default_rng(1), frames)
    _timed(benchmark, be, lambda: apply_pmd(x, 10.0, FS, jones=j))
    _report(benchmark, "samples_per_s_per_pol", frames * N, " samples per pol")

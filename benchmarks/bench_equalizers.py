"""Throughput of the PAM4 equalizers (pytest-benchmark; reports, never fails on speed).

    python -m pytest benchmarks/bench_equalizers.py --benchmark-only -s -q

Each benchmark times the public function (padding, step normalisation and the kernel) on a batch
of rows and stores symbols/s in ``extra_info`` (shown with ``--benchmark-json``) and prints it.
Targets on a 2-core x86-64 (SSE2 baseline): FFE 15 taps, LMS on, sps 1, float32 >= 50 M symbols/s;
MLSE PAM4 memory 2 (16 states) >= 15 M symbols/s.
"""
import numpy as np
import pytest

from dsp.backend import get_backend
from throughput import report as _report

ROWS = 8                 # CPU: 8 rows of 2^18 symbols (two threads, two rows in lockstep each)
N_SYM = 1 << 18
GPU_ROWS = 16384         # GPU: one thread per row, so many rows of 2^12 symbols
GPU_N_SYM = 1 << 12
M = 4
D = np.sqrt(3.0 / (M * M - 1))


def _signal(sps, channel, backend="cpu", sigma=0.05, seed=0, dtype=np.float32, cursor=None):
    """PAM4 rows through ``channel`` (tap ``cursor`` at the symbol's instant) plus noise."""
    rows, n = (GPU_ROWS, GPU_N_SYM) if backend == "gpu" else (ROWS, N_SYM)
    rng = np.random.default_rng(seed)
    a = ((2 * rng.integers(0, M, (rows, n)) - M + 1) * D)
    if sps == 2:
        up = np.zeros((rows, 2 * n))
        up[:, ::2] = a
        src, cursor = up, 2 if cursor is None else cursor
    else:
        src, cursor = a, 1 if cursor is None else cursor
    full = np.zeros_like(src)
    for i, c in enumerate(channel):                  # y[j] = sum_i channel[i] src[j + cursor - i]
        sh = cursor - i
        if sh >= 0:
            full[:, :src.shape[1] - sh] += c * src[:, sh:]
        else:
            full[:, -sh:] += c * src[:, :sh]
    y = full
    y += sigma * rng.standard_normal(y.shape)
    return y.astype(dtype), a


def _run(benchmark, backend, fn, y, a, **kw):
    be = get_backend(backend)
    y, a = be.xp.asarray(y), be.xp.asarray(a)
    fn(y, a, **kw)  # warm up (GPU: compile)

    def call():
        out = fn(y, a, **kw)
        if backend == "gpu":
            be.xp.cuda.runtime.deviceSynchronize()
        return out

    benchmark.pedantic(call, rounds=5, iterations=1)
    return _report(benchmark, "symbols_per_s", a.shape[0] * a.shape[1], " symbol")


BACKENDS = ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)]


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ffe15_lms_sps1(benchmark, backend, dtype):
    from dsp.rx import ffe

    y, a = _signal(1, [0.2, 1.0, 0.5, 0.25], backend, dtype=np.dtype(dtype))
    _run(benchmark, backend, ffe, y, a, taps=15, sps=1, n_train=2048)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ffe15_lms_sps2(benchmark, backend):
    from dsp.rx import ffe

    y, a = _signal(2, [0.1, 0.45, 1.0, 0.7, 0.3, 0.1], backend)
    _run(benchmark, backend, ffe, y, a, taps=15, sps=2, n_train=2048)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ffe31_lms_sps2(benchmark, backend):
    from dsp.rx import ffe

    y, a = _signal(2, [0.1, 0.45, 1.0, 0.7, 0.3, 0.1], backend)
    _run(benchmark, backend, ffe, y, a, taps=31, sps=2, n_train=2048)


@pytest.mark.parametrize("backend", BACKENDS)
def test_ffe15_ls_sps1(benchmark, backend):
    from dsp.rx import ffe

    y, a = _signal(1, [0.2, 1.0, 0.5, 0.25], backend)
    _run(benchmark, backend, ffe, y, a, taps=15, sps=1, n_train=2048, method="ls")


@pytest.mark.parametrize("backend", BACKENDS)
def test_dfe15_fb2_sps1(benchmark, backend):
    from dsp.rx import dfe

    y, a = _signal(1, [1.0, 0.5], backend, sigma=0.08)
    _run(benchmark, backend, dfe, y, a, ff_taps=15, fb_taps=2, n_train=2048)


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("memory", [1, 2])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_mlse_pam4(benchmark, backend, memory, dtype):
    from dsp.rx import mlse

    y, a = _signal(1, [1.0, 0.6, 0.2][:memory + 1], backend, sigma=0.1, dtype=np.dtype(dtype), cursor=0)
    _run(benchmark, backend, mlse, y, a, memory=memory, n_train=2048)

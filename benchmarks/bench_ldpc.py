"""Throughput of the LDPC kernels (pytest-benchmark; reports, never fails on speed).

    python -m pytest benchmarks/bench_ldpc.py --benchmark-only -s -q

Code: IEEE 802.11n n = 1944, rate 5/6 (k = 1620), BPSK over AWGN, channel LLRs 2 y / sigma^2.
Reported as decoded information bits per second (1620 per frame).

- Decoding with a fixed 10 layered iterations (early termination off): the worst case, and the
  cost per iteration; float32 and float64.
- Decoding with early termination (at most 10 iterations) at Eb/N0 = 3.5 dB (FER about 2e-2,
  about 4 iterations on average) and 4.0 dB (FER about 1e-4, about 2.5 iterations).
- Systematic encoding.
"""
import numpy as np
import pytest
from throughput import report as _report

CODE = "wifi-1944-r56"


def _backend(name):
    from dsp.backend import get_backend

    return get_backend(name)


def _llr(frames, ebn0_db, dtype, seed=0):
    from dsp.fec import bpsk_llr, ldpc_code

    code = ldpc_code(CODE)
    rng = np.random.default_rng(seed)
    c = code.encode(rng.integers(0, 2, (frames, code.k), dtype=np.uint8))
    s2 = 1.0 / (2.0 * code.rate * 10 ** (ebn0_db / 10))
    y = (1.0 - 2.0 * c) + rng.normal(0.0, np.sqrt(s2), c.shape)
    return code, bpsk_llr(y.astype(dtype), s2)


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_ldpc_decode_fixed_10_iterations(benchmark, backend, dtype):
    be = _backend(backend)
    frames = 50_000 if backend == "gpu" else 4000
    code, llr = _llr(frames, 3.5, np.dtype(dtype))
    llr = be.xp.asarray(llr)
    code.decode(llr[:64], max_iterations=10, early_stop=False)  # warm up (GPU: compile)
    benchmark.pedantic(code.decode, args=(llr,), kwargs=dict(max_iterations=10, early_stop=False),
                       rounds=5, iterations=1)
    _report(benchmark, "info_bits_per_s", frames * code.k, "bit")


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("ebn0_db", [3.5, 4.0], ids=["3.5dB", "4.0dB"])
def test_ldpc_decode_early_stop(benchmark, backend, ebn0_db):
    be = _backend(backend)
    frames = 50_000 if backend == "gpu" else 8000
    code, llr = _llr(frames, ebn0_db, np.float32, seed=1)
    llr = be.xp.asarray(llr)
    r = code.decode(llr, max_iterations=10)
    avg = float(r.iterations.mean())
    benchmark.pedantic(code.decode, args=(llr,), kwargs=dict(max_iterations=10), rounds=5, iterations=1)
    rate = _report(benchmark, "info_bits_per_s", frames * code.k, "bit")
    print(f"  (average {avg:.2f} iterations, {rate * avg / 1e6:.1f} M info bit-iterations/s)")


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_ldpc_encode(benchmark, backend):
    from dsp.fec import ldpc_code

    be = _backend(backend)
    code = ldpc_code(CODE)
    frames = 100_000 if backend == "gpu" else 20_000
    u = be.xp.asarray(np.random.default_rng(2).integers(0, 2, (frames, code.k), dtype=np.uint8))
    code.encode(u[:8])
    benchmark.pedantic(code.encode, args=(u,), rounds=5, iterations=1)
    _report(benchmark, "info_bits_per_s", frames * code.k, "bit")

"""Throughput of the Hamming inner-code decoders (pytest-benchmark; reports, never fails on speed).

    python -m pytest benchmarks/bench_hamming.py --benchmark-only -s -q

BPSK over AWGN, channel LLRs 2 y / sigma^2 (float32), at Eb/N0 = 6.0 dB: input BER about 3.2e-3,
the operating region of both inner codes (the outer code then sees about 1e-4 .. 5e-5).
Reported as decoded information bits per second (120 per word for IEEE P802.3dj
Hamming(128, 120), 119 for OIF 400ZR Hamming(128, 119)).

- Chase-II with the default p (5: 32 test patterns) and with p = 3, for both codes.
- Hard-decision decoding (p = 0 on the LLRs) of the 400ZR code.
"""
import numpy as np
import pytest
from throughput import report as _report

EBN0_DB = 6.0


def _setup(name, frames, seed=0):
    from dsp.fec import hamming_128_119, hamming_128_120

    code = hamming_128_120() if name == "802.3dj-128-120" else hamming_128_119()
    rng = np.random.default_rng(seed)
    c = code.encode(rng.integers(0, 2, (frames, code.k), dtype=np.uint8))
    s2 = 1.0 / (2.0 * code.rate * 10 ** (EBN0_DB / 10))
    y = (1.0 - 2.0 * c) + rng.normal(0.0, np.sqrt(s2), c.shape)
    return code, (2.0 * y / s2).astype(np.float32)


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("p", [None, 3], ids=["p-default", "p3"])
@pytest.mark.parametrize("name", ["802.3dj-128-120", "400zr-128-119"])
def test_hamming_chase(benchmark, backend, name, p):
    from dsp.backend import get_backend
    from dsp.fec.hamming import DEFAULT_P

    p = DEFAULT_P if p is None else p
    be = get_backend(backend)
    frames = 2_000_000 if backend == "gpu" else 200_000
    code, llr = _setup(name, frames)
    llr = be.xp.asarray(llr)
    code.decode_chase(llr[:64], p=p)  # warm up (GPU: compile)
    benchmark.pedantic(code.decode_chase, args=(llr,), kwargs=dict(p=p), rounds=5, iterations=1)
    _report(benchmark, "info_bits_per_s", frames * code.k, "bit")


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_hamming_hard(benchmark, backend):
    from dsp.backend import get_backend

    be = get_backend(backend)
    frames = 2_000_000 if backend == "gpu" else 200_000
    code, llr = _setup("400zr-128-119", frames, seed=1)
    llr = be.xp.asarray(llr)
    code.decode_chase(llr[:64], p=0)
    benchmark.pedantic(code.decode_chase, args=(llr,), kwargs=dict(p=0), rounds=5, iterations=1)
    _report(benchmark, "info_bits_per_s", frames * code.k, "bit")

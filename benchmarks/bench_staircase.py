"""Throughput of the 400ZR CFEC outer code (pytest-benchmark; reports, never fails on speed).

    pytest benchmarks/bench_staircase.py --benchmark-only -s

- Staircase decoding (512 x 510 blocks, eBCH(1022,990), window 8, up to 8 iterations) at input
  BER 3e-3 (below the ~4.7e-3 threshold), reported as information bits per second (244 736 per
  block); streams are decoded in parallel (one CPU thread or one CUDA block each).
- Staircase encoding, information bits per second.
- eBCH(1022,990) component decoding of independent words at BER 3e-3 (about 3 errors per word),
  reported as codewords per second and information bits (990 per word) per second.
"""
import numpy as np
import pytest
from throughput import report as _report

BER = 3e-3


def _backend(name):
    from dsp.backend import get_backend

    return get_backend(name)


def _streams(backend):
    return (264, 12) if backend == "gpu" else (4, 12)


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_staircase_decode(benchmark, backend):
    from dsp.fec import zr400_staircase

    be = _backend(backend)
    sc = zr400_staircase()
    streams, blocks = _streams(backend)
    rng = np.random.default_rng(0)
    info = rng.integers(0, 2, (streams, blocks, 512, 478), dtype=np.uint8)
    tx = sc.encode(info)
    rx = be.xp.asarray(tx ^ (rng.random(tx.shape) < BER).astype(np.uint8))
    sc.decode(rx)  # warm up (GPU: compile)
    benchmark.pedantic(sc.decode, args=(rx,), rounds=5, iterations=1)
    _report(benchmark, "info_bits_per_s", streams * blocks * sc.info_bits_per_block, "bit")


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_staircase_encode(benchmark, backend):
    from dsp.fec import zr400_staircase

    be = _backend(backend)
    sc = zr400_staircase()
    streams, blocks = _streams(backend)
    info = be.xp.asarray(np.random.default_rng(1).integers(0, 2, (streams, blocks, 512, 478), dtype=np.uint8))
    sc.encode(info)
    benchmark.pedantic(sc.encode, args=(info,), rounds=5, iterations=1)
    _report(benchmark, "info_bits_per_s", streams * blocks * sc.info_bits_per_block, "bit")


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_bch_component_decode(benchmark, backend):
    from dsp.fec import ebch_1022_990

    be = _backend(backend)
    code = ebch_1022_990()
    words = 1_000_000 if backend == "gpu" else 100_000
    rng = np.random.default_rng(2)
    cw = code.encode(rng.integers(0, 2, (words, 990), dtype=np.uint8))
    r = be.xp.asarray(cw ^ (rng.random(cw.shape) < BER).astype(np.uint8))
    code.decode(r)
    benchmark.pedantic(code.decode, args=(r,), rounds=5, iterations=1)
    _report(benchmark, "codewords_per_s", words, "word")
    _report(benchmark, "info_bits_per_s", words * 990, "bit")

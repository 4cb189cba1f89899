"""Throughput of the Reed-Solomon FEC kernels (pytest-benchmark; reports, never fails on speed).

    pytest benchmarks/bench_fec.py --benchmark-only -s

- KP4 RS(544,514) decoding of random codewords with independent bit errors at the KP4 threshold
  (pre-FEC BER 2.4e-4, about 73 % of words hold errors), and error-free words; reported as
  decoded information bits per second (514 x 10 per codeword).
- KP4 encoding, information bits per second.
- The counting path (erroneous symbols per codeword from bit errors), line bits per second, from
  one byte per bit and from packed bits, at BER 2.4e-4 and 1e-2.
"""
import numpy as np
import pytest
from throughput import report as _report

BER_KP4 = 2.4e-4


def _backend(name):
    from dsp.backend import get_backend

    return get_backend(name)


def _kp4_received(words, ber, seed=0):
    from dsp.fec import kp4

    code = kp4()
    rng = np.random.default_rng(seed)
    cw = code.encode(rng.integers(0, 1024, (words, 514), dtype=np.uint16))
    thr = int(round(ber * 2**32))
    err = np.zeros((words, 544), dtype=np.uint16)
    for b in range(10):  # bit b of every symbol flips with probability ber
        err |= (rng.integers(0, 2**32, (words, 544), dtype=np.uint32) < thr).astype(np.uint16) << b
    return code, cw, cw ^ err


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("ber", [BER_KP4, 0.0], ids=["ber2.4e-4", "error-free"])
def test_kp4_decode(benchmark, backend, ber):
    be = _backend(backend)
    words = 200_000 if backend == "gpu" else 40_000
    code, _, r = _kp4_received(words, ber)
    r = be.xp.asarray(r)
    code.decode(r)  # warm up (GPU: compile)
    benchmark.pedantic(code.decode, args=(r,), rounds=5, iterations=1)
    _report(benchmark, "info_bits_per_s", words * 5140, "bit")


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
def test_kp4_encode(benchmark, backend):
    from dsp.fec import kp4

    be = _backend(backend)
    words = 200_000 if backend == "gpu" else 40_000
    msg = be.xp.asarray(np.random.default_rng(1).integers(0, 1024, (words, 514), dtype=np.uint16))
    kp4().encode(msg)
    benchmark.pedantic(kp4().encode, args=(msg,), rounds=5, iterations=1)
    _report(benchmark, "info_bits_per_s", words * 5140, "bit")


@pytest.mark.parametrize("backend", ["cpu", pytest.param("gpu", marks=pytest.mark.gpu)])
@pytest.mark.parametrize("packed", [False, True], ids=["u8", "packed"])
@pytest.mark.parametrize("ber", [BER_KP4, 1e-2], ids=["ber2.4e-4", "ber1e-2"])
def test_counting_path(benchmark, backend, packed, ber):
    from dsp.fec import symbol_errors_per_codeword, symbol_errors_per_codeword_packed

    be = _backend(backend)
    rows, length = 64, 5440 * 4 * 256  # 89 Mbit, 4-way interleave
    rng = np.random.default_rng(2)
    err = (rng.random((rows, length), dtype=np.float32) < ber)
    if packed:
        data = be.xp.asarray(np.packbits(err, axis=-1))
        fn = lambda: symbol_errors_per_codeword_packed(data, length, m=10, n=544, ways=4)  # noqa: E731
    else:
        data = be.xp.asarray(err.view(np.uint8))
        fn = lambda: symbol_errors_per_codeword(data, m=10, n=544, ways=4)  # noqa: E731
    fn()
    benchmark.pedantic(fn, rounds=5, iterations=1)
    _report(benchmark, "line_bits_per_s", rows * length, "bit")

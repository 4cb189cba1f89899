"""Throughput of the FEC chains (pytest-benchmark; reports, never fails on speed).

    python -m pytest benchmarks/bench_fec_chains.py --benchmark-only -s -q

Each chain counts one batch of random transmitted bits with BPSK-AWGN LLRs (float32) at a raw BER
near its operating point (a little below the threshold: decoders work, errors are corrected).
Reported as channel bits per second through :meth:`dsp.fec.chains.FecChain.count`.
"""
import numpy as np
import pytest
from scipy.stats import norm
from throughput import report as _report

CASES = [("kp4", 2e-3, 10880 * 400), ("kp4+hamming", 5e-3, 128 * 40000),
         ("cfec", 1.1e-2, 8_000_000), ("ldpc:wifi-1944-r56", 5e-3, 1944 * 2000)]


@pytest.mark.parametrize("spec,ber,nbits", CASES, ids=[c[0] for c in CASES])
def test_fec_chain_count(benchmark, spec, ber, nbits):
    from dsp.fec import fec_chain

    ch = fec_chain(spec)
    rng = np.random.default_rng(0)
    b = rng.integers(0, 2, nbits, dtype=np.uint8)
    s = 1.0 / norm.isf(ber)
    llr = (2.0 * ((1.0 - 2.0 * b) + rng.normal(0.0, s, nbits)) / s ** 2).astype(np.float32)
    benchmark.pedantic(ch.count, args=(b, llr), rounds=3, iterations=1, warmup_rounds=1)
    _report(benchmark, "channel_bits_per_s", nbits, "b")

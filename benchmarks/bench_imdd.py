"""Throughput of the IM/DD PAM4 chain (pytest-benchmark; reports, never fails on speed).

    pytest benchmarks/bench_imdd.py --benchmark-only -s

The whole ``400g-fr4`` chain, transmitter to error counting (random labels, NRZ, driver filter,
ideal modulator, RIN, 2 km of dispersion on the field, photodiode with shot and thermal noise,
Bessel TIA, sampling-phase and frame sync, 15-tap LMS FFE, slicing, error, KP4 and burst
counting), at 2 samples per symbol, in M counted symbols/s:

- ``test_chain_one_process``: one batch in this process (FFTs and kernels on every core);
- ``test_chain_engine``: ``simulate_ber`` with its default executor (a process per core).
"""
import numpy as np

from dsp.backend import get_backend
from dsp.sim.presets import load_preset
from throughput import report as _report

SYMBOLS = 1 << 22


def test_chain_one_process(benchmark):
    link = load_preset("400g-fr4").build(rop_dbm=-10.0)
    be = get_backend("cpu")
    link.run_batch(be, np.random.SeedSequence(0), 1 << 16)  # warm caches (filter responses, kernels)
    counts = benchmark.pedantic(link.run_batch, args=(be, np.random.SeedSequence(1), SYMBOLS), rounds=3,
                                iterations=1)
    _report(benchmark, "symbols_per_s", counts.symbols, " symbols")


def test_chain_engine(benchmark):
    from dsp.sim.engine import simulate_ber

    def run():
        # 4 points x 8 M symbols: long enough that starting the worker processes does not dominate.
        return simulate_ber("400g-fr4", {"rop_dbm": [-10.0, -9.5, -9.0, -8.5]}, target_errors=10**12,
                            max_bits=4 * SYMBOLS, backend="cpu")

    res = benchmark.pedantic(run, rounds=2, iterations=1)
    _report(benchmark, "symbols_per_s", sum(p.symbols for p in res.points), " symbols")

"""Throughput of the coherent DP-16QAM chain (pytest-benchmark; reports, never fails on speed).

    pytest benchmarks/bench_coherent.py --benchmark-only -s

The whole ``400zr`` chain, transmitter to error counting (random labels on both polarizations,
RRC shaping at 2 samples/symbol, 100 kHz Tx and LO phase noise, 2400 ps/nm of CD, 10 ps DGD
under random SOPs, ASE at the OSNR, 1 GHz offset; CD compensation (overlap-save), matched filter,
timing recovery, 15-tap 2x2 MIMO (CMA acquisition passes and FOE on the frame head, a DD-LMS
head pass, one decision-directed pass with PLL over the frame), 4th-power FOE, 32-phase BPS,
frame alignment, pilot cycle-slip correction, decisions, error counting, SNR and GMI; the
preset's CFEC decoding is left out (``fec="none"``: the issue's chain ends at error counting;
``test_chain_with_cfec`` adds it), in
M counted dual-polarization symbols/s (``symbols`` of a batch count both polarizations, so the
figure is ``symbols / 2`` per second).

- ``test_chain_one_process``: one batch in this process (frame groups on a thread per core);
- ``test_chain_engine``: ``simulate_ber`` with its default executor (a process per core).
"""
import numpy as np

from dsp.backend import get_backend
from dsp.sim.presets import load_preset
from throughput import report as _report

SYMBOLS = 1 << 21


def _link(fec="none"):
    return load_preset("400zr").build(osnr_db=21.0, fec=fec)


def test_chain_one_process(benchmark):
    link = _link()
    be = get_backend("cpu")
    link.run_batch(be, np.random.SeedSequence(0), 1 << 16)  # warm caches (filters, FFT plans)
    counts = benchmark.pedantic(link.run_batch, args=(be, np.random.SeedSequence(1), SYMBOLS), rounds=3,
                                iterations=1)
    _report(benchmark, "dual_pol_symbols_per_s", counts.symbols / 2, " dual-pol symbols")


def test_chain_engine(benchmark):
    from dsp.sim.engine import simulate_ber

    def run():
        return simulate_ber("400zr", {"osnr_db": [20.0, 21.0]}, params={"fec": "none"}, target_errors=10**12,
                            max_bits=4 * 4 * SYMBOLS, backend="cpu")

    res = benchmark.pedantic(run, rounds=1, iterations=1)
    _report(benchmark, "dual_pol_symbols_per_s", sum(p.bits for p in res.points) / 8, " dual-pol symbols")


def test_chain_with_cfec(benchmark):
    link = _link("cfec")
    be = get_backend("cpu")
    link.run_batch(be, np.random.SeedSequence(0), 1 << 16)
    counts = benchmark.pedantic(link.run_batch, args=(be, np.random.SeedSequence(1), SYMBOLS), rounds=2,
                                iterations=1)
    _report(benchmark, "dual_pol_symbols_per_s", counts.symbols / 2, " dual-pol symbols")

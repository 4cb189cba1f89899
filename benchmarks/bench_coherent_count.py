"""Throughput of the coherent link's error counting (pytest-benchmark; reports, never fails on speed).

    pytest benchmarks/bench_coherent_count.py --benchmark-only -s

``CoherentLink.count`` alone (frame alignment, pilot cycle-slip correction, the two-pass
decision-directed gain, decisions, bit/symbol error counts, error and reference powers and the
GMI sum on its sample) on one chunk of 8 frames of the ``400zr`` preset at 21 dB OSNR (the chunk
``run_batch`` counts at once), the DSP output precomputed; in M counted dual-polarization
symbols/s. ``test_align``: the alignment alone.
"""
import numpy as np
import pytest

from dsp.backend import get_backend
from dsp.sim.presets import load_preset
from throughput import report as _report

FRAMES = 8


@pytest.fixture(scope="module")
def chunk():
    cpu = get_backend("cpu")
    link = load_preset("400zr").build(osnr_db=21.0, fec="none")
    label_rng, normal, sop_rng = link._random_sources(cpu, np.random.SeedSequence(1), None)
    labels = label_rng.integers(0, link.m, size=(FRAMES, 2, link.frame_symbols), dtype=np.uint8)
    z, phase, conv, sym = link._simulate(cpu, labels, normal, link._jones(sop_rng, FRAMES))
    return link, (z, phase, conv, sym, labels)


def test_count(benchmark, chunk):
    link, args = chunk
    link.count(*args)  # warm
    counts = benchmark.pedantic(link.count, args=args, rounds=20, iterations=1)
    rate = _report(benchmark, "dual_pol_symbols_per_s", counts.symbols / 2, " dual-pol symbols")
    print(f"{benchmark.name}: {1e3 * benchmark.stats.stats.min / FRAMES:.2f} ms per frame of "
          f"{link.frame_symbols} symbols ({rate * 2 / 1e6:.1f} M counted symbols/s, both polarizations)")


def test_align(benchmark, chunk):
    link, (z, _, _, sym, labels) = chunk
    benchmark.pedantic(link.align, args=(z, sym, labels), kwargs={"gather": False}, rounds=20, iterations=1)
    _report(benchmark, "dual_pol_symbols_per_s", FRAMES * link.frame_symbols, " dual-pol symbols")

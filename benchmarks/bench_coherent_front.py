"""Throughput of the coherent front end (transmitter, linear channel, coherent detection) on the CPU.

    pytest benchmarks/bench_coherent_front.py --benchmark-only -s

8 frames of the ``400zr`` preset at ``osnr_db=21`` (65536 DP-16QAM symbols per frame, 2 samples per
symbol: RRC shaping, 100 kHz Tx and LO phase noise, 2400 ps/nm CD, 10 ps DGD under a random SOP,
ASE, 1 GHz carrier offset, unit power per polarization), in M dual-polarization symbols/s:

- ``generic``: ``coherent_detect(propagate(transmit(...)))``, the stage-by-stage chain;
- ``fused``: ``CoherentLink._front_cpu`` (kernels/cpu/coherent_front.pyx), the path ``run_batch`` takes;

each on every core (``threads=None``) and on one thread (``threads=1``, as each worker of
``run_batch``'s pool of frame groups runs).
"""
import contextlib

import numpy as np
import pytest

from dsp.backend import get_backend
from dsp.channel.iq import coherent_detect
from dsp.modulation import map_labels
from dsp.sim.presets import load_preset
from throughput import report as _report

FRAMES = 8


def _setup(threads):
    be = get_backend("cpu")
    link = load_preset("400zr").build(osnr_db=21.0, fec="none")
    label_rng, normal, sop_rng = link._random_sources(be, np.random.SeedSequence(1), threads)
    labels = label_rng.integers(0, link.m, size=(FRAMES, 2, link.frame_symbols), dtype=np.uint8)
    symbols = map_labels(labels, link.constellation, link._ctype())
    return be, link, normal, symbols, link._jones(sop_rng, FRAMES)


@contextlib.contextmanager
def _threads(be, threads):
    if threads is None:
        yield
        return
    with be.ops.kernel_threads(threads), be.fft.set_workers(threads):
        yield


@pytest.mark.parametrize("threads", [None, 1])
@pytest.mark.parametrize("path", ["generic", "fused"])
def test_front_end(benchmark, path, threads):
    be, link, normal, symbols, jones = _setup(threads)
    assert link._fast_front_applies(symbols, normal)

    def generic():
        return coherent_detect(link.propagate(link.transmit(symbols, normal), normal, jones))

    def fused():
        return link._front_cpu(symbols, normal, jones)

    run = generic if path == "generic" else fused
    with _threads(be, threads):
        run()  # warm caches (responses, kernels)
        benchmark.pedantic(run, rounds=5, iterations=1)
    _report(benchmark, "dual_pol_symbols_per_s", FRAMES * link.frame_symbols, " dual-pol symbols")

"""Receiver DSP.

- :mod:`~dsp.rx.equalizers`: FFE (LMS or least squares, T or T/2), DFE, MLSE (Viterbi);
- :mod:`~dsp.rx.sync`: sampling phase and frame synchronisation on training symbols;
- :mod:`~dsp.rx.cdc`: chromatic-dispersion compensation (frequency-domain overlap-save, Savory FIR);
- :mod:`~dsp.rx.timing`: feedforward symbol-timing recovery (Oerder-Meyr / Godard line, Farrow tracking);
- :mod:`~dsp.rx.mimo`: 2x2 MIMO adaptive equalizer (CMA, RDE, DD-LMS) for dual-polarization coherent links;
- :mod:`~dsp.rx.carrier`: frequency offset (4th power), carrier phase (BPS, Viterbi-Viterbi), cycle slips.
"""
from dsp.rx import carrier, cdc, equalizers, mimo, sync, timing
from dsp.rx.carrier import *  # noqa: F401,F403  (the names in carrier.__all__)
from dsp.rx.cdc import CdCompensator, cd_fir_num_taps, cd_fir_taps, cd_memory_samples, compensate_cd
from dsp.rx.equalizers import *  # noqa: F401,F403  (the names in equalizers.__all__)
from dsp.rx.mimo import *  # noqa: F401,F403  (the names in mimo.__all__)
from dsp.rx.sync import frame_delay, sampling_phase
from dsp.rx.timing import (estimate_timing_offset, fractional_delay, recover_timing, recover_timing_spectrum,
                           timing_track)

__all__ = [
    *equalizers.__all__, *mimo.__all__, *carrier.__all__,
    "CdCompensator", "cd_fir_num_taps", "cd_fir_taps", "cd_memory_samples", "compensate_cd",
    "estimate_timing_offset", "fractional_delay", "recover_timing", "recover_timing_spectrum", "timing_track",
    "frame_delay", "sampling_phase",
    "carrier", "cdc", "equalizers", "mimo", "sync", "timing",
]

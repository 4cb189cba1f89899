"""Receiver DSP.

- :mod:`~dsp.rx.equalizers`: FFE (LMS or least squares, T or T/2), DFE, MLSE (Viterbi);
- :mod:`~dsp.rx.sync`: sampling phase and frame synchronisation on training symbols;
- :mod:`~dsp.rx.mimo`: 2x2 MIMO adaptive equalizer (CMA, RDE, DD-LMS) for dual-polarization coherent links;
- :mod:`~dsp.rx.carrier`: frequency offset (4th power), carrier phase (BPS, Viterbi-Viterbi), cycle slips.
- :mod:`~dsp.rx.cdc`: chromatic-dispersion compensation (frequency-domain overlap-save, Savory FIR);
- :mod:`~dsp.rx.timing`: feedforward symbol-timing recovery (Oerder-Meyr / Godard line, Farrow tracking).

CD compensation, MIMO equalizers and carrier recovery arrive with the coherent links.
"""
from dsp.rx import carrier, equalizers, sync
from dsp.rx.carrier import *  # noqa: F401,F403  (the names in carrier.__all__)
from dsp.rx.equalizers import *  # noqa: F401,F403  (the names in equalizers.__all__)
from dsp.rx.sync import frame_delay, sampling_phase
from dsp.rx import mimo  # noqa: E402
from dsp.rx.mimo import *  # noqa: F401,F403  (the names in mimo.__all__)

__all__ = [*equalizers.__all__, *mimo.__all__, "mimo", *carrier.__all__, "carrier", "frame_delay", "sampling_phase", "equalizers", "sync"]
from dsp.rx import cdc, timing  # noqa: E402
from dsp.rx.cdc import CdCompensator, cd_fir_num_taps, cd_fir_taps, cd_memory_samples, compensate_cd  # noqa: E402
from dsp.rx.timing import estimate_timing_offset, fractional_delay, recover_timing, timing_track  # noqa: E402

__all__ += ["cdc", "timing", "CdCompensator", "cd_fir_num_taps", "cd_fir_taps", "cd_memory_samples", "compensate_cd",
            "estimate_timing_offset", "fractional_delay", "recover_timing", "timing_track"]

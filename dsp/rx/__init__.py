"""Receiver DSP.

- :mod:`~dsp.rx.equalizers`: FFE (LMS or least squares, T or T/2), DFE, MLSE (Viterbi);
- :mod:`~dsp.rx.sync`: sampling phase and frame synchronisation on training symbols.

CD compensation, MIMO equalizers and carrier recovery arrive with the coherent links.
"""
from dsp.rx import equalizers, sync
from dsp.rx.equalizers import *  # noqa: F401,F403  (the names in equalizers.__all__)
from dsp.rx.sync import frame_delay, sampling_phase

__all__ = [*equalizers.__all__, "frame_delay", "sampling_phase", "equalizers", "sync"]

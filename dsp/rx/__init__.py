"""Receiver DSP: equalizers (FFE, DFE, MLSE), synchronisation, CD compensation, carrier recovery."""
from dsp.rx.equalizers import (
    MAX_FB_TAPS,
    MAX_TAPS,
    MLSE_TRACEBACK,
    DfeResult,
    FfeResult,
    dfe,
    estimate_channel,
    ffe,
    mlse,
)

__all__ = [
    "FfeResult",
    "DfeResult",
    "ffe",
    "dfe",
    "mlse",
    "estimate_channel",
    "MAX_TAPS",
    "MAX_FB_TAPS",
    "MLSE_TRACEBACK",
]

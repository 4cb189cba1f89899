"""dci-dsp: fast emulation of the DSP chain of optical Data Center Interconnect links.

Import is cheap: nothing here imports CuPy or compiles a kernel; the public names below load
their modules on first use.

Follow a signal from the top::

    import dsp
    result = dsp.simulate_ber("awgn-qam", params={"m": 16}, sweep={"snr_db": [8, 10, 12]})
    print(result.table())

- ``dsp.presets`` / :func:`load_preset`: link descriptions (TOML) with validated parameters.
- ``dsp.sim``: links (tx -> channel -> rx -> error counting) and the Monte-Carlo BER engine.
- ``dsp.modulation``, ``dsp.channel``: array-level building blocks (NumPy or CuPy).
- ``dsp.metrics``: BER confidence intervals and closed-form references.
- ``dsp.backend``: ``cpu`` (NumPy + Cython kernels) or ``gpu`` (CuPy + CUDA kernels).
"""
from importlib import import_module

__version__ = "0.2.0"

_LAZY = {
    "simulate_ber": "dsp.sim.engine",
    "BERResult": "dsp.sim.engine",
    "PointResult": "dsp.sim.engine",
    "load_preset": "dsp.sim.presets",
    "list_presets": "dsp.sim.presets",
    "Preset": "dsp.sim.presets",
    "get_backend": "dsp.backend",
    "Backend": "dsp.backend",
    "BackendError": "dsp.backend",
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name):
    if name == "api":  # dsp.api, the link-budget API: a submodule loaded on first use
        return import_module("dsp.api")
    if name in _LAZY:
        value = getattr(import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'dsp' has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_LAZY))

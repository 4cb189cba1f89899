"""Compute backends: ``cpu`` (NumPy + Cython kernels) and ``gpu`` (CuPy + CUDA kernels).

A :class:`Backend` bundles the array module ``xp`` (numpy or cupy), ``fft`` and ``ops``, the module of
compiled kernels with identical signatures on both (``dsp._ops.cpu`` / ``dsp._ops.gpu``). Link code
is written once against ``be.xp`` and ``be.ops``.

``get_backend("auto")`` picks the GPU when CuPy imports and a CUDA device exists, otherwise the
CPU, and logs which. ``get_backend("gpu")`` without a usable device raises :class:`BackendError`.
"""
from __future__ import annotations

import logging
import os
from dataclasses import dataclass
from functools import lru_cache
from importlib import import_module
from types import ModuleType

log = logging.getLogger(__name__)

BACKENDS = ("auto", "cpu", "gpu")


class BackendError(RuntimeError):
    """The requested backend cannot run on this machine."""


@dataclass(frozen=True)
class Backend:
    """A place to compute: ``name`` is ``"cpu"`` or ``"gpu"``."""

    name: str
    xp: ModuleType
    ops: ModuleType

    @property
    def fft(self) -> ModuleType:
        """The FFT module for this backend: ``scipy.fft`` (keeps float32) or ``cupyx.scipy.fft``."""
        return import_module("cupyx.scipy.fft" if self.name == "gpu" else "scipy.fft")

    def to_host(self, a):
        """A NumPy array from an array of this backend."""
        return a.get() if self.name == "gpu" else a


def array_module(a) -> ModuleType:
    """``numpy`` or ``cupy``, whichever ``a`` belongs to (without importing CuPy for NumPy input)."""
    if type(a).__module__.startswith("cupy"):
        return import_module("cupy")
    return import_module("numpy")


def fft_module(a) -> ModuleType:
    """The FFT module for the array ``a``: ``scipy.fft`` or ``cupyx.scipy.fft``."""
    return import_module("cupyx.scipy.fft" if type(a).__module__.startswith("cupy") else "scipy.fft")


def cpu_count() -> int:
    """Cores this process may run on (its affinity mask where the OS has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def gpu_unavailable_reason() -> str | None:
    """None when CuPy imports and sees a CUDA device, else why not (one line)."""
    try:
        import cupy
    except Exception as exc:  # ImportError, or a broken CUDA install raising at import
        return f"CuPy does not import ({type(exc).__name__}: {exc}); install the 'gpu' extra"
    try:
        count = cupy.cuda.runtime.getDeviceCount()
    except Exception as exc:
        return f"CUDA runtime error ({exc})"
    if count < 1:
        return "no CUDA device is visible"
    return None


@lru_cache(maxsize=None)
def _make(name: str) -> Backend:
    if name == "cpu":
        import numpy

        return Backend("cpu", numpy, import_module("dsp._ops.cpu"))
    reason = gpu_unavailable_reason()
    if reason is not None:
        raise BackendError(f"backend='gpu' needs CuPy and a CUDA device: {reason}")
    import cupy

    return Backend("gpu", cupy, import_module("dsp._ops.gpu"))


def get_backend(name: str | Backend = "auto") -> Backend:
    """Resolve ``"auto"``, ``"cpu"``, ``"gpu"`` (or a Backend, returned as is) to a Backend."""
    if isinstance(name, Backend):
        return name
    if name not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)} (got {name!r})")
    if name == "auto":
        reason = gpu_unavailable_reason()
        chosen = "gpu" if reason is None else "cpu"
        if reason is None:
            log.info("backend auto: using the GPU")
        else:
            log.info("backend auto: using the CPU (%s)", reason)
        return _make(chosen)
    return _make(name)

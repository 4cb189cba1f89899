"""GPU kernels (CUDA via ``cupy.RawModule``), same signatures as :mod:`dsp._ops.cpu`.

The ``.cu`` sources ship in ``dsp._kernels/cuda`` and include the shared cores from
``dsp._kernels/common``; NVRTC compiles them on first use (CuPy caches the result on disk).
Only the error counts (two integers) cross to the host.
"""
from __future__ import annotations

from functools import lru_cache
from importlib import resources

import cupy as cp

_BLOCK = 256


def kernel_dir():
    return resources.files("dsp._kernels")


@lru_cache(maxsize=None)
def _module(name: str):
    root = kernel_dir()
    code = (root / "cuda" / f"{name}.cu").read_text()
    include = str(root / "common")
    return cp.RawModule(code=code, options=("-std=c++17", "--fmad=false", f"-I{include}"))


@lru_cache(maxsize=None)
def _sm_count(device_id: int) -> int:
    return cp.cuda.Device(device_id).attributes["MultiProcessorCount"]


def _grid(n: int) -> int:
    """Blocks for n items: enough to fill the device (grid-stride loops cover the rest)."""
    return max(1, min((n + _BLOCK - 1) // _BLOCK, _sm_count(cp.cuda.Device().id) * 32))


def _counts(run):
    counts = cp.zeros(2, dtype=cp.uint64)
    run(counts)
    b, s = counts.get().tolist()
    return int(b), int(s)


def default_threads() -> int:
    return 1


def slice_count(y, labels, axes: int, m: int, bits_per_axis: int, scale: float, threads: int | None = None):
    y = cp.ascontiguousarray(cp.asarray(y)).reshape(-1)
    labels = cp.ascontiguousarray(cp.asarray(labels, dtype=cp.uint8)).reshape(-1)
    n = labels.size
    if y.dtype == cp.float32:
        fn, sc = _module("slicer").get_function("slice_count_f32"), cp.float32(scale)
    else:
        fn, sc = _module("slicer").get_function("slice_count_f64"), cp.float64(scale)
    return _counts(lambda c: fn((_grid(n),), (_BLOCK,), (y, labels, cp.int64(n), cp.int32(axes), cp.int32(m),
                                                         cp.int32(bits_per_axis), sc, c)))


def awgn_count(first: int, n: int, key: tuple[int, int], axes: int, m: int, bits_per_axis: int,
               s: float, double: bool, threads: int | None = None):
    name, st = ("awgn_count_f64", cp.float64(s)) if double else ("awgn_count_f32", cp.float32(s))
    fn = _module("slicer").get_function(name)
    return _counts(lambda c: fn((_grid(n),), (_BLOCK,), (cp.uint64(first), cp.int64(n), cp.uint32(key[0]),
                                                         cp.uint32(key[1]), cp.int32(axes), cp.int32(m),
                                                         cp.int32(bits_per_axis), st, c)))

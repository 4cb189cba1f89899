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


# ------------------------------------------------------------------------------- Reed-Solomon (dsp.fec)

_RS_BLOCK = 128  # codewords per block: each thread keeps a few KiB of decoder state in local memory


def _rs_grid(n: int, block: int) -> int:
    return max(1, min((n + block - 1) // block, _sm_count(cp.cuda.Device().id) * 32))


def _rs_device_tables(tables):
    """Device copies of a code's tables, cached on the tables object per device."""
    key = ("gpu", cp.cuda.Device().id)
    d = tables.cache.get(key)
    if d is None:
        d = tuple(cp.asarray(a) for a in (tables.log, tables.exp, tables.gen_lo, tables.gen_hi))
        tables.cache[key] = d
    return d


def _rs_check(status, what: str, m: int):
    if int(status.get()[0]) & 2:
        raise ValueError(f"{what}: a word holds a symbol >= 2**{m}")


def rs_encode(msg, tables, threads: int | None = None):
    t = tables
    msg = cp.ascontiguousarray(cp.asarray(msg, dtype=cp.uint16))
    rows = msg.shape[0]
    out = cp.empty((rows, t.n), dtype=cp.uint16)
    if rows:
        status = cp.zeros(1, dtype=cp.int32)
        log, exp, lo, hi = _rs_device_tables(t)
        fn = _module("rs").get_function("rs_encode")
        fn((_rs_grid(rows, _RS_BLOCK),), (_RS_BLOCK,),
           (msg, out, cp.int64(rows), cp.int32(t.m), cp.int32(t.n), cp.int32(t.k), cp.int32(t.first_root),
            cp.int32(t.h), cp.int32(t.w), log, exp, lo, hi, status))
        _rs_check(status, "msg", t.m)
    return out


def rs_decode(received, tables, threads: int | None = None):
    t = tables
    received = cp.ascontiguousarray(cp.asarray(received, dtype=cp.uint16))
    rows = received.shape[0]
    out = cp.empty((rows, t.n), dtype=cp.uint16)
    nc = cp.zeros(rows, dtype=cp.int32)
    failed = cp.zeros(rows, dtype=cp.uint8)
    if rows:
        status = cp.zeros(1, dtype=cp.int32)
        log, exp, lo, hi = _rs_device_tables(t)
        fn = _module("rs").get_function("rs_decode")
        fn((_rs_grid(rows, _RS_BLOCK),), (_RS_BLOCK,),
           (received, out, nc, failed, cp.int64(rows), cp.int32(t.m), cp.int32(t.n), cp.int32(t.k),
            cp.int32(t.first_root), cp.int32(t.h), cp.int32(t.w), log, exp, lo, hi, status))
        _rs_check(status, "received", t.m)
    return out, nc, failed.view(cp.bool_)


def rs_symbol_errors(bits, m: int, n: int, ways: int, threads: int | None = None):
    bits = cp.ascontiguousarray(cp.asarray(bits)).view(cp.uint8)
    rows, length = bits.shape
    groups = length // (m * n * ways)
    out = cp.zeros((rows, groups * ways), dtype=cp.int32)
    total = rows * groups * n * ways
    if total:
        fn = _module("rs").get_function("rs_count_u8")
        fn((_grid(total),), (_BLOCK,), (bits, out, cp.int64(rows), cp.int64(length), cp.int64(groups),
                                        cp.int32(m), cp.int32(n), cp.int32(ways)))
    return out


def rs_symbol_errors_packed(packed, n_bits: int, m: int, n: int, ways: int, threads: int | None = None):
    packed = cp.ascontiguousarray(cp.asarray(packed, dtype=cp.uint8))
    rows, row_bytes = packed.shape
    groups = n_bits // (m * n * ways)
    out = cp.zeros((rows, groups * ways), dtype=cp.int32)
    total = rows * groups * n * ways
    if total:
        fn = _module("rs").get_function("rs_count_packed")
        fn((_grid(total),), (_BLOCK,), (packed, out, cp.int64(rows), cp.int64(row_bytes), cp.int64(groups),
                                        cp.int32(m), cp.int32(n), cp.int32(ways)))
    return out


# ------------------------------------------------------------------------ equalizers (dsp.rx.equalizers)

_EQ_BLOCK = 32  # rows per block (one warp): one thread per row, so that a batch of a few thousand rows still
                # spreads over every SM


def _eq_check(codes, what: str):
    import numpy as np

    code = int(np.bitwise_or.reduce(codes.get())) if codes.size else 0  # one int per row
    if code & 1:
        raise ValueError(f"{what}: tap count outside the kernel's padded length (kernel code {code})")
    if code:
        raise ValueError(f"{what}: configuration not supported by the kernel (kernel code {code})")


def _eq_real(dt):
    return (cp.float32, "f32") if dt == cp.float32 else (cp.float64, "f64")


def lms_equalize(y, n_sym: int, sps: int, ntaps: int, n_train: int, ref, mu_train, mu_dd, fb_taps: int,
                 target, levels: int, d: float, v0, b0, want_decisions: bool, threads: int | None = None):
    y = cp.ascontiguousarray(cp.asarray(y))
    dt = y.dtype
    real, sfx = _eq_real(dt)
    rows = y.shape[0]
    ref = cp.ascontiguousarray(cp.asarray(ref, dtype=dt))
    mu_train = cp.ascontiguousarray(cp.asarray(mu_train, dtype=dt))
    mu_dd = cp.ascontiguousarray(cp.asarray(mu_dd, dtype=dt))
    target = cp.ascontiguousarray(cp.asarray(target, dtype=dt))
    v = cp.array(v0, dtype=dt, order="C", copy=True)
    b = cp.array(b0, dtype=dt, order="C", copy=True)
    z = cp.empty((rows, n_sym), dtype=dt)
    dec = cp.empty((rows, n_sym), dtype=cp.uint8) if want_decisions else None
    if rows and n_sym:
        codes = cp.zeros(rows, dtype=cp.int32)
        fn = _module("equalizer").get_function(f"lms_{sfx}")
        grid = ((rows + _EQ_BLOCK - 1) // _EQ_BLOCK,)
        fn(grid, (_EQ_BLOCK,), (y, cp.int64(y.shape[1]), cp.int64(n_sym), cp.int32(sps), cp.int32(ntaps),
                                cp.int32(v.shape[1]), cp.int64(n_train), ref, mu_train, mu_dd, cp.int32(fb_taps),
                                target, cp.int32(levels), real(d), v, b, z,
                                dec if dec is not None else cp.uint64(0), cp.int32(rows), codes))
        _eq_check(codes, "lms_equalize")
    return z, dec, v, b


def mlse_viterbi(y, n_train: int, h, c, levels: int, memory: int, d: float, train_idx,
                 threads: int | None = None):
    y = cp.ascontiguousarray(cp.asarray(y))
    dt = y.dtype
    real, sfx = _eq_real(dt)
    rows, n = y.shape
    h = cp.ascontiguousarray(cp.asarray(h, dtype=dt))
    c = cp.ascontiguousarray(cp.asarray(c, dtype=dt))
    out = cp.empty((rows, n), dtype=cp.uint8)
    out[:, :n_train] = cp.asarray(train_idx, dtype=cp.uint8)
    if rows and n > n_train:
        codes = cp.zeros(rows, dtype=cp.int32)
        fn = _module("equalizer").get_function(f"mlse_m{levels}_k{memory}_{sfx}")
        grid = ((rows + _EQ_BLOCK - 1) // _EQ_BLOCK,)
        fn(grid, (_EQ_BLOCK,), (y, cp.int64(n), cp.int64(n_train), h, c, real(d), out, cp.int32(rows), codes))
        _eq_check(codes, "mlse_viterbi")
    return out


def normal(n: int, dtype, key: tuple[int, int], first_pair: int = 0, threads: int | None = None):
    out = cp.empty(int(n), dtype=dtype)
    name = "normal_fill_f32" if out.dtype == cp.float32 else "normal_fill_f64"
    fn = _module("noise").get_function(name)
    pairs = (int(n) + 1) // 2
    fn((_grid(pairs),), (_BLOCK,), (out, cp.int64(n), cp.uint64(first_pair), cp.uint32(key[0]), cp.uint32(key[1])))
    return out


# ------------------------------------------------------------------------------- LDPC (dsp.fec.ldpc)

_LDPC_BLOCK = 128  # frames per block: one thread per frame
_LDPC_SCRATCH_BYTES = 2 << 30  # device memory for the lane-major state of one launch (L and R)


def _ldpc_device_tables(tables):
    key = ("gpu", cp.cuda.Device().id)
    d = tables.cache.get(key)
    if d is None:
        d = (cp.asarray(tables.row_ptr), cp.asarray(tables.col_idx))
        tables.cache[key] = d
    return d


def ldpc_decode(llr, tables, max_iter: int, alpha: float, beta: float, early: bool, threads: int | None = None,
                portable: bool = False):
    """One thread per frame (``portable`` is the only algorithm here); see :func:`dsp._ops.cpu.ldpc_decode`."""
    t = tables
    llr = cp.ascontiguousarray(cp.asarray(llr))
    frames, n = llr.shape
    dt = llr.dtype
    real, sfx = (cp.float32, "f32") if dt == cp.float32 else (cp.float64, "f64")
    bits = cp.empty((frames, n), dtype=cp.uint8)
    its = cp.zeros(frames, dtype=cp.int32)
    conv = cp.zeros(frames, dtype=cp.uint8)
    if frames:
        bad = ~cp.isfinite(llr)
        if bool(bad.any()):
            f, v = (int(x) for x in cp.argwhere(bad)[0].get())
            raise ValueError(f"llr must be finite (got {float(llr[f, v])} at frame {f}, bit {v})")
        rp, ci = _ldpc_device_tables(t)
        edges = int(t.col_idx.size)
        chunk = max(1, min(frames, _LDPC_SCRATCH_BYTES // ((n + edges) * dt.itemsize)))
        fn = _module("ldpc").get_function(f"ldpc_decode_{sfx}")
        for f0 in range(0, frames, chunk):
            f1 = min(frames, f0 + chunk)
            cnt = f1 - f0
            L = cp.ascontiguousarray(llr[f0:f1].T)  # lane-major: frame f in column f
            R = cp.zeros((edges, cnt), dtype=dt)
            fn((_rs_grid(cnt, _LDPC_BLOCK),), (_LDPC_BLOCK,),
               (L, R, its[f0:f1], conv[f0:f1], cp.int64(cnt), cp.int32(n), cp.int32(t.m), rp, ci,
                cp.int32(max_iter), real(alpha), real(beta), cp.int32(1 if early else 0)))
            bits[f0:f1] = (L < 0).T
    return bits, its, conv.view(cp.bool_)

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


def kernel_threads(n: int):
    """As :func:`dsp._ops.cpu.kernel_threads`; device kernels have no host thread count (no-op)."""
    import contextlib

    return contextlib.nullcontext()


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


# ----------------------------------------------------------------- carrier phase recovery (dsp.rx.carrier)

_BPS_BLOCK_THREADS = 64  # decision threads per block: one (stream, block of 512 symbols) each, local arrays


def bps_lanes(n_phases: int) -> int:
    """Length of the test-phase tables (8, 16, .., 256): as :func:`dsp._ops.cpu.bps_lanes`."""
    nb = 8
    while nb < int(n_phases):
        nb *= 2
    return nb


def bps(x, joint: bool, window: int, cos_table, sin_table, n_phases: int, scale: float, h: float, lmax: float,
        threads: int | None = None, simd: int = -1):
    """Blind phase search (one thread per stream and block of symbols); see :func:`dsp._ops.cpu.bps`."""
    import numpy as np

    x = cp.ascontiguousarray(cp.asarray(x))
    rows, n = x.shape
    real, sfx = (cp.float32, "f32") if x.dtype == cp.complex64 else (cp.float64, "f64")
    xv = x.view(real)
    ct = cp.ascontiguousarray(cp.asarray(cos_table, dtype=real))
    st = cp.ascontiguousarray(cp.asarray(sin_table, dtype=real))
    srows = rows // 2 if joint else rows
    y = cp.empty_like(x)
    phase = cp.empty((rows, n), dtype=real)
    if not (rows and n):
        return y, phase
    dec = cp.empty((srows, n), dtype=cp.uint8)
    codes = cp.zeros(srows, dtype=cp.int32)
    w = int(min(int(window), n))
    nblk = (n + 511) // 512
    items = srows * nblk
    grid = max(1, min((items + _BPS_BLOCK_THREADS - 1) // _BPS_BLOCK_THREADS, _sm_count(cp.cuda.Device().id) * 64))
    fn = _module("cpr").get_function(f"bps_decide_{sfx}" + ("_joint" if joint else ""))
    fn((grid,), (_BPS_BLOCK_THREADS,), (xv, cp.int64(n), cp.int64(srows), cp.int32(w), ct, st, cp.int32(n_phases),
                                        real(scale), real(h), real(lmax), dec, codes))
    code = int(np.bitwise_or.reduce(codes.get()))
    if code:
        raise ValueError(f"bps: configuration not supported by the kernel (kernel code {code})")
    # the unwrap's quadrant count: prefix sum of the integer steps (cpr.h, dsp_bps_step)
    D = dec[:, 1:].astype(cp.int32) - dec[:, :-1].astype(cp.int32)
    B = int(n_phases)
    step = cp.where(2 * D <= -B, 1, cp.where(2 * D > B, -1, 0)).astype(cp.int64)
    m = cp.zeros((srows, n), dtype=cp.int64)
    m[:, 1:] = cp.cumsum(step, axis=1)
    fa = _module("cpr").get_function(f"bps_apply_{sfx}")
    total = rows * n
    fa((_grid(total),), (_BLOCK,), (xv, dec, m, cp.int32(1 if joint else 0), ct, st, cp.int32(B), y.view(real), phase,
                                    cp.int64(rows), cp.int64(n)))
    return y, phase


# ------------------------------------------------------ BCH and staircase codes (dsp.fec.bch, dsp.fec.staircase)

_BCH_BLOCK = 128  # codewords per block, one thread each


def _bch_device(tables):
    """Device copies of a BCH code's tables, cached on the tables object per device."""
    key = ("gpu", cp.cuda.Device().id)
    d = tables.cache.get(key)
    if d is None:
        d = tuple(cp.asarray(a) for a in (tables.h, tables.par, tables.pos_of, tables.log, tables.exp,
                                          tables.quad, tables.cubic))
        tables.cache[key] = d
    return d


def _bch_args(t):
    h, par, pos_of, log, exp, quad, cubic = _bch_device(t)
    return (cp.int32(t.m), cp.int32(t.n), cp.int32(t.k), h, par, pos_of, log, exp, quad, cubic)


def _sc_device(geom):
    key = ("gpu", cp.cuda.Device().id)
    d = geom.cache.get(key)
    if d is None:
        d = (cp.asarray(geom.colof), cp.asarray(geom.rowof))
        geom.cache[key] = d
    return d


def bch_encode(msg, tables, threads: int | None = None):
    t = tables
    msg = cp.ascontiguousarray(cp.asarray(msg, dtype=cp.uint8))
    rows = msg.shape[0]
    out = cp.empty((rows, t.n), dtype=cp.uint8)
    if rows:
        fn = _module("bch").get_function("bch_encode")
        fn((_rs_grid(rows, _BCH_BLOCK),), (_BCH_BLOCK,), (msg, out, cp.int64(rows), *_bch_args(t)))
    return out


def bch_decode(received, tables, threads: int | None = None):
    t = tables
    received = cp.ascontiguousarray(cp.asarray(received, dtype=cp.uint8))
    rows = received.shape[0]
    out = cp.empty((rows, t.n), dtype=cp.uint8)
    nc = cp.zeros(rows, dtype=cp.int32)
    failed = cp.zeros(rows, dtype=cp.uint8)
    if rows:
        fn = _module("bch").get_function("bch_decode")
        fn((_rs_grid(rows, _BCH_BLOCK),), (_BCH_BLOCK,), (received, out, nc, failed, cp.int64(rows), *_bch_args(t)))
    return out, nc, failed.view(cp.bool_)


def bch_syndromes(words, tables, threads: int | None = None):
    words = cp.ascontiguousarray(cp.asarray(words, dtype=cp.uint8))
    rows, n = words.shape
    out = cp.zeros(rows, dtype=cp.uint32)
    if rows:
        h = _bch_device(tables)[0]
        fn = _module("bch").get_function("bch_syndromes")
        fn((_rs_grid(rows, _BCH_BLOCK),), (_BCH_BLOCK,), (words, out, cp.int64(rows), cp.int32(n), h))
    return out


def _sc_threads(R: int) -> int:
    return int(min(1024, (R + 31) // 32 * 32))


def sc_encode(info, tables, geom, n_blocks: int, threads: int | None = None):
    """One CUDA block per stream, one thread per row; see :func:`dsp._ops.cpu.sc_encode`."""
    t, g = tables, geom
    info = cp.ascontiguousarray(cp.asarray(info, dtype=cp.uint8))
    streams = info.shape[0]
    out = cp.empty((streams, n_blocks * g.R * g.C), dtype=cp.uint8)
    if streams:
        colof, rowof = _sc_device(g)
        fn = _module("bch").get_function("sc_encode")
        fn((streams,), (_sc_threads(g.R),), (info, out, cp.int32(g.R), cp.int32(g.C), cp.int32(n_blocks), colof,
                                              rowof, *_bch_args(t)))
    return out


def sc_decode(blocks, tables, geom, n_blocks: int, window: int, iterations: int, threads: int | None = None):
    """One CUDA block per stream, one thread per row; see :func:`dsp._ops.cpu.sc_decode`."""
    t, g = tables, geom
    out = cp.array(blocks, dtype=cp.uint8, order="C", copy=True)
    streams = out.shape[0]
    syn = cp.zeros((streams, n_blocks * g.R), dtype=cp.uint32)
    flips = cp.zeros(streams, dtype=cp.int64)
    if streams:
        colof, rowof = _sc_device(g)
        fn = _module("bch").get_function("sc_decode")
        fn((streams,), (_sc_threads(g.R),), (out, syn, flips, cp.int32(g.R), cp.int32(g.C), cp.int32(n_blocks),
                                              colof, rowof, cp.int32(window), cp.int32(iterations), *_bch_args(t)))
    return out, syn, flips


# --------------------------------------------------------------------- 2x2 MIMO equalizer (dsp.rx.mimo)

_MIMO_BLOCK = 32  # items per block: one thread per item


def mimo_equalize(x, n_sym: int, sps: int, ntaps: int, ref, w0, state0, k_off: int, n_single: int, n_blind: int,
                  n_train: int, mu_blind: float, mu_dd: float, pll_mu: float, ring_r2, ring_thr, levels: int,
                  d: float, want_error: bool, threads: int | None = None):
    """One thread per item; see :func:`dsp._ops.cpu.mimo_equalize`."""
    import numpy as np

    x = cp.ascontiguousarray(cp.asarray(x))
    cdt = x.dtype
    real, sfx = (cp.float32, "f32") if cdt == cp.complex64 else (cp.float64, "f64")
    items, _, ns = x.shape
    y = cp.empty((items, 2, n_sym), dtype=cdt)
    w = cp.array(w0, dtype=cdt, order="C", copy=True)
    state = cp.array(state0, dtype=real, order="C", copy=True)
    err = cp.empty((items, 2, n_sym), dtype=real) if want_error else None
    if items and n_sym:
        refd = cp.ascontiguousarray(cp.asarray(ref, dtype=cdt)) if ref is not None else None
        r2 = cp.asarray(np.asarray(ring_r2), dtype=real)
        thr = cp.asarray(np.asarray(ring_thr), dtype=real)
        codes = cp.zeros(items, dtype=cp.int32)
        fn = _module("mimo").get_function(f"mimo_{sfx}")
        grid = ((items + _MIMO_BLOCK - 1) // _MIMO_BLOCK,)
        fn(grid, (_MIMO_BLOCK,),
           (x, cp.int64(ns), cp.int64(n_sym), cp.int32(sps), cp.int32(ntaps),
            refd if refd is not None else cp.uint64(0), y, w, err if err is not None else cp.uint64(0), state,
            cp.int64(k_off), cp.int64(n_single), cp.int64(n_blind), cp.int64(n_train), real(mu_blind), real(mu_dd),
            real(pll_mu), cp.int32(r2.size), r2, thr, cp.int32(levels), real(d), cp.int32(items), codes))
        code = int(np.bitwise_or.reduce(codes.get()))
        if code & 1:
            raise ValueError(f"mimo_equalize: tap count outside the kernel's padded windows (kernel code {code})")
        if code:
            raise ValueError(f"mimo_equalize: configuration not supported by the kernel (kernel code {code})")
    return y, w, state, err


# ------------------------------------------------------------------------------- Hamming (dsp.fec.hamming)

_HAMMING_BLOCK = 128  # codewords per block: one thread per codeword


def _hamming_device_tables(tables):
    key = ("gpu", cp.cuda.Device().id)
    d = tables.cache.get(key)
    if d is None:
        d = (cp.asarray(tables.cols), cp.asarray(tables.table))
        tables.cache[key] = d
    return d


def hamming_chase(llr, tables, p: int, pairs: int = 0, threads: int | None = None):
    """One thread per codeword; see :func:`dsp._ops.cpu.hamming_chase`."""
    llr = cp.ascontiguousarray(cp.asarray(llr))
    frames, n = llr.shape
    sfx = "f32" if llr.dtype == cp.float32 else "f64"
    bits = cp.empty((frames, n), dtype=cp.uint8)
    status = cp.zeros(frames, dtype=cp.int8)
    if frames:
        bad = ~cp.isfinite(llr)
        if bool(bad.any()):
            f, v = (int(x) for x in cp.argwhere(bad)[0].get())
            raise ValueError(f"llr must be finite (got {float(llr[f, v])} at codeword {f}, bit {v})")
        cols, table = _hamming_device_tables(tables)
        fn = _module("hamming").get_function(f"hamming_chase_{sfx}")
        fn((_rs_grid(frames, _HAMMING_BLOCK),), (_HAMMING_BLOCK,),
           (llr, bits, status, cp.int64(frames), cp.int32(n - pairs), cp.int32(pairs), cols, table, cp.int32(p)))
    return bits, status

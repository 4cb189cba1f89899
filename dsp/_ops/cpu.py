"""CPU kernels (Cython + OpenMP), same signatures as :mod:`dsp._ops.gpu`."""
from __future__ import annotations

import contextlib
import threading

import numpy as np

from dsp._kernels import slicer as _slicer
from dsp.backend import cpu_count

_DEFAULT_THREADS = cpu_count()
_LOCAL = threading.local()

MALLOC_MMAP_THRESHOLD = 32 << 20
"""Bytes from which glibc serves an allocation by a fresh mmap, once :func:`tune_allocator` ran."""


def tune_allocator() -> bool:
    """Let glibc's malloc reuse freed multi-megabyte blocks instead of returning them to the OS.

    The signal chains allocate many arrays of a few MB per frame group, and pocketfft an equally
    large scratch buffer per multi-row transform; with glibc's default (dynamic) thresholds those
    blocks go back to the OS when freed and every reuse page-faults them in again (a 400zr batch
    took 74 k minor faults and ran 8 % slower). With an mmap threshold of
    ``MALLOC_MMAP_THRESHOLD`` and trimming only above 1 GiB they stay in the heap: the process
    keeps its peak memory. Called once when this module loads (the CPU backend); a process-wide
    setting of glibc on Linux, skipped elsewhere and when the environment variable
    ``DSP_MALLOC_TUNING`` is ``0``. Returns whether it was applied.
    """
    import ctypes
    import os
    import sys

    if os.environ.get("DSP_MALLOC_TUNING", "1").strip() == "0" or not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL("libc.so.6").mallopt
    except (OSError, AttributeError):  # not glibc (musl, ...)
        return False
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    return (bool(mallopt(m_mmap_threshold, MALLOC_MMAP_THRESHOLD)) and bool(mallopt(m_trim_threshold, 1 << 30))
            and bool(mallopt(m_top_pad, 64 << 20)))


tune_allocator()


def default_threads() -> int:
    """Threads a kernel uses when not told: every core this process may run on, or the count
    :func:`kernel_threads` set for the calling thread."""
    return getattr(_LOCAL, "threads", None) or _DEFAULT_THREADS


@contextlib.contextmanager
def kernel_threads(n: int):
    """Within the block, kernels called from this thread without ``threads`` use ``n`` threads
    (e.g. 1 in the workers of a thread pool that already occupies every core)."""
    old = getattr(_LOCAL, "threads", None)
    _LOCAL.threads = int(n)
    try:
        yield
    finally:
        _LOCAL.threads = old


def slice_count(y, labels, axes: int, m: int, bits_per_axis: int, scale: float, threads: int | None = None):
    """(bit errors, symbol errors) of received reals ``y`` (``axes`` per symbol) vs Gray ``labels``.

    ``y``: float32 or float64, C-contiguous, ``axes * len(labels)`` values;
    ``labels``: uint8; ``scale`` = 1 / (2 d) with d the half level spacing.
    """
    y = np.ascontiguousarray(y).reshape(-1)
    labels = np.ascontiguousarray(labels, dtype=np.uint8).reshape(-1)
    b, s = _slicer.slice_count(y, labels, axes, m, bits_per_axis, float(scale), threads or default_threads())
    return int(b), int(s)


def awgn_count(first: int, n: int, key: tuple[int, int], axes: int, m: int, bits_per_axis: int,
               s: float, double: bool, threads: int | None = None):
    """(bit errors, symbol errors) of symbols ``first .. first+n-1`` of the fused AWGN stream ``key``."""
    b, e = _slicer.awgn_count(first, n, key[0], key[1], axes, m, bits_per_axis, float(s), bool(double),
                              threads or default_threads())
    return int(b), int(e)


# ------------------------------------------------------------------------------- Reed-Solomon (dsp.fec)

def _rs():
    from dsp._kernels import rs

    return rs


def _rs_bad(count: int, what: str, m: int):
    if count:
        raise ValueError(f"{what}: {count} word(s) hold a symbol >= 2**{m}")


def rs_encode(msg, tables, threads: int | None = None):
    """Systematic RS encoding of the rows of ``msg`` (uint16 ``(N, k)``, C-contiguous) -> uint16 ``(N, n)``.

    ``tables``: the code's tables (``dsp.fec.rs._Tables``). ValueError if a symbol is >= 2^m.
    """
    t = tables
    out = np.empty((msg.shape[0], t.n), dtype=np.uint16)
    if msg.shape[0]:
        bad = _rs().encode(msg, out, t.m, t.n, t.k, t.first_root, t.h, t.w, t.log, t.exp, t.gen_lo, t.gen_hi,
                           threads or default_threads())
        _rs_bad(bad, "msg", t.m)
    return out


def rs_decode(received, tables, threads: int | None = None):
    """RS decoding of the rows of ``received`` (uint16 ``(N, n)``, C-contiguous).

    Returns ``(codewords uint16 (N, n), n_corrected int32 (N,), failed bool (N,))``.
    ValueError if a symbol is >= 2^m.
    """
    t = tables
    rows = received.shape[0]
    out = np.empty((rows, t.n), dtype=np.uint16)
    nc = np.zeros(rows, dtype=np.int32)
    failed = np.zeros(rows, dtype=np.uint8)
    if rows:
        bad = _rs().decode(received, out, nc, failed, t.m, t.n, t.k, t.first_root, t.h, t.w, t.log, t.exp,
                           t.gen_lo, t.gen_hi, threads or default_threads())
        _rs_bad(bad, "received", t.m)
    return out, nc, failed.view(np.bool_)


def rs_symbol_errors(bits, m: int, n: int, ways: int, threads: int | None = None):
    """Erroneous m-bit symbols per codeword: ``bits`` uint8 ``(B, L)`` (one byte per bit, non-zero = error,
    line order), ``ways`` codewords interleaved symbol by symbol -> int32 ``(B, (L // (m n ways)) * ways)``."""
    rows, length = bits.shape
    groups = length // (m * n * ways)
    out = np.zeros((rows, groups * ways), dtype=np.int32)
    if rows and groups:
        _rs().count_u8(bits, out, m, n, ways, threads or default_threads())
    return out


def rs_symbol_errors_packed(packed, n_bits: int, m: int, n: int, ways: int, threads: int | None = None):
    """As :func:`rs_symbol_errors` from packed bits: ``packed`` uint8 ``(B, ceil(n_bits / 8))`` (np.packbits,
    bit order "big"), ``n_bits`` line bits per row."""
    rows = packed.shape[0]
    groups = n_bits // (m * n * ways)
    out = np.zeros((rows, groups * ways), dtype=np.int32)
    if rows and groups:
        _rs().count_packed(packed, n_bits, out, m, n, ways, threads or default_threads())
    return out


# ------------------------------------------------------------------------ equalizers (dsp.rx.equalizers)

def _equalizer():
    from dsp._kernels import equalizer

    return equalizer


def _eq_check(code: int, what: str):
    if code & 1:
        raise ValueError(f"{what}: tap count outside the kernel's padded length (kernel code {code})")
    if code:
        raise ValueError(f"{what}: configuration not supported by the kernel (kernel code {code})")


def lms_equalize(y, n_sym: int, sps: int, ntaps: int, n_train: int, ref, mu_train, mu_dd, fb_taps: int,
                 target, levels: int, d: float, v0, b0, want_decisions: bool, threads: int | None = None):
    """LMS FFE / DFE over the rows of ``y`` (see kernels/common/equalizer.h).

    ``y`` (batch, n_samples) float32/float64; ``ref`` (batch, n_sym); ``mu_train``, ``mu_dd``
    (batch,); ``target`` (4,); ``v0`` (batch, NP) initial taps in reverse time order (NP in 8, 16,
    32, 64; lane i weights y[sps k - off + i], off = ntaps - 1 - ntaps // 2); ``b0`` (batch, 3)
    initial feedback taps; all of y's dtype, C-contiguous.
    Returns ``(z (batch, n_sym), decisions uint8 (batch, n_sym) or None, v (batch, NP), b (batch, 3))``.
    """
    rows = y.shape[0]
    dt = y.dtype
    z = np.empty((rows, n_sym), dtype=dt)
    dec = np.empty((rows, n_sym) if want_decisions else (rows, 1), dtype=np.uint8)
    v = np.array(v0, dtype=dt, order="C", copy=True)
    b = np.array(b0, dtype=dt, order="C", copy=True)
    if rows and n_sym:
        code = _equalizer().lms(y, n_sym, sps, ntaps, n_train, ref, mu_train, mu_dd, fb_taps, target, levels,
                                float(d), v, b, z, dec, bool(want_decisions), threads or default_threads())
        _eq_check(code, "lms_equalize")
    return z, (dec if want_decisions else None), v, b


def mlse_viterbi(y, n_train: int, h, c, levels: int, memory: int, d: float, train_idx,
                 threads: int | None = None):
    """Viterbi MLSE over the rows of ``y`` (batch, n) float32/float64, C-contiguous.

    ``h`` (batch, 3): channel taps h_0..h_memory (rest ignored); ``c`` (batch,): offset; both of y's
    dtype. ``train_idx`` uint8 (batch, n_train): the known level indices. Returns uint8 (batch, n).
    """
    rows, n = y.shape
    out = np.empty((rows, n), dtype=np.uint8)
    out[:, :n_train] = train_idx
    if rows and n > n_train:
        code = _equalizer().mlse(y, n_train, h, c, levels, memory, float(d), out, threads or default_threads())
        _eq_check(code, "mlse_viterbi")
    return out


def normal(n: int, dtype, key: tuple[int, int], first_pair: int = 0, threads: int | None = None):
    """``n`` standard normal values (float32/float64) of the Philox stream ``key`` from pair ``first_pair``.

    Element 2i and 2i + 1 are pair ``first_pair + i`` (``kernels/common/gauss.h``); same values on the GPU.
    """
    from dsp._kernels import noise as _noise

    out = np.empty(int(n), dtype=dtype)
    _noise.normal_fill(out, int(first_pair), int(key[0]), int(key[1]), threads or default_threads())
    return out


# ------------------------------------------------------------------------------- LDPC (dsp.fec.ldpc)

def _ldpc():
    from dsp._kernels import ldpc

    return ldpc


def _ldpc_status(status: int):
    if status == 1:
        raise ValueError("ldpc_decode: the code has a check of degree 1 (kernel code 1)")
    if status:
        raise MemoryError(f"ldpc_decode: no memory for the decoder's scratch (kernel code {status})")


def _ldpc_nonfinite(llr):
    f, v = (int(x) for x in np.argwhere(~np.isfinite(llr))[0])
    return ValueError(f"llr must be finite (got {float(llr[f, v])} at frame {f}, bit {v})")


def ldpc_decode(llr, tables, max_iter: int, alpha: float, beta: float, early: bool, threads: int | None = None,
                portable: bool = False):
    """Layered min-sum decoding of the rows of ``llr`` (float32/float64 ``(F, n)``, C-contiguous).

    ``tables``: the code's arrays (``dsp.fec.ldpc._Tables``); ``alpha``, ``beta``: check-message
    scaling and offset (kernels/common/ldpc.h). ``portable``: run the GPU's per-frame algorithm
    (one frame per thread, lane-major state) instead of the SIMD lanes (for tests).
    Returns ``(bits uint8 (F, n), iterations int32 (F,), converged bool (F,))``; ValueError naming
    the first NaN or infinity of ``llr``, if any (the kernel checks each frame as it loads it).
    """
    t = tables
    frames, n = llr.shape
    its = np.zeros(frames, dtype=np.int32)
    conv = np.zeros(frames, dtype=np.uint8)
    threads = threads or default_threads()
    if not frames:
        return np.empty((0, n), dtype=np.uint8), its, conv.view(np.bool_)
    k = _ldpc()
    if portable:
        if not np.isfinite(llr).all():
            raise _ldpc_nonfinite(llr)
        L = np.ascontiguousarray(llr.T)
        R = np.zeros((t.col_idx.size, frames), dtype=llr.dtype)
        _ldpc_status(k.decode_portable(L, R, its, conv, t.row_ptr, t.col_idx, int(max_iter), float(alpha),
                                       float(beta), bool(early), threads))
        bits = np.ascontiguousarray((L < 0).T).view(np.uint8)
    else:
        bits = np.empty((frames, n), dtype=np.uint8)
        chunk = int(min(4096, max(8 * k.LANES, -(-frames // (2 * threads)))))
        status, nonfinite = k.decode(llr, bits, its, conv, t.row_ptr, t.col_idx, int(max_iter), float(alpha),
                                     float(beta), bool(early), threads, chunk)
        _ldpc_status(status)
        if nonfinite:
            raise _ldpc_nonfinite(llr)
    return bits, its, conv.view(np.bool_)


# ----------------------------------------------------------------- carrier phase recovery (dsp.rx.carrier)

def _cpr():
    from dsp._kernels import cpr

    return cpr


def bps_lanes(n_phases: int) -> int:
    """Length of the test-phase tables the BPS kernel reads for ``n_phases`` phases (8, 16, .., 256)."""
    return int(_cpr().lanes(int(n_phases)))


def bps(x, joint: bool, window: int, cos_table, sin_table, n_phases: int, scale: float, h: float, lmax: float,
        threads: int | None = None, simd: int = -1):
    """Blind phase search over the rows of ``x`` (complex64/complex128 ``(rows, n)``, C-contiguous).

    ``joint``: rows 2i and 2i + 1 share one search (rows even). ``cos_table``, ``sin_table``: real of x's
    precision, :func:`bps_lanes` entries; ``scale`` = 1 / (2 d), ``h`` = (L - 1) / 2, ``lmax`` = L - 1 for
    square QAM-L^2 with half spacing d (kernels/common/cpr.h). ``simd``: 1 AVX2, 0 baseline, -1 best.
    Returns ``(y, phase)``: corrected symbols (x's dtype) and carrier phase (real, x's precision), both
    ``(rows, n)``.
    """
    k = _cpr()
    rows, n = x.shape
    real = np.float32 if x.dtype == np.complex64 else np.float64
    xv = x.view(real)
    srows = rows // 2 if joint else rows
    dec = np.empty((srows, n), dtype=np.uint8)
    y = np.empty_like(x)
    phase = np.empty((rows, n), dtype=real)
    if rows and n:
        threads = threads or default_threads()
        code = k.bps_decide(xv, bool(joint), int(window), cos_table, sin_table, int(n_phases), float(scale),
                            float(h), float(lmax), dec, threads, int(simd))
        if code & k.STATUS_NO_MEMORY:
            raise MemoryError(f"bps: no memory for the window ring buffer (kernel code {code})")
        if code:
            raise ValueError(f"bps: configuration not supported by the kernel (kernel code {code})")
        k.bps_apply(xv, dec, bool(joint), cos_table, sin_table, int(n_phases), y.view(real), phase, threads)
    return y, phase


# ------------------------------------------------------ BCH and staircase codes (dsp.fec.bch, dsp.fec.staircase)

def _bch():
    from dsp._kernels import bch

    return bch


def _bch_args(t):
    return (t.m, t.n, t.k, t.h, t.par, t.pos_of, t.log, t.exp, t.quad, t.cubic)


def bch_encode(msg, tables, threads: int | None = None):
    """Systematic encoding of the rows of ``msg`` (uint8 0/1 ``(N, k)``, C-contiguous) -> uint8 ``(N, n)``.

    ``tables``: the code's tables (``dsp.fec.bch._Tables``).
    """
    t = tables
    out = np.empty((msg.shape[0], t.n), dtype=np.uint8)
    if msg.shape[0]:
        _bch().encode(msg, out, *_bch_args(t), threads or default_threads())
    return out


def bch_decode(received, tables, threads: int | None = None):
    """Decode the rows of ``received`` (uint8 0/1 ``(N, n)``) -> ``(bits uint8 (N, n), n_corrected int32 (N,),
    failed bool (N,))``."""
    t = tables
    rows = received.shape[0]
    out = np.empty((rows, t.n), dtype=np.uint8)
    nc = np.zeros(rows, dtype=np.int32)
    failed = np.zeros(rows, dtype=np.uint8)
    if rows:
        _bch().decode(received, out, nc, failed, *_bch_args(t), threads or default_threads())
    return out, nc, failed.view(np.bool_)


def bch_syndromes(words, tables, threads: int | None = None):
    """Packed syndromes (uint32 ``(N,)``) of the rows of ``words`` (uint8 0/1 ``(N, n)``)."""
    out = np.zeros(words.shape[0], dtype=np.uint32)
    if words.shape[0]:
        _bch().syndromes(words, out, tables.h, threads or default_threads())
    return out


def sc_encode(info, tables, geom, n_blocks: int, threads: int | None = None):
    """Staircase encoding of independent streams: ``info`` uint8 0/1 ``(S, L * R * (C - (n - k)))`` ->
    blocks uint8 ``(S, L * R * C)``. ``geom``: ``dsp.fec.staircase._Geom`` (R, C, colof, rowof)."""
    t, g = tables, geom
    out = np.empty((info.shape[0], n_blocks * g.R * g.C), dtype=np.uint8)
    if info.shape[0]:
        if _bch().sc_encode(info, out, g.R, g.C, int(n_blocks), g.colof, g.rowof, *_bch_args(t),
                            threads or default_threads()):
            raise MemoryError("sc_encode: no memory for the kernel's scratch")
    return out


def sc_decode(blocks, tables, geom, n_blocks: int, window: int, iterations: int, threads: int | None = None):
    """Sliding-window iterative decoding of independent streams ``blocks`` (uint8 0/1 ``(S, L * R * C)``).

    Returns ``(decoded uint8 (S, L * R * C), syndromes uint32 (S, L * R), flips int64 (S,))``.
    """
    t, g = tables, geom
    out = np.array(blocks, dtype=np.uint8, order="C", copy=True)
    syn = np.zeros((out.shape[0], n_blocks * g.R), dtype=np.uint32)
    flips = np.zeros(out.shape[0], dtype=np.int64)
    if out.shape[0]:
        if _bch().sc_decode(out, syn, flips, g.R, g.C, int(n_blocks), g.colof, g.rowof, int(window),
                            int(iterations), *_bch_args(t), threads or default_threads()):
            raise MemoryError("sc_decode: no memory for the kernel's scratch")
    return out, syn, flips


# --------------------------------------------------------------------- 2x2 MIMO equalizer (dsp.rx.mimo)

def _mimo():
    from dsp._kernels import mimo

    return mimo


def _mimo_check(code: int, what: str):
    if code & 1:
        raise ValueError(f"{what}: tap count outside the kernel's padded windows (kernel code {code})")
    if code:
        raise ValueError(f"{what}: configuration not supported by the kernel (kernel code {code})")


def mimo_equalize(x, n_sym: int, sps: int, ntaps: int, ref, w0, state0, k_off: int, n_single: int, n_blind: int,
                  n_train: int, mu_blind: float, mu_dd: float, pll_mu: float, ring_r2, ring_thr, levels: int,
                  d: float, want_error: bool, threads: int | None = None):
    """2x2 butterfly equalizer over the items of ``x`` (see kernels/common/mimo.h).

    ``x`` (items, 2, ns) complex64/complex128, C-contiguous; ``ref`` (items, 2, n_sym) of x's dtype or
    None (needed when the call holds training symbols); ``w0`` (items, 2, 2, ntaps) initial taps
    [out, in, tap] in FIR order, x's dtype; ``state0`` (items, 8) real (PLL phases, 4th-power sums);
    ``ring_r2`` (n_rings,) and ``ring_thr`` (at least 1 element) real of x's precision.
    Returns ``(y (items, 2, n_sym), w (items, 2, 2, ntaps), state (items, 8), err (items, 2, n_sym)
    real or None)``.
    """
    items = x.shape[0]
    cdt = x.dtype
    rdt = np.float32 if cdt == np.complex64 else np.float64
    y = np.empty((items, 2, n_sym), dtype=cdt)
    w = np.array(w0, dtype=cdt, order="C", copy=True)
    state = np.array(state0, dtype=rdt, order="C", copy=True)
    err = np.empty((items, 2, n_sym) if want_error else (1, 1, 1), dtype=rdt)
    if items and n_sym:
        rv = (np.ascontiguousarray(ref, dtype=cdt) if ref is not None else np.zeros((1, 1, 1), dtype=cdt)).view(rdt)
        code = _mimo().equalize(x.view(rdt), n_sym, sps, ntaps, rv, ref is not None, y.view(rdt), w.view(rdt), err,
                                bool(want_error), state, int(k_off), int(n_single), int(n_blind), int(n_train),
                                float(mu_blind), float(mu_dd), float(pll_mu),
                                np.ascontiguousarray(ring_r2, dtype=rdt), np.ascontiguousarray(ring_thr, dtype=rdt),
                                int(levels), float(d), threads or default_threads())
        _mimo_check(code, "mimo_equalize")
    return y, w, state, (err if want_error else None)


# ------------------------------------------------------------------------------- Hamming (dsp.fec.hamming)

def _hamming():
    from dsp._kernels import hamming

    return hamming


def _hamming_nonfinite(llr):
    f, v = (int(x) for x in np.argwhere(~np.isfinite(llr))[0])
    return ValueError(f"llr must be finite (got {float(llr[f, v])} at codeword {f}, bit {v})")


def hamming_chase(llr, tables, p: int, pairs: int = 0, threads: int | None = None):
    """Chase-II decoding (``p`` = 0: hard-decision syndrome decoding) of the rows of ``llr``.

    ``llr``: float32 or float64 ``(F, n + pairs)``, C-contiguous; ``tables``: the (component)
    code's arrays (``dsp.fec.hamming._Tables``: ``cols`` uint32 ``(n,)``, ``table`` int16
    ``(2^m,)``); ``pairs``: leading bit pairs whose XOR is a component position (0: a plain code).
    Returns ``(bits uint8 (F, n + pairs), status int8 (F,))`` (kernels/common/hamming.h); ValueError naming
    the first NaN or infinity of ``llr``, if any (the kernel checks each word as it reads it).
    """
    frames, n = llr.shape
    bits = np.empty((frames, n), dtype=np.uint8)
    status = np.zeros(frames, dtype=np.int8)
    if frames:
        bad = _hamming().chase(llr, bits, status, tables.cols, tables.table, int(p), int(pairs),
                               threads or default_threads())
        if bad:
            raise _hamming_nonfinite(llr)
    return bits, status


# ------------------------------------------------------------------------------- IM/DD front end (dsp.sim.imdd)

def imdd_modulate(x, mode: int, p1: float, p2: float, rin_sigma: float, first_pair: int, elem0: int,
                  key: tuple[int, int], threads: int | None = None):
    """In place: each row of the drive ``x`` (float32/float64, C-contiguous ``(rows, n)``) to its real field.

    ``mode`` 0: ideal modulator, ``p1`` = (ER - 1)/(ER + 1), field sqrt(max(1 + p1 v, 0) / mean);
    ``mode`` 1: push-pull MZM, field sin(pi/2 (p1 + p2 v)) / rms (p1 bias, p2 half swing, V_pi).
    Then times sqrt(max(1 + rin_sigma z, 0)), z = Philox stream ``key`` element
    ``2 first_pair + elem0 + r n + j`` (none drawn when ``rin_sigma`` is 0). Returns ``x``;
    ValueError when a row has zero optical power (kernels/cpu/imdd_front.pyx).
    """
    from dsp._kernels import imdd_front

    if imdd_front.modulate(x, int(mode), float(p1), float(p2), float(rin_sigma), int(first_pair), int(elem0),
                           int(key[0]), int(key[1]), threads or default_threads()):
        raise ValueError("imdd_modulate: a frame has zero optical power (drive below the modulator's cut-off)")
    return x


def imdd_detect(re, im, gain: float, dark: float, a: float, b: float, first_pair: int, elem0: int,
                key: tuple[int, int], threads: int | None = None):
    """In place into ``re``: i = gain (re^2 + im^2) + dark plus sqrt(a + b max(i, 0)) z (``im`` None: real field).

    ``re``, ``im``: float32/float64 C-contiguous ``(rows, n)`` of one dtype; z as in :func:`imdd_modulate`.
    Returns ``re``.
    """
    from dsp._kernels import imdd_front

    imdd_front.detect(re, re if im is None else im, 0 if im is None else 1, float(gain), float(dark), float(a),
                      float(b), int(first_pair), int(elem0), int(key[0]), int(key[1]), threads or default_threads())
    return re


def imdd_slice_errors(z, labels, col0: int, l0: float, spacing: float, gray, threads: int | None = None):
    """Gray-label error pattern (uint8 ``(rows, n - col0)``) of decisions on ``z`` vs ``labels`` from column ``col0``.

    ``z``: float32/float64 ``(rows, n)``; ``labels``: uint8 ``(rows, n)``, both C-contiguous. The
    decision is the nearest of the levels ``l0 + i spacing``, i = 0..len(gray)-1 (clipped; NaN
    decides level 0); the result is ``labels XOR gray[decision]``.
    """
    from dsp._kernels import imdd_front

    rows, n = labels.shape
    out = np.empty((rows, n - int(col0)), dtype=np.uint8)
    g = np.ascontiguousarray(gray, dtype=np.uint8)
    imdd_front.slice_errors(z, labels, int(col0), float(l0), 1.0 / float(spacing), int(g.size), g, out,
                            threads or default_threads())
    return out


# ------------------------------------------------------------ coherent error counting (dsp.sim.coherent)

def _qam_count():
    from dsp._kernels import qam_count

    return qam_count


def qam_count_rows(z, symbols, labels, src, lag, cols, levels: int, bits_per_axis: int, scale: float, points,
                   cap_z: int, cap_l: int, want_dec: bool, threads: int | None = None):
    """Gain-corrected hard decisions and error counts of the rows of ``z`` (kernels/common/qam_count.h).

    ``z``: complex64/complex128 ``(rows, n)``; ``symbols`` (same dtype) and ``labels`` (uint8), both
    ``(src_rows, n)``: row ``r`` of ``z`` is compared with row ``src[r]`` read at ``(k - lag[r]) mod n``
    (``src``, ``lag``: int ``(rows,)``, ``|lag| < n``); ``cols``: the counted positions (increasing,
    in ``0..n-1``, at least one); square Gray QAM with ``levels`` per axis, ``scale`` = 1 / (2 d) and
    ``points`` by label. Per row: two decision-directed gain passes ``zc = zc / g``,
    ``g = sum(zc conj(d)) / sum(|d|^2)`` (sums in float64), then decisions.
    Returns ``(bit_errors, symbol_errors, err_power, ref_power, zc, ref_labels, decisions)``: int64,
    int64, float64, float64 ``(rows,)``; ``zc`` the gain-corrected first ``cap_z`` counted symbols
    ``(rows, cap_z)`` of z's dtype; the transmitted labels of the first ``cap_l`` counted symbols
    (uint8 ``(rows, cap_l)``); the decided labels of all counted symbols (uint8 ``(rows, C)``) when
    ``want_dec``, else None.
    """
    k = _qam_count()
    cdt = np.dtype(z.dtype)
    if cdt not in (np.complex64, np.complex128) or symbols.dtype != cdt:
        raise TypeError(f"qam_count_rows: z and symbols must both be complex64 or complex128 (got {z.dtype}, "
                        f"{symbols.dtype})")
    rdt = np.float32 if cdt == np.complex64 else np.float64
    rows, n = z.shape
    cols = np.ascontiguousarray(cols, dtype=np.int32)
    C = cols.size
    if C < 1 or cols[0] < 0 or cols[-1] >= n:
        raise ValueError(f"qam_count_rows: cols must hold counted positions in 0..{n - 1} (got {C} of them)")
    src = np.ascontiguousarray(src, dtype=np.int64).reshape(-1)
    lag = np.ascontiguousarray(lag, dtype=np.int64).reshape(-1)
    if src.size != rows or lag.size != rows or (rows and (src.min() < 0 or src.max() >= symbols.shape[0]
                                                          or np.abs(lag).max() >= n)):
        raise ValueError("qam_count_rows: src must index rows of symbols and |lag| < n, one of each per row")
    pts = np.asarray(points).astype(cdt)
    pw2 = (np.abs(pts) ** 2).astype(rdt)
    threads = threads or default_threads()
    cap_z, cap_l = max(1, min(int(cap_z), C)), max(1, min(int(cap_l), C))
    zc = np.empty((rows, cap_z), dtype=cdt)
    lab_out = np.empty((rows, cap_l), dtype=np.uint8)
    dec = np.empty((rows, C) if want_dec else (1, 1), dtype=np.uint8)
    out_i = np.zeros((2, rows), dtype=np.int64)
    out_f = np.zeros((2, rows), dtype=np.float64)
    if rows:
        k.count_rows(np.ascontiguousarray(z).view(rdt), np.ascontiguousarray(symbols).view(rdt),
                     np.ascontiguousarray(labels, dtype=np.uint8), src, lag, cols, int(levels), int(bits_per_axis),
                     float(scale), pts.view(rdt), pw2, zc.view(rdt), lab_out, dec, bool(want_dec),
                     out_i[0], out_i[1], out_f[0], out_f[1], threads)
    return out_i[0], out_i[1], out_f[0], out_f[1], zc, lab_out, (dec if want_dec else None)


def qam_gmi_rows(y, labels, inv, levels: int, bits_per_axis: int, d: float, llr_max: float,
                 threads: int | None = None):
    """Per row of ``y`` (complex ``(rows, n)``) vs transmitted Gray labels (uint8 ``(rows, n)``):
    sum over bits of ``ln(1 + exp(-(1 - 2 b) LLR))`` with exact LLRs (clipped to +-``llr_max``) of
    square QAM at per-axis inverse noise variance ``inv`` (``(rows,)``). float64 ``(rows,)``, nats."""
    cdt = np.dtype(y.dtype)
    rdt = np.float32 if cdt == np.complex64 else np.float64
    rows = y.shape[0]
    out = np.zeros(rows, dtype=np.float64)
    if rows and y.shape[1]:
        _qam_count().gmi_rows(np.ascontiguousarray(y).view(rdt), np.ascontiguousarray(labels, dtype=np.uint8),
                              np.ascontiguousarray(inv, dtype=rdt), int(levels), int(bits_per_axis), float(d),
                              float(llr_max), out, threads or default_threads())
    return out


# ------------------------------------------------------------ coherent front end (dsp.sim.coherent)

def _coherent_front_args(x, jones, name):
    """(real view of x, real dtype, jones as (frames, 8) of that dtype or a dummy, has_jones)."""
    cdt = np.dtype(x.dtype)
    if cdt not in (np.complex64, np.complex128) or x.ndim != 3 or x.shape[1] != 2 or not x.flags.c_contiguous:
        raise TypeError(f"{name}: x must be a C-contiguous complex64/complex128 array (frames, 2, n) "
                        f"(got {x.dtype}, shape {x.shape})")
    rdt = np.float32 if cdt == np.complex64 else np.float64
    frames = x.shape[0]
    if jones is None:
        return x.view(rdt), rdt, np.zeros((max(frames, 1), 8), dtype=rdt), 0
    m = np.ascontiguousarray(np.asarray(jones).astype(cdt)).reshape(frames, 4)
    return x.view(rdt), rdt, m.view(rdt), 1


def coherent_tx_pass(x, pn_sigma: float, pn_pair: int, ase_sigma: float, ase_pair: int, jones, row0: int,
                     key: tuple[int, int], threads: int | None = None):
    """In place: transmitter phase noise, transmitter ASE and a per-frame 2x2 matrix on ``x``.

    ``x``: complex64/complex128 C-contiguous ``(frames, 2, n)``. Per frame r: ``x *= exp(j phi)``,
    phi the float64 running sum of ``z * pn_sigma`` (z = element ``2 pn_pair + (row0 + r) n + k``
    of the Philox stream ``key``; none drawn when ``pn_sigma`` is 0), then ``x[p] += ase_sigma
    (z_re + j z_im)`` (pair ``ase_pair + (2 (row0 + r) + p) n + k``; none when 0), then
    ``x = jones[r] @ x`` (``jones``: ``(frames, 2, 2)`` cast to x's dtype, or None). Returns the
    float64 ``(frames, 4)`` sums (|x0|^2, |x1|^2, Re and Im of x0 conj(x1)) of the result
    (kernels/cpu/coherent_front.pyx).
    """
    from dsp._kernels import coherent_front

    xr, _, m, has = _coherent_front_args(x, jones, "coherent_tx_pass")
    gram = np.zeros((x.shape[0], 4), dtype=np.float64)
    coherent_front.tx_pass(xr, float(pn_sigma), int(pn_pair), int(row0), float(ase_sigma), int(ase_pair), m, has,
                           gram, int(key[0]), int(key[1]), threads or default_threads())
    return gram


def coherent_rx_pass(x, rot, ase_sigma: float, ase_pair: int, pn_sigma: float, pn_pair: int, cycles: float,
                     row0: int, key: tuple[int, int], threads: int | None = None):
    """In place: output rotation, line ASE, LO phase noise and carrier offset, unit power, on ``x``.

    ``x`` as in :func:`coherent_tx_pass`. Per frame r: ``x = rot[r] @ x`` (``rot`` ``(frames, 2, 2)``
    or None), ``x[p] += ase_sigma (z_re + j z_im)`` (pair ``ase_pair + (2 (row0 + r) + p) n + k``),
    ``x *= exp(j (phi[k] + 2 pi cycles k))`` (phi the Wiener phase of increments ``z * pn_sigma``,
    z element ``2 pn_pair + (row0 + r) n + k``), then each polarization divided by its rms.
    Returns ``x``; ValueError when a polarization of a frame has zero power.
    """
    from dsp._kernels import coherent_front

    xr, _, m, has = _coherent_front_args(x, rot, "coherent_rx_pass")
    if coherent_front.rx_pass(xr, m, has, float(ase_sigma), int(ase_pair), float(pn_sigma), int(pn_pair),
                              float(cycles), int(row0), int(key[0]), int(key[1]), threads or default_threads()):
        raise ValueError("coherent_rx_pass: a polarization of a frame has zero power (no unit-power normalisation)")
    return x

"""CPU kernels: slicer-and-error-counter for Gray PAM / square QAM, and the fused AWGN generator.

The per-symbol algorithm lives in ``kernels/common/slicer.h`` and is shared with
``kernels/cuda/slicer.cu``; this file only loops over symbols with OpenMP. Called from
``dsp._ops.cpu`` only, which validates arguments: nothing here checks or raises.
"""
from cython.parallel cimport prange
from libc.stdint cimport uint8_t, uint32_t, uint64_t, int64_t

cdef extern from "rng.h" nogil:
    ctypedef struct dsp_u32x4:
        uint32_t v[4]
    dsp_u32x4 dsp_philox4x32_10(dsp_u32x4 c, uint32_t k0, uint32_t k1)
    void dsp_box_muller(dsp_u32x4 w, float *zc, float *zs)
    float dsp_logf(float x)

# The cores are C++ templates; declared here as overloads, the C++ compiler deduces T.
cdef extern from "slicer.h" nogil:
    int dsp_slice_count(const float *y, uint32_t label, int axes, int m, int b, float scale)
    int dsp_slice_count(const double *y, uint32_t label, int axes, int m, int b, double scale)
    void dsp_awgn_block(uint64_t first, int64_t n, uint32_t k0, uint32_t k1, int axes, int m, int b,
                        float s, int64_t *bits, int64_t *symbols)
    void dsp_awgn_block(uint64_t first, int64_t n, uint32_t k0, uint32_t k1, int axes, int m, int b,
                        double s, int64_t *bits, int64_t *symbols)

ctypedef fused real_t:
    float
    double

# Symbols per OpenMP work item of the fused generator: large enough to amortise scheduling,
# small enough to balance two to a few dozen threads.
DEF CHUNK = 16384


def slice_count(const real_t[::1] y, const uint8_t[::1] labels, int axes, int m, int b,
                double scale, int threads):
    """Bit and symbol errors of received reals ``y`` (``axes`` per symbol) against Gray labels."""
    cdef Py_ssize_t n = labels.shape[0], i
    cdef int64_t bit_errors = 0, symbol_errors = 0
    cdef int e
    cdef real_t sc = <real_t>scale
    for i in prange(n, nogil=True, schedule="static", num_threads=threads):
        e = dsp_slice_count(&y[i * axes], labels[i], axes, m, b, sc)
        bit_errors += e
        symbol_errors += (e != 0)
    return bit_errors, symbol_errors


cdef (int64_t, int64_t) _awgn_count(uint64_t first, int64_t n, uint32_t k0, uint32_t k1, int axes,
                                    int m, int b, real_t s, int threads) noexcept nogil:
    cdef int64_t bit_errors = 0, symbol_errors = 0
    cdef int64_t c, chunks = (n + CHUNK - 1) // CHUNK, start, eb, es
    for c in prange(chunks, schedule="static", num_threads=threads):
        start = c * CHUNK
        eb = 0
        es = 0
        dsp_awgn_block(first + <uint64_t>start, min(<int64_t>CHUNK, n - start), k0, k1, axes, m, b, s,
                       &eb, &es)
        bit_errors += eb
        symbol_errors += es
    return bit_errors, symbol_errors


def awgn_count(uint64_t first, int64_t n, uint32_t k0, uint32_t k1, int axes, int m, int b,
               double s, bint double_precision, int threads):
    """Bit and symbol errors of symbols ``first .. first + n - 1`` of the AWGN stream (k0, k1)."""
    cdef (int64_t, int64_t) r
    with nogil:
        if double_precision:
            r = _awgn_count[double](first, n, k0, k1, axes, m, b, s, threads)
        else:
            r = _awgn_count[float](first, n, k0, k1, axes, m, b, <float>s, threads)
    return r[0], r[1]


def philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1):
    """The Philox4x32-10 block of counter (c0..c3) under key (k0, k1); for tests."""
    cdef dsp_u32x4 c
    c.v[0] = c0
    c.v[1] = c1
    c.v[2] = c2
    c.v[3] = c3
    c = dsp_philox4x32_10(c, k0, k1)
    return c.v[0], c.v[1], c.v[2], c.v[3]


def box_muller_f32(const uint32_t[:, ::1] words):
    """Single-precision Box-Muller pairs from Philox words ``(n, 4)``; for tests."""
    import numpy as np
    cdef Py_ssize_t n = words.shape[0], i
    out = np.empty((n, 2), dtype=np.float32)
    cdef float[:, ::1] o = out
    cdef dsp_u32x4 w
    for i in range(n):
        w.v[0] = words[i, 0]
        w.v[1] = words[i, 1]
        w.v[2] = words[i, 2]
        w.v[3] = words[i, 3]
        dsp_box_muller(w, &o[i, 0], &o[i, 1])
    return out


def logf(const float[::1] x):
    """The kernels' branch-free single-precision natural log, elementwise; for tests."""
    import numpy as np
    out = np.empty(x.shape[0], dtype=np.float32)
    cdef float[::1] o = out
    cdef Py_ssize_t i
    for i in range(x.shape[0]):
        o[i] = dsp_logf(x[i])
    return out

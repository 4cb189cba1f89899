"""CPU kernels: carrier phase recovery by blind phase search (BPS) for square QAM.

The algorithm lives in ``kernels/common/cpr.h`` and is shared with ``kernels/cuda/cpr.cu``; this
file only spreads the work over OpenMP threads: the decisions over (stream, block of
DSP_BPS_BLOCK symbols) work items, each thread with a ring buffer of its own; the unwrap and
correction over streams. Called from ``dsp._ops.cpu`` only, which validates shapes, dtypes and
values: nothing here raises; the functions return a status code (0: success).
"""
from cython.parallel cimport parallel, prange
from libc.stdint cimport int64_t, uint8_t
from libc.stdlib cimport free, malloc

cdef extern from "cpr.h" nogil:
    int DSP_BPS_BLOCK
    int dsp_bps_lanes(int B)
    int dsp_bps_use_avx2()
    int dsp_bps_cpu_block(const float *x0, const float *x1, int64_t n, int64_t blk, int W,
                          const float *ct, const float *st, int B, float scale, float h, float lmax,
                          float *ring, int64_t R, uint8_t *out, int simd)
    int dsp_bps_cpu_block(const double *x0, const double *x1, int64_t n, int64_t blk, int W,
                          const double *ct, const double *st, int B, double scale, double h,
                          double lmax, double *ring, int64_t R, uint8_t *out, int simd)
    void dsp_bps_apply_row[T](const T *x, const uint8_t *bhat, int64_t n, const T *ct, const T *st,
                              int B, T *y, T *phase)

ctypedef fused real_t:
    float
    double

BLOCK = DSP_BPS_BLOCK
STATUS_NO_MEMORY = 1 << 8
_RING_MAX_BYTES = 1 << 22  # above this a thread recomputes the leaving row instead (same result)


def avx2():
    """True when the AVX2 build of the BPS loop runs on this CPU."""
    return bool(dsp_bps_use_avx2())


def lanes(int B):
    """Padded number of test-phase lanes (the tables' length) for B test phases."""
    return dsp_bps_lanes(B)


def bps_decide(const real_t[:, ::1] x, bint joint, int W, const real_t[::1] ct, const real_t[::1] st,
               int B, double scale, double h, double lmax, uint8_t[:, ::1] dec, int threads,
               int simd=-1):
    """BPS decisions: ``x`` (rows, 2n) interleaved complex streams; ``dec`` (rows, n), or
    (rows // 2, n) when ``joint`` (rows 2i and 2i + 1 searched together). ``ct``, ``st``: the
    cos / sin tables (``lanes(B)`` entries). ``simd``: 1 AVX2, 0 baseline, -1 best."""
    cdef int64_t n = x.shape[1] // 2
    cdef int64_t srows = dec.shape[0]
    if n == 0 or srows == 0:
        return 0
    cdef int64_t nblk = (n + DSP_BPS_BLOCK - 1) // DSP_BPS_BLOCK
    cdef int64_t items = srows * nblk, u, r, blk
    cdef int nb = dsp_bps_lanes(B)
    cdef int64_t w_eff = W if W < n else n
    cdef int64_t R = 1
    while R < 2 * w_eff + 2:
        R *= 2
    cdef int64_t nbytes = R * nb * sizeof(real_t)
    cdef bint use_ring = nbytes <= _RING_MAX_BYTES
    cdef int use = dsp_bps_use_avx2() if simd < 0 else simd
    cdef real_t sc = <real_t>scale, hh = <real_t>h, lm = <real_t>lmax
    cdef const real_t *x1
    cdef real_t *ring = NULL
    cdef int code = 0, failed = 0, c
    with nogil, parallel(num_threads=threads):
        ring = <real_t *>malloc(nbytes) if use_ring else NULL
        for u in prange(items, schedule="dynamic"):
            if use_ring and ring == NULL:
                failed += 1
            else:
                r = u // nblk
                blk = u - r * nblk
                x1 = &x[2 * r + 1, 0] if joint else NULL
                c = dsp_bps_cpu_block(&x[2 * r if joint else r, 0], x1, n, blk, <int>w_eff, &ct[0], &st[0], B,
                                      sc, hh, lm, ring, R, &dec[r, 0], use)
                code |= c
        free(ring)
    return STATUS_NO_MEMORY if failed else code


def bps_apply(const real_t[:, ::1] x, const uint8_t[:, ::1] dec, bint joint, const real_t[::1] ct,
              const real_t[::1] st, int B, real_t[:, ::1] y, real_t[:, ::1] phase, int threads):
    """Unwrap the decisions and correct the streams: ``x``, ``y`` (rows, 2n) interleaved complex;
    ``phase`` (rows, n); decision row of stream r: ``r // 2`` when ``joint``, else ``r``."""
    cdef int64_t rows = x.shape[0], n = x.shape[1] // 2, r
    if n == 0:
        return 0
    with nogil:
        for r in prange(rows, schedule="dynamic", num_threads=threads):
            dsp_bps_apply_row(&x[r, 0], &dec[r // 2 if joint else r, 0], n, &ct[0], &st[0], B, &y[r, 0],
                              &phase[r, 0])
    return 0

"""CPU kernels: LDPC decoding by layered normalized / offset min-sum with early termination.

The algorithm lives in ``kernels/common/ldpc.h`` and is shared with ``kernels/cuda/ldpc.cu``;
this file only splits the frames into chunks for OpenMP threads. Each thread decodes its chunk
with several frames side by side as SIMD lanes (``dsp_ldpc_decode_lanes``), in a scratch buffer
of its own. Called from ``dsp._ops.cpu`` only, which validates shapes, dtypes and values: nothing
here raises; :func:`decode` returns a status code (0: success).
"""
from cython.parallel cimport parallel, prange
from libc.stdint cimport int32_t, int64_t, uint8_t
from libc.stdlib cimport free, malloc

cdef extern from "ldpc.h" nogil:
    ctypedef struct dsp_ldpc_code:
        int n, m
    dsp_ldpc_code dsp_ldpc_make_code(int n, int m, const int32_t *row_ptr, const int32_t *col_idx)
    int dsp_ldpc_check_code(const dsp_ldpc_code *c)
    int64_t dsp_ldpc_cpu_scratch_bytes(const dsp_ldpc_code *c)
    int dsp_ldpc_use_avx2()
    int64_t dsp_ldpc_cpu_decode(const dsp_ldpc_code *c, const float *llr, int64_t f0, int64_t f1, uint8_t *bits,
                             int32_t *iterations, uint8_t *converged, int max_iter, float alpha, float beta,
                             int early, void *scratch, int simd)
    int64_t dsp_ldpc_cpu_decode(const dsp_ldpc_code *c, const double *llr, int64_t f0, int64_t f1, uint8_t *bits,
                             int32_t *iterations, uint8_t *converged, int max_iter, double alpha, double beta,
                             int early, void *scratch, int simd)
    void dsp_ldpc_portable_one(const dsp_ldpc_code *c, float *L, float *R, int64_t S, int max_iter, float alpha,
                               float beta, int early, int32_t *iterations, uint8_t *converged)
    void dsp_ldpc_portable_one(const dsp_ldpc_code *c, double *L, double *R, int64_t S, int max_iter,
                               double alpha, double beta, int early, int32_t *iterations, uint8_t *converged)

ctypedef fused real_t:
    float
    double

LANES = 8  # frames per SIMD lane group, at most (AVX2 float32)
STATUS_NO_MEMORY = 1 << 8


def avx2():
    """True when the AVX2 build of the decoding loop runs on this CPU."""
    return bool(dsp_ldpc_use_avx2())


def decode(const real_t[:, ::1] llr, uint8_t[:, ::1] bits, int32_t[::1] iterations, uint8_t[::1] converged,
           const int32_t[::1] row_ptr, const int32_t[::1] col_idx, int max_iter, double alpha, double beta,
           bint early, int threads, int chunk, int simd=-1):
    """Decode the frames (rows) of ``llr`` (F, n) into ``bits`` (F, n), ``iterations`` and
    ``converged`` (F,). ``chunk``: frames per work item; ``simd``: 1 AVX2, 0 baseline, -1 best.
    Returns ``(status, nonfinite)``: status 0, DSP_LDPC_BAD_ROW (a check of degree 1) or
    STATUS_NO_MEMORY; nonfinite the number of frames holding a NaN or an infinity."""
    cdef int m = <int>row_ptr.shape[0] - 1
    cdef dsp_ldpc_code c = dsp_ldpc_make_code(<int>llr.shape[1], m, &row_ptr[0], &col_idx[0])
    cdef int status = dsp_ldpc_check_code(&c)
    if status:
        return status, 0
    cdef int64_t frames = llr.shape[0]
    if frames == 0:
        return 0, 0
    cdef int use = dsp_ldpc_use_avx2() if simd < 0 else simd
    cdef int64_t nchunks = (frames + chunk - 1) // chunk, ch, f0, f1
    cdef int64_t nbytes = dsp_ldpc_cpu_scratch_bytes(&c)
    cdef real_t a = <real_t>alpha, b = <real_t>beta
    cdef void *buf
    cdef int failed = 0
    cdef int64_t nonfinite = 0
    with nogil, parallel(num_threads=threads):
        buf = malloc(nbytes)
        for ch in prange(nchunks, schedule="dynamic"):
            if buf == NULL:
                failed += 1
            else:
                f0 = ch * chunk
                f1 = min(f0 + chunk, frames)
                nonfinite += dsp_ldpc_cpu_decode(&c, &llr[0, 0], f0, f1, &bits[0, 0], &iterations[0],
                                                 &converged[0], max_iter, a, b, early, buf, use)
        free(buf)
    return (STATUS_NO_MEMORY if failed else 0), nonfinite


def decode_portable(real_t[:, ::1] L, real_t[:, ::1] R, int32_t[::1] iterations, uint8_t[::1] converged,
                    const int32_t[::1] row_ptr, const int32_t[::1] col_idx, int max_iter, double alpha,
                    double beta, bint early, int threads):
    """The GPU's per-frame algorithm on the CPU: ``L`` (n, F) holds the channel LLRs lane-major
    (frame f in column f) and gets the final a posteriori LLRs; ``R`` (E, F) must be zero."""
    cdef int m = <int>row_ptr.shape[0] - 1
    cdef dsp_ldpc_code c = dsp_ldpc_make_code(<int>L.shape[0], m, &row_ptr[0], &col_idx[0])
    cdef int status = dsp_ldpc_check_code(&c)
    if status:
        return status
    cdef int64_t frames = L.shape[1], f
    cdef real_t a = <real_t>alpha, b = <real_t>beta
    with nogil:
        for f in prange(frames, schedule="dynamic", num_threads=threads):
            dsp_ldpc_portable_one(&c, &L[0, 0] + f, &R[0, 0] + f, frames, max_iter, a, b, early, &iterations[f],
                                  &converged[f])
    return 0

"""CPU kernels: adaptive LMS equalizer (FFE / DFE / partial-response FFE) and MLSE (Viterbi).

The per-row algorithms live in ``kernels/common/equalizer.h`` and are shared with
``kernels/cuda/equalizer.cu``; this file only loops over rows with OpenMP. Called from
``dsp._ops.cpu`` only, which validates arguments: nothing here checks or raises; the functions
return the largest per-row code (0: success).
"""
from cython.parallel cimport prange
from libc.stdint cimport uint8_t, int64_t

# The cores are C++ templates; declared here as overloads, the C++ compiler deduces T.
cdef extern from "equalizer.h" nogil:
    int dsp_lms_rows(const float *y, int64_t ns, int64_t n_sym, int sps, int ntaps, int np,
                     int64_t n_train, const float *ref, const float *mu_train, const float *mu_dd,
                     int nb, const float *target, int m, float d, float *v, float *b, float *z,
                     uint8_t *dec, int64_t r0, int nrows)
    int dsp_lms_rows(const double *y, int64_t ns, int64_t n_sym, int sps, int ntaps, int np,
                     int64_t n_train, const double *ref, const double *mu_train, const double *mu_dd,
                     int nb, const double *target, int m, double d, double *v, double *b, double *z,
                     uint8_t *dec, int64_t r0, int nrows)
    int dsp_mlse_row(const float *y, int64_t n, int64_t n_train, const float *h, float c, int m,
                     int memory, float d, uint8_t *out, int portable)
    int dsp_mlse_row(const double *y, int64_t n, int64_t n_train, const double *h, double c, int m,
                     int memory, double d, uint8_t *out, int portable)

ctypedef fused real_t:
    float
    double


def lms(const real_t[:, ::1] y, int64_t n_sym, int sps, int ntaps, int64_t n_train,
        const real_t[:, ::1] ref, const real_t[::1] mu_train, const real_t[::1] mu_dd, int nb,
        const real_t[::1] target, int m, double d, real_t[:, ::1] v, real_t[:, ::1] b,
        real_t[:, ::1] z, uint8_t[:, ::1] dec, bint want_dec, int threads):
    """LMS equalizer over the rows of the input ``y``; ``v`` (taps, reverse time order,
    ``v.shape[1]`` = NP lanes) and ``b`` (3 feedback taps) are updated in place, ``z`` and (when
    ``want_dec``) ``dec`` written. Rows run two at a time in lockstep (see equalizer.h)."""
    cdef Py_ssize_t rows = y.shape[0], pairs = (rows + 1) // 2, p
    cdef int np_ = <int>v.shape[1]
    cdef int code = 0, c
    cdef real_t dd = <real_t>d
    cdef uint8_t *dp = &dec[0, 0] if want_dec else NULL
    with nogil:
        for p in prange(pairs, schedule="dynamic", num_threads=threads):
            c = dsp_lms_rows(&y[0, 0], y.shape[1], n_sym, sps, ntaps, np_, n_train, &ref[0, 0],
                             &mu_train[0], &mu_dd[0], nb, &target[0], m, dd, &v[0, 0], &b[0, 0],
                             &z[0, 0], dp, 2 * p, <int>min(2, rows - 2 * p))
            code |= c
    return code


def mlse(const real_t[:, ::1] y, int64_t n_train, const real_t[:, ::1] h, const real_t[::1] c,
         int m, int memory, double d, uint8_t[:, ::1] out, int threads, bint portable=False):
    """Viterbi over the rows of ``y``; ``out`` holds the training indices on entry (columns
    0..n_train-1) and gets the decided indices of the rest. ``portable`` forces the portable
    add-compare-select (the GPU's) instead of the g++ vector one (for tests)."""
    cdef Py_ssize_t rows = y.shape[0], r
    cdef int64_t n = y.shape[1]
    cdef int code = 0, rc
    cdef real_t dd = <real_t>d
    with nogil:
        for r in prange(rows, schedule="dynamic", num_threads=threads):
            rc = dsp_mlse_row(&y[r, 0], n, n_train, &h[r, 0], c[r], m, memory, dd, &out[r, 0], portable)
            code |= rc
    return code

"""CPU kernels: error counting and the GMI sum of the coherent link (dsp.sim.coherent).

The per-row algorithms live in ``kernels/common/qam_count.h``; this file only loops over rows
(frame x polarization) with OpenMP. Called from ``dsp._ops.cpu`` only, which validates arguments:
nothing here checks or raises.
"""
from cython.parallel cimport prange
from libc.stdint cimport uint8_t, int32_t, int64_t

cdef extern from "qam_count.h" nogil:
    void dsp_qam_count_row[T](const T *z, const T *sym, const uint8_t *lab, int64_t n, int64_t lag,
                              const int32_t *cols, int64_t C, int levels, int b, T scale, const T *pts,
                              const T *pw2, int64_t cap_z, T *zc_out, int64_t cap_l, uint8_t *lab_out,
                              uint8_t *dec_out, int64_t *bit_err, int64_t *sym_err, double *err_pow,
                              double *ref_pow)
    double dsp_qam_gmi_row(const float *y, const uint8_t *lab, int64_t cap, int levels, int b, float d,
                           float inv, float llr_max)
    double dsp_qam_gmi_row(const double *y, const uint8_t *lab, int64_t cap, int levels, int b, double d,
                           double inv, double llr_max)

ctypedef fused real_t:
    float
    double


def count_rows(const real_t[:, ::1] z, const real_t[:, ::1] sym, const uint8_t[:, ::1] lab,
               const int64_t[::1] src, const int64_t[::1] lag, const int32_t[::1] cols, int levels, int b,
               double scale, const real_t[::1] pts, const real_t[::1] pw2,
               real_t[:, ::1] zc_out, uint8_t[:, ::1] lab_out, uint8_t[:, ::1] dec_out, bint want_dec,
               int64_t[::1] bit_err, int64_t[::1] sym_err, double[::1] err_pow, double[::1] ref_pow,
               int threads):
    """Per row r of ``z`` (rows, 2 n reals): gain, decisions and counts against row ``src[r]`` at ``lag[r]``."""
    cdef Py_ssize_t rows = z.shape[0], r
    cdef int64_t n = z.shape[1] // 2, C = cols.shape[0]
    cdef int64_t cap_z = zc_out.shape[1] // 2, cap_l = lab_out.shape[1]
    cdef real_t sc = <real_t>scale
    cdef uint8_t *dp
    for r in prange(rows, nogil=True, schedule="dynamic", num_threads=threads):
        dp = &dec_out[r, 0] if want_dec else NULL
        dsp_qam_count_row(&z[r, 0], &sym[src[r], 0], &lab[src[r], 0], n, lag[r], &cols[0], C,
                              levels, b, sc, &pts[0], &pw2[0], cap_z, &zc_out[r, 0], cap_l,
                              &lab_out[r, 0], dp, &bit_err[r], &sym_err[r], &err_pow[r], &ref_pow[r])


def gmi_rows(const real_t[:, ::1] y, const uint8_t[:, ::1] lab, const real_t[::1] inv, int levels, int b,
             double d, double llr_max, double[::1] out, int threads):
    """Per row: sum over bits of ln(1 + exp(-(1 - 2 b) LLR)), exact LLRs at per-axis 1/variance ``inv[r]``."""
    cdef Py_ssize_t rows = y.shape[0], r
    cdef int64_t cap = lab.shape[1]
    cdef real_t dd = <real_t>d, lm = <real_t>llr_max
    for r in prange(rows, nogil=True, schedule="static", num_threads=threads):
        out[r] = dsp_qam_gmi_row(&y[r, 0], &lab[r, 0], cap, levels, b, dd, inv[r], lm)

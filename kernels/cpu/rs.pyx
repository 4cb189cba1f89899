"""CPU kernels: Reed-Solomon encoding and decoding over GF(2^m), and symbol-error counting.

The per-codeword algorithms live in ``kernels/common/rs.h`` and are shared with
``kernels/cuda/rs.cu``; this file only loops over codewords (or codeword groups) with OpenMP.
Called from ``dsp._ops.cpu`` only, which validates shapes and dtypes: nothing here raises; the
encoder and decoder return how many words held a symbol >= 2^m.
"""
from cython.parallel cimport prange
from libc.stdint cimport uint8_t, int32_t, int64_t

cdef extern from "rs.h" nogil:
    ctypedef unsigned short dsp_rs_sym
    ctypedef struct dsp_rs_code:
        int m, n, k, nroots, t, first_root, q1, h, w
    dsp_rs_code dsp_rs_make_code(int m, int n, int k, int first_root, int h, int w,
                                 const int32_t *log_t, const dsp_rs_sym *exp_t,
                                 const dsp_rs_sym *gen_lo, const dsp_rs_sym *gen_hi)
    int dsp_rs_encode_one(const dsp_rs_code *c, const dsp_rs_sym *msg, dsp_rs_sym *out)
    int dsp_rs_decode_one(const dsp_rs_code *c, const dsp_rs_sym *r, dsp_rs_sym *out, int32_t *n_corr)
    int dsp_rs_decode_two(const dsp_rs_code *c, const dsp_rs_sym *r0, const dsp_rs_sym *r1, dsp_rs_sym *out0,
                          dsp_rs_sym *out1, int32_t *nc0, int32_t *nc1)
    void dsp_rs_count_group_u8(const uint8_t *bits, int m, int n, int ways, int32_t *counts)
    void dsp_rs_count_group_packed(const uint8_t *row, int64_t row_bytes, int64_t bit0, int m, int n,
                                   int ways, int32_t *counts)
    int DSP_RS_MAX_ROOTS

MAX_ROOTS = DSP_RS_MAX_ROOTS


def encode(const dsp_rs_sym[:, ::1] msg, dsp_rs_sym[:, ::1] out, int m, int n, int k, int first_root,
           int h, int w, const int32_t[::1] log_t, const dsp_rs_sym[::1] exp_t,
           const dsp_rs_sym[::1] gen_lo, const dsp_rs_sym[::1] gen_hi, int threads):
    """Encode the rows of ``msg`` (N, k) into ``out`` (N, n); returns the number of bad rows."""
    cdef dsp_rs_code c = dsp_rs_make_code(m, n, k, first_root, h, w, &log_t[0], &exp_t[0], &gen_lo[0],
                                          &gen_hi[0])
    cdef Py_ssize_t rows = msg.shape[0], i
    cdef int64_t bad = 0
    for i in prange(rows, nogil=True, schedule="static", num_threads=threads):
        bad += dsp_rs_encode_one(&c, &msg[i, 0], &out[i, 0]) >> 1
    return bad


def decode(const dsp_rs_sym[:, ::1] received, dsp_rs_sym[:, ::1] out, int32_t[::1] n_corrected,
           uint8_t[::1] failed, int m, int n, int k, int first_root, int h, int w,
           const int32_t[::1] log_t, const dsp_rs_sym[::1] exp_t, const dsp_rs_sym[::1] gen_lo,
           const dsp_rs_sym[::1] gen_hi, int threads):
    """Decode the rows of ``received`` (N, n) into ``out``; returns the number of bad rows."""
    cdef dsp_rs_code c = dsp_rs_make_code(m, n, k, first_root, h, w, &log_t[0], &exp_t[0], &gen_lo[0],
                                          &gen_hi[0])
    cdef Py_ssize_t rows = received.shape[0], pairs = rows // 2, i, j
    cdef int64_t bad = 0
    cdef int st, st0
    # words two at a time (two independent LFSR chains in flight), then the odd one. Statuses come
    # back by value: a variable assigned in the loop body is private to each thread.
    for j in prange(pairs, nogil=True, schedule="dynamic", chunksize=16, num_threads=threads):
        i = 2 * j
        st = dsp_rs_decode_two(&c, &received[i, 0], &received[i + 1, 0], &out[i, 0], &out[i + 1, 0],
                               &n_corrected[i], &n_corrected[i + 1])
        failed[i] = st & 1
        failed[i + 1] = (st >> 8) & 1
        bad += ((st >> 1) & 1) + ((st >> 9) & 1)
    if rows % 2:
        i = rows - 1
        st0 = dsp_rs_decode_one(&c, &received[i, 0], &out[i, 0], &n_corrected[i])
        failed[i] = st0 & 1
        bad += st0 >> 1
    return bad


def count_u8(const uint8_t[:, ::1] bits, int32_t[:, ::1] out, int m, int n, int ways, int threads):
    """Erroneous symbols per codeword: ``bits`` (B, L) one byte per bit, ``out`` (B, G * ways)."""
    cdef Py_ssize_t rows = bits.shape[0], L = bits.shape[1]
    cdef int64_t gbits = <int64_t>m * n * ways
    cdef int64_t groups = L // gbits if gbits > 0 else 0
    cdef int64_t items = rows * groups, it, row, g
    for it in prange(items, nogil=True, schedule="static", num_threads=threads):
        row = it // groups
        g = it - row * groups
        dsp_rs_count_group_u8(&bits[row, 0] + g * gbits, m, n, ways, &out[row, g * ways])


def count_packed(const uint8_t[:, ::1] packed, int64_t n_bits, int32_t[:, ::1] out, int m, int n, int ways,
                 int threads):
    """The same from packed bits (np.packbits order), ``n_bits`` valid bits per row."""
    cdef Py_ssize_t rows = packed.shape[0], row_bytes = packed.shape[1]
    cdef int64_t gbits = <int64_t>m * n * ways
    cdef int64_t groups = n_bits // gbits if gbits > 0 else 0
    cdef int64_t items = rows * groups, it, row, g
    for it in prange(items, nogil=True, schedule="static", num_threads=threads):
        row = it // groups
        g = it - row * groups
        dsp_rs_count_group_packed(&packed[row, 0], row_bytes, g * gbits, m, n, ways, &out[row, g * ways])

"""CPU kernels: binary BCH (t = 3) component codes and the staircase code built from them.

The per-codeword algorithms live in ``kernels/common/bch.h`` and are shared with
``kernels/cuda/bch.cu``; this file only loops over codewords (BCH) or over independent streams
(staircase) with OpenMP. Called from ``dsp._ops.cpu`` only, which validates shapes and dtypes;
nothing here raises.
"""
from cython.parallel cimport prange
from libc.stdint cimport uint8_t, uint32_t, int16_t, int32_t, int64_t
from libc.stdlib cimport malloc, free

cdef extern from "bch.h" nogil:
    ctypedef struct dsp_bch_code:
        int m, n, k, q1
    ctypedef struct dsp_sc_geom:
        int R, C, L
    dsp_bch_code dsp_bch_make_code(int m, int n, int k, const uint32_t *h, const uint32_t *par,
                                   const int16_t *pos_of, const int32_t *log_t, const unsigned short *exp_t,
                                   const unsigned short *quad, const uint32_t *cubic)
    dsp_sc_geom dsp_sc_make_geom(int R, int C, int L, const int32_t *colof, const int32_t *rowof)
    void dsp_bch_encode_one(const dsp_bch_code *c, const uint8_t *msg, uint8_t *out)
    int dsp_bch_decode_one(const dsp_bch_code *c, const uint8_t *r, uint8_t *out)
    uint32_t dsp_bch_mask_xor(const uint32_t *w, const uint8_t *bits, int len)
    void dsp_sc_encode_stream(const dsp_bch_code *c, const dsp_sc_geom *g, const uint8_t *info, uint8_t *blocks,
                              uint32_t *tmp)
    void dsp_sc_syndromes_stream(const dsp_bch_code *c, const dsp_sc_geom *g, const uint8_t *blocks, uint32_t *syn,
                                 uint32_t *tmp)
    int64_t dsp_sc_decode_stream(const dsp_bch_code *c, const dsp_sc_geom *g, uint8_t *blocks, uint32_t *syn,
                                 int window, int iterations)


cdef inline dsp_bch_code _code(int m, int n, int k, const uint32_t[::1] h, const uint32_t[::1] par,
                               const int16_t[::1] pos_of, const int32_t[::1] log_t,
                               const unsigned short[::1] exp_t, const unsigned short[::1] quad,
                               const uint32_t[::1] cubic) noexcept:
    return dsp_bch_make_code(m, n, k, &h[0], &par[0], &pos_of[0], &log_t[0], &exp_t[0], &quad[0], &cubic[0])


def encode(const uint8_t[:, ::1] msg, uint8_t[:, ::1] out, int m, int n, int k, const uint32_t[::1] h,
           const uint32_t[::1] par, const int16_t[::1] pos_of, const int32_t[::1] log_t,
           const unsigned short[::1] exp_t, const unsigned short[::1] quad, const uint32_t[::1] cubic, int threads):
    """Encode the rows of ``msg`` (N, k) into ``out`` (N, n)."""
    cdef dsp_bch_code c = _code(m, n, k, h, par, pos_of, log_t, exp_t, quad, cubic)
    cdef Py_ssize_t rows = msg.shape[0], i
    for i in prange(rows, nogil=True, schedule="static", num_threads=threads):
        dsp_bch_encode_one(&c, &msg[i, 0], &out[i, 0])


def decode(const uint8_t[:, ::1] received, uint8_t[:, ::1] out, int32_t[::1] n_corrected, uint8_t[::1] failed,
           int m, int n, int k, const uint32_t[::1] h, const uint32_t[::1] par, const int16_t[::1] pos_of,
           const int32_t[::1] log_t, const unsigned short[::1] exp_t, const unsigned short[::1] quad,
           const uint32_t[::1] cubic, int threads):
    """Decode the rows of ``received`` (N, n) into ``out``; per row bits corrected and failure flag."""
    cdef dsp_bch_code c = _code(m, n, k, h, par, pos_of, log_t, exp_t, quad, cubic)
    cdef Py_ssize_t rows = received.shape[0], i
    cdef int nu
    for i in prange(rows, nogil=True, schedule="static", num_threads=threads):
        nu = dsp_bch_decode_one(&c, &received[i, 0], &out[i, 0])
        n_corrected[i] = nu if nu > 0 else 0
        failed[i] = 1 if nu < 0 else 0


def syndromes(const uint8_t[:, ::1] words, uint32_t[::1] out, const uint32_t[::1] h, int threads):
    """Packed syndrome (XOR of the parity-check columns over the set bits) of each row of ``words``."""
    cdef Py_ssize_t rows = words.shape[0], i
    cdef int n = words.shape[1]
    for i in prange(rows, nogil=True, schedule="static", num_threads=threads):
        out[i] = dsp_bch_mask_xor(&h[0], &words[i, 0], n)


def sc_encode(const uint8_t[:, ::1] info, uint8_t[:, ::1] blocks, int R, int C, int L, const int32_t[::1] colof,
              const int32_t[::1] rowof, int m, int n, int k, const uint32_t[::1] h, const uint32_t[::1] par,
              const int16_t[::1] pos_of, const int32_t[::1] log_t, const unsigned short[::1] exp_t,
              const unsigned short[::1] quad, const uint32_t[::1] cubic, int threads):
    """Staircase-encode each stream: ``info`` (S, L*R*(C-(n-k))) -> ``blocks`` (S, L*R*C). Returns 0, or 1 when
    out of memory."""
    cdef dsp_bch_code c = _code(m, n, k, h, par, pos_of, log_t, exp_t, quad, cubic)
    cdef dsp_sc_geom g = dsp_sc_make_geom(R, C, L, &colof[0], &rowof[0])
    cdef Py_ssize_t streams = info.shape[0], s
    cdef uint32_t *tmp
    cdef int bad = 0
    for s in prange(streams, nogil=True, schedule="dynamic", chunksize=1, num_threads=threads):
        tmp = <uint32_t *>malloc(C * sizeof(uint32_t))
        if tmp == NULL:
            bad += 1
        else:
            dsp_sc_encode_stream(&c, &g, &info[s, 0], &blocks[s, 0], tmp)
            free(tmp)
    return 1 if bad else 0


def sc_decode(uint8_t[:, ::1] blocks, uint32_t[:, ::1] syn, int64_t[::1] flips, int R, int C, int L,
              const int32_t[::1] colof, const int32_t[::1] rowof, int window, int iterations, int m, int n, int k,
              const uint32_t[::1] h, const uint32_t[::1] par, const int16_t[::1] pos_of, const int32_t[::1] log_t,
              const unsigned short[::1] exp_t, const unsigned short[::1] quad, const uint32_t[::1] cubic,
              int threads):
    """Decode each stream of ``blocks`` (S, L*R*C) in place; ``syn`` (S, L*R) gets the final syndromes and
    ``flips`` (S,) the bit flips. Returns 0, or 1 when out of memory."""
    cdef dsp_bch_code c = _code(m, n, k, h, par, pos_of, log_t, exp_t, quad, cubic)
    cdef dsp_sc_geom g = dsp_sc_make_geom(R, C, L, &colof[0], &rowof[0])
    cdef Py_ssize_t streams = blocks.shape[0], s
    cdef uint32_t *tmp
    cdef int bad = 0
    for s in prange(streams, nogil=True, schedule="dynamic", chunksize=1, num_threads=threads):
        tmp = <uint32_t *>malloc(C * sizeof(uint32_t))
        if tmp == NULL:
            bad += 1
        else:
            dsp_sc_syndromes_stream(&c, &g, &blocks[s, 0], &syn[s, 0], tmp)
            free(tmp)
            flips[s] = dsp_sc_decode_stream(&c, &g, &blocks[s, 0], &syn[s, 0], window, iterations)
    return 1 if bad else 0

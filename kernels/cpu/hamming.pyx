"""CPU kernels: Chase-II / hard-decision decoding of binary single-error-correcting codes.

The per-codeword algorithm lives in ``kernels/common/hamming.h`` and is shared with
``kernels/cuda/hamming.cu``; this file only loops over codewords with OpenMP. Called from
``dsp._ops.cpu`` only, which validates shapes, dtypes and values: nothing here raises;
:func:`chase` returns the number of words holding a NaN or an infinite LLR.
"""
from cython.parallel cimport prange
from libc.stdint cimport int8_t, int16_t, int64_t, uint8_t, uint32_t

cdef extern from "hamming.h" nogil:
    int dsp_hamming_chase_one[T](const T *llr, int n, int pairs, const uint32_t *cols, const int16_t *table, int p,
                                 uint8_t *out)
    int DSP_HAMMING_MAX_P
    int DSP_HAMMING_NONFINITE

ctypedef fused real_t:
    float
    double

MAX_P = DSP_HAMMING_MAX_P
NONFINITE = DSP_HAMMING_NONFINITE


def chase(const real_t[:, ::1] llr, uint8_t[:, ::1] bits, int8_t[::1] status, const uint32_t[::1] cols,
          const int16_t[::1] table, int p, int pairs, int threads):
    """Decode the rows of ``llr`` (F, n + pairs) into ``bits`` (F, n + pairs) and ``status`` (F,);
    ``cols`` (n,) the component code's parity-check columns, ``pairs`` the symbol pairs (0: a plain
    binary code), ``table`` (2^m,) the syndrome -> position table. Returns the number
    of rows holding a NaN or an infinity (their status is NONFINITE)."""
    cdef Py_ssize_t rows = llr.shape[0], i
    cdef int n = <int>cols.shape[0], st
    cdef int64_t bad = 0
    if rows == 0:
        return 0
    for i in prange(rows, nogil=True, schedule="static", chunksize=256, num_threads=threads):
        st = dsp_hamming_chase_one(&llr[i, 0], n, pairs, &cols[0], &table[0], p, &bits[i, 0])
        status[i] = <int8_t>st
        if st == DSP_HAMMING_NONFINITE:
            bad += 1
    return bad

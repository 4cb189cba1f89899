"""CPU kernels: standard normal noise arrays from the counter-based Philox stream.

The per-pair algorithm is ``kernels/common/gauss.h``, shared with ``kernels/cuda/noise.cu``.
Called from ``dsp._ops.cpu`` only, which validates arguments.
"""
from cython.parallel cimport prange
from libc.stdint cimport uint32_t, uint64_t, int64_t

cdef extern from "gauss.h" nogil:
    void dsp_normal_pair(uint64_t i, uint32_t k0, uint32_t k1, float *z0, float *z1)
    void dsp_normal_pair(uint64_t i, uint32_t k0, uint32_t k1, double *z0, double *z1)
    void dsp_normal_block(uint64_t first, int64_t npairs, uint32_t k0, uint32_t k1, float *out)
    void dsp_normal_block(uint64_t first, int64_t npairs, uint32_t k0, uint32_t k1, double *out)

ctypedef fused real_t:
    float
    double

DEF CHUNK = 16384


def normal_fill(real_t[::1] out, uint64_t first_pair, uint32_t k0, uint32_t k1, int threads):
    """Fill ``out`` with pairs ``first_pair, first_pair + 1, ...`` of the stream (k0, k1)."""
    cdef int64_t n = out.shape[0], pairs = n // 2, chunks = (pairs + CHUNK - 1) // CHUNK, c, start
    cdef real_t z0, z1
    with nogil:
        for c in prange(chunks, schedule="static", num_threads=threads):
            start = c * CHUNK
            dsp_normal_block(first_pair + <uint64_t>start, min(<int64_t>CHUNK, pairs - start), k0, k1,
                             &out[2 * start])
        if n % 2:
            dsp_normal_pair(first_pair + <uint64_t>pairs, k0, k1, &z0, &z1)
            out[n - 1] = z0

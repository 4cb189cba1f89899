"""CPU kernels: standard normal noise arrays from the counter-based Philox stream.

The per-pair algorithm is ``kernels/common/gauss.h``, shared with ``kernels/cuda/noise.cu``.
Called from ``dsp._ops.cpu`` only, which validates arguments.
"""
from cython.parallel cimport prange
from libc.math cimport sqrt
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


DEF TILE = 64


cdef inline void _noise_tile(uint64_t first_pair, int64_t n, uint32_t k0, uint32_t k1, real_t *z) noexcept nogil:
    """Normals of elements 2*first_pair .. 2*first_pair + n - 1 of the stream into z."""
    cdef real_t z0, z1
    cdef int64_t pairs = n // 2
    dsp_normal_block(first_pair, pairs, k0, k1, z)
    if n % 2:
        dsp_normal_pair(first_pair + <uint64_t>pairs, k0, k1, &z0, &z1)
        z[n - 1] = z0


cdef void _sdn_chunk(real_t *x, int64_t n, real_t a, real_t b, uint64_t first_pair, uint32_t k0,
                     uint32_t k1) noexcept nogil:
    """x[i] += sqrt(a + b max(x[i], 0)) z[i] over one chunk (n even unless it is the last)."""
    cdef real_t z[TILE]
    cdef real_t v
    cdef int64_t t0, j, len_
    for t0 in range(0, n, TILE):
        len_ = min(<int64_t>TILE, n - t0)
        _noise_tile(first_pair + <uint64_t>(t0 // 2), len_, k0, k1, &z[0])
        for j in range(len_):
            v = x[t0 + j]
            x[t0 + j] = v + sqrt(a + b * (v if v > 0 else <real_t>0)) * z[j]


cdef void _rin_chunk(real_t *iq, int64_t n, real_t sg, uint64_t first_pair, uint32_t k0,
                     uint32_t k1) noexcept nogil:
    """Complex samples (re, im pairs) 0..n-1 of the chunk times sqrt(max(1 + sg z, 0))."""
    cdef real_t z[TILE]
    cdef real_t f
    cdef int64_t t0, j, len_
    for t0 in range(0, n, TILE):
        len_ = min(<int64_t>TILE, n - t0)
        _noise_tile(first_pair + <uint64_t>(t0 // 2), len_, k0, k1, &z[0])
        for j in range(len_):
            f = <real_t>1 + sg * z[j]
            f = sqrt(f if f > 0 else <real_t>0)
            iq[2 * (t0 + j)] *= f
            iq[2 * (t0 + j) + 1] *= f


def add_signal_dependent_noise(real_t[::1] x, double a, double b, uint64_t first_pair, uint32_t k0, uint32_t k1,
                               int threads):
    """In place: x[i] += sqrt(a + b * max(x[i], 0)) * z[i], z the normals that
    :func:`normal_fill` would give from ``first_pair`` (receiver thermal + shot noise)."""
    cdef int64_t n = x.shape[0], chunks = (n + CHUNK - 1) // CHUNK, c
    if n == 0:
        return
    with nogil:
        for c in prange(chunks, schedule="static", num_threads=threads):
            _sdn_chunk(&x[c * CHUNK], min(<int64_t>CHUNK, n - c * CHUNK), <real_t>a, <real_t>b,
                       first_pair + <uint64_t>(c * (CHUNK // 2)), k0, k1)


def scale_by_rin(real_t[::1] iq, double sigma, uint64_t first_pair, uint32_t k0, uint32_t k1, int threads):
    """In place on a complex array viewed as (re, im) reals: sample j *= sqrt(max(1 + sigma z[j], 0))."""
    cdef int64_t n = iq.shape[0] // 2, chunks = (n + CHUNK - 1) // CHUNK, c
    if n == 0:
        return
    with nogil:
        for c in prange(chunks, schedule="static", num_threads=threads):
            _rin_chunk(&iq[2 * c * CHUNK], min(<int64_t>CHUNK, n - c * CHUNK), <real_t>sigma,
                       first_pair + <uint64_t>(c * (CHUNK // 2)), k0, k1)

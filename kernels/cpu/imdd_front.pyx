"""CPU kernels: fused element-wise stages of the IM/DD front end (dsp.sim.imdd's CPU path).

- :func:`modulate`: drive waveform -> real optical field of an ideal intensity modulator or a
  push-pull MZM, normalised to unit mean power per row, times the RIN factor sqrt(max(1 + s z, 0));
- :func:`detect`: field (real and imaginary parts) -> photocurrent g |E|^2 + dark plus the
  receiver noise sqrt(a + b max(i, 0)) z.

Each works in place, row by row (OpenMP over rows), in one or two passes over a row that stays in
cache. The normals z are elements of the counter-based Philox stream of ``kernels/common/gauss.h``:
sample j of row r takes stream element ``2 * first_pair + elem0 + r * n + j`` (element 2i is the
cosine, 2i + 1 the sine branch of pair i), exactly the numbers ``NormalStream`` (and the GPU)
would give an array of the same flat layout, whatever the thread count. Called from
``dsp._ops.cpu`` only, which validates arguments; the functions return 0, or 1 when a row has zero
optical power (no normalisation exists).
"""
from cython.parallel cimport prange
from libc.math cimport sqrt, sin, floor
from libc.stdint cimport uint32_t, uint64_t, int64_t

cdef extern from "gauss.h" nogil:
    void dsp_normal_block(uint64_t first, int64_t npairs, uint32_t k0, uint32_t k1, float *out)
    void dsp_normal_block(uint64_t first, int64_t npairs, uint32_t k0, uint32_t k1, double *out)

ctypedef fused real_t:
    float
    double

DEF TILE = 64
DEF HALF_PI = 1.5707963267948966


cdef inline real_t *_normals(uint64_t first_pair, int64_t e, int64_t n, uint32_t k0, uint32_t k1,
                             real_t *buf) noexcept nogil:
    """Stream elements e .. e + n - 1 (n <= TILE) relative to pair ``first_pair``: a pointer into buf."""
    cdef int64_t p0 = e // 2, p1 = (e + n + 1) // 2
    dsp_normal_block(first_pair + <uint64_t>p0, p1 - p0, k0, k1, buf)
    return buf + (e - 2 * p0)


cdef int _modulate_row(real_t *x, int64_t n, int mode, real_t p1, real_t p2, real_t sg, uint64_t first_pair,
                       int64_t e0, uint32_t k0, uint32_t k1) noexcept nogil:
    cdef real_t buf[TILE + 2]
    cdef real_t *z
    cdef real_t v, f, scale
    cdef double acc = 0.0
    cdef int64_t j, t0, len_
    # pass 1: power (ideal) or field (MZM) of each sample, and the row's mean power
    if mode == 0:
        for j in range(n):
            v = <real_t>1 + p1 * x[j]
            v = v if v > 0 else <real_t>0
            x[j] = v
            acc += v
    else:
        for j in range(n):
            v = sin(<real_t>HALF_PI * (p1 + p2 * x[j]))
            x[j] = v
            acc += <double>v * v
    if not acc > 0:
        return 1
    scale = <real_t>(n / acc)
    if mode != 0:
        scale = sqrt(scale)
    # pass 2: unit mean power, times the RIN factor
    if sg == 0:
        if mode == 0:
            for j in range(n):
                x[j] = sqrt(x[j] * scale)
        else:
            for j in range(n):
                x[j] = x[j] * scale
        return 0
    for t0 in range(0, n, TILE):
        len_ = min(<int64_t>TILE, n - t0)
        z = _normals(first_pair, e0 + t0, len_, k0, k1, &buf[0])
        if mode == 0:
            for j in range(len_):
                f = <real_t>1 + sg * z[j]
                f = f if f > 0 else <real_t>0
                x[t0 + j] = sqrt(x[t0 + j] * scale * f)
        else:
            for j in range(len_):
                f = <real_t>1 + sg * z[j]
                f = f if f > 0 else <real_t>0
                x[t0 + j] = x[t0 + j] * scale * sqrt(f)
    return 0


def modulate(real_t[:, ::1] x, int mode, double p1, double p2, double rin_sigma, uint64_t first_pair,
             int64_t elem0, uint32_t k0, uint32_t k1, int threads):
    """In place, each row of the drive ``x`` to its real field (see the module docstring).

    mode 0: ideal modulator, p1 = k = (ER - 1)/(ER + 1): field sqrt(max(1 + k v, 0) / mean);
    mode 1: MZM, p1 = bias, p2 = swing / 2 (V_pi units): field sin(pi/2 (p1 + p2 v)) / rms.
    ``rin_sigma`` = 0: no RIN and no normals drawn.
    """
    cdef int64_t rows = x.shape[0], n = x.shape[1], r
    cdef int bad = 0
    if rows == 0 or n == 0:
        return 0
    with nogil:
        for r in prange(rows, schedule="static", num_threads=threads):
            bad += _modulate_row(&x[r, 0], n, mode, <real_t>p1, <real_t>p2, <real_t>rin_sigma, first_pair,
                                 elem0 + r * n, k0, k1)
    return 1 if bad else 0


cdef void _detect_row(real_t *re, const real_t *im, int has_im, int64_t n, real_t g, real_t dark, real_t a,
                      real_t b, uint64_t first_pair, int64_t e0, uint32_t k0, uint32_t k1) noexcept nogil:
    cdef real_t buf[TILE + 2]
    cdef real_t *z
    cdef real_t v
    cdef int64_t j, t0, len_
    for t0 in range(0, n, TILE):
        len_ = min(<int64_t>TILE, n - t0)
        z = _normals(first_pair, e0 + t0, len_, k0, k1, &buf[0])
        for j in range(len_):
            v = re[t0 + j] * re[t0 + j]
            if has_im:
                v = v + im[t0 + j] * im[t0 + j]
            v = v * g + dark
            re[t0 + j] = v + sqrt(a + b * (v if v > 0 else <real_t>0)) * z[j]


def detect(real_t[:, ::1] re, real_t[:, ::1] im, int has_im, double gain, double dark, double a, double b,
           uint64_t first_pair, int64_t elem0, uint32_t k0, uint32_t k1, int threads):
    """In place into ``re``: i = gain (re^2 + im^2) + dark, then i + sqrt(a + b max(i, 0)) z.

    ``has_im`` = 0: a real field, ``im`` is not read (pass ``re``).
    """
    cdef int64_t rows = re.shape[0], n = re.shape[1], r
    if rows == 0 or n == 0:
        return 0
    with nogil:
        for r in prange(rows, schedule="static", num_threads=threads):
            _detect_row(&re[r, 0], &im[r, 0], has_im, n, <real_t>gain, <real_t>dark, <real_t>a, <real_t>b,
                        first_pair, elem0 + r * n, k0, k1)
    return 0


def slice_errors(real_t[:, ::1] z, const unsigned char[:, ::1] labels, int64_t col0, double l0, double inv_spacing,
                 int m, const unsigned char[::1] gray, unsigned char[:, ::1] out, int threads):
    """out[r, j] = labels[r, col0 + j] XOR gray[k], k the nearest of the m equally spaced levels
    l0 + i / inv_spacing to z[r, col0 + j] (clipped to 0..m-1): the Gray-label error pattern."""
    cdef int64_t rows = z.shape[0], n = out.shape[1], r, j
    cdef real_t a = <real_t>l0, s = <real_t>inv_spacing, v
    cdef int k
    if rows == 0 or n == 0:
        return 0
    with nogil:
        for r in prange(rows, schedule="static", num_threads=threads):
            for j in range(n):
                v = floor((z[r, col0 + j] - a) * s + <real_t>0.5)
                if not v >= 0:  # also NaN
                    v = 0
                if v > m - 1:
                    v = m - 1
                k = <int>v
                out[r, j] = labels[r, col0 + j] ^ gray[k]
    return 0

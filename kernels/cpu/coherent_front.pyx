"""CPU kernels: fused element-wise stages of the coherent front end (dsp.sim.coherent's CPU path).

- :func:`tx_pass`: the transmitter laser's Wiener phase noise, the transmitter ASE and the PMD
  principal-state rotation J, in one pass, with the per-frame 2x2 power (Gram) sums of the result;
- :func:`rx_pass`: the output rotation R, the line ASE, the LO phase noise times the carrier
  frequency offset, then unit mean power per polarization (the coherent front end), in two passes
  over a frame.

Fields are complex64 / complex128 arrays ``(frames, 2, n)`` passed as real views
``(frames, 2, 2 n)`` (re, im interleaved). Both kernels work in place, frame by frame (OpenMP over
frames), tile by tile (``TILE`` samples, whose normals are drawn into a buffer on the stack).

The normals are elements of the counter-based Philox stream of ``kernels/common/gauss.h``: the
phase-noise increment of sample k of frame r is stream element ``2 pn_pair + r n + k`` (the layout
of ``NormalStream.standard_normal((frames, 1, n))``), the ASE of sample k of polarization p is pair
``ase_pair + (2 r + p) n + k`` (cosine branch: real part, sine branch: imaginary part; the layout of
``standard_normal((frames, 2, n, 2))``), exactly the numbers the generic chain
(:func:`dsp.channel.lasers.apply_phase_noise`, :func:`dsp.channel.noise.add_ase`) draws, whatever
the thread count. The Wiener phase is the float64 running sum of the increments ``z * sigma``
rounded to the field's precision (as :func:`dsp.channel.lasers.phase_noise`); the rotor
``exp(j theta)`` is computed from the phase in turns, reduced exactly to [-1/8, 1/8] of a turn in
float64, then by Cephes' polynomials (single, about 1 ulp) or Taylor series to x^15 / x^16 (double,
error below 2e-17) on [-pi/4, pi/4]: branch-free, so the tile loop vectorizes (``cf_cossin_tile``,
compiled for AVX-512 / AVX2 where the CPU has them). Measured against the alternative, a phasor
recurrence p_k = p_{k-1} exp(j d_k) W (Taylor exp of the increment, exact re-sync per tile), on
this project's 2-core AMD EPYC: 1.75 ns (AVX-512) / 2.7 ns (SSE2) per sample for running sum and
rotor, against 4.5 ns for the recurrence's serial complex-product chain.

Called from ``dsp._ops.cpu`` only, which validates arguments; the functions return 0, or 1 when a
polarization of a frame has zero power after the receiver pass (no normalisation exists).
"""
from cython.parallel cimport prange
from libc.math cimport sqrt
from libc.stdint cimport uint32_t, uint64_t, int64_t, int32_t

# The normals of a tile, by the code of gauss.h compiled for the widest vector unit the CPU has
# (GCC function multi-versioning, chosen once at load time): Philox and Box-Muller are most of the
# cost of this front end. The operations are the same IEEE ones (no FMA contraction, see setup.py),
# so the numbers are bit-identical to NormalStream's (tests/test_coherent_front.py).
cdef extern from *:
    """
    #include "gauss.h"
    #if defined(__GNUC__) && __GNUC__ >= 12 && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
    #define CF_CLONES __attribute__((flatten, target_clones("arch=x86-64-v4", "avx2", "default")))
    #else
    #define CF_CLONES
    #endif
    CF_CLONES static void cf_normal_block(uint64_t first, int64_t npairs, uint32_t k0, uint32_t k1, float *out)
    { dsp_normal_block<float>(first, npairs, k0, k1, out); }
    CF_CLONES static void cf_normal_block(uint64_t first, int64_t npairs, uint32_t k0, uint32_t k1, double *out)
    { dsp_normal_block<double>(first, npairs, k0, k1, out); }

    /* exp(j 2 pi t) of angles in turns: the nearest quarter turn q is removed exactly in float64
     * ((x + 1.5 2^52) - 1.5 2^52 rounds to an integer), x = 2 pi (t - q/4) in [-pi/4, pi/4], then
     * Cephes' sinf/cosf polynomials (single) or the Taylor series to x^15 / x^16 (double, error
     * below 2e-17), rotated by q quarter turns with arithmetic selects: no branch, so it vectorizes. */
    static inline float cf_sin_poly(float x, float z)
    { return ((-1.9515295891e-4f * z + 8.3321608736e-3f) * z - 1.6666654611e-1f) * z * x + x; }
    static inline float cf_cos_poly(float z)
    { return ((2.443315711809948e-5f * z - 1.388731625493765e-3f) * z + 4.166664568298827e-2f) * z * z - 0.5f * z + 1.0f; }
    static inline double cf_sin_poly(double x, double z)
    {
        return ((((((-7.647163731819816e-13 * z + 1.6059043836821613e-10) * z - 2.505210838544172e-08) * z
                   + 2.7557319223985893e-06) * z - 1.984126984126984e-04) * z + 8.333333333333333e-03) * z
                - 1.6666666666666666e-01) * z * x + x;
    }
    static inline double cf_cos_poly(double z)
    {
        return (((((((4.779477332387385e-14 * z - 1.1470745597729725e-11) * z + 2.08767569878681e-09) * z
                    - 2.755731922398589e-07) * z + 2.48015873015873e-05) * z - 1.388888888888889e-03) * z
                 + 4.1666666666666664e-02) * z - 0.5) * z + 1.0;
    }
    template <typename T>
    static inline void cf_cossin_impl(const double *t, int64_t n, T *c, T *s)
    {
        for (int64_t j = 0; j < n; ++j) {
            double q = (4.0 * t[j] + 6755399441055744.0) - 6755399441055744.0;
            double r = t[j] - 0.25 * q;
            int32_t iq = (int32_t)q;
            T x = (T)(r * 6.28318530717958647692);
            T z = x * x;
            T sp = cf_sin_poly(x, z), cp = cf_cos_poly(z);
            T odd = (T)(iq & 1);
            T sc = (T)1 - (T)2 * (T)(((iq + 1) >> 1) & 1);   /* cos < 0 for q = 1, 2 (mod 4) */
            T ss = (T)1 - (T)2 * (T)((iq >> 1) & 1);         /* sin < 0 for q = 2, 3 */
            c[j] = sc * (odd * sp + ((T)1 - odd) * cp);
            s[j] = ss * (odd * cp + ((T)1 - odd) * sp);
        }
    }
    CF_CLONES static void cf_cossin_tile(const double *t, int64_t n, float *c, float *s)
    { cf_cossin_impl<float>(t, n, c, s); }
    CF_CLONES static void cf_cossin_tile(const double *t, int64_t n, double *c, double *s)
    { cf_cossin_impl<double>(t, n, c, s); }
    """
    void _cossin_tile "cf_cossin_tile"(const double *t, int64_t n, float *c, float *s) nogil
    void _cossin_tile "cf_cossin_tile"(const double *t, int64_t n, double *c, double *s) nogil
    void dsp_normal_block "cf_normal_block"(uint64_t first, int64_t npairs, uint32_t k0, uint32_t k1,
                                            float *out) nogil
    void dsp_normal_block "cf_normal_block"(uint64_t first, int64_t npairs, uint32_t k0, uint32_t k1,
                                            double *out) nogil

ctypedef fused real_t:
    float
    double

DEF TILE = 64
DEF INV_TWO_PI = 0.15915494309189533577
DEF ROUND_MAGIC = 6755399441055744.0   # 1.5 * 2^52: (x + M) - M rounds |x| < 2^51 to an integer


cdef inline void _phase_tile(real_t *zbuf, uint64_t pair0, int64_t e, int64_t n, real_t sigma, double *phi,
                             double *t, uint32_t k0, uint32_t k1) noexcept nogil:
    """Continue the Wiener phase phi over n samples whose increments are stream elements e .. e+n-1
    (relative to pair ``pair0``); t[j] += phase in turns."""
    cdef int64_t p0 = e // 2, p1 = (e + n + 1) // 2, j
    cdef real_t *z
    cdef double acc = phi[0]
    dsp_normal_block(pair0 + <uint64_t>p0, p1 - p0, k0, k1, zbuf)
    z = zbuf + (e - 2 * p0)
    for j in range(n):
        acc = acc + <double>(z[j] * sigma)
        t[j] = t[j] + acc * INV_TWO_PI
    phi[0] = acc


cdef inline void _matrix_tile(real_t *x0, real_t *x1, int64_t len_, const real_t *m) noexcept nogil:
    """y0 = m00 a + m01 b, y1 = m10 a + m11 b over len_ samples (m: re, im of m00, m01, m10, m11;
    the complex products and sum of coherent._rotate)."""
    cdef int64_t j
    cdef real_t ar, ai, br, bi
    for j in range(len_):
        ar = x0[2 * j]
        ai = x0[2 * j + 1]
        br = x1[2 * j]
        bi = x1[2 * j + 1]
        x0[2 * j] = (m[0] * ar - m[1] * ai) + (m[2] * br - m[3] * bi)
        x0[2 * j + 1] = (m[0] * ai + m[1] * ar) + (m[2] * bi + m[3] * br)
        x1[2 * j] = (m[4] * ar - m[5] * ai) + (m[6] * br - m[7] * bi)
        x1[2 * j + 1] = (m[4] * ai + m[5] * ar) + (m[6] * bi + m[7] * br)


cdef inline void _ase_tile(real_t *x0, real_t *x1, int64_t len_, real_t sigma, uint64_t pair0, uint64_t pair1,
                           real_t *z0, real_t *z1, uint32_t k0, uint32_t k1) noexcept nogil:
    """x_p += sigma (z_re + j z_im) over len_ samples, the normals from pairs pair_p .. pair_p + len_ - 1."""
    cdef int64_t j
    dsp_normal_block(pair0, len_, k0, k1, z0)
    dsp_normal_block(pair1, len_, k0, k1, z1)
    for j in range(2 * len_):
        x0[j] = x0[j] + z0[j] * sigma
        x1[j] = x1[j] + z1[j] * sigma


cdef inline void _rotor_tile(real_t *x0, real_t *x1, int64_t len_, const real_t *c, const real_t *s) noexcept nogil:
    """Both polarizations times (c + j s) over len_ samples."""
    cdef int64_t j
    cdef real_t ar, ai
    for j in range(len_):
        ar = x0[2 * j]
        ai = x0[2 * j + 1]
        x0[2 * j] = ar * c[j] - ai * s[j]
        x0[2 * j + 1] = ar * s[j] + ai * c[j]
        ar = x1[2 * j]
        ai = x1[2 * j + 1]
        x1[2 * j] = ar * c[j] - ai * s[j]
        x1[2 * j + 1] = ar * s[j] + ai * c[j]


cdef void _tx_row(real_t *x0, real_t *x1, int64_t n, real_t pn_sigma, uint64_t pn_pair, int64_t pn_e0,
                  real_t ase_sigma, uint64_t ase_pair0, uint64_t ase_pair1, const real_t *m, double *gram,
                  uint32_t k0, uint32_t k1) noexcept nogil:
    cdef real_t zbuf[2 * TILE + 4]
    cdef real_t z1[2 * TILE]
    cdef double t[TILE]
    cdef real_t c[TILE]
    cdef real_t s[TILE]
    cdef double phi = 0.0, g00 = 0.0, g11 = 0.0, g01r = 0.0, g01i = 0.0
    cdef int64_t t0, len_, j
    cdef real_t ar, ai, br, bi
    for t0 in range(0, n, TILE):
        len_ = min(<int64_t>TILE, n - t0)
        if pn_sigma != 0:
            for j in range(len_):
                t[j] = 0.0
            _phase_tile(zbuf, pn_pair, pn_e0 + t0, len_, pn_sigma, &phi, t, k0, k1)
            _cossin_tile(t, len_, c, s)
            _rotor_tile(x0 + 2 * t0, x1 + 2 * t0, len_, c, s)
        if ase_sigma != 0:
            _ase_tile(x0 + 2 * t0, x1 + 2 * t0, len_, ase_sigma, ase_pair0 + <uint64_t>t0, ase_pair1 + <uint64_t>t0,
                      zbuf, z1, k0, k1)
        if m != NULL:
            _matrix_tile(x0 + 2 * t0, x1 + 2 * t0, len_, m)
        for j in range(len_):
            ar = x0[2 * (t0 + j)]
            ai = x0[2 * (t0 + j) + 1]
            br = x1[2 * (t0 + j)]
            bi = x1[2 * (t0 + j) + 1]
            g00 += <double>ar * ar + <double>ai * ai
            g11 += <double>br * br + <double>bi * bi
            g01r += <double>ar * br + <double>ai * bi     # a conj(b)
            g01i += <double>ai * br - <double>ar * bi
    gram[0] = g00
    gram[1] = g11
    gram[2] = g01r
    gram[3] = g01i


def tx_pass(real_t[:, :, ::1] x, double pn_sigma, uint64_t pn_pair, int64_t row0, double ase_sigma,
            uint64_t ase_pair, real_t[:, ::1] jones, int has_jones, double[:, ::1] gram, uint32_t k0, uint32_t k1,
            int threads):
    """In place, each frame r of ``x`` (a (frames, 2, 2 n) real view of the complex field):
    ``x *= exp(j phi_r)`` (Wiener phase, increments ``z * pn_sigma``; skipped when 0), then
    ``+= ase_sigma (z_re + j z_im)`` per polarization (skipped when 0), then the 2x2 matrix
    ``jones[r]`` (re, im of m00, m01, m10, m11) when ``has_jones``. ``row0``: the frame index of
    ``x[0]`` in the streams' layout (a block of a larger batch). ``gram[r]`` receives
    (sum |y0|^2, sum |y1|^2, Re and Im of sum y0 conj(y1)) of the result (float64 sums).
    """
    cdef int64_t frames = x.shape[0], n = x.shape[2] // 2, r
    cdef const real_t *m
    if frames == 0 or n == 0:
        for r in range(frames):
            gram[r, 0] = gram[r, 1] = gram[r, 2] = gram[r, 3] = 0.0
        return 0
    with nogil:
        for r in prange(frames, schedule="static", num_threads=threads):
            _tx_row(&x[r, 0, 0], &x[r, 1, 0], n, <real_t>pn_sigma, pn_pair, (row0 + r) * n, <real_t>ase_sigma,
                    ase_pair + <uint64_t>((2 * (row0 + r)) * n), ase_pair + <uint64_t>((2 * (row0 + r) + 1) * n),
                    &jones[r, 0] if has_jones else NULL, &gram[r, 0], k0, k1)
    return 0


cdef int _rx_row(real_t *x0, real_t *x1, int64_t n, const real_t *m, real_t ase_sigma, uint64_t ase_pair0,
                 uint64_t ase_pair1, real_t pn_sigma, uint64_t pn_pair, int64_t pn_e0, double cycles,
                 uint32_t k0, uint32_t k1) noexcept nogil:
    cdef real_t zbuf[2 * TILE + 4]
    cdef real_t z1[2 * TILE]
    cdef double t[TILE]
    cdef real_t c[TILE]
    cdef real_t s[TILE]
    cdef double phi = 0.0, p0 = 0.0, p1 = 0.0, cyc
    cdef int64_t t0, len_, j
    cdef int rotor = pn_sigma != 0 or cycles != 0
    cdef real_t ar, ai, br, bi, sc0, sc1
    for t0 in range(0, n, TILE):
        len_ = min(<int64_t>TILE, n - t0)
        if m != NULL:
            _matrix_tile(x0 + 2 * t0, x1 + 2 * t0, len_, m)
        if ase_sigma != 0:
            _ase_tile(x0 + 2 * t0, x1 + 2 * t0, len_, ase_sigma, ase_pair0 + <uint64_t>t0, ase_pair1 + <uint64_t>t0,
                      zbuf, z1, k0, k1)
        if rotor:
            # carrier offset: cycles k reduced to [-1/2, 1/2] turn, k the sample index in the frame (phase_ramp)
            for j in range(len_):
                cyc = cycles * <double>(t0 + j)
                t[j] = cyc - ((cyc + ROUND_MAGIC) - ROUND_MAGIC)
            if pn_sigma != 0:
                _phase_tile(zbuf, pn_pair, pn_e0 + t0, len_, pn_sigma, &phi, t, k0, k1)
            _cossin_tile(t, len_, c, s)
            _rotor_tile(x0 + 2 * t0, x1 + 2 * t0, len_, c, s)
        for j in range(2 * len_):
            p0 += <double>x0[2 * t0 + j] * x0[2 * t0 + j]
            p1 += <double>x1[2 * t0 + j] * x1[2 * t0 + j]
    if not (p0 > 0 and p1 > 0):
        return 1
    # unit mean power per polarization (coherent_detect): e * (1 / sqrt(mean |e|^2)) in the field's precision
    sc0 = <real_t>(1.0 / sqrt(p0 / n))
    sc1 = <real_t>(1.0 / sqrt(p1 / n))
    for j in range(2 * n):
        x0[j] = x0[j] * sc0
        x1[j] = x1[j] * sc1
    return 0


def rx_pass(real_t[:, :, ::1] x, real_t[:, ::1] rot, int has_rot, double ase_sigma, uint64_t ase_pair,
            double pn_sigma, uint64_t pn_pair, double cycles, int64_t row0, uint32_t k0, uint32_t k1, int threads):
    """In place, each frame r of ``x`` (a (frames, 2, 2 n) real view of the complex field): the 2x2
    matrix ``rot[r]`` (when ``has_rot``), ``+= ase_sigma (z_re + j z_im)`` (skipped when 0),
    ``*= exp(j (phi_r[k] + 2 pi frac(cycles k)))`` (LO Wiener phase with increments
    ``z * pn_sigma``, carrier offset of ``cycles`` per sample), then each polarization scaled to
    unit mean power. ``row0`` as in :func:`tx_pass`. Returns 1 when a polarization has no power.
    """
    cdef int64_t frames = x.shape[0], n = x.shape[2] // 2, r
    cdef int bad = 0
    if frames == 0 or n == 0:
        return 0
    with nogil:
        for r in prange(frames, schedule="static", num_threads=threads):
            bad += _rx_row(&x[r, 0, 0], &x[r, 1, 0], n, &rot[r, 0] if has_rot else NULL, <real_t>ase_sigma,
                           ase_pair + <uint64_t>((2 * (row0 + r)) * n),
                           ase_pair + <uint64_t>((2 * (row0 + r) + 1) * n), <real_t>pn_sigma, pn_pair,
                           (row0 + r) * n, cycles, k0, k1)
    return 1 if bad else 0

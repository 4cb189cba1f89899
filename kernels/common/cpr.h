/* Carrier phase recovery: blind phase search (BPS) for square QAM, per-block and per-symbol cores.
 *
 * Shared by kernels/cpu/cpr.pyx (OpenMP over blocks of symbols, SIMD over the test phases) and
 * kernels/cuda/cpr.cu (one thread per block of symbols, then one thread per symbol). Cores never
 * allocate, print or raise. Arguments arrive validated from dsp.rx.carrier.
 *
 * ---- The algorithm (exactly; tests/test_carrier.py holds a NumPy oracle of it) ----------------
 *
 * A stream is n complex symbols x[k] (interleaved re, im), or for the joint search two streams
 * x0, x1 of one item (both polarisations) that share one phase. B test phases
 *
 *     phi_b = (b - B/2) * (pi / (2B)),  b = 0..B-1            (covering [-pi/4, pi/4))
 *
 * enter as tables c[b] = cos(phi_b), s[b] = sin(phi_b) in the sample precision T (computed in
 * float64 by the caller, then rounded to T). Square QAM-L^2 with half level spacing d has per-axis
 * levels (2k - L + 1) d; with scale = 1 / (2d) and h = (L - 1) / 2 (both T) level k sits at
 * u = k, and symbol k of a stream gives
 *
 *     xr' = xr * scale,  xi' = xi * scale                                (T arithmetic)
 *     ur  = (xr' c[b] + xi' s[b]) + h,   ui = (xi' c[b] - xr' s[b]) + h   (x exp(-j phi_b), shifted)
 *     kr  = (clamp(ur, 0, L - 1) + M) - M,  ki likewise      (nearest level, ties to even: M is
 *                                             1.5 * 2^23 (float) or 1.5 * 2^52 (double))
 *     er  = ur - kr,  ei = ui - ki
 *     d_b[k] = er er + ei ei                    (squared distance to the nearest point, / (2d)^2)
 *
 * (joint: d_b[k] = d0_b[k] + d1_b[k], pol 0 first). The window sum S_b(k) covers
 * j = k - W .. k + W (j outside 0..n-1 skipped). Symbols are processed in blocks of
 * DSP_BPS_BLOCK: at the first symbol k0 of a block S_b = sum over its window in increasing j
 * (starting from 0), then for k = k0 + 1 .. k0 + DSP_BPS_BLOCK - 1
 *
 *     S_b += (d_b[k + W] - d_b[k - W - 1])          (a d outside 0..n-1 reads as 0)
 *
 * (re-anchoring every block bounds the running sum's rounding drift and lets blocks run in
 * parallel). The decision is bhat[k] = the first b < B of the smallest S_b (uint8).
 *
 * Unwrapping and correction (per stream, sequential): m[0] = 0 and
 *
 *     m[k] = m[k-1] + step(bhat[k] - bhat[k-1]),  step(D) = +1 if 2D <= -B, -1 if 2D > B, else 0,
 *
 * which is the standard phase[k] = phi[k] + floor(1/2 - (phi[k] - phase[k-1]) / (pi/2)) pi/2 in
 * exact integer arithmetic. The carrier phase estimate is
 *
 *     phase[k] = (T)(((double)m[k] B + bhat[k] - B/2) * (pi / (2B)))       (float64, then T)
 *
 * and the corrected symbol y[k] = x[k] exp(-j phase[k]) is computed as the table rotation
 * (xr c + xi s, xi c - xr s) (T arithmetic) followed by the exact rotation (-j)^(m mod 4).
 *
 * The CPU computes each d_b[k] once and keeps the last R >= 2W + 2 rows in a ring (scratch; for
 * a ring over 4 MiB it recomputes like the GPU); the GPU recomputes the leaving row instead: the
 * same arithmetic, so the same bits. The rounding by M assumes the default IEEE rounding mode
 * (to nearest), as does everything else here.
 */
#ifndef DSP_CPR_H
#define DSP_CPR_H

#include "dsp_common.h"

#define DSP_BPS_BLOCK 512 /* symbols per block (re-anchoring period of the window sum) */
#define DSP_BPS_MAX_PHASES 256

#define DSP_BPS_OK 0
#define DSP_BPS_BAD_CONFIG 1

/* The rounding constant of dsp_bps_dist: 1.5 * 2^(mantissa bits). */
DSP_HD float dsp_bps_magic(float) { return 12582912.0f; }          /* 1.5 * 2^23 */
DSP_HD double dsp_bps_magic(double) { return 6755399441055744.0; } /* 1.5 * 2^52 */

#if !defined(__CUDACC__) && !defined(__CUDACC_RTC__) && defined(__GNUC__) && !defined(__clang__)
#define DSP_BPS_VEC 1 /* g++: the loops over test phases written with GCC vector extensions */
#else
#define DSP_BPS_VEC 0
#endif

/* Squared scaled distances of one symbol (already multiplied by scale) for NB test phases.
 * VB = 0: portable loop (GPU); VB = 16 or 32: the same lane arithmetic on GCC vectors of VB bytes
 * (g++ does not if-convert the clamps of the portable loop, so it would stay scalar). */
template <typename T, int NB, int VB>
DSP_HD void dsp_bps_dist(T xr, T xi, const T *c, const T *s, T h, T lmax, T *d)
{
    const T M = dsp_bps_magic((T)0);
#if DSP_BPS_VEC
    if (VB) {
        typedef T V __attribute__((vector_size(VB ? VB : 16)));
        constexpr int L = (VB ? VB : 16) / (int)sizeof(T);
        const V vxr = V{} + xr, vxi = V{} + xi, vh = V{} + h, vl = V{} + lmax, vz = V{},
                vm = V{} + M;
        for (int b = 0; b < NB; b += L) {
            V cv, sv;
            __builtin_memcpy(&cv, c + b, sizeof cv);
            __builtin_memcpy(&sv, s + b, sizeof sv);
            V ur = (vxr * cv + vxi * sv) + vh;
            V ui = (vxi * cv - vxr * sv) + vh;
            V cr = ur > vz ? ur : vz;
            V ci = ui > vz ? ui : vz;
            cr = cr < vl ? cr : vl;
            ci = ci < vl ? ci : vl;
            V er = ur - ((cr + vm) - vm);
            V ei = ui - ((ci + vm) - vm);
            V dv = er * er + ei * ei;
            __builtin_memcpy(d + b, &dv, sizeof dv);
        }
        return;
    }
#endif
    for (int b = 0; b < NB; ++b) {
        T ur = (xr * c[b] + xi * s[b]) + h;
        T ui = (xi * c[b] - xr * s[b]) + h;
        T kr = (dsp_clamp<T>(ur, (T)0, lmax) + M) - M;
        T ki = (dsp_clamp<T>(ui, (T)0, lmax) + M) - M;
        T er = ur - kr;
        T ei = ui - ki;
        d[b] = er * er + ei * ei;
    }
}

/* d_b of symbol j of one stream or (JOINT) of the pair; zeros outside 0..n-1. */
template <typename T, int NB, bool JOINT, int VB>
DSP_HD void dsp_bps_row(const T *x0, const T *x1, int64_t n, int64_t j, const T *c, const T *s,
                        T scale, T h, T lmax, T *d)
{
    if (j < 0 || j >= n) {
        for (int b = 0; b < NB; ++b)
            d[b] = (T)0;
        return;
    }
    dsp_bps_dist<T, NB, VB>(x0[2 * j] * scale, x0[2 * j + 1] * scale, c, s, h, lmax, d);
    if (JOINT) {
        T d1[NB];
        dsp_bps_dist<T, NB, VB>(x1[2 * j] * scale, x1[2 * j + 1] * scale, c, s, h, lmax, d1);
        for (int b = 0; b < NB; ++b)
            d[b] = d[b] + d1[b];
    }
}

/* First b < B of the smallest S_b. Lanes b >= B repeat lane B - 1 (the block core loads the
 * tables so), hence never hold a smaller value. VB = 0 (GPU): one scan; otherwise the minimum
 * over lanes on GCC vectors, then its first occurrence (the same index unless some S_b is NaN). */
template <typename T, int NB, int VB>
DSP_HD int dsp_bps_argmin(const T *S, int B)
{
#if DSP_BPS_VEC
    if (VB) {
        typedef T V __attribute__((vector_size(VB ? VB : 16)));
        constexpr int L = (VB ? VB : 16) / (int)sizeof(T);
        V mn;
        __builtin_memcpy(&mn, S, sizeof mn);
        for (int c = L; c < NB; c += L) {
            V v;
            __builtin_memcpy(&v, S + c, sizeof v);
            mn = v < mn ? v : mn;
        }
        T m = mn[0];
        for (int l = 1; l < L; ++l)
            m = mn[l] < m ? mn[l] : m;
        for (int b = 0; b < B; ++b)
            if (S[b] == m)
                return b;
        return 0; /* NaN */
    }
#endif
    T best = S[0];
    int bi = 0;
    for (int b = 1; b < NB; ++b) {
        bool lt = (b < B) && (S[b] < best);
        best = lt ? S[b] : best;
        bi = lt ? b : bi;
    }
    return bi;
}

/* Symbols k0 .. k1-1 (one block) of one stream (x1 NULL) or joint pair. ring: NULL (recompute
 * the leaving row: GPU) or scratch of R * NB values, R a power of two >= 2W + 2 (CPU). */
template <typename T, int NB, bool JOINT, int VB>
DSP_HD void dsp_bps_block_t(const T *x0, const T *x1, int64_t n, int64_t k0, int64_t k1, int W,
                            const T *ct, const T *st, int B, T scale, T h, T lmax, T *ring,
                            int64_t R, uint8_t *out)
{
    T c[NB], s[NB], S[NB], dn[NB], dold[NB];
    for (int b = 0; b < NB; ++b) {
        c[b] = ct[b < B ? b : B - 1];
        s[b] = st[b < B ? b : B - 1];
        S[b] = (T)0;
    }
    const int64_t mask = R - 1;
    int64_t lo = k0 - W < 0 ? 0 : k0 - W;
    int64_t top = k0 + W + 1 < n ? k0 + W + 1 : n; /* window of k0: lo .. top-1 */
    for (int64_t j = lo; j < top; ++j) {
        T *d = ring ? ring + (j & mask) * NB : dn;
        dsp_bps_row<T, NB, JOINT, VB>(x0, x1, n, j, c, s, scale, h, lmax, d);
        for (int b = 0; b < NB; ++b)
            S[b] = S[b] + d[b];
    }
    out[k0] = (uint8_t)dsp_bps_argmin<T, NB, VB>(S, B);
    for (int64_t k = k0 + 1; k < k1; ++k) {
        int64_t jn = k + W, jo = k - W - 1;
        T *pn = dn;
        const T *po = dold;
        if (ring) {
            pn = ring + (jn & mask) * NB; /* jn < n or not, the slot is free: R >= 2W + 2 */
            if (jo >= 0)
                po = ring + (jo & mask) * NB;
            else
                for (int b = 0; b < NB; ++b)
                    dold[b] = (T)0;
        } else {
            dsp_bps_row<T, NB, JOINT, VB>(x0, x1, n, jo, c, s, scale, h, lmax, dold);
        }
        dsp_bps_row<T, NB, JOINT, VB>(x0, x1, n, jn, c, s, scale, h, lmax, pn);
        for (int b = 0; b < NB; ++b)
            S[b] = S[b] + (pn[b] - po[b]);
        out[k] = (uint8_t)dsp_bps_argmin<T, NB, VB>(S, B);
    }
}

/* Padded lane count for B test phases. */
DSP_HD int dsp_bps_lanes(int B)
{
    int nb = 8;
    while (nb < B)
        nb *= 2;
    return nb;
}

/* Decisions of block `blk` (symbols blk * DSP_BPS_BLOCK ..) of one stream or joint pair. The tables
 * ct, st hold at least B entries (the core repeats entry B - 1 in its padded lanes). VB: see
 * dsp_bps_dist (0 on the GPU). */
template <typename T, bool JOINT, int VB = 0>
DSP_HD int dsp_bps_block(const T *x0, const T *x1, int64_t n, int64_t blk, int W, const T *ct,
                         const T *st, int B, T scale, T h, T lmax, T *ring, int64_t R,
                         uint8_t *out)
{
    int64_t k0 = blk * DSP_BPS_BLOCK;
    int64_t k1 = k0 + DSP_BPS_BLOCK < n ? k0 + DSP_BPS_BLOCK : n;
    if (B < 2 || B > DSP_BPS_MAX_PHASES || W < 0 || k0 >= n)
        return DSP_BPS_BAD_CONFIG;
    if (ring && R < 2 * (int64_t)W + 2)
        return DSP_BPS_BAD_CONFIG;
#define DSP_BPS_CASE(NBV)                                                                         \
    case NBV:                                                                                     \
        dsp_bps_block_t<T, NBV, JOINT, VB>(x0, x1, n, k0, k1, W, ct, st, B, scale, h, lmax, ring, \
                                           R, out);                                               \
        return DSP_BPS_OK;
    switch (dsp_bps_lanes(B)) {
        DSP_BPS_CASE(8)
        DSP_BPS_CASE(16)
        DSP_BPS_CASE(32)
        DSP_BPS_CASE(64)
        DSP_BPS_CASE(128)
        DSP_BPS_CASE(256)
    default:
        return DSP_BPS_BAD_CONFIG;
    }
#undef DSP_BPS_CASE
}

/* Quadrant step of the unwrap between consecutive decisions. */
DSP_HD int dsp_bps_step(int bprev, int b, int B)
{
    int D = b - bprev;
    return (2 * D <= -B) ? 1 : ((2 * D > B) ? -1 : 0);
}

/* Carrier phase of decision b with quadrant count m. */
template <typename T>
DSP_HD T dsp_bps_phase(int64_t m, int b, int B)
{
    double unit = 3.141592653589793 / (2.0 * (double)B);
    return (T)(((double)m * (double)B + (double)b - 0.5 * (double)B) * unit);
}

/* y = x exp(-j phase) for decision b, quadrant count m. */
template <typename T>
DSP_HD void dsp_bps_rotate(T xr, T xi, int b, int64_t m, const T *ct, const T *st, T *y)
{
    T c = ct[b], s = st[b];
    T yr = xr * c + xi * s;
    T yi = xi * c - xr * s;
    switch ((int)(m & 3)) {
    case 0:
        y[0] = yr;
        y[1] = yi;
        break;
    case 1:
        y[0] = yi;
        y[1] = -yr;
        break;
    case 2:
        y[0] = -yr;
        y[1] = -yi;
        break;
    default:
        y[0] = -yi;
        y[1] = yr;
        break;
    }
}

/* Unwrap and correct one stream of n symbols (sequential): y (2n, interleaved) and phase (n). */
template <typename T>
DSP_HD void dsp_bps_apply_row(const T *x, const uint8_t *bhat, int64_t n, const T *ct, const T *st,
                              int B, T *y, T *phase)
{
    int64_t m = 0;
    int bprev = n > 0 ? (int)bhat[0] : 0;
    for (int64_t k = 0; k < n; ++k) {
        int b = (int)bhat[k];
        m += dsp_bps_step(bprev, b, B);
        bprev = b;
        dsp_bps_rotate<T>(x[2 * k], x[2 * k + 1], b, m, ct, st, y + 2 * k);
        phase[k] = dsp_bps_phase<T>(m, b, B);
    }
}

#if !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
/* CPU drivers: the block core compiled for the SSE2 baseline and, on x86-64, for AVX2 (chosen at
 * run time); `flatten` inlines the whole core into each, so that its loops over the test phases
 * are vectorized for that instruction set. The arithmetic (IEEE, no FMA contraction) is the same. */
#define DSP_BPS_DRIVER(NAME, TT, JJ, VB, ATTR)                                                   \
    ATTR static int NAME(const TT *x0, const TT *x1, int64_t n, int64_t blk, int W, const TT *ct, \
                         const TT *st, int B, TT scale, TT h, TT lmax, TT *ring, int64_t R,      \
                         uint8_t *out)                                                           \
    {                                                                                            \
        return dsp_bps_block<TT, JJ, VB>(x0, x1, n, blk, W, ct, st, B, scale, h, lmax, ring, R,   \
                                         out);                                                   \
    }
DSP_BPS_DRIVER(dsp_bps_f32_base, float, false, 16, __attribute__((flatten)))
DSP_BPS_DRIVER(dsp_bps_f32j_base, float, true, 16, __attribute__((flatten)))
DSP_BPS_DRIVER(dsp_bps_f64_base, double, false, 16, __attribute__((flatten)))
DSP_BPS_DRIVER(dsp_bps_f64j_base, double, true, 16, __attribute__((flatten)))
#if defined(__x86_64__) && defined(__GNUC__) && !defined(DSP_BPS_NO_AVX2)
#define DSP_BPS_HAVE_AVX2 1
DSP_BPS_DRIVER(dsp_bps_f32_avx2, float, false, 32, __attribute__((target("avx2"), flatten)))
DSP_BPS_DRIVER(dsp_bps_f32j_avx2, float, true, 32, __attribute__((target("avx2"), flatten)))
DSP_BPS_DRIVER(dsp_bps_f64_avx2, double, false, 32, __attribute__((target("avx2"), flatten)))
DSP_BPS_DRIVER(dsp_bps_f64j_avx2, double, true, 32, __attribute__((target("avx2"), flatten)))
#endif
#undef DSP_BPS_DRIVER

static inline int dsp_bps_use_avx2(void)
{
#if defined(DSP_BPS_HAVE_AVX2)
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

#if defined(DSP_BPS_HAVE_AVX2)
#define DSP_BPS_PICK(SFX, ...)                                                                   \
    return simd ? dsp_bps_##SFX##_avx2(__VA_ARGS__) : dsp_bps_##SFX##_base(__VA_ARGS__)
#else
#define DSP_BPS_PICK(SFX, ...) return dsp_bps_##SFX##_base(__VA_ARGS__)
#endif

/* Block `blk` of one stream (x1 NULL) or joint pair on the CPU; simd: 1 AVX2 build, 0 baseline. */
static inline int dsp_bps_cpu_block(const float *x0, const float *x1, int64_t n, int64_t blk, int W,
                                    const float *ct, const float *st, int B, float scale, float h,
                                    float lmax, float *ring, int64_t R, uint8_t *out, int simd)
{
    (void)simd;
    if (x1)
        DSP_BPS_PICK(f32j, x0, x1, n, blk, W, ct, st, B, scale, h, lmax, ring, R, out);
    DSP_BPS_PICK(f32, x0, x1, n, blk, W, ct, st, B, scale, h, lmax, ring, R, out);
}

static inline int dsp_bps_cpu_block(const double *x0, const double *x1, int64_t n, int64_t blk, int W,
                                    const double *ct, const double *st, int B, double scale, double h,
                                    double lmax, double *ring, int64_t R, uint8_t *out, int simd)
{
    (void)simd;
    if (x1)
        DSP_BPS_PICK(f64j, x0, x1, n, blk, W, ct, st, B, scale, h, lmax, ring, R, out);
    DSP_BPS_PICK(f64, x0, x1, n, blk, W, ct, st, B, scale, h, lmax, ring, R, out);
}
#undef DSP_BPS_PICK
#endif

#endif /* DSP_CPR_H */

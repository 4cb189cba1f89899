/* Counter-based random numbers shared by CPU and GPU kernels.
 *
 * Philox4x32-10 (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy as 1, 2, 3",
 * SC'11): a bijection of a 128-bit counter under a 64-bit key. Item i of a batch draws from
 * counter (i_lo, i_hi, 0, 0), so the value it gets does not depend on which thread computes it,
 * how many threads there are, or whether it runs on the CPU or the GPU.
 *
 * Gaussian samples come from the Box-Muller transform, r = sqrt(-2 ln u), theta = 2 pi v. The
 * radius uniform u is the midpoint of a cell of width 2^-31 (single; for u above 2^-7 the float
 * rounding of that midpoint coarsens it to at most 2^-24, which only moves small radii by < 1e-5)
 * or 2^-53 (double); the first single-precision cell is refined by a second word to width 2^-62. The radius is therefore
 * truncated where exp(-r^2/2) = u_min: at r = 9.35 (2^-63, single) and r = 8.65 (2^-54, double),
 * probabilities 1.1e-19 and 5.6e-17, far below what a Monte-Carlo run can resolve.
 */
#ifndef DSP_RNG_H
#define DSP_RNG_H

#include "dsp_common.h"

#define DSP_PHILOX_M0 0xD2511F53u
#define DSP_PHILOX_M1 0xCD9E8D57u
#define DSP_PHILOX_W0 0x9E3779B9u
#define DSP_PHILOX_W1 0xBB67AE85u

typedef struct { uint32_t v[4]; } dsp_u32x4;

DSP_HD dsp_u32x4 dsp_philox4x32_10(dsp_u32x4 c, uint32_t k0, uint32_t k1)
{
#if defined(__CUDA_ARCH__)
#pragma unroll
#else
#pragma GCC unroll 10
#endif
    for (int r = 0; r < 10; ++r) {
        uint64_t p0 = (uint64_t)DSP_PHILOX_M0 * c.v[0];
        uint64_t p1 = (uint64_t)DSP_PHILOX_M1 * c.v[2];
        dsp_u32x4 o;
        o.v[0] = (uint32_t)(p1 >> 32) ^ c.v[1] ^ k0;
        o.v[1] = (uint32_t)p1;
        o.v[2] = (uint32_t)(p0 >> 32) ^ c.v[3] ^ k1;
        o.v[3] = (uint32_t)p0;
        c = o;
        k0 += DSP_PHILOX_W0;   /* the key bump after the last round is unused */
        k1 += DSP_PHILOX_W1;
    }
    return c;
}

/* The four words drawn by item `i` of a stream keyed by (k0, k1). */
DSP_HD dsp_u32x4 dsp_philox_item(uint64_t i, uint32_t k0, uint32_t k1)
{
    dsp_u32x4 c;
    c.v[0] = (uint32_t)i;
    c.v[1] = (uint32_t)(i >> 32);
    c.v[2] = 0u;
    c.v[3] = 0u;
    return dsp_philox4x32_10(c, k0, k1);
}

#define DSP_TWO_PI_F 6.28318530717958647692f
#define DSP_TWO_PI 6.28318530717958647692

/* Natural log of x > 0 (normal, finite) in single precision, branch-free so that loops vectorize,
 * and bit-identical on CPU and GPU (no FMA contraction: see setup.py and dsp._ops.gpu). Cephes
 * logf: x = f 2^e with f in [sqrt(1/2), sqrt(2)) (found in integers, as musl does), ln(1 + g) by a
 * degree-9 polynomial, e ln 2 in two parts. Max error about 1 ulp (tests/test_kernels.py). */
DSP_HD float dsp_logf(float x)
{
    uint32_t bits = dsp_f2u(x) + (0x3f800000u - 0x3f3504f3u);   /* carry when mantissa >= sqrt 2 */
    int32_t e = (int32_t)(bits >> 23) - 127;
    float g = dsp_u2f((bits & 0x007fffffu) + 0x3f3504f3u) - 1.0f;
    float z = g * g;
    float y = 7.0376836292e-2f;
    y = y * g - 1.1514610310e-1f;
    y = y * g + 1.1676998740e-1f;
    y = y * g - 1.2420140846e-1f;
    y = y * g + 1.4249322787e-1f;
    y = y * g - 1.6668057665e-1f;
    y = y * g + 2.0000714765e-1f;
    y = y * g - 2.4999993993e-1f;
    y = y * g + 3.3333331174e-1f;
    y = y * g * z;
    float fe = (float)e;
    y += -2.12194440e-4f * fe;
    y += -0.5f * z;
    return (g + y) + 0.693359375f * fe;
}

/* cos and sin of the angle 2 pi b / 2^32 (b a uniform word), single precision, branch-free.
 * The quadrant is reduced exactly in integers: q = round(b / 2^30), r = b - q 2^30 in
 * [-2^29, 2^29), x = 2 pi r / 2^32 in [-pi/4, pi/4); then Cephes' sinf/cosf polynomials. */
DSP_HD void dsp_cossin_turn_f(uint32_t b, float *c, float *s)
{
    uint32_t q = (b + 0x20000000u) >> 30;                       /* 0..4 */
    int32_t r = (int32_t)(b - (q << 30));
    float x = (float)r * 1.4629180792671596e-9f;                /* 2 pi / 2^32 */
    float z = x * x;
    float sp = ((-1.9515295891e-4f * z + 8.3321608736e-3f) * z - 1.6666654611e-1f) * z * x + x;
    float cp = ((2.443315711809948e-5f * z - 1.388731625493765e-3f) * z + 4.166664568298827e-2f) * z * z
               - 0.5f * z + 1.0f;
    q &= 3u;
    /* rotate by q quarter turns: swap on odd q, negate cos for q = 1, 2 and sin for q = 2, 3 */
    uint32_t odd = 0u - (q & 1u), ub = dsp_f2u(cp), vb = dsp_f2u(sp);
    uint32_t cq = (ub & ~odd) | (vb & odd), sq = (vb & ~odd) | (ub & odd);
    *c = dsp_u2f(cq ^ ((((q + 1u) >> 1) & 1u) << 31));
    *s = dsp_u2f(sq ^ (((q >> 1) & 1u) << 31));
}

/* Two independent N(0, 1) samples (zc, zs) from the words of one Philox item by Box-Muller:
 * w1 the radius (w3 refines its first cell), w2 the angle. Overloaded on the precision. */
DSP_HD void dsp_box_muller(dsp_u32x4 w, float *zc, float *zs)
{
    /* ln u, u the midpoint of a cell of width 2^-31 (the first refined by w3 to 2^-62);
     * 21.48... = ln 2^31. Signed conversions only, which vectorize. */
    uint32_t a = w.v[1] >> 1, refine = (uint32_t)(a == 0u), sel = 0u - refine;
    float cell = (float)(int32_t)((a & ~sel) | ((w.v[3] >> 1) & sel)) + 0.5f;
    float lu = dsp_logf(cell * 4.656612873077393e-10f) - (float)(int32_t)refine * 21.487562597358306f;
    float r = sqrtf(-2.0f * lu);
    float c, s;
    dsp_cossin_turn_f(w.v[2], &c, &s);
    *zc = r * c;
    *zs = r * s;
}

DSP_HD void dsp_box_muller(dsp_u32x4 w, double *zc, double *zs)
{
    uint64_t a = ((uint64_t)w.v[1] << 32) | w.v[3];
    double u = ((double)(a >> 11) + 0.5) * 1.1102230246251565e-16;   /* (0, 1) */
    double r = sqrt(-2.0 * log(u));
    double th = DSP_TWO_PI * ((double)w.v[2] * 2.3283064365386963e-10);
    *zc = r * cos(th);
    *zs = r * sin(th);
}

#endif /* DSP_RNG_H */

/* Coherent-link error counting: per-row cores (one row = one frame and polarization).
 *
 * dsp_qam_count_row: the decision-directed gain (two passes), the hard decisions of square Gray
 * QAM, and the error counts and powers of one row of the receiver output against the transmitted
 * row it is aligned to (source row, circular lag): the computation of CoherentLink.count,
 *
 *   d  = points[demap_hard(zc)];  g = sum(zc conj(d)) / sum(|d|^2);  zc = zc / g   (twice),
 *
 * with the gain sums accumulated in double and zc = z w, w = 1 / (g1 g2) rounded to the row's
 * precision. The NumPy / CuPy expressions of CoherentLink.count round differently (float sums), so
 * a symbol lying within a few ulp of a decision threshold may be decided differently: counts agree
 * except for such rare symbols (tests/test_coherent_count.py).
 * - decision per axis k = clamp(v * scale + L/2, 0, L-1) truncated (= NumPy's clip(floor(.))).
 *
 * Error and reference powers are accumulated in double (they equal NumPy's float sums to rounding).
 *
 * dsp_qam_gmi_row: sum over bits of log(1 + exp(-(1 - 2 b) LLR)) (natural log) with the exact
 * (log-sum-exp) per-axis LLRs of Gray PAM at per-axis inverse noise variance `inv`, for a bit b
 * in group A (its transmitted value) and the other group O of levels: log(1 + S_O / S_A), S the
 * sums of exp(inv (a v - a^2 / 2) - max); libm in double precision, a vectorized polynomial
 * exp / log in single precision (equal to dsp.metrics.gmi_sum of dsp.modulation.demap_llr to
 * float rounding; tests/test_coherent_count.py).
 *
 * Only the CPU build uses this header for now (kernels/cpu/qam_count.pyx; the GPU runs the CuPy
 * expressions of CoherentLink.count): the GMI cores call <cmath> and the CPU entry points at the
 * end use GCC builtins (target attribute, __builtin_cpu_supports).
 */
#ifndef DSP_QAM_COUNT_H
#define DSP_QAM_COUNT_H

#include "dsp_common.h"

DSP_HD uint32_t dsp_qc_gray(uint32_t k) { return k ^ (k >> 1); }

template <typename T>
DSP_HD uint32_t dsp_qc_decide(T re, T im, int levels, int b, T scale, T half)
{
    uint32_t ki = (uint32_t)(int32_t)dsp_clamp<T>(re * scale + half, (T)0, (T)(levels - 1));
    uint32_t kq = (uint32_t)(int32_t)dsp_clamp<T>(im * scale + half, (T)0, (T)(levels - 1));
    return (dsp_qc_gray(ki) << b) | dsp_qc_gray(kq);
}

/* One row. z: the row's n complex values (interleaved re, im); sym, lab: the transmitted row it is
 * aligned to, read at (k - lag) mod n for output index k. cols[0..C-1]: counted positions, increasing.
 * pts (2 m reals) / pw2 (m): points and |points|^2 by label.
 * Outputs: zc_out[0..2 cap_z-1], lab_out[0..cap_l-1], dec_out[0..C-1] (if not NULL), and *bit_err,
 * *sym_err, *err_pow, *ref_pow. */
template <typename T>
DSP_HD void dsp_qam_count_row(const T *z, const T *sym, const uint8_t *lab, int64_t n, int64_t lag,
                              const int32_t *cols, int64_t C, int levels, int b, T scale, const T *pts,
                              const T *pw2, int64_t cap_z, T *zc_out, int64_t cap_l, uint8_t *lab_out,
                              uint8_t *dec_out, int64_t *bit_err, int64_t *sym_err, double *err_pow,
                              double *ref_pow)
{
    const T half = (T)0.5 * (T)levels;
    double wr = 1.0, wi = 0.0; /* 1 / (g1 g2 ...) so far */
    for (int pass = 0; pass < 2; ++pass) {
        const T ar = (T)wr, ai = (T)wi;
        double nr = 0.0, ni = 0.0, dd = 0.0;
        for (int64_t j = 0; j < C; ++j) {
            int64_t k = cols[j];
            T zr = z[2 * k] * ar - z[2 * k + 1] * ai, zi = z[2 * k] * ai + z[2 * k + 1] * ar;
            uint32_t l = dsp_qc_decide<T>(zr, zi, levels, b, scale, half);
            double dr = (double)pts[2 * l], di = (double)pts[2 * l + 1];
            nr += (double)zr * dr + (double)zi * di; /* zc conj(d) */
            ni += (double)zi * dr - (double)zr * di;
            dd += (double)pw2[l];
        }
        /* g = (nr + j ni) / dd; w <- w / g = w dd conj(num) / |num|^2 (no gain when nothing was decided) */
        double m2 = nr * nr + ni * ni;
        if (m2 > 0.0) {
            double qr = dd * nr / m2, qi = -dd * ni / m2;
            double tr = wr * qr - wi * qi;
            wi = wr * qi + wi * qr;
            wr = tr;
        }
    }
    const T ar = (T)wr, ai = (T)wi;
    int64_t eb = 0, es = 0;
    double ep = 0.0, rp = 0.0;
    for (int64_t j = 0; j < C; ++j) {
        int64_t k = cols[j];
        T zr = z[2 * k] * ar - z[2 * k + 1] * ai, zi = z[2 * k] * ai + z[2 * k + 1] * ar;
        uint32_t l = dsp_qc_decide<T>(zr, zi, levels, b, scale, half);
        int64_t kr = k - lag;
        kr = kr < 0 ? kr + n : (kr >= n ? kr - n : kr);
        uint32_t t = lab[kr];
        T rr = sym[2 * kr], ri = sym[2 * kr + 1];
        int e = dsp_popcount32(l ^ t);
        eb += e;
        es += (e != 0);
        T er = zr - rr, ei = zi - ri;
        ep += (double)er * (double)er + (double)ei * (double)ei;
        rp += (double)rr * (double)rr + (double)ri * (double)ri;
        if (j < cap_z) {
            zc_out[2 * j] = zr;
            zc_out[2 * j + 1] = zi;
        }
        if (j < cap_l)
            lab_out[j] = (uint8_t)t;
        if (dec_out)
            dec_out[j] = (uint8_t)l;
    }
    *bit_err = eb;
    *sym_err = es;
    *err_pow = ep;
    *ref_pow = rp;
}

/* Sum of log(1 + exp(-(1 - 2 b) LLR)) over the bits of one axis value v (transmitted axis label t,
 * MSB first), with the exact LLR of Gray PAM-`levels` (levels a_k = (2k - L + 1) d, label gray(k))
 * at per-axis inverse noise variance inv; the LLR clipped to +-llr_max as dsp.modulation.demap_llr. */
template <typename T>
DSP_HD double dsp_qc_gmi_axis(T v, uint32_t t, int levels, int b, T d, T inv, T llr_max)
{
    T u[16];
    uint32_t g[16];
    T mx = (T)-INFINITY;
    for (int k = 0; k < levels; ++k) {
        T a = (T)(2 * k - levels + 1) * d;
        u[k] = a * v - a * a * (T)0.5;
        g[k] = dsp_qc_gray((uint32_t)k);
        mx = u[k] > mx ? u[k] : mx;
    }
    T e[16];
    for (int k = 0; k < levels; ++k)
        e[k] = std::exp(inv * (u[k] - mx));
    double acc = 0.0;
    for (int j = 0; j < b; ++j) {
        int sh = b - 1 - j;
        uint32_t tb = (t >> sh) & 1u;
        T sa = 0, so = 0;
        for (int k = 0; k < levels; ++k) {
            if (((g[k] >> sh) & 1u) == tb)
                sa += e[k];
            else
                so += e[k];
        }
        const T tiny = (T)1e-30;
        if (sa > tiny && so > tiny) {
            /* x = log(so / sa) = -(1 - 2 b) LLR, |x| < ~70: no clipping */
            acc += (double)std::log1p(so / sa);
        } else {
            /* a group underflowed: log-ratio from each group's own maximum */
            T ma = (T)-INFINITY, mo = (T)-INFINITY;
            for (int k = 0; k < levels; ++k) {
                if (((g[k] >> sh) & 1u) == tb)
                    ma = u[k] > ma ? u[k] : ma;
                else
                    mo = u[k] > mo ? u[k] : mo;
            }
            T qa = 0, qo = 0;
            for (int k = 0; k < levels; ++k) {
                if (((g[k] >> sh) & 1u) == tb)
                    qa += std::exp(inv * (u[k] - ma));
                else
                    qo += std::exp(inv * (u[k] - mo));
            }
            double x = (double)inv * ((double)mo - (double)ma) + std::log((double)qo / (double)qa);
            if (x > (double)llr_max)
                x = (double)llr_max;
            if (x < -(double)llr_max)
                x = -(double)llr_max;
            acc += (x > 0 ? x : 0.0) + std::log1p(std::exp(-(x > 0 ? x : -x)));
        }
    }
    return acc;
}

/* One row of cap complex symbols y with transmitted QAM labels lab: the GMI sum (natural log). */
template <typename T>
DSP_HD double dsp_qam_gmi_row_generic(const T *y, const uint8_t *lab, int64_t cap, int levels, int b, T d, T inv,
                                      T llr_max)
{
    double acc = 0.0;
    uint32_t mask = (1u << b) - 1u;
    for (int64_t j = 0; j < cap; ++j) {
        uint32_t t = lab[j];
        acc += dsp_qc_gmi_axis<T>(y[2 * j], t >> b, levels, b, d, inv, llr_max);
        acc += dsp_qc_gmi_axis<T>(y[2 * j + 1], t & mask, levels, b, d, inv, llr_max);
    }
    return acc;
}

#if !defined(__CUDACC_RTC__) && !defined(__CUDA_ARCH__)
#include "rng.h"   /* dsp_logf */

/* exp(x) for x <= ~0 in single precision, branch-free and without floating-point comparisons (which
 * may trap, and then do not if-convert), so that loops over values vectorize. Cephes expf: x = n ln 2
 * + r, |r| <= ln 2 / 2, degree-5 polynomial, 2^n by the exponent bits; 0 where 2^n would be
 * subnormal (x below about -87.3). */
static inline float dsp_qc_expf_neg(float x)
{
    int32_t n = (int32_t)(x * 1.44269504088896341f - 0.5f);  /* ceil(x log2 e - 1/2); INT_MIN if huge */
    uint32_t ok = 0u - (uint32_t)(n >= -126);
    n = (int32_t)((uint32_t)n & ok);
    float fn = (float)n;
    float r = x - fn * 0.693359375f;
    r = r - fn * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * (r * r) + r + 1.0f;
    return dsp_u2f(dsp_f2u(p * dsp_u2f((uint32_t)(n + 127) << 23)) & ok);
}

/* The single-precision row with LEVELS per axis and B bits per axis known at compile time: the
 * per-value work (exponentials, group sums, log1p of the ratio) is a straight loop over a tile of
 * axis values that the compiler vectorizes; a value whose transmitted group underflows (a
 * confidently wrong decision at tiny noise) is redone by dsp_qc_gmi_axis. Its sum differs from the
 * libm evaluation by float rounding only (a few ulp per term). */
template <int LEVELS, int B>
static inline double dsp_qam_gmi_row_fast(const float *y, const uint8_t *lab, int64_t cap, float d, float inv,
                                          float llr_max)
{
    enum { TILE = 256 };
    float v[TILE], term[TILE];
    uint32_t t[TILE];
    uint32_t bad[TILE];
    float a[LEVELS], c[LEVELS];
    for (int k = 0; k < LEVELS; ++k) {
        a[k] = (float)(2 * k - LEVELS + 1) * d;
        c[k] = a[k] * a[k] * 0.5f;
    }
    const uint32_t mask = (1u << B) - 1u;
    const float half_inv_d = 0.5f / d;
    double acc = 0.0;
    const int64_t total = 2 * cap;
    for (int64_t j0 = 0; j0 < total; j0 += TILE) {
        int len = (int)((total - j0) < TILE ? (total - j0) : TILE);
        for (int i = 0; i < len; ++i) {
            int64_t idx = j0 + i;
            uint32_t l = lab[idx >> 1];
            v[i] = y[idx];
            t[i] = (idx & 1) ? (l & mask) : (l >> B);
        }
        for (int i = 0; i < len; ++i) {
            /* the largest exponent is the nearest level's */
            int32_t kn = (int32_t)(v[i] * half_inv_d + (float)(LEVELS / 2));   /* truncation: fixed below */
            kn = kn < 0 ? 0 : (kn > LEVELS - 1 ? LEVELS - 1 : kn);
            float an = (float)(2 * kn - LEVELS + 1) * d;
            float mx = an * v[i] - an * an * 0.5f;
            float e[LEVELS];
#pragma GCC unroll 16
            for (int k = 0; k < LEVELS; ++k)
                e[k] = dsp_qc_expf_neg(inv * ((a[k] * v[i] - c[k]) - mx));
            float sum = 0.0f;
            uint32_t bd = 0;
#pragma GCC unroll 4
            for (int jb = 0; jb < B; ++jb) {
                const int sh = B - 1 - jb;
                uint32_t tb = (t[i] >> sh) & 1u;
                float sa = 0.0f, so = 0.0f;
#pragma GCC unroll 16
                for (int k = 0; k < LEVELS; ++k) {
                    uint32_t m = 0u - (uint32_t)(((((uint32_t)k ^ ((uint32_t)k >> 1)) >> sh) & 1u) == tb);
                    sa += dsp_u2f(dsp_f2u(e[k]) & m);
                    so += dsp_u2f(dsp_f2u(e[k]) & ~m);
                }
                uint32_t small = 0u - (uint32_t)(dsp_f2u(sa) < 0x0da24260u);  /* sa < 1e-30 (sa >= 0) */
                bd |= small;
                float r = so / dsp_u2f((dsp_f2u(sa) & ~small) | (0x3f800000u & small));
                float w = 1.0f + r;                                   /* log1p(r) = log(w) - ((w-1) - r)/w */
                sum += dsp_logf(w) - ((w - 1.0f) - r) / w;
            }
            term[i] = sum;
            bad[i] = bd;
        }
        for (int i = 0; i < len; ++i)
            acc += bad[i] ? dsp_qc_gmi_axis<float>(v[i], t[i], LEVELS, B, d, inv, llr_max) : (double)term[i];
    }
    return acc;
}
#endif

template <typename T>
DSP_HD double dsp_qam_gmi_row(const T *y, const uint8_t *lab, int64_t cap, int levels, int b, T d, T inv, T llr_max)
{
    return dsp_qam_gmi_row_generic<T>(y, lab, cap, levels, b, d, inv, llr_max);
}

#if !defined(__CUDACC_RTC__) && !defined(__CUDA_ARCH__)
template <>
inline double dsp_qam_gmi_row<float>(const float *y, const uint8_t *lab, int64_t cap, int levels, int b, float d,
                                     float inv, float llr_max)
{
    switch (levels) {
    case 2: return dsp_qam_gmi_row_fast<2, 1>(y, lab, cap, d, inv, llr_max);
    case 4: return dsp_qam_gmi_row_fast<4, 2>(y, lab, cap, d, inv, llr_max);
    case 8: return dsp_qam_gmi_row_fast<8, 3>(y, lab, cap, d, inv, llr_max);
    case 16: return dsp_qam_gmi_row_fast<16, 4>(y, lab, cap, d, inv, llr_max);
    default: return dsp_qam_gmi_row_generic<float>(y, lab, cap, levels, b, d, inv, llr_max);
    }
}
#endif

#endif /* DSP_QAM_COUNT_H */

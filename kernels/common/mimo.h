/* 2x2 MIMO adaptive equalizer of a coherent dual-polarization receiver: per-item core.
 *
 * One item (an independent frame: both polarizations) is equalized by dsp_mimo_item, shared by
 * kernels/cpu/mimo.pyx (OpenMP prange over items) and kernels/cuda/mimo.cu (one thread per item).
 * The core never allocates, prints or raises; it returns DSP_MIMO_* codes. Arguments arrive
 * validated from dsp.rx.mimo; the codes only guard the fixed-size local arrays.
 *
 * ---- Filter --------------------------------------------------------------------------------------
 * x: (2, ns) complex input (interleaved re, im), sps = 1 or 2 samples per symbol; symbol k of
 * output o (0 = X, 1 = Y) is the butterfly FIR (c = ntaps / 2, samples outside 0..ns-1 read as 0)
 *
 *     y_o[k] = sum_{i=0,1} sum_{j=0}^{ntaps-1} w[o][i][j] x_i[sps k + c - j]
 *
 * Internally the taps are kept in lane order v[l] = w[ntaps - 1 - l] (l < ntaps; lanes ntaps..NP-1
 * hold 0) as split real / imaginary vectors of W = 16 / sizeof(T) lanes, so that lane l weights
 * x_i[sps k - c + l]: the window of symbol k is NP contiguous samples of a de-interleaved,
 * zero-padded chunk buffer. Sums: per output, four vector accumulators (re*re, im*im, re*im,
 * im*re) run over the vectors v = 0..NP/W-1 and inputs i = 0, 1 (v outer), then
 * yr = hsum(arr - aii), yi = hsum(ari + air), hsum the fixed tree of dsp_mimo_hsum. The GPU
 * emulates the same W lanes, so both targets add in the same order.
 *
 * ---- Update (per symbol, per output; g = k_off + k the symbol's global index) -----------------------
 *   blind  (g < n_blind):  p = |y|^2, R2 = ring_r2[r] with r the ring whose interval of p holds p
 *          (r = number of ring_thr[0..n_rings-2] that p exceeds; CMA: one ring, R2 = E|a|^4/E|a|^2;
 *          RDE: the squared radii of the constellation's rings, thresholds the squared midpoints)
 *          e = y (R2 - p), cost = (R2 - p)^2, step mu_blind, output y.
 *          Outputs o = 1 keep their taps while g < n_single (single-output pre-stage).
 *   train  (n_blind <= g < n_train): d = ref_o[k];  DD (g >= max(n_blind, n_train)): d = the
 *          nearest QAM point of z (per axis: k = clamp(floor(v / (2 d_half) + L / 2), 0, L - 1),
 *          level (2k - L + 1) d_half).  z = y exp(-j phi_o) (phi_o = 0 unless pll_mu > 0),
 *          ez = d - z, e = ez exp(+j phi_o), cost = |ez|^2, step mu_dd, output z; then, if
 *          pll_mu > 0, phi_o += pll_mu Im(z conj(d)) (first-order decision-directed PLL; its phasor
 *          exp(-j phi_o) is rotated by the increment, by the Taylor series to the 5th power, and
 *          re-computed from phi_o when g = -1 mod DSP_MIMO_PLL_SYNC).
 *   taps:  w[o][i][j] += step e conj(x_i[sps k + c - j])  (as vectors: hr += gr xr + gi xi,
 *          hi += gi xr - gr xi with g = step e; padding lanes masked to stay 0).
 * Events before symbol g is processed:
 *   g == n_single > 0: the Y taps are re-derived from the X taps by the orthogonality rule
 *          w[1][1][j] = conj(w[0][0][N-1-j]), w[1][0][j] = -conj(w[0][1][N-1-j]).
 *   g == n_blind > 0 (blind -> DD switch): each output's taps are multiplied by exp(-j theta_o),
 *          theta_o = atan2(-S_im, -S_re) / 4 with S_o = sum y_o^4 over the last
 *          min(n_blind, DSP_MIMO_VV_LEN) blind outputs (the Viterbi-Viterbi estimate of the
 *          phase the blind stage left; y^4 = (a^2 - b^2) + j 2ab, a = yr^2 - yi^2, b = 2 yr yi).
 * state (DSP_MIMO_STATE values, carried between calls): phi_0, phi_1, S_0 (re, im), S_1 (re, im).
 */
#ifndef DSP_MIMO_H
#define DSP_MIMO_H

#include "dsp_common.h"

#define DSP_MIMO_OK 0
#define DSP_MIMO_BAD_TAPS 1
#define DSP_MIMO_BAD_CONFIG 2

#define DSP_MIMO_MAX_RINGS 64   /* ring table length (256-QAM has 32 rings) */
#define DSP_MIMO_VV_LEN 1024    /* blind outputs of the phase estimate at the blind -> DD switch */
#define DSP_MIMO_STATE 8        /* state values per item */
#define DSP_MIMO_MAX_NP 64      /* largest padded window */
#define DSP_MIMO_PLL_SYNC 64    /* the PLL phasor is re-computed from phi every this many symbols */

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define DSP_MIMO_CHUNK 32       /* symbols per de-interleaved chunk (GPU: a small local buffer) */
#else
#define DSP_MIMO_CHUNK 256
#endif
#define DSP_MIMO_BUF (2 * (DSP_MIMO_CHUNK - 1) + DSP_MIMO_MAX_NP)

#ifndef DSP_MIMO_GNU_VECTOR /* (a test may force the portable lanes with -DDSP_MIMO_GNU_VECTOR=0) */
#if defined(__GNUC__) && !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
#define DSP_MIMO_GNU_VECTOR 1
#else
#define DSP_MIMO_GNU_VECTOR 0
#endif
#endif

/* ---- W-lane vectors: GCC vector extensions on the CPU, an unrolled struct on the GPU ---------- */
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define DSP_MIMO_UNROLL _Pragma("unroll")
#elif defined(__GNUC__) && !defined(__clang__)
#define DSP_MIMO_UNROLL _Pragma("GCC unroll 16")
#else
#define DSP_MIMO_UNROLL
#endif

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define DSP_MIMO_MHD __host__ __device__ __forceinline__ /* member functions */
#else
#define DSP_MIMO_MHD inline
#endif

#if DSP_MIMO_GNU_VECTOR
template <typename T>
struct dsp_mv {
    enum { W = 16 / (int)sizeof(T) };
    typedef T V __attribute__((vector_size(16)));
    static inline V load(const T *p)
    {
        V v;
        __builtin_memcpy(&v, p, sizeof v);
        return v;
    }
    static inline void store(T *p, V v) { __builtin_memcpy(p, &v, sizeof v); }
    static inline V set1(T a) { return V{} + a; }
    static inline V zero() { return V{}; }
};
#else
template <typename T, int W>
struct dsp_mvec {
    T v[W];
};
template <typename T, int W>
DSP_HD dsp_mvec<T, W> operator+(dsp_mvec<T, W> a, dsp_mvec<T, W> b)
{
    dsp_mvec<T, W> r;
DSP_MIMO_UNROLL
    for (int l = 0; l < W; ++l)
        r.v[l] = a.v[l] + b.v[l];
    return r;
}
template <typename T, int W>
DSP_HD dsp_mvec<T, W> operator-(dsp_mvec<T, W> a, dsp_mvec<T, W> b)
{
    dsp_mvec<T, W> r;
DSP_MIMO_UNROLL
    for (int l = 0; l < W; ++l)
        r.v[l] = a.v[l] - b.v[l];
    return r;
}
template <typename T, int W>
DSP_HD dsp_mvec<T, W> operator*(dsp_mvec<T, W> a, dsp_mvec<T, W> b)
{
    dsp_mvec<T, W> r;
DSP_MIMO_UNROLL
    for (int l = 0; l < W; ++l)
        r.v[l] = a.v[l] * b.v[l];
    return r;
}
template <typename T>
struct dsp_mv {
    enum { W = 16 / (int)sizeof(T) };
    typedef dsp_mvec<T, 16 / sizeof(T)> V;
    DSP_MIMO_MHD static V load(const T *p)
    {
        V v;
DSP_MIMO_UNROLL
        for (int l = 0; l < W; ++l)
            v.v[l] = p[l];
        return v;
    }
    DSP_MIMO_MHD static void store(T *p, V v)
    {
DSP_MIMO_UNROLL
        for (int l = 0; l < W; ++l)
            p[l] = v.v[l];
    }
    DSP_MIMO_MHD static V set1(T a)
    {
        V v;
DSP_MIMO_UNROLL
        for (int l = 0; l < W; ++l)
            v.v[l] = a;
        return v;
    }
    DSP_MIMO_MHD static V zero() { return set1((T)0); }
};
#endif

/* Horizontal sum in a fixed tree: lanes l and l + h added for h = W/2, W/4, ..., 1. */
template <typename T>
DSP_HD T dsp_mimo_hsum(typename dsp_mv<T>::V v)
{
    const int W = dsp_mv<T>::W;
    T a[16 / sizeof(T)];
    dsp_mv<T>::store(a, v);
DSP_MIMO_UNROLL
    for (int h = W / 2; h >= 1; h >>= 1)
DSP_MIMO_UNROLL
        for (int l = 0; l < h; ++l)
            a[l] = a[l] + a[l + h];
    return a[0];
}

DSP_HD float dsp_mimo_cos(float a) { return cosf(a); }
DSP_HD double dsp_mimo_cos(double a) { return cos(a); }
DSP_HD float dsp_mimo_sin(float a) { return sinf(a); }
DSP_HD double dsp_mimo_sin(double a) { return sin(a); }
DSP_HD float dsp_mimo_atan2(float y, float x) { return atan2f(y, x); }
DSP_HD double dsp_mimo_atan2(double y, double x) { return atan2(y, x); }

/* Configuration shared by all items of a call. */
template <typename T>
struct dsp_mimo_cfg {
    int sps, ntaps;
    int64_t n_single, n_blind, n_train;
    T mu_blind, mu_dd, pll_mu;
    int n_rings;
    T r2[DSP_MIMO_MAX_RINGS], thr[DSP_MIMO_MAX_RINGS];
    int levels;  /* QAM levels per axis (decisions) */
    T d;         /* half the level spacing */
};

/* Nearest level of one axis. */
template <typename T>
DSP_HD T dsp_mimo_slice(T v, T scale, T half_l, int levels, T d)
{
    T t = dsp_clamp<T>(v * scale + half_l, (T)0, (T)(levels - 1));
    int k = (int)t;
    return (T)(2 * k - levels + 1) * d;
}

/* The chunk buffer: samples sps k0 - c + j, j = 0..len-1, of both polarizations, de-interleaved
 * (rows: x0 re, x0 im, x1 re, x1 im), zero outside 0..ns-1. */
template <typename T>
DSP_HD void dsp_mimo_fill(T (*buf)[DSP_MIMO_BUF], const T *x, int64_t ns, int64_t base, int len)
{
    for (int p = 0; p < 2; ++p) {
        const T *xp = x + 2 * ns * p;
        T *br = buf[2 * p], *bi = buf[2 * p + 1];
        if (base >= 0 && base + len <= ns) {
            const T *s = xp + 2 * base;
            for (int j = 0; j < len; ++j) {
                br[j] = s[2 * j];
                bi[j] = s[2 * j + 1];
            }
        } else {
            for (int j = 0; j < len; ++j) {
                int64_t i = base + j;
                bool in = i >= 0 && i < ns;
                br[j] = in ? xp[2 * i] : (T)0;
                bi[j] = in ? xp[2 * i + 1] : (T)0;
            }
        }
    }
}

/* Taps as vectors: hr[o][i][v], hi[o][i][v] (lane order). */
template <typename T, int NV>
struct dsp_mimo_taps {
    typename dsp_mv<T>::V hr[2][2][NV], hi[2][2][NV];
};

template <typename T, int NV>
DSP_HD void dsp_mimo_taps_get(const dsp_mimo_taps<T, NV> *t, T *re, T *im, int o, int i)
{
    const int W = dsp_mv<T>::W;
    for (int v = 0; v < NV; ++v) {
        dsp_mv<T>::store(re + v * W, t->hr[o][i][v]);
        dsp_mv<T>::store(im + v * W, t->hi[o][i][v]);
    }
}

template <typename T, int NV>
DSP_HD void dsp_mimo_taps_put(dsp_mimo_taps<T, NV> *t, const T *re, const T *im, int o, int i)
{
    const int W = dsp_mv<T>::W;
    for (int v = 0; v < NV; ++v) {
        t->hr[o][i][v] = dsp_mv<T>::load(re + v * W);
        t->hi[o][i][v] = dsp_mv<T>::load(im + v * W);
    }
}

/* Y taps from X taps (lane order is symmetric: l <-> ntaps - 1 - l). */
template <typename T, int NV>
DSP_HD void dsp_mimo_orthogonalize(dsp_mimo_taps<T, NV> *t, int ntaps)
{
    const int NP = NV * dsp_mv<T>::W;
    T ar[NP], ai[NP], br[NP], bi[NP];
    for (int i = 0; i < 2; ++i) {
        dsp_mimo_taps_get<T, NV>(t, ar, ai, 0, 1 - i);  /* i = 0: w_xy -> w_yx; i = 1: w_xx -> w_yy */
        T sg = i == 0 ? (T)-1 : (T)1;
        for (int l = 0; l < NP; ++l) {
            if (l < ntaps) {
                br[l] = sg * ar[ntaps - 1 - l];
                bi[l] = -(sg * ai[ntaps - 1 - l]);
            } else {
                br[l] = (T)0;
                bi[l] = (T)0;
            }
        }
        dsp_mimo_taps_put<T, NV>(t, br, bi, 1, i);
    }
}

/* One item, padded window NP = NV W. */
template <typename T, int NV>
DSP_HD int dsp_mimo_item_nv(const dsp_mimo_cfg<T> &cf, const T *x, int64_t ns, int64_t n_sym,
                            const T *ref, T *y, T *w, T *err, T *state, int64_t k_off)
{
    typedef dsp_mv<T> M;
    typedef typename M::V V;
    const int W = M::W, NP = NV * W;
    const int sps = cf.sps, ntaps = cf.ntaps, c = ntaps / 2;

    dsp_mimo_taps<T, NV> tp;
    {
        T re[NP], im[NP];
        for (int o = 0; o < 2; ++o)
            for (int i = 0; i < 2; ++i) {
                const T *wp = w + 2 * ntaps * (2 * o + i);
                for (int l = 0; l < NP; ++l) {
                    re[l] = l < ntaps ? wp[2 * (ntaps - 1 - l)] : (T)0;
                    im[l] = l < ntaps ? wp[2 * (ntaps - 1 - l) + 1] : (T)0;
                }
                dsp_mimo_taps_put<T, NV>(&tp, re, im, o, i);
            }
    }
    V mask[NV];
    {
        T m[NP];
        for (int l = 0; l < NP; ++l)
            m[l] = l < ntaps ? (T)1 : (T)0;
        for (int v = 0; v < NV; ++v)
            mask[v] = M::load(m + v * W);
    }
    const int vfull = ntaps / W; /* vectors 0..vfull-1 have no padding lane */

    T phi[2] = {state[0], state[1]};
    T sr[2] = {state[2], state[4]}, si[2] = {state[3], state[5]};
    T pc[2], ps[2];
    for (int o = 0; o < 2; ++o) {
        pc[o] = dsp_mimo_cos(phi[o]);
        ps[o] = dsp_mimo_sin(phi[o]);
    }
    const bool pll = cf.pll_mu != (T)0;
    const int64_t vv0 = cf.n_blind - (cf.n_blind < DSP_MIMO_VV_LEN ? cf.n_blind : DSP_MIMO_VV_LEN);
    const T scale = (T)1 / ((T)2 * cf.d), half_l = (T)0.5 * (T)cf.levels;

    T buf[4][DSP_MIMO_BUF];
    for (int64_t k0 = 0; k0 < n_sym; k0 += DSP_MIMO_CHUNK) {
        int len = (int)((n_sym - k0) < DSP_MIMO_CHUNK ? (n_sym - k0) : DSP_MIMO_CHUNK);
        dsp_mimo_fill<T>(buf, x, ns, sps * k0 - c, sps * (len - 1) + NP);
        for (int kk = 0; kk < len; ++kk) {
            const int64_t k = k0 + kk, g = k_off + k;
            if (g == cf.n_single && g > 0)
                dsp_mimo_orthogonalize<T, NV>(&tp, ntaps);
            if (g == cf.n_blind && g > 0) {
                for (int o = 0; o < 2; ++o) {
                    T th = dsp_mimo_atan2(-si[o], -sr[o]) * (T)0.25;
                    V vc = M::set1(dsp_mimo_cos(th)), vs = M::set1(dsp_mimo_sin(th));
                    for (int i = 0; i < 2; ++i)
                        for (int v = 0; v < NV; ++v) {
                            V a = tp.hr[o][i][v], b = tp.hi[o][i][v];
                            tp.hr[o][i][v] = a * vc + b * vs;
                            tp.hi[o][i][v] = b * vc - a * vs;
                        }
                }
            }
            const T *xb = &buf[0][0] + sps * kk;
            /* outputs */
            T yr[2], yi[2];
            for (int o = 0; o < 2; ++o) {
                V arr = M::zero(), aii = M::zero(), ari = M::zero(), air = M::zero();
DSP_MIMO_UNROLL
                for (int v = 0; v < NV; ++v)
DSP_MIMO_UNROLL
                    for (int i = 0; i < 2; ++i) {
                        V xr = M::load(xb + (2 * i) * DSP_MIMO_BUF + v * W);
                        V xi = M::load(xb + (2 * i + 1) * DSP_MIMO_BUF + v * W);
                        V hr = tp.hr[o][i][v], hi = tp.hi[o][i][v];
                        arr = arr + hr * xr;
                        aii = aii + hi * xi;
                        ari = ari + hr * xi;
                        air = air + hi * xr;
                    }
                yr[o] = dsp_mimo_hsum<T>(arr - aii);
                yi[o] = dsp_mimo_hsum<T>(ari + air);
            }
            /* errors */
            const bool blind = g < cf.n_blind;
            T gr[2], gi[2];
            for (int o = 0; o < 2; ++o) {
                T er, ei, cost, outr, outi, step;
                if (blind) {
                    T p = yr[o] * yr[o] + yi[o] * yi[o];
                    T r2 = cf.r2[0];
                    for (int r = 1; r < cf.n_rings; ++r)
                        r2 = p > cf.thr[r - 1] ? cf.r2[r] : r2;
                    T f = r2 - p;
                    er = yr[o] * f;
                    ei = yi[o] * f;
                    cost = f * f;
                    step = cf.mu_blind;
                    outr = yr[o];
                    outi = yi[o];
                    if (g >= vv0) {
                        T a = yr[o] * yr[o] - yi[o] * yi[o], b = (T)2 * (yr[o] * yi[o]);
                        sr[o] = sr[o] + (a * a - b * b);
                        si[o] = si[o] + (T)2 * (a * b);
                    }
                } else {
                    T zr = yr[o], zi = yi[o];
                    if (pll) {
                        zr = yr[o] * pc[o] + yi[o] * ps[o];
                        zi = yi[o] * pc[o] - yr[o] * ps[o];
                    }
                    T dr, di;
                    if (g < cf.n_train) {
                        dr = ref[2 * (n_sym * o + k)];
                        di = ref[2 * (n_sym * o + k) + 1];
                    } else {
                        dr = dsp_mimo_slice<T>(zr, scale, half_l, cf.levels, cf.d);
                        di = dsp_mimo_slice<T>(zi, scale, half_l, cf.levels, cf.d);
                    }
                    T ezr = dr - zr, ezi = di - zi;
                    cost = ezr * ezr + ezi * ezi;
                    if (pll) {
                        er = ezr * pc[o] - ezi * ps[o];
                        ei = ezr * ps[o] + ezi * pc[o];
                        T dl = cf.pll_mu * (zi * dr - zr * di);
                        phi[o] = phi[o] + dl;
                        if ((g & (DSP_MIMO_PLL_SYNC - 1)) == DSP_MIMO_PLL_SYNC - 1) {
                            pc[o] = dsp_mimo_cos(phi[o]);
                            ps[o] = dsp_mimo_sin(phi[o]);
                        } else { /* rotate the phasor by dl (Taylor to dl^5: exact in T for |dl| < 0.05) */
                            T d2 = dl * dl;
                            T cd = (T)1 - d2 * ((T)0.5 - d2 * ((T)1 / (T)24));
                            T sd = dl * ((T)1 - d2 * ((T)1 / (T)6 - d2 * ((T)1 / (T)120)));
                            T c0 = pc[o];
                            pc[o] = c0 * cd - ps[o] * sd;
                            ps[o] = ps[o] * cd + c0 * sd;
                        }
                    } else {
                        er = ezr;
                        ei = ezi;
                    }
                    step = cf.mu_dd;
                    outr = zr;
                    outi = zi;
                }
                y[2 * (n_sym * o + k)] = outr;
                y[2 * (n_sym * o + k) + 1] = outi;
                if (err)
                    err[n_sym * o + k] = cost;
                gr[o] = step * er;
                gi[o] = step * ei;
            }
            /* taps */
            const int o_hi = g < cf.n_single ? 1 : 2;
            V vgr[2] = {M::set1(gr[0]), M::set1(gr[1])}, vgi[2] = {M::set1(gi[0]), M::set1(gi[1])};
DSP_MIMO_UNROLL
            for (int v = 0; v < NV; ++v)
DSP_MIMO_UNROLL
                for (int i = 0; i < 2; ++i) {
                    V xr = M::load(xb + (2 * i) * DSP_MIMO_BUF + v * W);
                    V xi = M::load(xb + (2 * i + 1) * DSP_MIMO_BUF + v * W);
                    if (v >= vfull) {
                        xr = xr * mask[v];
                        xi = xi * mask[v];
                    }
                    for (int o = 0; o < o_hi; ++o) {
                        tp.hr[o][i][v] = tp.hr[o][i][v] + (vgr[o] * xr + vgi[o] * xi);
                        tp.hi[o][i][v] = tp.hi[o][i][v] + (vgi[o] * xr - vgr[o] * xi);
                    }
                }
        }
    }
    /* the switch may fall right after this call's last symbol: nothing to do until it is reached */
    {
        T re[NP], im[NP];
        for (int o = 0; o < 2; ++o)
            for (int i = 0; i < 2; ++i) {
                dsp_mimo_taps_get<T, NV>(&tp, re, im, o, i);
                T *wp = w + 2 * ntaps * (2 * o + i);
                for (int j = 0; j < ntaps; ++j) {
                    wp[2 * j] = re[ntaps - 1 - j];
                    wp[2 * j + 1] = im[ntaps - 1 - j];
                }
            }
    }
    state[0] = phi[0];
    state[1] = phi[1];
    state[2] = sr[0];
    state[3] = si[0];
    state[4] = sr[1];
    state[5] = si[1];
    return DSP_MIMO_OK;
}

/* Padded window length for ntaps taps: the next of 8, 16, 24, 32, 48, 64 (0 if ntaps > 64). */
DSP_HD int dsp_mimo_np(int ntaps)
{
    return ntaps <= 8 ? 8 : ntaps <= 16 ? 16 : ntaps <= 24 ? 24 : ntaps <= 32 ? 32 : ntaps <= 48 ? 48
         : ntaps <= 64 ? 64 : 0;
}

/* Item `item` of C-contiguous arrays: x (items, 2, ns) complex; ref, y (items, 2, n_sym) complex
 * (ref may be NULL when n_train <= n_blind or k_off >= n_train); w (items, 2, 2, ntaps) complex,
 * updated in place; err (items, 2, n_sym) real or NULL; state (items, DSP_MIMO_STATE), updated. */
template <typename T>
DSP_HD int dsp_mimo_item(const dsp_mimo_cfg<T> &cf, const T *x, int64_t ns, int64_t n_sym,
                         const T *ref, T *y, T *w, T *err, T *state, int64_t k_off, int64_t item)
{
    int64_t t_lo = cf.n_blind > k_off ? cf.n_blind : k_off;           /* training symbols of */
    int64_t t_hi = cf.n_train < k_off + n_sym ? cf.n_train : k_off + n_sym; /* this call      */
    if (cf.sps < 1 || cf.sps > 2 || cf.n_rings < 1 || cf.n_rings > DSP_MIMO_MAX_RINGS ||
        cf.levels < 2 || (ref == 0 && t_lo < t_hi))
        return DSP_MIMO_BAD_CONFIG;
    x += item * 4 * ns;
    y += item * 4 * n_sym;
    if (ref)
        ref += item * 4 * n_sym;
    if (err)
        err += item * 2 * n_sym;
    w += item * 8 * cf.ntaps;
    state += item * DSP_MIMO_STATE;
    const int W = dsp_mv<T>::W;
    switch (cf.ntaps < 1 ? 0 : dsp_mimo_np(cf.ntaps)) {
    case 8:
        return dsp_mimo_item_nv<T, 8 / W>(cf, x, ns, n_sym, ref, y, w, err, state, k_off);
    case 16:
        return dsp_mimo_item_nv<T, 16 / W>(cf, x, ns, n_sym, ref, y, w, err, state, k_off);
    case 24:
        return dsp_mimo_item_nv<T, 24 / W>(cf, x, ns, n_sym, ref, y, w, err, state, k_off);
    case 32:
        return dsp_mimo_item_nv<T, 32 / W>(cf, x, ns, n_sym, ref, y, w, err, state, k_off);
    case 48:
        return dsp_mimo_item_nv<T, 48 / W>(cf, x, ns, n_sym, ref, y, w, err, state, k_off);
    case 64:
        return dsp_mimo_item_nv<T, 64 / W>(cf, x, ns, n_sym, ref, y, w, err, state, k_off);
    default:
        return DSP_MIMO_BAD_TAPS;
    }
}

/* The configuration from scalars and the ring tables (r2: n_rings squared radii, increasing;
 * thr: n_rings - 1 squared thresholds). */
template <typename T>
DSP_HD void dsp_mimo_config(dsp_mimo_cfg<T> *cf, int sps, int ntaps, int64_t n_single,
                            int64_t n_blind, int64_t n_train, T mu_blind, T mu_dd, T pll_mu,
                            int n_rings, const T *r2, const T *thr, int levels, T d)
{
    cf->sps = sps;
    cf->ntaps = ntaps;
    cf->n_single = n_single;
    cf->n_blind = n_blind;
    cf->n_train = n_train;
    cf->mu_blind = mu_blind;
    cf->mu_dd = mu_dd;
    cf->pll_mu = pll_mu;
    cf->n_rings = n_rings;
    for (int r = 0; r < DSP_MIMO_MAX_RINGS; ++r) {
        cf->r2[r] = r < n_rings ? r2[r] : (T)0;
        cf->thr[r] = r + 1 < n_rings ? thr[r] : (T)0;
    }
    cf->levels = levels;
    cf->d = d;
}

#endif /* DSP_MIMO_H */

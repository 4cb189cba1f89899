/* Hard decision and error counting for Gray-labelled PAM and square QAM: per-symbol cores.
 *
 * Constellation convention (see dsp.modulation): PAM-M levels a_k = (2k - M + 1) d, k = 0..M-1,
 * labelled with the binary-reflected Gray code g(k) = k ^ (k >> 1). Square QAM-M is PAM-sqrt(M)
 * on I and on Q, label = (g(k_I) << b) | g(k_Q) with b = log2 sqrt(M) bits per axis.
 *
 * The decision for one axis works on the scaled coordinate t = y / (2 d) + M / 2, in which level
 * k spans [k, k + 1): k_hat = clamp(floor(t), 0, M - 1); NaN decides level 0. Bit errors between
 * indices k and k_hat are popcount(g(k) ^ g(k_hat)) = popcount(g(k ^ k_hat)): g is linear over XOR.
 */
#ifndef DSP_SLICER_H
#define DSP_SLICER_H

#include "dsp_common.h"
#include "rng.h"
#include "gauss.h"

DSP_HD uint32_t dsp_gray(uint32_t k) { return k ^ (k >> 1); }

template <typename T>
DSP_HD uint32_t dsp_decide(T t, int m)
{
    return (uint32_t)(int32_t)dsp_clamp<T>(t, (T)0, (T)(m - 1));
}

/* One received symbol against its transmitted Gray label. y points at `axes` reals (1: PAM;
 * 2: QAM, I then Q); m levels per axis, b = log2 m; scale = 1 / (2 d). Returns the bit errors;
 * the symbol is in error iff that is non-zero. */
template <typename T>
DSP_HD int dsp_slice_count(const T *y, uint32_t label, int axes, int m, int b, T scale)
{
    T half_m = (T)0.5 * (T)m;
    uint32_t hat = dsp_gray(dsp_decide<T>(y[0] * scale + half_m, m));
    if (axes == 2)
        hat = (hat << b) | dsp_gray(dsp_decide<T>(y[1] * scale + half_m, m));
    return dsp_popcount32(hat ^ label);
}

/* Fused AWGN Monte-Carlo symbol: draw symbol i of the stream keyed (k0, k1), add Gaussian noise,
 * decide, and return its bit errors; nothing touches memory.
 *
 * Philox item i: word 0 gives the level indices (I in bits 0..b-1, Q in bits b..2b-1), words 1-3
 * feed Box-Muller (I noise r cos, Q noise r sin). s = sigma / (2 d) is the per-axis noise standard
 * deviation in the scaled coordinate, where level k sits at k + 1/2. */
template <typename T, int AXES>
DSP_HD int dsp_awgn_errors(uint32_t w0, T zc, T zs, int m, int b, T s)
{
    uint32_t mask = (uint32_t)m - 1u;
    uint32_t ki = w0 & mask;
    int errors = dsp_popcount32(dsp_gray(ki ^ dsp_decide<T>((T)(int32_t)ki + (T)0.5 + s * zc, m)));
    if (AXES == 2) {
        uint32_t kq = (w0 >> b) & mask;
        errors += dsp_popcount32(dsp_gray(kq ^ dsp_decide<T>((T)(int32_t)kq + (T)0.5 + s * zs, m)));
    }
    return errors;
}

template <typename T, int AXES>
DSP_HD int dsp_awgn_symbol(uint64_t i, uint32_t k0, uint32_t k1, int m, int b, T s)
{
    dsp_u32x4 w = dsp_philox_item(i, k0, k1);
    T zc, zs;
    dsp_box_muller(w, &zc, &zs);
    return dsp_awgn_errors<T, AXES>(w.v[0], zc, zs, m, b, s);
}

#if !defined(__CUDACC_RTC__) && !defined(__CUDA_ARCH__)
/* Symbols first .. first+n-1 of the fused AWGN stream, on the CPU: adds their bit errors and
 * symbol errors to *bits and *symbols. The same arithmetic as dsp_awgn_symbol, staged over tiles
 * of DSP_TILE symbols so that each stage is a plain loop the compiler vectorizes. */
#define DSP_TILE DSP_GAUSS_TILE
template <typename T, int AXES>
static inline void dsp_awgn_block_axes(uint64_t first, int64_t n, uint32_t k0, uint32_t k1, int m,
                                       int b, T s, int64_t *bits, int64_t *symbols)
{
    uint32_t w0[DSP_TILE];
    T zc[DSP_TILE], zs[DSP_TILE];
    int64_t eb = 0, es = 0;
    for (int64_t t0 = 0; t0 < n; t0 += DSP_TILE) {
        int len = (int)((n - t0) < DSP_TILE ? (n - t0) : DSP_TILE);
        dsp_gauss_tile<T>(first + (uint64_t)t0, len, k0, k1, w0, zc, zs);
        for (int j = 0; j < len; ++j) {
            int e = dsp_awgn_errors<T, AXES>(w0[j], zc[j], zs[j], m, b, s);
            eb += e;
            es += (e != 0);
        }
    }
    *bits += eb;
    *symbols += es;
}

template <typename T>
static inline void dsp_awgn_block(uint64_t first, int64_t n, uint32_t k0, uint32_t k1, int axes,
                                  int m, int b, T s, int64_t *bits, int64_t *symbols)
{
    if (axes == 2)
        dsp_awgn_block_axes<T, 2>(first, n, k0, k1, m, b, s, bits, symbols);
    else
        dsp_awgn_block_axes<T, 1>(first, n, k0, k1, m, b, s, bits, symbols);
}
#endif

#endif /* DSP_SLICER_H */

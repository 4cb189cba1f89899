/* Standard normal variates from the counter-based Philox stream, for noise arrays.
 *
 * Pair i of the stream keyed by (k0, k1) is Box-Muller of the Philox block of counter i
 * (dsp_philox_item), so any slice of a noise array can be drawn independently and the result is
 * the same whatever the thread count or device: element 2i is the cosine branch, 2i + 1 the sine
 * branch. Shared by kernels/cpu/noise.pyx and kernels/cuda/noise.cu. */
#ifndef DSP_GAUSS_H
#define DSP_GAUSS_H

#include "rng.h"

template <typename T>
DSP_HD void dsp_normal_pair(uint64_t i, uint32_t k0, uint32_t k1, T *z0, T *z1)
{
    dsp_box_muller(dsp_philox_item(i, k0, k1), z0, z1);
}

#if !defined(__CUDACC_RTC__) && !defined(__CUDA_ARCH__)
#define DSP_GAUSS_TILE 64
/* Items first .. first + len - 1 (len <= DSP_GAUSS_TILE) on the CPU: their first Philox word in
 * w0[] and their Box-Muller pair in zc[], zs[]. The same arithmetic as dsp_normal_pair, in two
 * plain loops (Philox rounds, then the transform) that g++ vectorizes. Used by dsp_normal_block
 * and by the fused AWGN counter (slicer.h), which also needs w0 for the symbol's label. */
template <typename T>
static inline void dsp_gauss_tile(uint64_t first, int len, uint32_t k0, uint32_t k1, uint32_t *w0, T *zc, T *zs)
{
    uint32_t w1[DSP_GAUSS_TILE], w2[DSP_GAUSS_TILE], w3[DSP_GAUSS_TILE];
    for (int j = 0; j < len; ++j) {
        dsp_u32x4 w = dsp_philox_item(first + (uint64_t)j, k0, k1);
        w0[j] = w.v[0]; w1[j] = w.v[1]; w2[j] = w.v[2]; w3[j] = w.v[3];
    }
    for (int j = 0; j < len; ++j) {
        dsp_u32x4 w;
        w.v[0] = w0[j]; w.v[1] = w1[j]; w.v[2] = w2[j]; w.v[3] = w3[j];
        dsp_box_muller(w, &zc[j], &zs[j]);
    }
}

/* Pairs first .. first + npairs - 1 into out[0 .. 2 npairs - 1], tile by tile. */
template <typename T>
static inline void dsp_normal_block(uint64_t first, int64_t npairs, uint32_t k0, uint32_t k1, T *out)
{
    uint32_t w0[DSP_GAUSS_TILE];
    T zc[DSP_GAUSS_TILE], zs[DSP_GAUSS_TILE];
    for (int64_t t0 = 0; t0 < npairs; t0 += DSP_GAUSS_TILE) {
        int len = (int)((npairs - t0) < DSP_GAUSS_TILE ? (npairs - t0) : DSP_GAUSS_TILE);
        dsp_gauss_tile<T>(first + (uint64_t)t0, len, k0, k1, w0, zc, zs);
        T *o = out + 2 * t0;
        for (int j = 0; j < len; ++j) {
            o[2 * j] = zc[j];
            o[2 * j + 1] = zs[j];
        }
    }
}
#endif

#endif /* DSP_GAUSS_H */

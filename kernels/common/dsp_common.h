/* Portability layer for the per-item cores shared by the Cython (g++) and CUDA (NVCC/NVRTC) kernels.
 *
 * Every core in kernels/common is a C++ `DSP_HD` function (templated or overloaded on the sample
 * type) over one item: one symbol, one codeword, one stream. Under g++ it is `static inline`,
 * called from a Cython `prange` loop; under NVCC or NVRTC it is `__host__ __device__`, called from
 * a CUDA thread. Cores never allocate, print or raise.
 */
#ifndef DSP_COMMON_H
#define DSP_COMMON_H

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define DSP_HD __host__ __device__ __forceinline__
#else
#define DSP_HD static inline
#endif

#if defined(__CUDACC_RTC__)
/* NVRTC ships no libc headers. */
typedef unsigned char uint8_t;
typedef unsigned int uint32_t;
typedef int int32_t;
typedef unsigned long long uint64_t;
typedef long long int64_t;
#else
#include <cstdint>
#include <cmath>
#endif

DSP_HD int dsp_popcount32(uint32_t x)
{
#if defined(__CUDA_ARCH__)
    return __popc(x);
#else
    /* SWAR count: vectorizes without the POPCNT instruction. */
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (int)((x * 0x01010101u) >> 24);
#endif
}

/* Bit casts between float and uint32. */
DSP_HD uint32_t dsp_f2u(float x)
{
#if defined(__CUDA_ARCH__)
    return __float_as_uint(x);
#else
    uint32_t u;
    __builtin_memcpy(&u, &x, sizeof u);
    return u;
#endif
}

DSP_HD float dsp_u2f(uint32_t u)
{
#if defined(__CUDA_ARCH__)
    return __uint_as_float(u);
#else
    float x;
    __builtin_memcpy(&x, &u, sizeof x);
    return x;
#endif
}

/* Branch-free select and clamp (NaN clamps to lo), so that loops over items vectorize. */
template <typename T>
DSP_HD T dsp_clamp(T x, T lo, T hi)
{
    x = (x > lo) ? x : lo;
    return (x < hi) ? x : hi;
}

#endif /* DSP_COMMON_H */

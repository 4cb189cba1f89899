// GPU kernels: standard normal noise arrays from the counter-based Philox stream.
//
// The per-pair algorithm is kernels/common/gauss.h, shared with kernels/cpu/noise.pyx; element
// 2i and 2i + 1 of the output come from pair first_pair + i, so CPU and GPU draw the same numbers.
#include "gauss.h"

template <typename T>
__device__ void dsp_normal_fill(T *out, long long n, unsigned long long first, unsigned int k0, unsigned int k1)
{
    long long pairs = (n + 1) / 2;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < pairs;
         i += (long long)gridDim.x * blockDim.x) {
        T z0, z1;
        dsp_normal_pair<T>(first + (unsigned long long)i, k0, k1, &z0, &z1);
        out[2 * i] = z0;
        if (2 * i + 1 < n)
            out[2 * i + 1] = z1;
    }
}

extern "C" __global__ void normal_fill_f32(float *out, long long n, unsigned long long first, unsigned int k0,
                                           unsigned int k1)
{
    dsp_normal_fill<float>(out, n, first, k0, k1);
}

extern "C" __global__ void normal_fill_f64(double *out, long long n, unsigned long long first, unsigned int k0,
                                           unsigned int k1)
{
    dsp_normal_fill<double>(out, n, first, k0, k1);
}

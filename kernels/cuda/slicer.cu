// GPU kernels: slicer-and-error-counter and fused AWGN generator for Gray PAM / square QAM.
//
// The per-symbol algorithm is kernels/common/slicer.h, shared with kernels/cpu/slicer.pyx; this
// file only maps symbols to threads and reduces the counts. Compiled at run time by NVRTC through
// cupy.RawModule (dsp._ops.gpu), with kernels/common on the include path; CI compiles it with nvcc.
// counts[0] += bit errors, counts[1] += symbol errors (unsigned long long, zeroed by the caller).
#include "slicer.h"

__device__ __forceinline__ void dsp_reduce_add(unsigned long long bits, unsigned long long syms,
                                               unsigned long long *counts)
{
    for (int off = 16; off > 0; off >>= 1) {
        bits += __shfl_down_sync(0xffffffffu, bits, off);
        syms += __shfl_down_sync(0xffffffffu, syms, off);
    }
    __shared__ unsigned long long sb[32], ss[32];
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) { sb[warp] = bits; ss[warp] = syms; }
    __syncthreads();
    if (warp == 0) {
        int nw = (blockDim.x + 31) >> 5;
        bits = lane < nw ? sb[lane] : 0ull;
        syms = lane < nw ? ss[lane] : 0ull;
        for (int off = 16; off > 0; off >>= 1) {
            bits += __shfl_down_sync(0xffffffffu, bits, off);
            syms += __shfl_down_sync(0xffffffffu, syms, off);
        }
        if (lane == 0) {
            atomicAdd(&counts[0], bits);
            atomicAdd(&counts[1], syms);
        }
    }
}

template <typename T>
__device__ void slice_count_impl(const T *y, const uint8_t *labels, long long n, int axes, int m,
                                 int b, T scale, unsigned long long *counts)
{
    unsigned long long bits = 0, syms = 0;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        int e = dsp_slice_count<T>(y + i * axes, labels[i], axes, m, b, scale);
        bits += e;
        syms += (e != 0);
    }
    dsp_reduce_add(bits, syms, counts);
}

template <typename T, int AXES>
__device__ void awgn_count_impl(unsigned long long first, long long n, unsigned int k0,
                                unsigned int k1, int m, int b, T s, unsigned long long *counts)
{
    unsigned long long bits = 0, syms = 0;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < n;
         i += (long long)gridDim.x * blockDim.x) {
        int e = dsp_awgn_symbol<T, AXES>(first + (unsigned long long)i, k0, k1, m, b, s);
        bits += e;
        syms += (e != 0);
    }
    dsp_reduce_add(bits, syms, counts);
}

extern "C" {

__global__ void slice_count_f32(const float *y, const uint8_t *labels, long long n, int axes, int m,
                                int b, float scale, unsigned long long *counts)
{
    slice_count_impl<float>(y, labels, n, axes, m, b, scale, counts);
}

__global__ void slice_count_f64(const double *y, const uint8_t *labels, long long n, int axes,
                                int m, int b, double scale, unsigned long long *counts)
{
    slice_count_impl<double>(y, labels, n, axes, m, b, scale, counts);
}

__global__ void awgn_count_f32(unsigned long long first, long long n, unsigned int k0,
                               unsigned int k1, int axes, int m, int b, float s,
                               unsigned long long *counts)
{
    if (axes == 2) awgn_count_impl<float, 2>(first, n, k0, k1, m, b, s, counts);
    else awgn_count_impl<float, 1>(first, n, k0, k1, m, b, s, counts);
}

__global__ void awgn_count_f64(unsigned long long first, long long n, unsigned int k0,
                               unsigned int k1, int axes, int m, int b, double s,
                               unsigned long long *counts)
{
    if (axes == 2) awgn_count_impl<double, 2>(first, n, k0, k1, m, b, s, counts);
    else awgn_count_impl<double, 1>(first, n, k0, k1, m, b, s, counts);
}

}  // extern "C"

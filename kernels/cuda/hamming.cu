// GPU kernels: Chase-II / hard-decision decoding of binary single-error-correcting codes.
//
// The algorithm is kernels/common/hamming.h (dsp_hamming_chase_one), shared with
// kernels/cpu/hamming.pyx; this file maps one codeword to one thread (grid-stride loop).
// llr and bits (frames x (n + pairs), see hamming.h) are row-major, as on the CPU; cols (n) holds the
// parity-check columns and table (2^m) the syndrome -> position table. Compiled at run time by
// NVRTC through cupy.RawModule, with kernels/common on the include path; CI compiles it with nvcc
// for sm_90.
#include "hamming.h"

template <typename T>
__device__ __forceinline__ void hamming_run(const T *llr, uint8_t *bits, signed char *status, long long frames,
                                            int n, int pairs, const uint32_t *cols, const int16_t *table,
                                            int p)
{
    for (long long f = blockIdx.x * (long long)blockDim.x + threadIdx.x; f < frames;
         f += (long long)gridDim.x * blockDim.x)
        status[f] = (signed char)dsp_hamming_chase_one<T>(llr + f * (n + pairs), n, pairs, cols, table, p,
                                                            bits + f * (n + pairs));
}

extern "C" {

__global__ void hamming_chase_f32(const float *llr, uint8_t *bits, signed char *status, long long frames, int n,
                                  int pairs, const uint32_t *cols, const int16_t *table, int p)
{
    hamming_run<float>(llr, bits, status, frames, n, pairs, cols, table, p);
}

__global__ void hamming_chase_f64(const double *llr, uint8_t *bits, signed char *status, long long frames, int n,
                                  int pairs, const uint32_t *cols, const int16_t *table, int p)
{
    hamming_run<double>(llr, bits, status, frames, n, pairs, cols, table, p);
}

}  // extern "C"

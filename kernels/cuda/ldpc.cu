// GPU kernels: LDPC decoding by layered normalized / offset min-sum with early termination.
//
// The algorithm is kernels/common/ldpc.h (dsp_ldpc_decode_one), shared with kernels/cpu/ldpc.pyx;
// this file maps one frame to one thread (grid-stride loop). The state is lane-major, passed in
// by the host (dsp._ops.gpu) so that no device memory is allocated here: L (n x frames) holds the
// channel LLRs on entry and the final a posteriori LLRs on exit, R (edges x frames) is zero on
// entry; element j of frame f is at j * frames + f, so that the threads of a warp read
// neighbouring addresses. Compiled at run time by NVRTC through cupy.RawModule, with
// kernels/common on the include path; CI compiles it with nvcc for sm_90.
#include "ldpc.h"

template <typename T>
__device__ __forceinline__ void ldpc_run(T *L, T *R, int32_t *iterations, uint8_t *converged, long long frames,
                                         int n, int m, const int32_t *row_ptr, const int32_t *col_idx,
                                         int max_iter, T alpha, T beta, int early)
{
    const dsp_ldpc_code c = dsp_ldpc_make_code(n, m, row_ptr, col_idx);
    for (long long f = blockIdx.x * (long long)blockDim.x + threadIdx.x; f < frames;
         f += (long long)gridDim.x * blockDim.x)
        dsp_ldpc_decode_one<T>(&c, L + f, R + f, frames, max_iter, alpha, beta, early, iterations + f,
                               converged + f);
}

extern "C" {

__global__ void ldpc_decode_f32(float *L, float *R, int32_t *iterations, uint8_t *converged, long long frames,
                                int n, int m, const int32_t *row_ptr, const int32_t *col_idx, int max_iter,
                                float alpha, float beta, int early)
{
    ldpc_run<float>(L, R, iterations, converged, frames, n, m, row_ptr, col_idx, max_iter, alpha, beta, early);
}

__global__ void ldpc_decode_f64(double *L, double *R, int32_t *iterations, uint8_t *converged, long long frames,
                                int n, int m, const int32_t *row_ptr, const int32_t *col_idx, int max_iter,
                                double alpha, double beta, int early)
{
    ldpc_run<double>(L, R, iterations, converged, frames, n, m, row_ptr, col_idx, max_iter, alpha, beta, early);
}

}  // extern "C"

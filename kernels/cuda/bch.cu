// GPU kernels: binary BCH (t = 3) component codes and the staircase code built from them.
//
// The per-codeword algorithms are kernels/common/bch.h, shared with kernels/cpu/bch.pyx. BCH:
// one codeword per thread (grid-stride loops). Staircase: one CUDA block per stream and one thread
// per row of a block (blockDim.x >= R); the rows of one block are decoded in parallel (their
// codewords share no bit; syndromes of neighbouring blocks are updated with atomicXor), blocks one
// after the other with __syncthreads() between passes, so the result equals the CPU's exactly.
// Compiled at run time by NVRTC through cupy.RawModule (dsp._ops.gpu), kernels/common on the
// include path; CI compiles it with nvcc for sm_90.
#include "bch.h"

#define DSP_BCH_ARGS                                                                                     \
    int m, int n, int k, const uint32_t *h, const uint32_t *par, const int16_t *pos_of,                  \
        const int32_t *log_t, const unsigned short *exp_t, const unsigned short *quad, const uint32_t *cubic

extern "C" {

__global__ void bch_encode(const uint8_t *msg, uint8_t *out, long long rows, DSP_BCH_ARGS)
{
    const dsp_bch_code c = dsp_bch_make_code(m, n, k, h, par, pos_of, log_t, exp_t, quad, cubic);
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < rows;
         i += (long long)gridDim.x * blockDim.x)
        dsp_bch_encode_one(&c, msg + i * k, out + i * n);
}

__global__ void bch_decode(const uint8_t *received, uint8_t *out, int32_t *n_corrected, uint8_t *failed,
                           long long rows, DSP_BCH_ARGS)
{
    const dsp_bch_code c = dsp_bch_make_code(m, n, k, h, par, pos_of, log_t, exp_t, quad, cubic);
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < rows;
         i += (long long)gridDim.x * blockDim.x) {
        const int nu = dsp_bch_decode_one(&c, received + i * n, out + i * n);
        n_corrected[i] = nu > 0 ? nu : 0;
        failed[i] = nu < 0 ? 1 : 0;
    }
}

__global__ void bch_syndromes(const uint8_t *words, uint32_t *out, long long rows, int n, const uint32_t *h)
{
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < rows;
         i += (long long)gridDim.x * blockDim.x)
        out[i] = dsp_bch_mask_xor(h, words + i * n, n);
}

// info (S, L*R*(C - (n-k))), blocks (S, L*R*C); block s = stream s.
__global__ void sc_encode(const uint8_t *info, uint8_t *blocks, int R, int C, int L, const int32_t *colof,
                          const int32_t *rowof, DSP_BCH_ARGS)
{
    const dsp_bch_code c = dsp_bch_make_code(m, n, k, h, par, pos_of, log_t, exp_t, quad, cubic);
    const dsp_sc_geom g = dsp_sc_make_geom(R, C, L, colof, rowof);
    const long long s = blockIdx.x;
    const int ki = C - (n - k);
    const uint8_t *in = info + s * (long long)L * R * ki;
    uint8_t *bl = blocks + s * (long long)L * R * C;
    for (int j = 0; j < L; ++j) {
        for (int r = threadIdx.x; r < R; r += blockDim.x)
            dsp_sc_encode_row(&c, &g, in + ((long long)j * R + r) * ki, bl, j, r);
        __syncthreads();
    }
}

// blocks (S, L*R*C) decoded in place, syn (S, L*R) final syndromes, flips (S,) bit flips.
__global__ void sc_decode(uint8_t *blocks, uint32_t *syn, long long *flips, int R, int C, int L,
                          const int32_t *colof, const int32_t *rowof, int window, int iterations, DSP_BCH_ARGS)
{
    const dsp_bch_code c = dsp_bch_make_code(m, n, k, h, par, pos_of, log_t, exp_t, quad, cubic);
    const dsp_sc_geom g = dsp_sc_make_geom(R, C, L, colof, rowof);
    const long long s = blockIdx.x;
    uint8_t *bl = blocks + s * (long long)L * R * C;
    uint32_t *sy = syn + s * (long long)L * R;
    for (long long i = threadIdx.x; i < (long long)L * R; i += blockDim.x)
        sy[i] = dsp_sc_row_syndrome(&c, &g, bl, (int)(i / R), (int)(i % R));
    __syncthreads();
    long long my_flips = 0;
    for (int e = 0; e < L + window - 1; ++e) {
        const int j0 = e - window + 1 > 0 ? e - window + 1 : 0;
        const int j1 = e < L - 1 ? e : L - 1;
        for (int it = 0; it < iterations; ++it) {
            int changed = 0;
            for (int j = j0; j <= j1; ++j) {
                for (int r = threadIdx.x; r < R; r += blockDim.x) {
                    const int nu = dsp_sc_decode_row(&c, &g, bl, sy, j, r);
                    if (nu > 0) {
                        changed = 1;
                        my_flips += nu;
                    }
                }
                __syncthreads();
            }
            if (!__syncthreads_or(changed))
                break;
        }
    }
    if (my_flips)
        atomicAdd((unsigned long long *)(flips + s), (unsigned long long)my_flips);
}

}  // extern "C"

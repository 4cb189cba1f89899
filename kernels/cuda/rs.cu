// GPU kernels: Reed-Solomon encoding and decoding over GF(2^m), and symbol-error counting.
//
// The per-codeword algorithms are kernels/common/rs.h, shared with kernels/cpu/rs.pyx; this file
// maps one codeword to one thread (grid-stride loops) and, for the counting path, one line symbol
// to one thread. The GF(2^m) and generator tables come from the host (dsp.fec.rs), so no device
// code needs static initialisation. Compiled at run time by NVRTC through cupy.RawModule
// (dsp._ops.gpu), with kernels/common on the include path; CI compiles it with nvcc for sm_90.
//
// status (one int, zeroed by the caller) gets bit 1 (DSP_RS_BAD_SYMBOL) when a symbol >= 2^m was
// seen; counts (int, zeroed by the caller) are incremented atomically.
#include "rs.h"

extern "C" {

__global__ void rs_encode(const dsp_rs_sym *msg, dsp_rs_sym *out, long long rows, int m, int n, int k,
                          int first_root, int h, int w, const int32_t *log_t, const dsp_rs_sym *exp_t,
                          const dsp_rs_sym *gen_lo, const dsp_rs_sym *gen_hi, int *status)
{
    const dsp_rs_code c = dsp_rs_make_code(m, n, k, first_root, h, w, log_t, exp_t, gen_lo, gen_hi);
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < rows;
         i += (long long)gridDim.x * blockDim.x) {
        const int st = dsp_rs_encode_one(&c, msg + i * k, out + i * n);
        if (st & DSP_RS_BAD_SYMBOL)
            atomicOr(status, DSP_RS_BAD_SYMBOL);
    }
}

__global__ void rs_decode(const dsp_rs_sym *received, dsp_rs_sym *out, int32_t *n_corrected,
                          uint8_t *failed, long long rows, int m, int n, int k, int first_root, int h,
                          int w, const int32_t *log_t, const dsp_rs_sym *exp_t,
                          const dsp_rs_sym *gen_lo, const dsp_rs_sym *gen_hi, int *status)
{
    const dsp_rs_code c = dsp_rs_make_code(m, n, k, first_root, h, w, log_t, exp_t, gen_lo, gen_hi);
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < rows;
         i += (long long)gridDim.x * blockDim.x) {
        const int st = dsp_rs_decode_one(&c, received + i * n, out + i * n, n_corrected + i);
        failed[i] = (uint8_t)(st & DSP_RS_FAILED);
        if (st & DSP_RS_BAD_SYMBOL)
            atomicOr(status, DSP_RS_BAD_SYMBOL);
    }
}

// bits (rows, L), one byte per bit; counts (rows, groups * ways). Thread per counted line symbol.
__global__ void rs_count_u8(const uint8_t *bits, int *counts, long long rows, long long L,
                            long long groups, int m, int n, int ways)
{
    const long long per_row = groups * (long long)n * ways, total = rows * per_row;
    for (long long s = blockIdx.x * (long long)blockDim.x + threadIdx.x; s < total;
         s += (long long)gridDim.x * blockDim.x) {
        const long long row = s / per_row, j = s - row * per_row;
        if (dsp_rs_symbol_err_u8(bits + row * L + j * m, m)) {
            const long long g = j / ((long long)n * ways);
            atomicAdd(counts + (row * groups + g) * ways + (int)(j % ways), 1);
        }
    }
}

// packed (rows, row_bytes), np.packbits order; otherwise as rs_count_u8.
__global__ void rs_count_packed(const uint8_t *packed, int *counts, long long rows,
                                long long row_bytes, long long groups, int m, int n, int ways)
{
    const long long per_row = groups * (long long)n * ways, total = rows * per_row;
    for (long long s = blockIdx.x * (long long)blockDim.x + threadIdx.x; s < total;
         s += (long long)gridDim.x * blockDim.x) {
        const long long row = s / per_row, j = s - row * per_row;
        if (dsp_rs_symbol_err_packed(packed + row * row_bytes, j * m, m)) {
            const long long g = j / ((long long)n * ways);
            atomicAdd(counts + (row * groups + g) * ways + (int)(j % ways), 1);
        }
    }
}

}  // extern "C"

// GPU kernels: carrier phase recovery by blind phase search (BPS) for square QAM.
//
// The algorithm is kernels/common/cpr.h, shared with kernels/cpu/cpr.pyx; this file only maps
// work to threads. Compiled at run time by NVRTC through cupy.RawModule (dsp._ops.gpu), with
// kernels/common on the include path; CI compiles it with nvcc.
//
// bps_decide_*: one thread per (stream, block of DSP_BPS_BLOCK symbols), grid-stride. The thread
// recomputes the leaving row of the window sum instead of keeping a ring (cpr.h: same bits).
// x (rows, 2n) interleaved complex; dec (srows, n) uint8, srows = rows (independent) or rows / 2
// (joint: rows 2i and 2i + 1 together); ct, st: dsp_bps_lanes(B) table entries; codes (srows)
// receive the largest per-block code (0: success).
//
// bps_apply_*: one thread per symbol. m (srows, n) int64 is the unwrap's quadrant count (the
// prefix sum of dsp_bps_step over each decision row, computed by dsp._ops.gpu); y (rows, 2n),
// phase (rows, n).
#include "cpr.h"

template <typename T, bool JOINT>
__device__ void bps_decide_impl(const T *x, long long n, long long srows, int W, const T *ct,
                                const T *st, int B, T scale, T h, T lmax, unsigned char *dec,
                                int *codes)
{
    long long nblk = (n + DSP_BPS_BLOCK - 1) / DSP_BPS_BLOCK;
    long long items = srows * nblk;
    for (long long u = blockIdx.x * (long long)blockDim.x + threadIdx.x; u < items;
         u += (long long)gridDim.x * blockDim.x) {
        long long r = u / nblk, blk = u - r * nblk;
        const T *x0 = x + (JOINT ? 2 * r : r) * 2 * n;
        const T *x1 = JOINT ? x0 + 2 * n : (const T *)0;
        int c = dsp_bps_block<T, JOINT>(x0, x1, n, blk, W, ct, st, B, scale, h, lmax, (T *)0, 0,
                                        dec + r * n);
        if (c)
            atomicMax(codes + r, c);
    }
}

template <typename T>
__device__ void bps_apply_impl(const T *x, const unsigned char *dec, const long long *m, int joint,
                               const T *ct, const T *st, int B, T *y, T *phase, long long rows,
                               long long n)
{
    long long total = rows * n;
    for (long long i = blockIdx.x * (long long)blockDim.x + threadIdx.x; i < total;
         i += (long long)gridDim.x * blockDim.x) {
        long long r = i / n, k = i - r * n;
        long long dr = joint ? r / 2 : r;
        int b = (int)dec[dr * n + k];
        long long mm = m[dr * n + k];
        dsp_bps_rotate<T>(x[2 * i], x[2 * i + 1], b, mm, ct, st, y + 2 * i);
        phase[i] = dsp_bps_phase<T>(mm, b, B);
    }
}

extern "C" {

#define DSP_BPS_DECIDE_KERNEL(NAME, T, JOINT)                                                    \
    __global__ void NAME(const T *x, long long n, long long srows, int W, const T *ct,            \
                         const T *st, int B, T scale, T h, T lmax, unsigned char *dec, int *codes) \
    {                                                                                            \
        bps_decide_impl<T, JOINT>(x, n, srows, W, ct, st, B, scale, h, lmax, dec, codes);         \
    }

DSP_BPS_DECIDE_KERNEL(bps_decide_f32, float, false)
DSP_BPS_DECIDE_KERNEL(bps_decide_f32_joint, float, true)
DSP_BPS_DECIDE_KERNEL(bps_decide_f64, double, false)
DSP_BPS_DECIDE_KERNEL(bps_decide_f64_joint, double, true)

__global__ void bps_apply_f32(const float *x, const unsigned char *dec, const long long *m,
                              int joint, const float *ct, const float *st, int B, float *y,
                              float *phase, long long rows, long long n)
{
    bps_apply_impl<float>(x, dec, m, joint, ct, st, B, y, phase, rows, n);
}

__global__ void bps_apply_f64(const double *x, const unsigned char *dec, const long long *m,
                              int joint, const double *ct, const double *st, int B, double *y,
                              double *phase, long long rows, long long n)
{
    bps_apply_impl<double>(x, dec, m, joint, ct, st, B, y, phase, rows, n);
}

}  // extern "C"

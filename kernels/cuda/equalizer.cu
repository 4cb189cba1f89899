// GPU kernels: adaptive LMS equalizer (FFE / DFE / partial-response FFE) and MLSE (Viterbi).
//
// The per-row algorithms are kernels/common/equalizer.h, shared with kernels/cpu/equalizer.pyx;
// this file only maps rows to threads (one thread per row). Compiled at run time by NVRTC through
// cupy.RawModule (dsp._ops.gpu), with kernels/common on the include path; CI compiles it with nvcc.
// codes[row] receives the core's return code (0: success).
//
// Layouts (C-contiguous, as dsp._ops.gpu passes them): y (batch, ns) input samples; ref and z
// (batch, n_sym); mu_train, mu_dd (batch); target (4); v (batch, np); b (batch, 3); dec
// (batch, n_sym) or NULL. MLSE: y and out (batch, n); h (batch, 3); c (batch).
#include "equalizer.h"

template <typename T>
__device__ void lms_impl(const T *y, long long ns, long long n_sym, int sps, int ntaps, int np,
                         long long n_train, const T *ref, const T *mu_train, const T *mu_dd, int nb,
                         const T *target, int m, T d, T *v, T *b, T *z, unsigned char *dec,
                         int batch, int *codes)
{
    int row = blockIdx.x * blockDim.x + threadIdx.x;
    if (row >= batch)
        return;
    codes[row] = dsp_lms_rows<T>(y, ns, n_sym, sps, ntaps, np, n_train, ref, mu_train, mu_dd, nb,
                                 target, m, d, v, b, z, dec, (long long)row, 1);
}

template <typename T, int M, int MEM>
__device__ void mlse_impl(const T *y, long long n, long long n_train, const T *h, const T *c, T d,
                          unsigned char *out, int batch, int *codes)
{
    int row = blockIdx.x * blockDim.x + threadIdx.x;
    if (row >= batch)
        return;
    long long r = row;
    if (n_train < MEM || n_train > n) {
        codes[row] = DSP_EQ_BAD_CONFIG;
        return;
    }
    dsp_mlse_row_t<T, M, MEM, true>(y + r * n, n, n_train, h + r * 3, c[row], d, out + r * n);
    codes[row] = DSP_EQ_OK;
}

extern "C" {

__global__ void lms_f32(const float *y, long long ns, long long n_sym, int sps, int ntaps,
                        int np, long long n_train, const float *ref, const float *mu_train,
                        const float *mu_dd, int nb, const float *target, int m, float d, float *v,
                        float *b, float *z, unsigned char *dec, int batch, int *codes)
{
    lms_impl<float>(y, ns, n_sym, sps, ntaps, np, n_train, ref, mu_train, mu_dd, nb, target, m,
                    d, v, b, z, dec, batch, codes);
}

__global__ void lms_f64(const double *y, long long ns, long long n_sym, int sps, int ntaps,
                        int np, long long n_train, const double *ref, const double *mu_train,
                        const double *mu_dd, int nb, const double *target, int m, double d,
                        double *v, double *b, double *z, unsigned char *dec, int batch, int *codes)
{
    lms_impl<double>(y, ns, n_sym, sps, ntaps, np, n_train, ref, mu_train, mu_dd, nb, target, m,
                     d, v, b, z, dec, batch, codes);
}

// One entry point per (levels, memory, precision): mlse_m<levels>_k<memory>_f32 / _f64, so that
// each kernel's local frame (survivor ring, expectations) is only as large as its trellis needs.
#define DSP_MLSE_KERNEL(MM, KK, T, SUFFIX)                                                       \
    __global__ void mlse_m##MM##_k##KK##_##SUFFIX(const T *y, long long n, long long n_train,      \
                                                  const T *h, const T *c, T d, unsigned char *out, \
                                                  int batch, int *codes)                         \
    {                                                                                            \
        mlse_impl<T, MM, KK>(y, n, n_train, h, c, d, out, batch, codes);                         \
    }

#define DSP_MLSE_KERNELS(MM, KK)                                                                 \
    DSP_MLSE_KERNEL(MM, KK, float, f32)                                                          \
    DSP_MLSE_KERNEL(MM, KK, double, f64)

DSP_MLSE_KERNELS(2, 1)
DSP_MLSE_KERNELS(2, 2)
DSP_MLSE_KERNELS(4, 1)
DSP_MLSE_KERNELS(4, 2)
DSP_MLSE_KERNELS(8, 1)
DSP_MLSE_KERNELS(8, 2)
DSP_MLSE_KERNELS(16, 1)

}  // extern "C"

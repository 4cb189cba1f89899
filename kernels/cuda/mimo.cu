// GPU kernel: 2x2 MIMO adaptive equalizer (CMA / RDE / DD-LMS) of dual-polarization frames.
//
// The per-item algorithm is kernels/common/mimo.h, shared with kernels/cpu/mimo.pyx; this file
// only maps items to threads (one thread per item). Compiled at run time by NVRTC through
// cupy.RawModule (dsp._ops.gpu), with kernels/common on the include path; CI compiles it with nvcc.
// codes[item] receives the core's return code (0: success).
//
// Layouts (C-contiguous, complex arrays as interleaved re, im): x (items, 2, ns); ref and y
// (items, 2, n_sym) (ref may be NULL without training symbols); w (items, 2, 2, ntaps); err
// (items, 2, n_sym) or NULL; state (items, 8); r2 (n_rings) and thr (n_rings - 1, at least one
// element allocated) ring tables.
#include "mimo.h"

template <typename T>
__device__ void mimo_impl(const T *x, long long ns, long long n_sym, int sps, int ntaps,
                          const T *ref, T *y, T *w, T *err, T *state, long long k_off,
                          long long n_single, long long n_blind, long long n_train, T mu_blind,
                          T mu_dd, T pll_mu, int n_rings, const T *r2, const T *thr, int levels,
                          T d, int items, int *codes)
{
    int item = blockIdx.x * blockDim.x + threadIdx.x;
    if (item >= items)
        return;
    dsp_mimo_cfg<T> cf;
    dsp_mimo_config<T>(&cf, sps, ntaps, n_single, n_blind, n_train, mu_blind, mu_dd, pll_mu,
                       n_rings, r2, thr, levels, d);
    codes[item] = dsp_mimo_item<T>(cf, x, ns, n_sym, ref, y, w, err, state, k_off,
                                   (long long)item);
}

extern "C" {

__global__ void mimo_f32(const float *x, long long ns, long long n_sym, int sps, int ntaps,
                         const float *ref, float *y, float *w, float *err, float *state,
                         long long k_off, long long n_single, long long n_blind,
                         long long n_train, float mu_blind, float mu_dd, float pll_mu,
                         int n_rings, const float *r2, const float *thr, int levels, float d,
                         int items, int *codes)
{
    mimo_impl<float>(x, ns, n_sym, sps, ntaps, ref, y, w, err, state, k_off, n_single, n_blind,
                     n_train, mu_blind, mu_dd, pll_mu, n_rings, r2, thr, levels, d, items, codes);
}

__global__ void mimo_f64(const double *x, long long ns, long long n_sym, int sps, int ntaps,
                         const double *ref, double *y, double *w, double *err, double *state,
                         long long k_off, long long n_single, long long n_blind,
                         long long n_train, double mu_blind, double mu_dd, double pll_mu,
                         int n_rings, const double *r2, const double *thr, int levels, double d,
                         int items, int *codes)
{
    mimo_impl<double>(x, ns, n_sym, sps, ntaps, ref, y, w, err, state, k_off, n_single, n_blind,
                      n_train, mu_blind, mu_dd, pll_mu, n_rings, r2, thr, levels, d, items,
                      codes);
}

}  // extern "C"

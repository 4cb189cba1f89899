"""CPU kernel: 2x2 MIMO adaptive equalizer (CMA / RDE / DD-LMS) of dual-polarization frames.

The per-item algorithm lives in ``kernels/common/mimo.h`` and is shared with
``kernels/cuda/mimo.cu``; this file only loops over items with OpenMP. Called from
``dsp._ops.cpu`` only, which validates arguments: nothing here checks or raises; the function
returns the bitwise OR of the per-item codes (0: success).

Complex arrays arrive as their real views: x (items, 2, 2 ns), ref and y (items, 2, 2 n_sym),
w (items, 2, 2, 2 ntaps) (re, im interleaved); err (items, 2, n_sym); state (items, 8).
"""
from cython.parallel cimport prange
from libc.stdint cimport int64_t

cdef extern from *:
    """
    #include "mimo.h"
    /* The same core (same lanes and operation order, so bit-identical results) compiled as well for
     * x86-64-v3/v4, chosen at load time: their VEX/EVEX encodings and, with AVX-512, 32 vector
     * registers keep the four 2x2 tap sets in registers instead of spilling them every symbol. */
    #if defined(__GNUC__) && __GNUC__ >= 12 && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
    #define MIMO_CLONES __attribute__((flatten, target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
    #else
    #define MIMO_CLONES
    #endif
    MIMO_CLONES static int mimo_item_f(const dsp_mimo_cfg<float> &cf, const float *x, int64_t ns, int64_t n_sym,
                                       const float *ref, float *y, float *w, float *err, float *state,
                                       int64_t k_off, int64_t item)
    { return dsp_mimo_item<float>(cf, x, ns, n_sym, ref, y, w, err, state, k_off, item); }
    MIMO_CLONES static int mimo_item_d(const dsp_mimo_cfg<double> &cf, const double *x, int64_t ns, int64_t n_sym,
                                       const double *ref, double *y, double *w, double *err, double *state,
                                       int64_t k_off, int64_t item)
    { return dsp_mimo_item<double>(cf, x, ns, n_sym, ref, y, w, err, state, k_off, item); }
    static inline int mimo_item(const dsp_mimo_cfg<float> &cf, const float *x, int64_t ns, int64_t n_sym,
                                const float *ref, float *y, float *w, float *err, float *state, int64_t k_off,
                                int64_t item)
    { return mimo_item_f(cf, x, ns, n_sym, ref, y, w, err, state, k_off, item); }
    static inline int mimo_item(const dsp_mimo_cfg<double> &cf, const double *x, int64_t ns, int64_t n_sym,
                                const double *ref, double *y, double *w, double *err, double *state,
                                int64_t k_off, int64_t item)
    { return mimo_item_d(cf, x, ns, n_sym, ref, y, w, err, state, k_off, item); }
    """
    cdef cppclass dsp_mimo_cfg[T]:
        pass
    void dsp_mimo_config[T](dsp_mimo_cfg[T] *cf, int sps, int ntaps, int64_t n_single, int64_t n_blind,
                            int64_t n_train, T mu_blind, T mu_dd, T pll_mu, int n_rings, const T *r2,
                            const T *thr, int levels, T d) nogil
    int mimo_item(const dsp_mimo_cfg[float] &cf, const float *x, int64_t ns, int64_t n_sym, const float *ref,
                  float *y, float *w, float *err, float *state, int64_t k_off, int64_t item) nogil
    int mimo_item(const dsp_mimo_cfg[double] &cf, const double *x, int64_t ns, int64_t n_sym, const double *ref,
                  double *y, double *w, double *err, double *state, int64_t k_off, int64_t item) nogil

ctypedef fused real_t:
    float
    double


def equalize(const real_t[:, :, ::1] x, int64_t n_sym, int sps, int ntaps, const real_t[:, :, ::1] ref,
             bint have_ref, real_t[:, :, ::1] y, real_t[:, :, :, ::1] w, real_t[:, :, ::1] err, bint want_err,
             real_t[:, ::1] state, int64_t k_off, int64_t n_single, int64_t n_blind, int64_t n_train,
             double mu_blind, double mu_dd, double pll_mu, const real_t[::1] r2, const real_t[::1] thr,
             int levels, double d, int threads):
    """Equalize every item of ``x``; ``w`` and ``state`` are updated in place, ``y`` (and ``err``
    when ``want_err``) written. Returns the OR of the per-item codes."""
    cdef Py_ssize_t items = x.shape[0], it
    cdef int64_t ns = x.shape[2] // 2
    cdef int code = 0, c
    cdef dsp_mimo_cfg[real_t] cf
    cdef const real_t *rp = &ref[0, 0, 0] if have_ref else NULL
    cdef real_t *ep = &err[0, 0, 0] if want_err else NULL
    dsp_mimo_config(&cf, sps, ntaps, n_single, n_blind, n_train, <real_t>mu_blind, <real_t>mu_dd,
                    <real_t>pll_mu, <int>r2.shape[0], &r2[0], &thr[0], levels, <real_t>d)
    with nogil:
        for it in prange(items, schedule="dynamic", num_threads=threads):
            c = mimo_item(cf, &x[0, 0, 0], ns, n_sym, rp, &y[0, 0, 0], &w[0, 0, 0, 0], ep,
                              &state[0, 0], k_off, it)
            code |= c
    return code

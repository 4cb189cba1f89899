/* LDPC decoding: layered normalized / offset min-sum with early termination. Shared by
 * kernels/cpu/ldpc.pyx (OpenMP over frame ranges, several frames as SIMD lanes) and
 * kernels/cuda/ldpc.cu (one thread per frame).
 *
 * Conventions (see dsp.fec.ldpc):
 * - LLR = log P(b = 0) / P(b = 1): positive means bit 0. Hard decision: bit = (L < 0).
 * - H is given by its rows (compressed sparse rows): the checks of row i are the variables
 *   col_idx[row_ptr[i] .. row_ptr[i+1] - 1], distinct, each row of degree 0 or >= 2.
 * - Layered schedule: the checks are processed one after another, i = 0 .. m-1 (for a
 *   quasi-cyclic code this equals processing each block row as a layer, since the z checks of a
 *   block row share no variable). For check i with edges e (variables v_e):
 *       q_e   = L[v_e] - R_e                          (R_e: the check's previous message, 0 at start)
 *       m_e   = min_{e' != e} |q_e'|,  s_e = prod_{e' != e} sign(q_e')
 *       R_e   = s_e * alpha * max(min(m_e, DSP_LDPC_RMAX) - beta, 0)
 *       L[v_e] = q_e + R_e
 *   with alpha = scaling, beta = 0 (normalized min-sum) or alpha = 1, beta = offset (offset
 *   min-sum). sign() here is the IEEE sign bit; it only decides the sign of zero-magnitude
 *   messages, which never changes a decision. DSP_LDPC_RMAX bounds the messages so that
 *   long runs cannot overflow (it never binds for LLRs of sane size).
 * - One iteration = all m checks once. Early termination: before the first iteration and after
 *   each one, the syndrome of the hard decisions is computed; the frame stops when it is zero
 *   (iterations = number of iterations run, 0 if the channel decisions are a codeword).
 *   Without early termination every frame runs max_iter iterations; converged = zero syndrome
 *   at the end.
 * - Arithmetic is plain IEEE (no FMA: the build uses -ffp-contract=off / --fmad=false), so the
 *   CPU (any lane count) and the GPU give identical results.
 *
 * Memory layout: the state of a frame is L[n] (a posteriori LLRs) and R[E] (check messages, one
 * per edge), stored "lane-major": element j of a frame lives at index j * S (S: stride). On the
 * CPU a V is a vector of W frames (S = 1); on the GPU V is a scalar and S the number of frames
 * in flight, so that neighbouring threads read neighbouring addresses.
 */
#ifndef DSP_LDPC_H
#define DSP_LDPC_H

#include "dsp_common.h"

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define DSP_LDPC_FN __host__ __device__ __forceinline__
#define DSP_LDPC_GPU 1
#define DSP_LDPC_UNROLL
#else
#define DSP_LDPC_UNROLL _Pragma("GCC unroll 4")
#define DSP_LDPC_FN static inline __attribute__((always_inline))
/* Lane vectors are passed by value between always-inlined functions only. */
#pragma GCC diagnostic ignored "-Wpsabi"
#endif

/* Status codes returned by the host drivers. */
#define DSP_LDPC_OK 0
#define DSP_LDPC_BAD_ROW 1 /* a check of degree 1 */

/* Message magnitudes saturate here (see above). */
#define DSP_LDPC_RMAX 1e30

typedef struct {
    int n, m;
    const int32_t *row_ptr; /* m + 1 */
    const int32_t *col_idx; /* row_ptr[m] */
} dsp_ldpc_code;

DSP_LDPC_FN dsp_ldpc_code dsp_ldpc_make_code(int n, int m, const int32_t *row_ptr, const int32_t *col_idx)
{
    dsp_ldpc_code c;
    c.n = n;
    c.m = m;
    c.row_ptr = row_ptr;
    c.col_idx = col_idx;
    return c;
}

/* ------------------------------------------------------------------ lanes
 * dsp_ldpc_lane<V>: T (the real), U (an unsigned integer of T's width, lane-wise), UE (its
 * element), W (lanes). Bit casts are overloads, since (U)v converts a scalar but reinterprets a
 * GCC vector. */
template <typename V> struct dsp_ldpc_lane;
template <> struct dsp_ldpc_lane<float> {
    typedef float T;
    typedef uint32_t U;
    typedef uint32_t UE;
    enum { W = 1 };
};
template <> struct dsp_ldpc_lane<double> {
    typedef double T;
    typedef uint64_t U;
    typedef uint64_t UE;
    enum { W = 1 };
};

DSP_LDPC_FN uint32_t dsp_ldpc_u(float x) { return dsp_f2u(x); }
DSP_LDPC_FN float dsp_ldpc_t(uint32_t u, float) { return dsp_u2f(u); }
DSP_LDPC_FN uint64_t dsp_ldpc_u(double x)
{
#if defined(__CUDA_ARCH__)
    return (uint64_t)__double_as_longlong(x);
#else
    uint64_t u;
    __builtin_memcpy(&u, &x, sizeof u);
    return u;
#endif
}
DSP_LDPC_FN double dsp_ldpc_t(uint64_t u, double)
{
#if defined(__CUDA_ARCH__)
    return __longlong_as_double((long long)u);
#else
    double x;
    __builtin_memcpy(&x, &u, sizeof x);
    return x;
#endif
}
/* Hard decision as a lane mask: non-zero iff x < 0 (bit 1). */
DSP_LDPC_FN uint32_t dsp_ldpc_neg(float x) { return (uint32_t)(x < 0.0f); }
DSP_LDPC_FN uint64_t dsp_ldpc_neg(double x) { return (uint64_t)(x < 0.0); }

#if !defined(DSP_LDPC_GPU)
/* CPU lane vectors: W frames side by side, one native SIMD register (16 bytes for the SSE2
 * baseline, 32 bytes for AVX2). Wider GCC vectors than the target's registers are lowered to
 * scalar code for ?: and comparisons, so each build uses its own width. */
typedef float dsp_ldpc_f32x4 __attribute__((vector_size(16)));
typedef uint32_t dsp_ldpc_u32x4 __attribute__((vector_size(16)));
typedef double dsp_ldpc_f64x2 __attribute__((vector_size(16)));
typedef uint64_t dsp_ldpc_u64x2 __attribute__((vector_size(16)));
typedef float dsp_ldpc_f32x8 __attribute__((vector_size(32)));
typedef uint32_t dsp_ldpc_u32x8 __attribute__((vector_size(32)));
typedef double dsp_ldpc_f64x4 __attribute__((vector_size(32)));
typedef uint64_t dsp_ldpc_u64x4 __attribute__((vector_size(32)));

#define DSP_LDPC_VEC_LANE(VT, TT, UT, UET, WW)                                                   \
    template <> struct dsp_ldpc_lane<VT> {                                                       \
        typedef TT T;                                                                            \
        typedef UT U;                                                                            \
        typedef UET UE;                                                                          \
        enum { W = WW };                                                                         \
    };                                                                                           \
    DSP_LDPC_FN UT dsp_ldpc_u(VT x) { return (UT)x; }                                            \
    DSP_LDPC_FN VT dsp_ldpc_t(UT u, VT) { return (VT)u; }                                        \
    DSP_LDPC_FN UT dsp_ldpc_neg(VT x) { return (UT)(x < (TT)0); }
DSP_LDPC_VEC_LANE(dsp_ldpc_f32x4, float, dsp_ldpc_u32x4, uint32_t, 4)
DSP_LDPC_VEC_LANE(dsp_ldpc_f64x2, double, dsp_ldpc_u64x2, uint64_t, 2)
DSP_LDPC_VEC_LANE(dsp_ldpc_f32x8, float, dsp_ldpc_u32x8, uint32_t, 8)
DSP_LDPC_VEC_LANE(dsp_ldpc_f64x4, double, dsp_ldpc_u64x4, uint64_t, 4)
#undef DSP_LDPC_VEC_LANE
#endif

/* min / max / |x| written so that they hold for scalars and GCC vectors alike (minps/maxps). */
template <typename V> DSP_LDPC_FN V dsp_ldpc_min(V a, V b) { return a < b ? a : b; }
template <typename V> DSP_LDPC_FN V dsp_ldpc_max(V a, V b) { return a > b ? a : b; }
template <typename V> DSP_LDPC_FN V dsp_ldpc_abs(V x)
{
    typedef typename dsp_ldpc_lane<V>::UE UE;
    const UE mag = ~((UE)1 << (8 * sizeof(UE) - 1));
    return dsp_ldpc_t(dsp_ldpc_u(x) & mag, x);
}

/* ------------------------------------------------------------------ one iteration
 * All m checks once, in order. MASKED: R is read as (R & keep), so that lanes whose keep bits
 * are zero start from R = 0 (a frame just loaded into that lane). QBUF > 0: the q of a check of
 * degree <= QBUF are kept in a local buffer between the two passes (CPU: L1-resident, saves a
 * round trip of R through L2); otherwise, and always on the GPU (QBUF = 0), R holds them. */
#define DSP_LDPC_QBUF 64

template <typename V, bool MASKED, int QBUF>
DSP_LDPC_FN void dsp_ldpc_iterate(const dsp_ldpc_code *c, V *L, V *R, int64_t S,
                                  typename dsp_ldpc_lane<V>::T alpha, typename dsp_ldpc_lane<V>::T beta,
                                  typename dsp_ldpc_lane<V>::U keep)
{
    typedef typename dsp_ldpc_lane<V>::T T;
    typedef typename dsp_ldpc_lane<V>::U U;
    typedef typename dsp_ldpc_lane<V>::UE UE;
    const UE sign = (UE)1 << (8 * sizeof(UE) - 1);
    const V zero = V();
    const V big = zero + (T)(2 * DSP_LDPC_RMAX);
    const V rmax = zero + (T)DSP_LDPC_RMAX;
    const int32_t *row_ptr = c->row_ptr, *col = c->col_idx;
    V qbuf[QBUF > 0 ? QBUF : 1];
    for (int i = 0; i < c->m; ++i) {
        const int e0 = row_ptr[i], e1 = row_ptr[i + 1];
        const bool local = QBUF > 0 && e1 - e0 <= QBUF;
        /* q_j of edge e0 + j lives at Q[j * QS] */
        V *Q = local ? qbuf : R + e0 * S;
        const int64_t QS = local ? 1 : S;
        V m1 = big, m2 = big;
        U sg = U();
        DSP_LDPC_UNROLL
        for (int e = e0, j = 0; e < e1; ++e, ++j) {
            V r = R[e * S];
            if (MASKED)
                r = dsp_ldpc_t(dsp_ldpc_u(r) & keep, r);
            const V q = L[(int64_t)col[e] * S] - r;
            Q[j * QS] = q;
            const V a = dsp_ldpc_abs(q);
            sg ^= dsp_ldpc_u(q);
            m2 = dsp_ldpc_min(m2, dsp_ldpc_max(m1, a));
            m1 = dsp_ldpc_min(m1, a);
        }
        /* the magnitudes with the sign of the product over all edges; each edge then removes
         * its own sign */
        sg &= sign;
        const V r1 = dsp_ldpc_t(dsp_ldpc_u(dsp_ldpc_max(dsp_ldpc_min(m1, rmax) - beta, zero) * alpha) ^ sg, zero);
        const V r2 = dsp_ldpc_t(dsp_ldpc_u(dsp_ldpc_max(dsp_ldpc_min(m2, rmax) - beta, zero) * alpha) ^ sg, zero);
        DSP_LDPC_UNROLL
        for (int e = e0, j = 0; e < e1; ++e, ++j) {
            const V q = Q[j * QS];
            /* |q| == m1 for the unique minimum (gets the second minimum) or for a tie, where
             * m1 == m2 and both choices agree */
            V r = (dsp_ldpc_abs(q) == m1) ? r2 : r1;
            r = dsp_ldpc_t(dsp_ldpc_u(r) ^ (dsp_ldpc_u(q) & sign), r);
            R[e * S] = r;
            L[(int64_t)col[e] * S] = q + r;
        }
    }
}

/* The syndrome is final once a check failed in every lane. */
DSP_LDPC_FN bool dsp_ldpc_failed(uint32_t u) { return u != 0; }
DSP_LDPC_FN bool dsp_ldpc_failed(uint64_t u) { return u != 0; }
template <typename U> DSP_LDPC_FN bool dsp_ldpc_failed(U u)
{
    bool all = true;
    for (unsigned l = 0; l < sizeof(U) / sizeof(u[0]); ++l)
        all = all && u[l] != 0;
    return all;
}

/* Syndrome of the hard decisions of L, lane-wise: zero in a lane iff all checks hold there.
 * Stops once every lane has a failed check (a scalar at once, lanes every 16 checks). */
template <typename V>
DSP_LDPC_FN typename dsp_ldpc_lane<V>::U dsp_ldpc_syndrome(const dsp_ldpc_code *c, const V *L, int64_t S)
{
    typedef typename dsp_ldpc_lane<V>::U U;
    const int32_t *row_ptr = c->row_ptr, *col = c->col_idx;
    U any = U();
    for (int i = 0; i < c->m; ++i) {
        U p = U();
        for (int e = row_ptr[i]; e < row_ptr[i + 1]; ++e)
            p ^= dsp_ldpc_neg(L[(int64_t)col[e] * S]);
        any |= p;
        if ((dsp_ldpc_lane<V>::W == 1 || (i & 15) == 15) && dsp_ldpc_failed(any))
            break;
    }
    return any;
}

/* The checks are decodable by min-sum: no row of degree 1. */
DSP_LDPC_FN int dsp_ldpc_check_code(const dsp_ldpc_code *c)
{
    for (int i = 0; i < c->m; ++i)
        if (c->row_ptr[i + 1] - c->row_ptr[i] == 1)
            return DSP_LDPC_BAD_ROW;
    return DSP_LDPC_OK;
}

/* ------------------------------------------------------------------ one frame (GPU, and the
 * CPU's portable path): L holds the channel LLRs on entry and the final a posteriori LLRs on
 * exit, R must be zero on entry; both lane-major with stride S. */
template <typename T>
DSP_LDPC_FN void dsp_ldpc_decode_one(const dsp_ldpc_code *c, T *L, T *R, int64_t S, int max_iter,
                                     T alpha, T beta, int early, int32_t *iterations, uint8_t *converged)
{
    typedef typename dsp_ldpc_lane<T>::U U;
    int it = 0;
    int ok = 0;
    if (early && dsp_ldpc_syndrome<T>(c, L, S) == 0) {
        ok = 1;
    } else {
        while (it < max_iter) {
            dsp_ldpc_iterate<T, false, 0>(c, L, R, S, alpha, beta, ~U());
            ++it;
            if (early && dsp_ldpc_syndrome<T>(c, L, S) == 0) {
                ok = 1;
                break;
            }
        }
        if (!early)
            ok = dsp_ldpc_syndrome<T>(c, L, S) == 0;
    }
    *iterations = it;
    *converged = (uint8_t)ok;
}

#if !defined(DSP_LDPC_GPU)
/* ------------------------------------------------------------------ CPU: frames as lanes
 * Frames f0 .. f1-1 of llr (frame-major, F x n) are decoded W at a time, one per lane of V.
 * A lane whose frame stops (converged, or max_iter reached) writes its results and takes the
 * next frame at once, so that early termination saves work even though lanes move together.
 * A frame whose channel decisions already form a codeword (early termination) never enters a
 * lane; nor does a frame holding a NaN or an infinity (counted and returned, bits set to 0).
 * Each frame sees exactly the arithmetic of dsp_ldpc_decode_one (checked by the tests).
 * Scratch: L (n V's) and R (E V's), 64-byte aligned. */
template <typename V>
DSP_LDPC_FN void dsp_ldpc_emit_lane(const dsp_ldpc_code *c, const V *L, int lane, uint8_t *bits)
{
    typedef typename dsp_ldpc_lane<V>::T T;
    const int W = dsp_ldpc_lane<V>::W;
    const T *Lt = (const T *)L;
    for (int v = 0; v < c->n; ++v)
        bits[v] = (uint8_t)(Lt[(int64_t)v * W + lane] < (T)0);
}

template <typename T>
DSP_LDPC_FN int dsp_ldpc_row_syndrome(const dsp_ldpc_code *c, const T *llr)
{
    const int32_t *row_ptr = c->row_ptr, *col = c->col_idx;
    for (int i = 0; i < c->m; ++i) {
        int p = 0;
        for (int e = row_ptr[i]; e < row_ptr[i + 1]; ++e)
            p ^= (int)(llr[col[e]] < (T)0);
        if (p)
            return 1;
    }
    return 0;
}

template <typename V>
DSP_LDPC_FN int64_t dsp_ldpc_decode_lanes(const dsp_ldpc_code *c, const typename dsp_ldpc_lane<V>::T *llr,
                                       int64_t f0, int64_t f1, uint8_t *bits, int32_t *iterations,
                                       uint8_t *converged, int max_iter, typename dsp_ldpc_lane<V>::T alpha,
                                       typename dsp_ldpc_lane<V>::T beta, int early, V *L, V *R)
{
    typedef typename dsp_ldpc_lane<V>::T T;
    typedef typename dsp_ldpc_lane<V>::U U;
    enum { W = dsp_ldpc_lane<V>::W };
    const int n = c->n, E = c->row_ptr[c->m];
    T *Lt = (T *)L;
    int64_t lane_f[W];
    int lane_it[W];
    U keep = ~U();
    for (int v = 0; v < n; ++v)
        L[v] = V();
    for (int e = 0; e < E; ++e)
        R[e] = V();
    int64_t next = f0, nonfinite = 0;
    int active = 0;
    for (int l = 0; l < W; ++l)
        lane_f[l] = -1;

    for (;;) {
        /* fill empty lanes (lane_f: frame >= 0, -1 empty, -2 idle: zeros, nothing left to load) */
        for (int l = 0; l < W; ++l) {
            if (lane_f[l] != -1)
                continue;
            while (next < f1) {
                const int64_t f = next++;
                const T *row = llr + f * n;
                int finite = 1;
                for (int v = 0; v < n; ++v)
                    finite &= (row[v] - row[v] == (T)0); /* false for NaN and +-inf */
                if (!finite) {
                    for (int v = 0; v < n; ++v)
                        bits[f * n + v] = 0;
                    iterations[f] = 0;
                    converged[f] = 0;
                    ++nonfinite;
                    continue;
                }
                if (max_iter == 0 || early) {
                    const int bad = dsp_ldpc_row_syndrome<T>(c, row);
                    if (max_iter == 0 || !bad) {
                        for (int v = 0; v < n; ++v)
                            bits[f * n + v] = (uint8_t)(row[v] < (T)0);
                        iterations[f] = 0;
                        converged[f] = (uint8_t)!bad;
                        continue;
                    }
                }
                for (int v = 0; v < n; ++v)
                    Lt[(int64_t)v * W + l] = row[v];
                keep[l] = 0;
                lane_f[l] = f;
                lane_it[l] = 0;
                ++active;
                break;
            }
            if (lane_f[l] == -1) { /* nothing left: an idle lane of zeros stays zero */
                for (int v = 0; v < n; ++v)
                    Lt[(int64_t)v * W + l] = (T)0;
                keep[l] = 0;
                lane_f[l] = -2;
            }
        }
        if (!active)
            return nonfinite;
        dsp_ldpc_iterate<V, true, DSP_LDPC_QBUF>(c, L, R, 1, alpha, beta, keep);
        keep = ~U();
        int at_max = 0;
        for (int l = 0; l < W; ++l)
            if (lane_f[l] >= 0)
                at_max |= (++lane_it[l] >= max_iter);
        if (!early && !at_max)
            continue;
        const U syn = dsp_ldpc_syndrome<V>(c, L, 1);
        for (int l = 0; l < W; ++l) {
            const int64_t f = lane_f[l];
            if (f < 0)
                continue;
            const int ok = syn[l] == 0;
            if ((early && ok) || lane_it[l] >= max_iter) {
                dsp_ldpc_emit_lane<V>(c, L, l, bits + f * n);
                iterations[f] = lane_it[l];
                converged[f] = (uint8_t)ok;
                lane_f[l] = -1;
                --active;
            }
        }
    }
}

/* Scratch bytes for one CPU driver call (any dtype, any build): L and R for 32-byte lanes. */
static inline int64_t dsp_ldpc_cpu_scratch_bytes(const dsp_ldpc_code *c)
{
    return ((int64_t)c->n + c->row_ptr[c->m]) * 32 + 64;
}

static inline void *dsp_ldpc_align64(void *p)
{
    return (void *)(((uintptr_t)p + 63) & ~(uintptr_t)63);
}

#define DSP_LDPC_DRIVER(NAME, VT, TT, ATTR)                                                      \
    ATTR static int64_t NAME(const dsp_ldpc_code *c, const TT *llr, int64_t f0, int64_t f1,        \
                             uint8_t *bits, int32_t *iterations, uint8_t *converged, int max_iter, \
                             TT alpha, TT beta, int early, void *scratch)                          \
    {                                                                                              \
        VT *L = (VT *)dsp_ldpc_align64(scratch);                                                   \
        VT *R = L + c->n;                                                                          \
        return dsp_ldpc_decode_lanes<VT>(c, llr, f0, f1, bits, iterations, converged, max_iter,    \
                                         alpha, beta, early, L, R);                                \
    }
DSP_LDPC_DRIVER(dsp_ldpc_lanes_f32_base, dsp_ldpc_f32x4, float, )
DSP_LDPC_DRIVER(dsp_ldpc_lanes_f64_base, dsp_ldpc_f64x2, double, )
#if defined(__x86_64__) && !defined(DSP_LDPC_NO_AVX2)
#define DSP_LDPC_HAVE_AVX2 1
DSP_LDPC_DRIVER(dsp_ldpc_lanes_f32_avx2, dsp_ldpc_f32x8, float, __attribute__((target("avx2"))))
DSP_LDPC_DRIVER(dsp_ldpc_lanes_f64_avx2, dsp_ldpc_f64x4, double, __attribute__((target("avx2"))))
#endif
#undef DSP_LDPC_DRIVER

static inline int dsp_ldpc_use_avx2(void)
{
#if defined(DSP_LDPC_HAVE_AVX2)
    return __builtin_cpu_supports("avx2") ? 1 : 0;
#else
    return 0;
#endif
}

/* Decode frames f0 .. f1-1 (CPU, lanes). simd: 1 = AVX2 build of the loop, 0 = baseline.
 * Returns the number of frames holding a NaN or an infinity (decoded as all-zero, not converged). */
static inline int64_t dsp_ldpc_cpu_decode(const dsp_ldpc_code *c, const float *llr, int64_t f0, int64_t f1,
                                       uint8_t *bits, int32_t *iterations, uint8_t *converged, int max_iter,
                                       float alpha, float beta, int early, void *scratch, int simd)
{
#if defined(DSP_LDPC_HAVE_AVX2)
    if (simd)
        return dsp_ldpc_lanes_f32_avx2(c, llr, f0, f1, bits, iterations, converged, max_iter, alpha, beta,
                                       early, scratch);
#endif
    (void)simd;
    return dsp_ldpc_lanes_f32_base(c, llr, f0, f1, bits, iterations, converged, max_iter, alpha, beta, early,
                            scratch);
}

static inline int64_t dsp_ldpc_cpu_decode(const dsp_ldpc_code *c, const double *llr, int64_t f0, int64_t f1,
                                       uint8_t *bits, int32_t *iterations, uint8_t *converged, int max_iter,
                                       double alpha, double beta, int early, void *scratch, int simd)
{
#if defined(DSP_LDPC_HAVE_AVX2)
    if (simd)
        return dsp_ldpc_lanes_f64_avx2(c, llr, f0, f1, bits, iterations, converged, max_iter, alpha, beta,
                                       early, scratch);
#endif
    (void)simd;
    return dsp_ldpc_lanes_f64_base(c, llr, f0, f1, bits, iterations, converged, max_iter, alpha, beta, early,
                            scratch);
}

/* The GPU's per-frame algorithm on the CPU (for tests: lanes vs portable path). */
static inline void dsp_ldpc_portable_one(const dsp_ldpc_code *c, float *L, float *R, int64_t S, int max_iter,
                                         float alpha, float beta, int early, int32_t *iterations,
                                         uint8_t *converged)
{
    dsp_ldpc_decode_one<float>(c, L, R, S, max_iter, alpha, beta, early, iterations, converged);
}

static inline void dsp_ldpc_portable_one(const dsp_ldpc_code *c, double *L, double *R, int64_t S, int max_iter,
                                         double alpha, double beta, int early, int32_t *iterations,
                                         uint8_t *converged)
{
    dsp_ldpc_decode_one<double>(c, L, R, S, max_iter, alpha, beta, early, iterations, converged);
}

#endif /* !DSP_LDPC_GPU */

#endif /* DSP_LDPC_H */

/* PAM receiver equalizers: adaptive FFE / DFE (LMS) and MLSE (Viterbi), per-row cores.
 *
 * Each core equalizes one row (one independent stream) and is shared by kernels/cpu/equalizer.pyx
 * (OpenMP prange over rows) and kernels/cuda/equalizer.cu (one thread per row). Cores never
 * allocate (fixed-size local arrays only), print or raise; they return an int code (DSP_EQ_*).
 * Arguments arrive validated from dsp.rx.equalizers; the codes only guard the array bounds.
 *
 * Levels: PAM-M level index k = 0..M-1 has the value (2k - M + 1) d (d = half the spacing), the
 * decision on a real q is k = clamp(floor(q / (2 d) + M / 2), 0, M - 1) (slicer.h's rule).
 *
 * ---- LMS equalizer (FFE, DFE, FFE with a partial-response target) ----------------------------
 *
 * y is the row's input (ns samples). The window of symbol k is the NP (8, 16, 32 or 64 >= ntaps)
 * samples x_k[i] = y[sps k - off + i], off = ntaps - 1 - ntaps / 2, samples outside y read as 0;
 * v[i] weights x_k[i] (the FIR taps w in reverse time order, v[i] = w[ntaps - 1 - i]; lanes
 * i >= ntaps stay 0). With p_i the symbol decided for k - i (i = 1..3, 0 before the start; the
 * training symbol during training):
 *
 *     s    = sum_i v[i] x_k[i]                        (summed in DSP_EQ_LANES partial sums, then
 *                                                      a fixed pairwise tree: same on CPU and GPU)
 *     z[k] = s - (b1 p1 + b2 p2 + b3 p3)             (b: feedback taps, zero beyond nb)
 *     a    = ref[k]                                    k <  n_train (training)
 *          = level(decide((z[k] - (t1 p1 + t2 p2 + t3 p3)) / t0))  k >= n_train (decision-directed)
 *     e    = (t0 a + (t1 p1 + t2 p2 + t3 p3)) - z[k]    (t: target, (1, 0, 0, 0) for a plain FFE)
 *     v[i] += (mu e) x_k[i] (i < ntaps),  b_i -= (mu e) p_i   (mu = mu_train or mu_dd)
 *
 * dec[k] (if dec is not NULL) is the decided level index of symbol k on the DD rule above, also
 * during training. All tap loops have the compile-time length NP: no branches, contiguous loads
 * straight from y (a zero-padded copy of at most DSP_EQ_EDGE samples for the first and last few
 * symbols), so that g++ vectorizes them (SSE2) and NVCC unrolls them into registers. One row's
 * symbol recursion is a latency-bound chain (dot product, decision, update); the CPU runs two
 * rows in lockstep to overlap two chains, with each row's arithmetic unchanged.
 *
 * ---- MLSE (Viterbi) -------------------------------------------------------------------------
 *
 * Channel model y[k] = c + sum_{i=0..MEM} h_i a[k - i] + noise, Euclidean branch metric.
 * State after step k: the MEM newest symbols, s = a_k M^(MEM-1) + ... + a_(k-MEM+1) (newest most
 * significant, Q = M^(MEM-1)); the predecessor of s that drops symbol o is (s mod Q) M + o.
 * Metrics are stored in the order pos(s) = (s mod Q) M + s / Q (see dsp_mlse_pos). The
 * expectations (M S of them) are precomputed per row; each step computes the M candidates of
 * every state, selects the smallest (the first o on ties), normalises the metrics to position 0
 * and stores the chosen o as one uint8 per state per step in a ring of DSP_MLSE_RING steps. When
 * the ring is full the best state is traced back and the oldest DSP_MLSE_RING - DSP_MLSE_DEPTH
 * steps are decided: every decision has at least DSP_MLSE_DEPTH steps of look-ahead; the last
 * steps are traced back from the best final state. Memory per row is bounded (about
 * DSP_MLSE_RING S bytes) whatever n. Symbols 0..n_train-1 are known: out[] holds their indices on
 * entry, the trellis starts from the state they leave, and out[n_train..n-1] is written.
 */
#ifndef DSP_EQUALIZER_H
#define DSP_EQUALIZER_H

#include "dsp_common.h"
#include "slicer.h"

#define DSP_EQ_LANES 8        /* partial sums of the FFE dot product */
#define DSP_EQ_MAX_TAPS 64    /* largest padded FFE length NP */
#define DSP_EQ_MAX_FB 3       /* feedback taps / target memory */
#define DSP_EQ_EDGE 192       /* zero-padded edge copy (samples): sps (64 - 1) + 64 <= 192 */
#define DSP_MLSE_DEPTH 64     /* traceback depth (symbols of look-ahead at least) */
#define DSP_MLSE_RING 256     /* survivor ring (steps), a power of two > DSP_MLSE_DEPTH */
#define DSP_MLSE_MAX_BRANCHES 512 /* M^(MEM+1) */

/* g++ (not clang, NVCC or NVRTC) gets an MLSE add-compare-select written with GCC vector
 * extensions: the same lane arithmetic as the portable loop, which g++ would otherwise unroll
 * into partly scalar, branchy code. */
#if defined(__GNUC__) && !defined(__clang__) && !defined(__CUDACC__) && !defined(__CUDACC_RTC__)
#define DSP_EQ_GNU_VECTOR 1
#else
#define DSP_EQ_GNU_VECTOR 0
#endif

#define DSP_EQ_OK 0
#define DSP_EQ_BAD_TAPS 1
#define DSP_EQ_BAD_CONFIG 2

template <typename T>
DSP_HD T dsp_eq_level(uint32_t k, int m, T d)
{
    return (T)((int32_t)(2u * k) - (m - 1)) * d;
}

/* Per-row arguments of the LMS core, gathered so that a few rows can run in lockstep. */
template <typename T>
struct dsp_lms_row_args {
    const T *y;     /* input samples (n_samples) */
    const T *ref;   /* training values */
    T mu_train, mu_dd;
    T *v, *b, *z;   /* taps (NP), feedback taps (3), outputs (n_sym) */
    uint8_t *dec;   /* decisions (n_sym) or NULL */
};

/* State of one LMS equalizer; local to the core so that the compiler keeps it in registers. */
template <typename T, int NP>
struct dsp_lms_state {
    T v[NP];
    T b1, b2, b3;      /* feedback taps */
    T p1, p2, p3;      /* past symbols */
};

/* Symbols k0..k1-1 of R rows in lockstep: each row's arithmetic is exactly that of R = 1 (the
 * rows only share the loop, so that the out-of-order core overlaps their dependency chains:
 * one row's symbol recursion is latency-bound). The window of symbol k of row r is
 * xb[r] + sps (k - kb). FB: feedback taps or a target are in use; without them the same
 * formulas reduce to z = s, a = level(decide(z)), e = a - z exactly, and the FB = false
 * instance skips the zero terms. */
template <typename T, int NP, int R, bool TRAIN, bool FB>
DSP_HD void dsp_lms_span(dsp_lms_state<T, NP> *st, const dsp_lms_row_args<T> *ra,
                         const T *const *xb, int64_t kb, const T *mask, int sps, int64_t k0,
                         int64_t k1, int m, T d, T scale, T half_m, T t0, T inv_t0, T t1, T t2,
                         T t3, T m1, T m2, T m3)
{
    for (int64_t k = k0; k < k1; ++k) {
        for (int r = 0; r < R; ++r) {
            dsp_lms_state<T, NP> &s = st[r];
            const T *xk = xb[r] + (int64_t)sps * (k - kb);
            T acc[DSP_EQ_LANES];
            for (int l = 0; l < DSP_EQ_LANES; ++l)
                acc[l] = s.v[l] * xk[l];
            for (int i0 = DSP_EQ_LANES; i0 < NP; i0 += DSP_EQ_LANES)
                for (int l = 0; l < DSP_EQ_LANES; ++l)
                    acc[l] = acc[l] + s.v[i0 + l] * xk[i0 + l];
            for (int h = DSP_EQ_LANES / 2; h >= 1; h >>= 1)
                for (int l = 0; l < h; ++l)
                    acc[l] = acc[l] + acc[l + h];
            T zk, a, e;
            uint32_t kh;
            if (FB) {
                zk = acc[0] - ((s.b1 * s.p1 + s.b2 * s.p2) + s.b3 * s.p3);
                T pt = (t1 * s.p1 + t2 * s.p2) + t3 * s.p3;
                kh = dsp_decide<T>((zk - pt) * inv_t0 * scale + half_m, m);
                a = TRAIN ? ra[r].ref[k] : dsp_eq_level<T>(kh, m, d);
                e = (t0 * a + pt) - zk;
            } else {
                zk = acc[0];
                kh = dsp_decide<T>(zk * scale + half_m, m);
                a = TRAIN ? ra[r].ref[k] : dsp_eq_level<T>(kh, m, d);
                e = a - zk;
            }
            T g = (TRAIN ? ra[r].mu_train : ra[r].mu_dd) * e;
            for (int i = 0; i < NP; ++i)
                s.v[i] = s.v[i] + g * (xk[i] * mask[i]);
            if (FB) {
                s.b1 = s.b1 - g * (s.p1 * m1);
                s.b2 = s.b2 - g * (s.p2 * m2);
                s.b3 = s.b3 - g * (s.p3 * m3);
                s.p3 = s.p2;
                s.p2 = s.p1;
                s.p1 = a;
            }
            ra[r].z[k] = zk;
            if (ra[r].dec)
                ra[r].dec[k] = (uint8_t)kh;
        }
    }
}

/* Samples y[base .. base + len - 1] of a row of ns samples, zero outside it. */
template <typename T>
DSP_HD void dsp_lms_edge(T *buf, const T *y, int64_t ns, int64_t base, int len)
{
    for (int j = 0; j < len; ++j) {
        int64_t i = base + j;
        buf[j] = (i >= 0 && i < ns) ? y[i] : (T)0;
    }
}

/* R rows, NP lanes. The symbols split into a head (windows reaching before the first sample), a
 * body (windows inside the row, read in place) and a tail (windows reaching past the last
 * sample); head and tail windows are read from a zero-padded copy of the row's edge of at most
 * DSP_EQ_EDGE samples. Returns DSP_EQ_BAD_CONFIG if an edge would not fit (it always fits for
 * sps <= 2 and n_samples = sps n_sym). */
template <typename T, int NP, int R, bool FB>
DSP_HD int dsp_lms_rows_np(const dsp_lms_row_args<T> *ra, int64_t ns, int64_t n_sym, int sps,
                           int ntaps, int64_t n_train, int nb, const T *target, int m, T d)
{
    int64_t off = ntaps - 1 - ntaps / 2; /* window(k) = y[sps k - off .. sps k - off + NP - 1] */
    int64_t h1 = (off + sps - 1) / sps;   /* first symbol whose window starts inside the row */
    h1 = h1 < n_sym ? h1 : n_sym;
    int64_t b1 = ns + off - NP >= 0 ? (ns + off - NP) / sps + 1 : 0; /* end of the body */
    b1 = b1 < h1 ? h1 : (b1 > n_sym ? n_sym : b1);
    int64_t head_len = h1 > 0 ? sps * (h1 - 1) + NP : 0;
    int64_t tail_len = n_sym > b1 ? sps * (n_sym - b1 - 1) + NP : 0;
    if (head_len > DSP_EQ_EDGE || tail_len > DSP_EQ_EDGE)
        return DSP_EQ_BAD_CONFIG;

    dsp_lms_state<T, NP> st[R];
    T mask[NP];
    for (int i = 0; i < NP; ++i)
        mask[i] = i < ntaps ? (T)1 : (T)0;
    T m1 = nb >= 1 ? (T)1 : (T)0, m2 = nb >= 2 ? (T)1 : (T)0, m3 = nb >= 3 ? (T)1 : (T)0;
    for (int r = 0; r < R; ++r) {
        for (int i = 0; i < NP; ++i)
            st[r].v[i] = ra[r].v[i] * mask[i];
        st[r].b1 = ra[r].b[0] * m1;
        st[r].b2 = ra[r].b[1] * m2;
        st[r].b3 = ra[r].b[2] * m3;
        st[r].p1 = st[r].p2 = st[r].p3 = (T)0;
    }
    T scale = (T)1 / ((T)2 * d), half_m = (T)0.5 * (T)m;
    T t0 = target[0], t1 = target[1], t2 = target[2], t3 = target[3];
    T inv_t0 = (T)1 / t0;
    int64_t nt = n_train < n_sym ? n_train : n_sym;

    T edge[R][DSP_EQ_EDGE];
    const T *xb[R];
    for (int seg = 0; seg < 3; ++seg) {
        int64_t lo = seg == 0 ? 0 : (seg == 1 ? h1 : b1);
        int64_t hi = seg == 0 ? h1 : (seg == 1 ? b1 : n_sym);
        if (lo >= hi)
            continue;
        for (int r = 0; r < R; ++r) {
            if (seg == 1) {
                xb[r] = ra[r].y + (sps * lo - off);
            } else {
                dsp_lms_edge<T>(edge[r], ra[r].y, ns, sps * lo - off,
                                (int)(seg == 0 ? head_len : tail_len));
                xb[r] = edge[r];
            }
        }
        int64_t a0 = lo, a1 = nt < lo ? lo : (nt > hi ? hi : nt); /* training part */
        if (a0 < a1)
            dsp_lms_span<T, NP, R, true, FB>(st, ra, xb, lo, mask, sps, a0, a1, m, d, scale,
                                             half_m, t0, inv_t0, t1, t2, t3, m1, m2, m3);
        if (a1 < hi)
            dsp_lms_span<T, NP, R, false, FB>(st, ra, xb, lo, mask, sps, a1, hi, m, d, scale,
                                              half_m, t0, inv_t0, t1, t2, t3, m1, m2, m3);
    }
    for (int r = 0; r < R; ++r) {
        for (int i = 0; i < NP; ++i)
            ra[r].v[i] = st[r].v[i];
        ra[r].b[0] = st[r].b1;
        ra[r].b[1] = st[r].b2;
        ra[r].b[2] = st[r].b3;
    }
    return DSP_EQ_OK;
}

template <typename T, int R>
DSP_HD int dsp_lms_rows_r(const dsp_lms_row_args<T> *ra, int64_t ns, int64_t n_sym, int sps,
                          int ntaps, int np, int64_t n_train, int nb, const T *target, int m, T d)
{
    bool fb = nb > 0 || target[0] != (T)1 || target[1] != (T)0 || target[2] != (T)0 ||
              target[3] != (T)0;
#define DSP_LMS_CASE(NPV)                                                                         \
    case NPV:                                                                                     \
        return fb ? dsp_lms_rows_np<T, NPV, R, true>(ra, ns, n_sym, sps, ntaps, n_train, nb,      \
                                                     target, m, d)                                \
                  : dsp_lms_rows_np<T, NPV, R, false>(ra, ns, n_sym, sps, ntaps, n_train, nb,     \
                                                      target, m, d);
    switch (np) {
        DSP_LMS_CASE(8)
        DSP_LMS_CASE(16)
        DSP_LMS_CASE(32)
        DSP_LMS_CASE(64)
    default:
        return DSP_EQ_BAD_TAPS;
    }
#undef DSP_LMS_CASE
}

/* Rows r0 .. r0 + nrows - 1 (nrows 1 or 2, run in lockstep on the CPU) of the LMS equalizer over
 * 2-D C-contiguous arrays: y (rows, ns) input samples; ref, z, dec (rows, n_sym) (only the
 * first n_train of ref are read; dec may be NULL); mu_train, mu_dd (rows); v (rows, np) taps in
 * reverse time order (v[i] weights y[sps k - off + i], off = ntaps - 1 - ntaps / 2), in and
 * out (lanes >= ntaps are treated as 0); b (rows, 3) feedback taps, in and out; target: 4
 * values, t0 != 0. np is the padded length: 8, 16, 32 or 64 >= ntaps. */
template <typename T>
DSP_HD int dsp_lms_rows(const T *y, int64_t ns, int64_t n_sym, int sps, int ntaps, int np,
                        int64_t n_train, const T *ref, const T *mu_train, const T *mu_dd, int nb,
                        const T *target, int m, T d, T *v, T *b, T *z, uint8_t *dec, int64_t r0,
                        int nrows)
{
    if (ntaps < 1 || ntaps > np)
        return DSP_EQ_BAD_TAPS;
    if (nb < 0 || nb > DSP_EQ_MAX_FB || sps < 1 || sps > 2 || m < 2 || m > 256 || nrows < 1 ||
        nrows > 2 || ns < 0 || n_sym < 0)
        return DSP_EQ_BAD_CONFIG;
    dsp_lms_row_args<T> ra[2];
    for (int r = 0; r < nrows; ++r) {
        int64_t row = r0 + r;
        ra[r].y = y + row * ns;
        ra[r].ref = ref + row * n_sym;
        ra[r].mu_train = mu_train[row];
        ra[r].mu_dd = mu_dd[row];
        ra[r].v = v + row * np;
        ra[r].b = b + row * 3;
        ra[r].z = z + row * n_sym;
        ra[r].dec = dec ? dec + row * n_sym : (uint8_t *)0;
    }
#if defined(__CUDA_ARCH__)
    /* one thread per row on the GPU: no lockstep instance (registers) */
    int code = DSP_EQ_OK;
    for (int r = 0; r < nrows; ++r)
        code |= dsp_lms_rows_r<T, 1>(ra + r, ns, n_sym, sps, ntaps, np, n_train, nb, target, m, d);
    return code;
#else
    if (nrows == 2)
        return dsp_lms_rows_r<T, 2>(ra, ns, n_sym, sps, ntaps, np, n_train, nb, target, m, d);
    return dsp_lms_rows_r<T, 1>(ra, ns, n_sym, sps, ntaps, np, n_train, nb, target, m, d);
#endif
}

/* ---------------------------------------------------------------------------------- MLSE */

/* The signed integer of T's width (lane-wise masks). */
template <typename T>
struct dsp_eq_int;
template <>
struct dsp_eq_int<float> {
    typedef int32_t type;
};
template <>
struct dsp_eq_int<double> {
    typedef int64_t type;
};

template <int M, int MEM>
struct dsp_mlse_dims {
    static constexpr int S = (MEM == 1) ? M : M * M; /* states */
    static constexpr int Q = S / M;                  /* states per newest symbol */
    static constexpr int B = M * S;                  /* branches */
};

/* Storage position of state s = A Q + r (A the newest symbol): r M + A. In this order the
 * add-compare-select of the states r M .. r M + M - 1 reads, for each dropped symbol o, one
 * predecessor metric (a broadcast scalar) and M contiguous expectations, and writes its M new
 * metrics contiguously: no transposition between steps. */
template <int M, int MEM>
DSP_HD int dsp_mlse_pos(int s)
{
    constexpr int Q = dsp_mlse_dims<M, MEM>::Q;
    return (s % Q) * M + s / Q;
}

template <int M, int MEM>
DSP_HD int dsp_mlse_state(int pos)
{
    constexpr int Q = dsp_mlse_dims<M, MEM>::Q;
    return (pos % M) * Q + pos / M;
}

/* Trace back from the best state after step k over `steps` steps, writing all but the newest
 * `keep` decisions. mt and the survivor ring are in position order. */
template <typename T, int M, int MEM>
DSP_HD void dsp_mlse_traceback(const uint8_t (*sv)[dsp_mlse_dims<M, MEM>::S], const T *mt,
                               int64_t k, int steps, int keep, uint8_t *out)
{
    constexpr int S = dsp_mlse_dims<M, MEM>::S, Q = dsp_mlse_dims<M, MEM>::Q;
    int best_pos = 0;
    T best = mt[0];
    for (int j = 1; j < S; ++j) {
        if (mt[j] < best) {
            best = mt[j];
            best_pos = j;
        }
    }
    int s = dsp_mlse_state<M, MEM>(best_pos);
    for (int j = 0; j < steps; ++j) {
        int64_t kj = k - j;
        if (j >= keep)
            out[kj] = (uint8_t)(s / Q);
        s = (s % Q) * M + sv[kj & (DSP_MLSE_RING - 1)][dsp_mlse_pos<M, MEM>(s)];
    }
}

/* One trellis step: new metrics of all states (position order, normalised so that position 0
 * is 0) from the old ones and y_k, and the survivor (the dropped symbol o) of each position.
 *
 *     cand(o, p) = mt[pos(r M + o)] + (y_k - E[o S + p])^2,   p = r M + A
 *     mt'[p] = min over o (the first o on ties), sv[p] = its o;  then mt' -= mt'[0]
 */
template <typename T, int M, int MEM>
DSP_HD void dsp_mlse_acs_scalar(T yk, const T *E, T *mt, uint8_t *svk)
{
    constexpr int S = dsp_mlse_dims<M, MEM>::S, Q = dsp_mlse_dims<M, MEM>::Q;
    T nm[S];
    uint8_t bi[S];
    for (int r = 0; r < Q; ++r)
        for (int A = 0; A < M; ++A) {
            int p = r * M + A;
            T best = (T)0;
            uint8_t bo = 0;
            for (int o = 0; o < M; ++o) {
                T dv = yk - E[o * S + p];
                T cv = mt[dsp_mlse_pos<M, MEM>(r * M + o)] + dv * dv;
                if (o == 0 || cv < best) {
                    best = cv;
                    bo = (uint8_t)o;
                }
            }
            nm[p] = best;
            bi[p] = bo;
        }
    T norm = nm[0];
    for (int p = 0; p < S; ++p) {
        mt[p] = nm[p] - norm;
        svk[p] = bi[p];
    }
}

#if DSP_EQ_GNU_VECTOR
template <typename T, int M, int MEM>
static inline void dsp_mlse_acs_vector(T yk, const T *E, T *mt, uint8_t *svk)
{
    constexpr int S = dsp_mlse_dims<M, MEM>::S, Q = dsp_mlse_dims<M, MEM>::Q;
    constexpr int W = 16 / (int)sizeof(T); /* lanes */
    typedef T V __attribute__((vector_size(16)));
    typedef typename dsp_eq_int<T>::type I;
    typedef I VI __attribute__((vector_size(16)));
    typedef uint8_t VB __attribute__((vector_size(W)));
    V nm[S / W];
    VI bi[S / W];
    V yv = yk - V{};
    for (int r = 0; r < Q; ++r)
        for (int a0 = 0; a0 < M; a0 += W) {
            int p = r * M + a0, c = p / W;
            V best = V{}, ev;
            VI bo = VI{};
            for (int o = 0; o < M; ++o) {
                __builtin_memcpy(&ev, E + o * S + p, sizeof ev);
                V dv = yv - ev;
                V cv = (mt[dsp_mlse_pos<M, MEM>(r * M + o)] - V{}) + dv * dv;
                if (o == 0) {
                    best = cv;
                } else {
                    VI lt = cv < best;
                    best = lt ? cv : best;
                    bo = lt ? VI{} + (I)o : bo;
                }
            }
            nm[c] = best;
            bi[c] = bo;
        }
    T norm = nm[0][0];
    for (int c = 0; c < S / W; ++c) {
        V v = nm[c] - norm;
        __builtin_memcpy(mt + c * W, &v, sizeof v);
        VB b = __builtin_convertvector(bi[c], VB);
        __builtin_memcpy(svk + c * W, &b, sizeof b);
    }
}
#endif

template <typename T, int M, int MEM, bool PORTABLE>
DSP_HD void dsp_mlse_acs(T yk, const T *E, T *mt, uint8_t *svk)
{
#if DSP_EQ_GNU_VECTOR
    if (!PORTABLE && M % (16 / (int)sizeof(T)) == 0) {
        dsp_mlse_acs_vector<T, M, MEM>(yk, E, mt, svk);
        return;
    }
#endif
    dsp_mlse_acs_scalar<T, M, MEM>(yk, E, mt, svk);
}

template <typename T, int M, int MEM, bool PORTABLE>
DSP_HD void dsp_mlse_row_t(const T *y, int64_t n, int64_t n_train, const T *h, T c, T d,
                           uint8_t *out)
{
    constexpr int S = dsp_mlse_dims<M, MEM>::S, Q = dsp_mlse_dims<M, MEM>::Q;
    constexpr int B = dsp_mlse_dims<M, MEM>::B;
    T E[B], mt[S];
    uint8_t sv[DSP_MLSE_RING][S];

    /* expectations: branch e = o S + r M + A is the sequence a_k = A, then the digits of r
     * (a_(k-1) most significant, ..., a_(k-MEM+1)), then a_(k-MEM) = o; it leaves state
     * A Q + r (position r M + A) and comes from state r M + o. */
    for (int e = 0; e < B; ++e) {
        int o = e / S, r = (e % S) / M, A = e % M;
        int s = A * Q + r;
        T acc = c;
        for (int j = 0; j < MEM; ++j) {
            int div = 1;
            for (int u = 0; u < MEM - 1 - j; ++u)
                div *= M;
            acc = acc + h[j] * dsp_eq_level<T>((uint32_t)((s / div) % M), M, d);
        }
        acc = acc + h[MEM] * dsp_eq_level<T>((uint32_t)o, M, d);
        E[e] = acc;
    }

    /* the known state after the training symbols */
    int s0 = 0;
    for (int j = 0; j < MEM; ++j)
        s0 = s0 * M + (int)out[n_train - 1 - j];
    const T big = (T)1e30;
    for (int p = 0; p < S; ++p)
        mt[p] = p == dsp_mlse_pos<M, MEM>(s0) ? (T)0 : big;

    int64_t pending = 0; /* undecided steps in the ring */
    for (int64_t k = n_train; k < n; ++k) {
        dsp_mlse_acs<T, M, MEM, PORTABLE>(y[k], E, mt, sv[k & (DSP_MLSE_RING - 1)]);
        if (++pending == DSP_MLSE_RING) {
            dsp_mlse_traceback<T, M, MEM>(sv, mt, k, DSP_MLSE_RING, DSP_MLSE_DEPTH, out);
            pending -= DSP_MLSE_RING - DSP_MLSE_DEPTH;
        }
    }
    if (pending > 0)
        dsp_mlse_traceback<T, M, MEM>(sv, mt, n - 1, (int)pending, 0, out);
}

#define DSP_MLSE_CASE(MM, KK)                                                                    \
    case MM * 10 + KK:                                                                           \
        if (portable)                                                                            \
            dsp_mlse_row_t<T, MM, KK, true>(y, n, n_train, h, c, d, out);                        \
        else                                                                                     \
            dsp_mlse_row_t<T, MM, KK, false>(y, n, n_train, h, c, d, out);                       \
        return DSP_EQ_OK;

/* One row of the MLSE. y: n received values; h: memory + 1 channel taps (h_0 the cursor); c: the
 * offset; d: half the level spacing; out: n level indices, out[0..n_train-1] (n_train >= memory)
 * given on entry, the rest written. portable != 0 forces the portable add-compare-select (the one
 * the GPU runs) where g++ would use its vector version, for tests. Returns DSP_EQ_BAD_CONFIG for
 * an unsupported (m, memory). */
template <typename T>
DSP_HD int dsp_mlse_row(const T *y, int64_t n, int64_t n_train, const T *h, T c, int m,
                        int memory, T d, uint8_t *out, int portable)
{
    if (n_train < memory || n_train > n)
        return DSP_EQ_BAD_CONFIG;
    switch (m * 10 + memory) {
        DSP_MLSE_CASE(2, 1)
        DSP_MLSE_CASE(2, 2)
        DSP_MLSE_CASE(4, 1)
        DSP_MLSE_CASE(4, 2)
        DSP_MLSE_CASE(8, 1)
        DSP_MLSE_CASE(8, 2)
        DSP_MLSE_CASE(16, 1)
    default:
        return DSP_EQ_BAD_CONFIG;
    }
}

#endif /* DSP_EQUALIZER_H */

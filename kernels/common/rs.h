/* Reed-Solomon codes over GF(2^m), m <= 16: per-codeword encoder and hard-decision decoder, and
 * the per-group symbol-error counters of the FEC counting path. Shared by kernels/cpu/rs.pyx
 * (OpenMP over codewords) and kernels/cuda/rs.cu (one thread per codeword).
 *
 * Conventions (see dsp.fec.rs):
 * - Symbols are field elements in the polynomial basis, as integers 0 .. 2^m - 1; alpha = x (2).
 * - A codeword c[0 .. n-1] is the polynomial c(x) = sum_i c[i] x^(n-1-i): index 0 is the
 *   highest-degree coefficient. Systematic, parity last: c = [msg (k) | parity (r = n - k)],
 *   parity = msg(x) x^r mod g(x), with g(x) = prod_{i=0}^{r-1} (x - alpha^(b+i)), b = first root.
 * - An error at index i has locator X = alpha^(n-1-i); its "position" p = n - 1 - i.
 *
 * Tables, built on the host (dsp.fec.rs) and passed in, so that device code needs no static init
 * (q1 = 2^m - 1):
 * - log_t[2^m] (int32): log_t[a] = log_alpha(a) in [0, q1); log_t[0] = 2 q1 (a sentinel).
 * - exp_t[4 q1 + 1] (uint16): exp_t[i] = alpha^(i mod q1) for i < 2 q1, and 0 for i >= 2 q1.
 *   Then a * b = exp_t[log_t[a] + log_t[b]] for all a, b, zero included, without a branch.
 * - gen_lo[2^h][w], gen_hi[2^(m-h)][w] (uint16): row v of gen_lo holds v * g_(r-1-j),
 *   j = 0 .. r-1, the generator's coefficients below the leading 1, highest degree first; row v
 *   of gen_hi the same for v << h; zero-padded to w (a multiple of 8) columns. Multiplication is
 *   GF(2)-linear, so fb * g_j = gen_lo[fb & (2^h - 1)][.] ^ gen_hi[fb >> h][.]: two tables of a
 *   few KiB (L1-resident for m = 10) instead of one of 2^m rows.
 *
 * Decoding: the received word is divided by g(x) with the same LFSR as the encoder (vectorised
 * row updates, no per-symbol multiplications); the remainder R(x) = r(x) x^r mod g(x) is zero iff
 * r is a codeword, and otherwise gives the syndromes S_i = r(beta_i) = R(beta_i) beta_i^(-r),
 * beta_i = alpha^(b+i), i = 0 .. r-1. Then Berlekamp-Massey (error locator Lambda, length L),
 * Chien search over the n valid positions only (direct solution for L = 1) and Forney's formula
 * Y = X^(1-b) Omega(X^-1) / Lambda'(X^-1), Omega = S Lambda mod x^r. The word is declared failed
 * (and returned unchanged) when L > t, deg Lambda != L, fewer than L roots lie at valid positions
 * (roots in the shortened part included), or an error value or Lambda' vanishes at a root.
 *
 * CPU only (g++ with SSE2, i.e. every x86-64 build; -DDSP_RS_NO_SIMD turns it off): the division
 * keeps the register in SSE2 registers, and dsp_rs_decode_two divides two words in one loop, since
 * the division is bound by the latency of its feedback chain. Same arithmetic, same results as the
 * portable loop that the GPU runs (the tests pass with either build).
 */
#ifndef DSP_RS_H
#define DSP_RS_H

#include "dsp_common.h"

typedef unsigned short dsp_rs_sym;

/* The largest n - k the compiled decoder handles (per-codeword work arrays live on the stack). */
#define DSP_RS_MAX_ROOTS 128
#define DSP_RS_MAX_W (DSP_RS_MAX_ROOTS + 8)

/* Status bits returned by the per-codeword cores. */
#define DSP_RS_FAILED 1
#define DSP_RS_BAD_SYMBOL 2

#define DSP_RS_RESTRICT __restrict__

typedef struct {
    int m, n, k, nroots, t, first_root, q1, h, w;
    const int32_t *log_t;
    const dsp_rs_sym *exp_t;
    const dsp_rs_sym *gen_lo;
    const dsp_rs_sym *gen_hi;
} dsp_rs_code;

DSP_HD dsp_rs_code dsp_rs_make_code(int m, int n, int k, int first_root, int h, int w,
                                    const int32_t *log_t, const dsp_rs_sym *exp_t,
                                    const dsp_rs_sym *gen_lo, const dsp_rs_sym *gen_hi)
{
    dsp_rs_code c;
    c.m = m;
    c.n = n;
    c.k = k;
    c.nroots = n - k;
    c.t = (n - k) / 2;
    c.q1 = (1 << m) - 1;
    c.first_root = first_root;
    c.h = h;
    c.w = w;
    c.log_t = log_t;
    c.exp_t = exp_t;
    c.gen_lo = gen_lo;
    c.gen_hi = gen_hi;
    return c;
}

/* reg[0 .. w] := remainder of u(x) x^r mod g(x), u = u[0 .. len-1] (highest degree first),
 * highest degree first in reg[0 .. r-1]; reg[r .. w] end zero. Returns non-zero iff a symbol
 * of u is >= 2^m (the table indices are masked, so nothing is read out of bounds). */
template <int W>
DSP_HD uint32_t dsp_rs_lfsr_w(const dsp_rs_code *c, const dsp_rs_sym *DSP_RS_RESTRICT u, int len,
                              dsp_rs_sym *DSP_RS_RESTRICT reg)
{
    const int w = W > 0 ? W : c->w, h = c->h;
    const uint32_t lo_mask = (1u << h) - 1u, hi_mask = (1u << (c->m - h)) - 1u;
    const dsp_rs_sym *DSP_RS_RESTRICT glo = c->gen_lo;
    const dsp_rs_sym *DSP_RS_RESTRICT ghi = c->gen_hi;
    for (int j = 0; j <= w; ++j)
        reg[j] = 0;
    uint32_t acc = 0;
    for (int i = 0; i < len; ++i) {
        uint32_t s = u[i];
        acc |= s;
        uint32_t fb = s ^ reg[0];
        const dsp_rs_sym *DSP_RS_RESTRICT lo = glo + (int64_t)(fb & lo_mask) * w;
        const dsp_rs_sym *DSP_RS_RESTRICT hi = ghi + (int64_t)((fb >> h) & hi_mask) * w;
        for (int j = 0; j < w; ++j)
            reg[j] = (dsp_rs_sym)(reg[j + 1] ^ lo[j] ^ hi[j]);
    }
    return acc >> c->m;
}

#if defined(__SSE2__) && !defined(__CUDACC__) && !defined(__CUDACC_RTC__) && !defined(DSP_RS_NO_SIMD)
#include <emmintrin.h>
#define DSP_RS_SSE2 1
/* The same LFSR with the register held in NV SSE2 registers (w = 8 NV): the generic loop stores
 * the register and reloads it shifted by one symbol at the next step, a load that store-to-load
 * forwarding cannot serve, which stalls every step. Same arithmetic, same result. */
template <int NV>
static inline uint32_t dsp_rs_lfsr_sse2(const dsp_rs_code *c, const dsp_rs_sym *u, int len,
                                        dsp_rs_sym *reg)
{
    const int h = c->h;
    const uint32_t lo_mask = (1u << h) - 1u, hi_mask = (1u << (c->m - h)) - 1u;
    const __m128i zero = _mm_setzero_si128();
    __m128i v[NV];
    for (int j = 0; j < NV; ++j)
        v[j] = zero;
    uint32_t acc = 0;
    for (int i = 0; i < len; ++i) {
        const uint32_t s = u[i];
        acc |= s;
        const uint32_t fb = (s ^ (uint32_t)_mm_cvtsi128_si32(v[0])) & 0xffffu;
        const __m128i *lo = (const __m128i *)(c->gen_lo + (int64_t)(fb & lo_mask) * (8 * NV));
        const __m128i *hi = (const __m128i *)(c->gen_hi + (int64_t)((fb >> h) & hi_mask) * (8 * NV));
        for (int j = 0; j < NV; ++j) {
            const __m128i nxt = (j + 1 < NV) ? v[j + 1] : zero;
            __m128i x = _mm_or_si128(_mm_srli_si128(v[j], 2), _mm_slli_si128(nxt, 14));
            x = _mm_xor_si128(x, _mm_loadu_si128(lo + j));
            v[j] = _mm_xor_si128(x, _mm_loadu_si128(hi + j));
        }
    }
    for (int j = 0; j < NV; ++j)
        _mm_storeu_si128((__m128i *)(reg + 8 * j), v[j]);
    reg[8 * NV] = 0;
    return acc >> c->m;
}
#endif

/* The row width known at compile time for the common parity lengths. */
DSP_HD uint32_t dsp_rs_lfsr(const dsp_rs_code *c, const dsp_rs_sym *DSP_RS_RESTRICT u, int len,
                            dsp_rs_sym *DSP_RS_RESTRICT reg)
{
#if defined(DSP_RS_SSE2)
    switch (c->w) {
    case 8: return dsp_rs_lfsr_sse2<1>(c, u, len, reg);
    case 16: return dsp_rs_lfsr_sse2<2>(c, u, len, reg);
    case 24: return dsp_rs_lfsr_sse2<3>(c, u, len, reg);
    case 32: return dsp_rs_lfsr_sse2<4>(c, u, len, reg);
    case 40: return dsp_rs_lfsr_sse2<5>(c, u, len, reg);
    default: return dsp_rs_lfsr_w<0>(c, u, len, reg);
    }
#else
    switch (c->w) {
    case 8: return dsp_rs_lfsr_w<8>(c, u, len, reg);
    case 16: return dsp_rs_lfsr_w<16>(c, u, len, reg);
    case 32: return dsp_rs_lfsr_w<32>(c, u, len, reg);
    default: return dsp_rs_lfsr_w<0>(c, u, len, reg);
    }
#endif
}

/* Systematic encoding of one message msg[0 .. k-1] into out[0 .. n-1]. Returns DSP_RS_BAD_SYMBOL
 * if a message symbol is >= 2^m (out is then garbage), else 0. */
DSP_HD int dsp_rs_encode_one(const dsp_rs_code *c, const dsp_rs_sym *msg, dsp_rs_sym *out)
{
    dsp_rs_sym reg[DSP_RS_MAX_W + 1];
    uint32_t bad = dsp_rs_lfsr(c, msg, c->k, reg);
    for (int i = 0; i < c->k; ++i)
        out[i] = msg[i];
    for (int j = 0; j < c->nroots; ++j)
        out[c->k + j] = reg[j];
    return bad ? DSP_RS_BAD_SYMBOL : 0;
}

/* a * b in GF(2^m), either may be zero. */
DSP_HD uint32_t dsp_rs_mul(const dsp_rs_code *c, uint32_t a, uint32_t b)
{
    return c->exp_t[c->log_t[a] + c->log_t[b]];
}

/* (x mod q1) for any int64 x, in [0, q1). */
DSP_HD int dsp_rs_mod(int64_t x, int q1)
{
    int64_t r = x % q1;
    return (int)(r < 0 ? r + q1 : r);
}

/* Decode one received word r[0 .. n-1] into out[0 .. n-1]. Returns 0 (corrected, or no error),
 * DSP_RS_FAILED (out = r), possibly | DSP_RS_BAD_SYMBOL (a symbol >= 2^m; out = r). *n_corr gets
 * the number of corrected symbols (0 for a failed word). */
/* The decoder after the division: reg = remainder of r(x) x^r mod g(x) (dsp_rs_lfsr), bad = its
 * out-of-range flag. */
DSP_HD int dsp_rs_decode_rem(const dsp_rs_code *c, const dsp_rs_sym *reg, uint32_t bad,
                             const dsp_rs_sym *r, dsp_rs_sym *out, int32_t *n_corr)
{
    const int n = c->n, nr = c->nroots, t = c->t, q1 = c->q1, b = c->first_root;
    const int32_t *log_t = c->log_t;
    const dsp_rs_sym *exp_t = c->exp_t;

    for (int i = 0; i < n; ++i)
        out[i] = r[i];
    *n_corr = 0;
    if (bad)
        return DSP_RS_FAILED | DSP_RS_BAD_SYMBOL;
    uint32_t any = 0;
    for (int j = 0; j < nr; ++j)
        any |= reg[j];
    if (!any)
        return 0; /* a codeword */
    if (t == 0)
        return DSP_RS_FAILED;

    /* Syndromes S_i = sum_j reg[j] beta_i^(-(j+1)), i = 0 .. nr-1. */
    dsp_rs_sym S[DSP_RS_MAX_ROOTS];
    for (int i = 0; i < nr; ++i)
        S[i] = 0;
    for (int j = 0; j < nr; ++j) {
        uint32_t v = reg[j];
        if (!v)
            continue;
        const int step = j + 1; /* <= nr < q1 */
        int idx = dsp_rs_mod((int64_t)log_t[v] - (int64_t)b * step, q1);
        for (int i = 0; i < nr; ++i) {
            S[i] ^= exp_t[idx];
            idx -= step;
            idx += (idx < 0) ? q1 : 0;
        }
    }

    /* Berlekamp-Massey: Lambda (lam) of LFSR length L generating S_0 .. S_{nr-1}. */
    dsp_rs_sym lam[DSP_RS_MAX_ROOTS + 1], B[DSP_RS_MAX_ROOTS + 1], T[DSP_RS_MAX_ROOTS + 1];
    for (int i = 0; i <= nr; ++i) {
        lam[i] = 0;
        B[i] = 0;
    }
    lam[0] = 1;
    B[0] = 1;
    int L = 0, shift = 1, degB = 0;
    uint32_t bd = 1;
    for (int k = 0; k < nr; ++k) {
        uint32_t d = S[k];
        for (int i = 1; i <= L; ++i)
            d ^= dsp_rs_mul(c, lam[i], S[k - i]);
        if (d == 0) {
            ++shift;
            continue;
        }
        const int lc = dsp_rs_mod((int64_t)log_t[d] - log_t[bd], q1); /* log(d / bd) */
        const int top = (degB + shift < nr) ? degB + shift : nr;
        if (2 * L <= k) {
            /* B := Lambda before the update; deg Lambda <= L always holds in BM. */
            for (int i = 0; i <= L; ++i)
                T[i] = lam[i];
            for (int i = shift; i <= top; ++i)
                lam[i] ^= exp_t[lc + log_t[B[i - shift]]];
            for (int i = 0; i <= L; ++i)
                B[i] = T[i];
            for (int i = L + 1; i <= degB; ++i)
                B[i] = 0;
            degB = L;
            L = k + 1 - L;
            if (L > t)
                return DSP_RS_FAILED; /* L never decreases */
            bd = d;
            shift = 1;
        } else {
            for (int i = shift; i <= top; ++i)
                lam[i] ^= exp_t[lc + log_t[B[i - shift]]];
            ++shift;
        }
    }
    int deg = 0;
    for (int i = 1; i <= nr; ++i)
        if (lam[i])
            deg = i;
    if (L == 0 || deg != L)
        return DSP_RS_FAILED;

    /* Roots: positions p in [0, n) with Lambda(alpha^-p) = 0. */
    int pos[DSP_RS_MAX_ROOTS / 2 + 1];
    int found = 0;
    if (L == 1) {
        const int p = log_t[lam[1]]; /* Lambda = 1 + X x */
        if (p < n)
            pos[found++] = p;
    } else {
        int lt[DSP_RS_MAX_ROOTS / 2 + 1], st[DSP_RS_MAX_ROOTS / 2 + 1];
        int terms = 0;
        for (int j = 1; j <= L; ++j)
            if (lam[j]) {
                lt[terms] = log_t[lam[j]];
                st[terms] = j;
                ++terms;
            }
        for (int p = 0; p < n; ++p) {
            uint32_t v = 1;
            for (int j = 0; j < terms; ++j) {
                v ^= exp_t[lt[j]];
                int x = lt[j] - st[j];
                lt[j] = x + ((x < 0) ? q1 : 0);
            }
            if (v == 0) {
                pos[found++] = p;
                if (found == L)
                    break;
            }
        }
    }
    if (found != L)
        return DSP_RS_FAILED;

    /* Forney. Omega_k = sum_{j<=k} lam_j S_{k-j}, k < L. */
    dsp_rs_sym om[DSP_RS_MAX_ROOTS / 2 + 1];
    for (int k = 0; k < L; ++k) {
        uint32_t v = 0;
        for (int j = 0; j <= k; ++j)
            v ^= dsp_rs_mul(c, lam[j], S[k - j]);
        om[k] = (dsp_rs_sym)v;
    }
    int val[DSP_RS_MAX_ROOTS / 2 + 1];
    for (int e = 0; e < L; ++e) {
        const int p = pos[e];
        const int step = dsp_rs_mod(-(int64_t)p, q1); /* log X^-1 */
        uint32_t ov = 0, dv = 0;
        int ex = 0; /* k * log X^-1 mod q1 */
        for (int k = 0; k < L; ++k) {
            ov ^= exp_t[log_t[om[k]] + ex];
            ex += step;
            ex -= (ex >= q1) ? q1 : 0;
        }
        ex = 0; /* (j - 1) * log X^-1 for odd j */
        const int step2 = dsp_rs_mod(2 * (int64_t)step, q1);
        for (int j = 1; j <= L; j += 2) {
            dv ^= exp_t[log_t[lam[j]] + ex];
            ex += step2;
            ex -= (ex >= q1) ? q1 : 0;
        }
        if (ov == 0 || dv == 0)
            return DSP_RS_FAILED;
        val[e] = exp_t[dsp_rs_mod((int64_t)p * (1 - b) + log_t[ov] - log_t[dv], q1)];
    }
    for (int e = 0; e < L; ++e)
        out[n - 1 - pos[e]] ^= (dsp_rs_sym)val[e];
    *n_corr = L;
    return 0;
}

DSP_HD int dsp_rs_decode_one(const dsp_rs_code *c, const dsp_rs_sym *r, dsp_rs_sym *out,
                             int32_t *n_corr)
{
    dsp_rs_sym reg[DSP_RS_MAX_W + 1];
    const uint32_t bad = dsp_rs_lfsr(c, r, c->n, reg);
    return dsp_rs_decode_rem(c, reg, bad, r, out, n_corr);
}

#if defined(DSP_RS_SSE2)
/* Two words divided together: the LFSR is bound by the latency of its feedback chain (extract,
 * table load, xor), so two independent chains in one loop nearly double its throughput. */
template <int NV>
static inline void dsp_rs_lfsr2_sse2(const dsp_rs_code *c, const dsp_rs_sym *u0,
                                     const dsp_rs_sym *u1, int len, dsp_rs_sym *reg0,
                                     dsp_rs_sym *reg1, uint32_t *bad0, uint32_t *bad1)
{
    const int h = c->h;
    const uint32_t lo_mask = (1u << h) - 1u, hi_mask = (1u << (c->m - h)) - 1u;
    const __m128i zero = _mm_setzero_si128();
    __m128i v[NV], x[NV];
    for (int j = 0; j < NV; ++j) {
        v[j] = zero;
        x[j] = zero;
    }
    uint32_t acc0 = 0, acc1 = 0;
    for (int i = 0; i < len; ++i) {
        const uint32_t s0 = u0[i], s1 = u1[i];
        acc0 |= s0;
        acc1 |= s1;
        const uint32_t f0 = (s0 ^ (uint32_t)_mm_cvtsi128_si32(v[0])) & 0xffffu;
        const uint32_t f1 = (s1 ^ (uint32_t)_mm_cvtsi128_si32(x[0])) & 0xffffu;
        const __m128i *lo0 = (const __m128i *)(c->gen_lo + (int64_t)(f0 & lo_mask) * (8 * NV));
        const __m128i *hi0 = (const __m128i *)(c->gen_hi + (int64_t)((f0 >> h) & hi_mask) * (8 * NV));
        const __m128i *lo1 = (const __m128i *)(c->gen_lo + (int64_t)(f1 & lo_mask) * (8 * NV));
        const __m128i *hi1 = (const __m128i *)(c->gen_hi + (int64_t)((f1 >> h) & hi_mask) * (8 * NV));
        for (int j = 0; j < NV; ++j) {
            const __m128i n0 = (j + 1 < NV) ? v[j + 1] : zero;
            const __m128i n1 = (j + 1 < NV) ? x[j + 1] : zero;
            __m128i a = _mm_or_si128(_mm_srli_si128(v[j], 2), _mm_slli_si128(n0, 14));
            __m128i d = _mm_or_si128(_mm_srli_si128(x[j], 2), _mm_slli_si128(n1, 14));
            a = _mm_xor_si128(a, _mm_loadu_si128(lo0 + j));
            d = _mm_xor_si128(d, _mm_loadu_si128(lo1 + j));
            v[j] = _mm_xor_si128(a, _mm_loadu_si128(hi0 + j));
            x[j] = _mm_xor_si128(d, _mm_loadu_si128(hi1 + j));
        }
    }
    for (int j = 0; j < NV; ++j) {
        _mm_storeu_si128((__m128i *)(reg0 + 8 * j), v[j]);
        _mm_storeu_si128((__m128i *)(reg1 + 8 * j), x[j]);
    }
    reg0[8 * NV] = 0;
    reg1[8 * NV] = 0;
    *bad0 = acc0 >> c->m;
    *bad1 = acc1 >> c->m;
}
#endif

#if !defined(__CUDACC_RTC__) && !defined(__CUDA_ARCH__)
/* CPU: decode two words (r0, r1) at once; same results as two dsp_rs_decode_one calls, whose
 * statuses are returned as st0 | (st1 << 8). */
static inline int dsp_rs_decode_two(const dsp_rs_code *c, const dsp_rs_sym *r0, const dsp_rs_sym *r1,
                                    dsp_rs_sym *out0, dsp_rs_sym *out1, int32_t *nc0, int32_t *nc1)
{
    dsp_rs_sym reg0[DSP_RS_MAX_W + 1], reg1[DSP_RS_MAX_W + 1];
    uint32_t bad0, bad1;
#if defined(DSP_RS_SSE2)
    switch (c->w) {
    case 8: dsp_rs_lfsr2_sse2<1>(c, r0, r1, c->n, reg0, reg1, &bad0, &bad1); break;
    case 16: dsp_rs_lfsr2_sse2<2>(c, r0, r1, c->n, reg0, reg1, &bad0, &bad1); break;
    case 24: dsp_rs_lfsr2_sse2<3>(c, r0, r1, c->n, reg0, reg1, &bad0, &bad1); break;
    case 32: dsp_rs_lfsr2_sse2<4>(c, r0, r1, c->n, reg0, reg1, &bad0, &bad1); break;
    default:
        bad0 = dsp_rs_lfsr(c, r0, c->n, reg0);
        bad1 = dsp_rs_lfsr(c, r1, c->n, reg1);
    }
#else
    bad0 = dsp_rs_lfsr(c, r0, c->n, reg0);
    bad1 = dsp_rs_lfsr(c, r1, c->n, reg1);
#endif
    const int st0 = dsp_rs_decode_rem(c, reg0, bad0, r0, out0, nc0);
    const int st1 = dsp_rs_decode_rem(c, reg1, bad1, r1, out1, nc1);
    return st0 | (st1 << 8);
}
#endif

/* ------------------------------------------------------------------ symbol-error counting
 * Line bits are grouped into m-bit symbols; a group of `ways` interleaved codewords spans
 * G = ways * n symbols, line symbol s of the group belongs to codeword s % ways. */

/* Is the m-bit symbol at p[0 .. m-1] (one byte per bit, non-zero = error) in error? */
DSP_HD int dsp_rs_symbol_err_u8(const uint8_t *p, int m)
{
    uint32_t acc = 0;
    for (int i = 0; i < m; ++i)
        acc |= p[i];
    return acc != 0;
}

/* Is the m-bit symbol at bits bit0 .. bit0+m-1 of a packed row (np.packbits order: bit 0 is the
 * MSB of byte 0) in error? m <= 16, so the symbol spans at most 3 bytes. */
DSP_HD int dsp_rs_symbol_err_packed(const uint8_t *row, int64_t bit0, int m)
{
    const int64_t first = bit0 >> 3, last = (bit0 + m - 1) >> 3;
    const int off = (int)(bit0 & 7);
    uint32_t v = 0;
    for (int64_t i = first; i <= first + 2; ++i)
        v = (v << 8) | (i <= last ? row[i] : 0u);
    /* bits of the 24-bit window, MSB first: off .. off+m-1 */
    return ((v >> (24 - off - m)) & ((1u << m) - 1u)) != 0;
}

#if !defined(__CUDACC_RTC__) && !defined(__CUDA_ARCH__)
#if defined(__BYTE_ORDER__) && (__BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__)
#error "rs.h: the CPU counting path assumes a little-endian machine"
#endif

/* Erroneous symbols per codeword of one group: bits[0 .. ways*n*m - 1] (one byte per bit, in line
 * order), counts[0 .. ways-1] (overwritten). Skips 8 error-free bytes at a time; each error bit
 * found maps to its symbol, counted once (bits of a symbol are contiguous, scanned in order). */
static inline void dsp_rs_count_group_u8(const uint8_t *bits, int m, int n, int ways,
                                         int32_t *counts)
{
    const int64_t nbytes = (int64_t)ways * n * m;
    for (int w = 0; w < ways; ++w)
        counts[w] = 0;
    int64_t last = -1, i = 0;
    for (; i + 8 <= nbytes; i += 8) {
        uint64_t x;
        __builtin_memcpy(&x, bits + i, 8);
        if (__builtin_expect(x == 0, 1))
            continue;
        do {
            const int bt = __builtin_ctzll(x) >> 3;
            const int64_t s = (i + bt) / m;
            if (s != last) {
                counts[s % ways] += 1;
                last = s;
            }
            x &= ~(0xffull << (8 * bt));
        } while (x);
    }
    for (; i < nbytes; ++i)
        if (bits[i]) {
            const int64_t s = i / m;
            if (s != last) {
                counts[s % ways] += 1;
                last = s;
            }
        }
}

/* The same for packed bits (np.packbits, bitorder "big"): the group's bits are bits
 * bit0 .. bit0 + ways*n*m - 1 of row, which holds row_bytes bytes. */
static inline void dsp_rs_count_group_packed(const uint8_t *row, int64_t row_bytes, int64_t bit0,
                                             int m, int n, int ways, int32_t *counts)
{
    const int64_t nbits = (int64_t)ways * n * m, bit1 = bit0 + nbits;
    for (int w = 0; w < ways; ++w)
        counts[w] = 0;
    int64_t last = -1;
    for (int64_t byte = bit0 >> 3; byte * 8 < bit1; byte += 8) {
        uint64_t x;
        if (byte + 8 <= row_bytes) {
            __builtin_memcpy(&x, row + byte, 8);
            x = __builtin_bswap64(x); /* MSB = first bit in line order */
        } else {
            x = 0;
            for (int j = 0; j < 8; ++j)
                x = (x << 8) | (byte + j < row_bytes ? row[byte + j] : 0u);
        }
        if (__builtin_expect(x == 0, 1))
            continue;
        const int64_t base = byte * 8;
        if (base < bit0)
            x &= ~0ull >> (bit0 - base);
        if (base + 64 > bit1)
            x &= ~(~0ull >> (bit1 - base));
        while (x) {
            const int k = __builtin_clzll(x);
            const int64_t s = (base + k - bit0) / m;
            if (s != last) {
                counts[s % ways] += 1;
                last = s;
            }
            x &= ~(0x8000000000000000ull >> k);
        }
    }
}
#endif

#endif /* DSP_RS_H */

/* Binary triple-error-correcting BCH component codes over GF(2^m) (m <= 10) and the staircase code
 * built from them (400ZR CFEC outer code, ITU-T G.709.2 OTU4-SC). Shared by kernels/cpu/bch.pyx
 * (OpenMP over codewords or streams) and kernels/cuda/bch.cu (one thread per codeword).
 *
 * Component code (see dsp.fec.bch): codeword position p (0 .. n-1) carries the locator beta_p, a
 * non-zero field element (an integer 1 .. 2^m - 1, polynomial basis, bit i = coefficient of x^i).
 * The parity-check matrix has one column per position, packed in a 32-bit word
 *     h[p] = beta_p | beta_p^3 << m | beta_p^5 << 2m | extra rows (F row and/or overall parity) << 3m,
 * so the syndrome of a word is the XOR of h[p] over its set bits: S1 = sum beta, S3 = sum beta^3,
 * S5 = sum beta^5 over the error positions, and one bit per extra row. A word is a codeword iff its
 * syndrome is 0.
 *
 * Decoding (dsp_bch_solve): Peterson's direct solution for t = 3 (Newton's identities):
 *     sigma1 = S1, D = S1^3 + S3, sigma2 = (S5 + S1^2 S3) / D, sigma3 = D + S1 sigma2,
 * D = 0 meaning at most one error (beta = S1, needs S5 = S1^5). The roots of the locator
 * z^nu + sigma1 z^(nu-1) + ... are the error locators themselves and are found in closed form by
 * table look-up instead of a Chien search: a quadratic z^2 + a z + b through y^2 + y = b / a^2
 * (table quad), a cubic through z = y + sigma1, y = sqrt(p) w, w^3 + w = q / p^(3/2) (table cubic),
 * or a cube root when p = 0. A correction is accepted only if its nu (<= 3) positions are distinct,
 * valid (pos_of[beta] >= lo) and reproduce the whole syndrome, extra rows included: with the
 * overall-parity row (d_min >= 8) every pattern of 4 errors is detected, never miscorrected.
 *
 * Field tables as in rs.h: log_t[2^m] (log_t[0] = 2 q1), exp_t[4 q1 + 1] (zero from 2 q1 on).
 */
#ifndef DSP_BCH_H
#define DSP_BCH_H

#include "dsp_common.h"

#if defined(__CUDACC_RTC__)
typedef short int16_t; /* not in dsp_common.h's NVRTC list */
#endif

#define DSP_BCH_NO_ROOT 0xffffu

#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define DSP_BCH_XOR(ptr, v) atomicXor((unsigned int *)(ptr), (unsigned int)(v))
#else
#define DSP_BCH_XOR(ptr, v) (*(ptr) ^= (v))
#endif

typedef struct {
    int m, n, k, q1;
    const uint32_t *h;       /* [n] parity-check columns */
    const uint32_t *par;     /* [k] parity of each message bit: codeword parity bits = XOR of par[i] */
    const int16_t *pos_of;   /* [2^m] position of a locator, -1 if it is not one of the code's */
    const int32_t *log_t;    /* [2^m] */
    const unsigned short *exp_t; /* [4 q1 + 1] */
    const unsigned short *quad;  /* [2^m] a root y of y^2 + y = c, DSP_BCH_NO_ROOT if none */
    const uint32_t *cubic;   /* [2^m] roots of w^3 + w = d: count << 30 | w0 | w1 << 10 | w2 << 20 */
} dsp_bch_code;

DSP_HD dsp_bch_code dsp_bch_make_code(int m, int n, int k, const uint32_t *h, const uint32_t *par,
                                      const int16_t *pos_of, const int32_t *log_t,
                                      const unsigned short *exp_t, const unsigned short *quad,
                                      const uint32_t *cubic)
{
    dsp_bch_code c;
    c.m = m;
    c.n = n;
    c.k = k;
    c.q1 = (1 << m) - 1;
    c.h = h;
    c.par = par;
    c.pos_of = pos_of;
    c.log_t = log_t;
    c.exp_t = exp_t;
    c.quad = quad;
    c.cubic = cubic;
    return c;
}

/* XOR of w[i] over the set bits of bits[0 .. len-1] (one byte per bit, bit 0 of each byte used).
 * Branch-free, so that it vectorizes. */
DSP_HD uint32_t dsp_bch_mask_xor(const uint32_t *w, const uint8_t *bits, int len)
{
    uint32_t s = 0;
    for (int i = 0; i < len; ++i)
        s ^= w[i] & (0u - (uint32_t)(bits[i] & 1u));
    return s;
}

DSP_HD uint32_t dsp_bch_mul(const dsp_bch_code *c, uint32_t a, uint32_t b)
{
    return c->exp_t[c->log_t[a] + c->log_t[b]];
}

/* Error positions of syndrome s: returns nu in 0 .. 3 (positions in pos[0 .. nu-1], all >= lo), or
 * -1 when no pattern of at most 3 errors at valid positions explains s (a detected failure). */
DSP_HD int dsp_bch_solve(const dsp_bch_code *c, uint32_t s, int lo, int *pos)
{
    if (!s)
        return 0;
    const int m = c->m, q1 = c->q1;
    const uint32_t mask = (1u << m) - 1u;
    const int32_t *lg = c->log_t;
    const unsigned short *ex = c->exp_t;
    const uint32_t S1 = s & mask, S3 = (s >> m) & mask, S5 = (s >> (2 * m)) & mask;
    if (!(S1 | S3 | S5))
        return -1; /* only the extra rows fail: an even number (>= 4) of errors */
    uint32_t root[3];
    int nu;
    const uint32_t S1_2 = dsp_bch_mul(c, S1, S1), S1_3 = dsp_bch_mul(c, S1_2, S1);
    const uint32_t D = S1_3 ^ S3;
    if (!D) {
        if (!S1 || dsp_bch_mul(c, S1_2, S1_3) != S5)
            return -1;
        root[0] = S1;
        nu = 1;
    } else {
        const uint32_t num = S5 ^ dsp_bch_mul(c, S1_2, S3);
        const uint32_t s2 = ex[lg[num] - lg[D] + q1]; /* zero when num is (log sentinel) */
        const uint32_t s3 = D ^ dsp_bch_mul(c, S1, s2);
        if (!s3) {
            /* two errors: z^2 + S1 z + s2, z = S1 y, y^2 + y = s2 / S1^2 */
            if (!S1 || !s2)
                return -1;
            const uint32_t cc = ex[lg[s2] - lg[S1_2] + q1];
            const uint32_t y = c->quad[cc];
            if (y == DSP_BCH_NO_ROOT)
                return -1;
            root[0] = dsp_bch_mul(c, S1, y);
            root[1] = dsp_bch_mul(c, S1, y ^ 1u);
            nu = 2;
        } else {
            /* three errors: z^3 + S1 z^2 + s2 z + s3, z = y + S1: y^3 + p y + q */
            const uint32_t p = S1_2 ^ s2, q = dsp_bch_mul(c, S1, s2) ^ s3;
            if (!q)
                return -1; /* a repeated (or zero) root */
            if (p) {
                const int lp = lg[p];
                const int lsp = (lp & 1) ? (lp + q1) >> 1 : lp >> 1; /* log sqrt(p) */
                const int ld = (lg[q] - 3 * lsp + 3 * q1) % q1;
                const uint32_t e = c->cubic[ex[ld]];
                if ((e >> 30) != 3u)
                    return -1;
                const uint32_t sp = ex[lsp];
                for (int i = 0; i < 3; ++i)
                    root[i] = dsp_bch_mul(c, sp, (e >> (10 * i)) & 0x3ffu) ^ S1;
            } else {
                const int lq = lg[q];
                if ((q1 % 3) || (lq % 3))
                    return -1; /* fewer than three cube roots */
                const int l0 = lq / 3, third = q1 / 3;
                root[0] = ex[l0] ^ S1;
                root[1] = ex[l0 + third] ^ S1;
                root[2] = ex[l0 + 2 * third] ^ S1;
            }
            nu = 3;
        }
    }
    uint32_t acc = 0;
    for (int i = 0; i < nu; ++i) {
        const int p = c->pos_of[root[i]]; /* pos_of[0] = -1 */
        if (p < lo)
            return -1;
        pos[i] = p;
        acc ^= c->h[p];
    }
    return acc == s ? nu : -1; /* the pattern must explain every row, the extra ones included */
}

/* Systematic encoding of one message msg[0 .. k-1] (one byte per bit) into out[0 .. n-1]. */
DSP_HD void dsp_bch_encode_one(const dsp_bch_code *c, const uint8_t *msg, uint8_t *out)
{
    const uint32_t p = dsp_bch_mask_xor(c->par, msg, c->k);
    for (int i = 0; i < c->k; ++i)
        out[i] = msg[i] & 1u;
    for (int j = 0; j < c->n - c->k; ++j)
        out[c->k + j] = (uint8_t)((p >> j) & 1u);
}

/* Bounded-distance decoding of one word r[0 .. n-1] into out. Returns nu (bits corrected, 0 .. 3)
 * or -1 (failure detected: out = r). */
DSP_HD int dsp_bch_decode_one(const dsp_bch_code *c, const uint8_t *r, uint8_t *out)
{
    for (int i = 0; i < c->n; ++i)
        out[i] = r[i] & 1u;
    const uint32_t s = dsp_bch_mask_xor(c->h, r, c->n);
    int pos[3];
    const int nu = dsp_bch_solve(c, s, 0, pos);
    for (int i = 0; i < nu; ++i)
        out[pos[i]] ^= 1u;
    return nu;
}

/* ------------------------------------------------------------------ staircase code
 * A stream holds blocks B_1 .. B_L (index j = 0 .. L-1), each R rows x C columns of bits, row-major
 * (one byte per bit); B_0 is all-zero and not stored. The component codeword of row r of block j
 * (r = 0 .. R-1) is [left part: column colof[r] of block j-1, rows 0 .. R-1 | right part: row r of
 * block j] (n = R + C positions); rows with colof[r] < 0, and every row of block 0 (whose left
 * part is B_0), have a zero left part: positions < R are not valid error positions there. The
 * parity bits are the last n - k columns of each row. rowof[] is the inverse of colof[]: row of
 * block j+1 whose codeword holds column c of block j. syn[j * R + r] is that codeword's syndrome.
 */
typedef struct {
    int R, C, L;
    const int32_t *colof; /* [R] */
    const int32_t *rowof; /* [C] */
} dsp_sc_geom;

DSP_HD dsp_sc_geom dsp_sc_make_geom(int R, int C, int L, const int32_t *colof, const int32_t *rowof)
{
    dsp_sc_geom g;
    g.R = R;
    g.C = C;
    g.L = L;
    g.colof = colof;
    g.rowof = rowof;
    return g;
}

/* Syndrome of codeword (j, r) from the bits of a stream (portable: column read with stride C). */
DSP_HD uint32_t dsp_sc_row_syndrome(const dsp_bch_code *c, const dsp_sc_geom *g, const uint8_t *blocks,
                                    int j, int r)
{
    const int R = g->R, C = g->C;
    const uint8_t *row = blocks + ((int64_t)j * R + r) * C;
    uint32_t s = dsp_bch_mask_xor(c->h + R, row, C);
    const int col = g->colof[r];
    if (j > 0 && col >= 0) {
        const uint8_t *prev = blocks + (int64_t)(j - 1) * R * C + col;
        for (int q = 0; q < R; ++q)
            s ^= c->h[q] & (0u - (uint32_t)(prev[(int64_t)q * C] & 1u));
    }
    return s;
}

/* Encode row r of block j: info[0 .. C-(n-k)-1] -> row r of block j (block j-1 already encoded). */
DSP_HD void dsp_sc_encode_row(const dsp_bch_code *c, const dsp_sc_geom *g, const uint8_t *info,
                              uint8_t *blocks, int j, int r)
{
    const int R = g->R, C = g->C, nr = c->n - c->k, ki = C - nr;
    uint8_t *row = blocks + ((int64_t)j * R + r) * C;
    uint32_t p = dsp_bch_mask_xor(c->par + R, info, ki);
    const int col = g->colof[r];
    if (j > 0 && col >= 0) {
        const uint8_t *prev = blocks + (int64_t)(j - 1) * R * C + col;
        for (int q = 0; q < R; ++q)
            p ^= c->par[q] & (0u - (uint32_t)(prev[(int64_t)q * C] & 1u));
    }
    for (int i = 0; i < ki; ++i)
        row[i] = info[i] & 1u;
    for (int i = 0; i < nr; ++i)
        row[ki + i] = (uint8_t)((p >> i) & 1u);
}

/* Decode codeword (j, r) from its syndrome and apply the correction: flip the bits, clear its
 * syndrome and update the syndromes of the other codewords that hold the flipped bits (rows of
 * block j-1 and of block j+1; atomically on the GPU, where the rows of one block run in parallel).
 * Returns bits flipped (0 .. 3) or -1 (failure: nothing changed). Codewords of one block share no
 * bit, so decoding them in any order, or in parallel, gives the same result. */
DSP_HD int dsp_sc_decode_row(const dsp_bch_code *c, const dsp_sc_geom *g, uint8_t *blocks,
                             uint32_t *syn, int j, int r)
{
    const int R = g->R, C = g->C;
    const uint32_t s = syn[(int64_t)j * R + r];
    if (!s)
        return 0;
    const int col = g->colof[r];
    const int lo = (j > 0 && col >= 0) ? 0 : R;
    int pos[3];
    const int nu = dsp_bch_solve(c, s, lo, pos);
    if (nu <= 0)
        return nu;
    for (int i = 0; i < nu; ++i) {
        const int p = pos[i];
        if (p >= R) { /* row r of block j, column p - R */
            const int cc = p - R;
            blocks[((int64_t)j * R + r) * C + cc] ^= 1u;
            const int rr = g->rowof[cc];
            if (j + 1 < g->L && rr >= 0)
                DSP_BCH_XOR(syn + (int64_t)(j + 1) * R + rr, c->h[r]);
        } else { /* row p of block j-1, column col */
            blocks[((int64_t)(j - 1) * R + p) * C + col] ^= 1u;
            DSP_BCH_XOR(syn + (int64_t)(j - 1) * R + p, c->h[R + col]);
        }
    }
    syn[(int64_t)j * R + r] = 0;
    return nu;
}

#if !defined(__CUDACC_RTC__) && !defined(__CUDA_ARCH__)
/* CPU: whole-stream encoder and decoder (one OpenMP thread per stream). The column parts are
 * accumulated row by row of the previous block (vectorized over columns) instead of read with a
 * stride; same arithmetic as the portable per-row functions. tmp: scratch of C uint32. */
static inline void dsp_sc_col_xor(const uint32_t *w, const uint8_t *block, int R, int C, uint32_t *acc)
{
    for (int cc = 0; cc < C; ++cc)
        acc[cc] = 0;
    for (int q = 0; q < R; ++q) {
        const uint32_t wq = w[q];
        const uint8_t *row = block + (int64_t)q * C;
        for (int cc = 0; cc < C; ++cc)
            acc[cc] ^= wq & (0u - (uint32_t)(row[cc] & 1u));
    }
}

static inline void dsp_sc_encode_stream(const dsp_bch_code *c, const dsp_sc_geom *g, const uint8_t *info,
                                        uint8_t *blocks, uint32_t *tmp)
{
    const int R = g->R, C = g->C, ki = C - (c->n - c->k);
    for (int j = 0; j < g->L; ++j) {
        if (j > 0)
            dsp_sc_col_xor(c->par, blocks + (int64_t)(j - 1) * R * C, R, C, tmp);
        for (int r = 0; r < R; ++r) {
            const uint8_t *in = info + ((int64_t)j * R + r) * ki;
            uint8_t *row = blocks + ((int64_t)j * R + r) * C;
            uint32_t p = dsp_bch_mask_xor(c->par + R, in, ki);
            const int col = g->colof[r];
            if (j > 0 && col >= 0)
                p ^= tmp[col];
            for (int i = 0; i < ki; ++i)
                row[i] = in[i] & 1u;
            for (int i = 0; i < C - ki; ++i)
                row[ki + i] = (uint8_t)((p >> i) & 1u);
        }
    }
}

static inline void dsp_sc_syndromes_stream(const dsp_bch_code *c, const dsp_sc_geom *g, const uint8_t *blocks,
                                           uint32_t *syn, uint32_t *tmp)
{
    const int R = g->R, C = g->C;
    for (int j = 0; j < g->L; ++j) {
        if (j > 0)
            dsp_sc_col_xor(c->h, blocks + (int64_t)(j - 1) * R * C, R, C, tmp);
        for (int r = 0; r < R; ++r) {
            uint32_t s = dsp_bch_mask_xor(c->h + R, blocks + ((int64_t)j * R + r) * C, C);
            const int col = g->colof[r];
            if (j > 0 && col >= 0)
                s ^= tmp[col];
            syn[(int64_t)j * R + r] = s;
        }
    }
}

/* Sliding-window iterative decoding of one stream, in place. The window holds the codewords of
 * `window` consecutive blocks, ending at block e = 0 .. L + window - 2 (the last window - 1 steps
 * only drain the window); at each step up to `iterations` passes decode every codeword of the
 * window, oldest block first, stopping early after a pass that corrected nothing. Returns the
 * total number of bit flips. syn must hold the stream's syndromes (dsp_sc_syndromes_stream). */
static inline int64_t dsp_sc_decode_stream(const dsp_bch_code *c, const dsp_sc_geom *g, uint8_t *blocks,
                                           uint32_t *syn, int window, int iterations)
{
    const int R = g->R, L = g->L;
    int64_t flips = 0;
    for (int e = 0; e < L + window - 1; ++e) {
        const int j0 = e - window + 1 > 0 ? e - window + 1 : 0;
        const int j1 = e < L - 1 ? e : L - 1;
        for (int it = 0; it < iterations; ++it) {
            int changed = 0;
            for (int j = j0; j <= j1; ++j)
                for (int r = 0; r < R; ++r) {
                    const int nu = dsp_sc_decode_row(c, g, blocks, syn, j, r);
                    if (nu > 0) {
                        changed = 1;
                        flips += nu;
                    }
                }
            if (!changed)
                break;
        }
    }
    return flips;
}
#endif

#endif /* DSP_BCH_H */

/* Soft-decision (Chase-II) and hard-decision decoding of binary single-error-correcting codes
 * (Hamming, extended / shortened Hamming, any code whose parity-check columns are distinct and
 * non-zero). Shared by kernels/cpu/hamming.pyx (OpenMP over codewords) and
 * kernels/cuda/hamming.cu (one thread per codeword).
 *
 * Conventions (see dsp.fec.hamming):
 * - LLR = log P(b = 0) / P(b = 1): hard decision bit = (L < 0); reliability r = |L|.
 * - The code is given by its parity-check columns: cols[j] (bit i = H[i, j], m <= 30 checks) and
 *   a syndrome table: table[s] = j when s == cols[j] (the single-error position), -1 otherwise
 *   (the zero syndrome and every syndrome that is not a column: an uncorrectable, detected word).
 *
 * Chase-II, exactly (the NumPy oracle in tests/reference.py follows these steps):
 *  1. y = hard decisions, s0 = XOR of cols[j] over the j with y[j] = 1.
 *  2. The p least reliable positions q[0..p-1], ordered by (r ascending, index ascending): q[0]
 *     is the least reliable, equal reliabilities go to the lower index first.
 *  3. For each test pattern t = 0 .. 2^p - 1 in increasing order (bit i of t flips q[i]):
 *     s = s0 XOR cols[q[i]] over the set bits i of t. If s = 0 the candidate is y with the
 *     flips of t; else if table[s] = j >= 0 it is y with the flips of t and bit j flipped; else
 *     there is no candidate. D = the set of positions where the candidate differs from y
 *     (t's positions, plus j, or minus j when j is one of them).
 *  4. Metric of a candidate = sum of r over D, summed as: the positions q[i] of D in decreasing
 *     i, starting from 0, then r[j] last when j was added. The candidate with the smallest metric
 *     wins; on equal metrics the earlier pattern t wins (strict comparison).
 *  5. Output: the winning candidate; no candidate at all: y unchanged.
 * Symbol pairs (pairs > 0, the IEEE 802.3dj inner code): component position j < pairs stands for
 * the XOR of word bits 2j and 2j+1; its hard decision is the XOR of theirs, its reliability the
 * smaller of their |L|, and flipping it flips the less reliable of the two bits (bit 2j when
 * |L[2j]| < |L[2j+1]|, else bit 2j+1). Component position j >= pairs is word bit j + pairs.
 * Status: 0 = y is a codeword (output = y), 1 = output differs from y, 2 = no test pattern decoded
 * (output = y, a detected failure), DSP_HAMMING_NONFINITE = an LLR is NaN or infinite (output
 * undefined). With p = 0 this is plain syndrome decoding of the hard decisions: single errors
 * corrected, other non-zero syndromes that are not a column detected (status 2).
 *
 * Arithmetic is plain IEEE in the LLRs' precision (no FMA: -ffp-contract=off / --fmad=false), so
 * the CPU and the GPU give identical outputs.
 */
#ifndef DSP_HAMMING_H
#define DSP_HAMMING_H

#include "dsp_common.h"

#if defined(__CUDACC_RTC__)
typedef short int16_t; /* dsp_common.h defines the other fixed-width types for NVRTC */
#endif

#define DSP_HAMMING_MAX_P 10
#define DSP_HAMMING_OK 0
#define DSP_HAMMING_CHANGED 1
#define DSP_HAMMING_FAILED 2
#define DSP_HAMMING_NONFINITE 3

template <typename T>
DSP_HD T dsp_hamming_abs(T x)
{
    return x < (T)0 ? -x : x;
}

/* Reliability of component position j: |L| of its bit, or for a pair (j < pairs) the smaller |L|
 * of bits 2j and 2j+1 (the max-log reliability of their XOR). */
template <typename T>
DSP_HD T dsp_hamming_rel(const T *llr, int j, int pairs)
{
    if (j < pairs) {
        const T a = dsp_hamming_abs(llr[2 * j]), b = dsp_hamming_abs(llr[2 * j + 1]);
        return b < a ? b : a;
    }
    return dsp_hamming_abs(llr[j + pairs]);
}

/* Flip component position j in the output: its bit, or for a pair the less reliable bit (bit 2j
 * when |L[2j]| < |L[2j+1]|, else bit 2j+1). */
template <typename T>
DSP_HD void dsp_hamming_flip(const T *llr, int j, int pairs, uint8_t *out)
{
    if (j < pairs) {
        const T a = dsp_hamming_abs(llr[2 * j]), b = dsp_hamming_abs(llr[2 * j + 1]);
        out[a < b ? 2 * j : 2 * j + 1] ^= 1;
    } else {
        out[j + pairs] ^= 1;
    }
}

/* Decode one word. The component code has n positions (cols[n], table[2^m]); the word holds
 * n + pairs bits: positions j < pairs of the component are the XOR of bits 2j, 2j+1 of the word
 * (pairs = 0: a plain binary code), position j >= pairs is bit j + pairs. llr[n + pairs] in,
 * out[n + pairs] (0/1) out; returns the status above. p in [0, min(n, MAX_P)]. */
template <typename T>
DSP_HD int dsp_hamming_chase_one(const T *llr, int n, int pairs, const uint32_t *cols, const int16_t *table, int p,
                                 uint8_t *out)
{
    int q[DSP_HAMMING_MAX_P];
    T rq[DSP_HAMMING_MAX_P];
    uint32_t cq[DSP_HAMMING_MAX_P];
    uint32_t s0 = 0;
    int bad = 0;
    /* pass 1 (branch-free, vectorizable): hard decisions, syndrome, finiteness */
    for (int j = 0; j < pairs; ++j) {
        const T a = llr[2 * j], b = llr[2 * j + 1];
        const T ra = dsp_hamming_abs(a), rb = dsp_hamming_abs(b);
        bad |= !(ra - ra == (T)0) | !(rb - rb == (T)0); /* NaN or infinity */
        const uint32_t ha = (uint32_t)(a < (T)0), hb = (uint32_t)(b < (T)0);
        out[2 * j] = (uint8_t)ha;
        out[2 * j + 1] = (uint8_t)hb;
        s0 ^= cols[j] & (0u - (ha ^ hb));
    }
    for (int j = pairs; j < n; ++j) {
        const T x = llr[j + pairs];
        const T r = dsp_hamming_abs(x);
        bad |= !(r - r == (T)0);
        const uint32_t b = (uint32_t)(x < (T)0);
        out[j + pairs] = (uint8_t)b;
        s0 ^= cols[j] & (0u - b);
    }
    if (bad)
        return DSP_HAMMING_NONFINITE;
    if (s0 == 0)
        return DSP_HAMMING_OK; /* pattern 0 is a codeword with metric 0: nothing beats it */
    /* pass 2, only for words with a non-zero syndrome: the p least reliable positions by a partial
     * insertion sort; strict < keeps the lower index first among equal reliabilities */
    int filled = 0;
    for (int j = 0; j < n && filled < p; ++j) {
        const T r = dsp_hamming_rel(llr, j, pairs);
        int i = filled++;
        while (i > 0 && r < rq[i - 1]) {
            rq[i] = rq[i - 1];
            q[i] = q[i - 1];
            --i;
        }
        rq[i] = r;
        q[i] = j;
    }
    if (p > 0) {
        T worst = rq[p - 1];
        for (int j = p; j < n; ++j) {
            const T r = dsp_hamming_rel(llr, j, pairs);
            if (r < worst) {
                int i = p - 1;
                while (i > 0 && r < rq[i - 1]) {
                    rq[i] = rq[i - 1];
                    q[i] = q[i - 1];
                    --i;
                }
                rq[i] = r;
                q[i] = j;
                worst = rq[p - 1];
            }
        }
    }
    for (int i = 0; i < p; ++i)
        cq[i] = cols[q[i]];
    const int np = 1 << p;
    int best_t = -1, best_j = -1;
    T best = (T)0;
    for (int t = 0; t < np; ++t) {
        uint32_t s = s0;
        for (int i = 0; i < p; ++i)
            s ^= cq[i] & (0u - (uint32_t)((t >> i) & 1));
        int j = -1;
        if (s != 0) {
            j = table[s];
            if (j < 0)
                continue;
        }
        /* j inside the pattern: the candidate drops that flip */
        int drop = -1;
        if (j >= 0)
            for (int i = 0; i < p; ++i)
                if (((t >> i) & 1) && q[i] == j)
                    drop = i;
        T metric = (T)0;
        for (int i = p - 1; i >= 0; --i)
            if (((t >> i) & 1) && i != drop)
                metric = metric + rq[i];
        if (j >= 0 && drop < 0)
            metric = metric + dsp_hamming_rel(llr, j, pairs);
        if (best_t < 0 || metric < best) {
            best = metric;
            best_t = drop < 0 ? t : (t & ~(1 << drop));
            best_j = drop < 0 ? j : -1;
        }
    }
    if (best_t < 0)
        return DSP_HAMMING_FAILED;
    for (int i = 0; i < p; ++i)
        if ((best_t >> i) & 1)
            dsp_hamming_flip(llr, q[i], pairs, out);
    if (best_j >= 0)
        dsp_hamming_flip(llr, best_j, pairs, out);
    return DSP_HAMMING_CHANGED; /* s0 != 0: the winner differs from the hard decisions */
}

#endif /* DSP_HAMMING_H */

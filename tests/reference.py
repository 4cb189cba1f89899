"""Slow, obvious NumPy / SciPy oracles for the kernel and metric tests.

Nothing here imports dsp's compiled kernels: the only thing taken from the package is the list of
constellation points (``dsp.modulation.Constellation(kind, m).points``), whose own properties (unit
energy, Gray labels) are tested in tests/test_modulation.py.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

PHILOX_M0 = 0xD2511F53
PHILOX_M1 = 0xCD9E8D57
PHILOX_W0 = 0x9E3779B9
PHILOX_W1 = 0xBB67AE85
_MASK32 = np.uint64(0xFFFFFFFF)


def philox4x32_10(counters, key):
    """Philox4x32-10 (Salmon et al., SC'11) of each row of ``counters`` (uint32, (n, 4)) under ``key``.

    ``key`` is ``(k0, k1)``, two ints or two arrays of n uint32 (one key per row). Returns uint32 (n, 4).
    """
    c = np.asarray(counters, dtype=np.uint32).reshape(-1, 4).astype(np.uint64)
    c0, c1, c2, c3 = (c[:, j].copy() for j in range(4))
    k0 = np.asarray(key[0], dtype=np.uint64) & _MASK32
    k1 = np.asarray(key[1], dtype=np.uint64) & _MASK32
    for _ in range(10):
        p0 = np.uint64(PHILOX_M0) * c0            # < 2^64: no wrap-around in uint64
        p1 = np.uint64(PHILOX_M1) * c2
        c0, c1, c2, c3 = ((p1 >> np.uint64(32)) ^ c1 ^ k0,
                          p1 & _MASK32,
                          (p0 >> np.uint64(32)) ^ c3 ^ k1,
                          p0 & _MASK32)
        k0 = (k0 + np.uint64(PHILOX_W0)) & _MASK32
        k1 = (k1 + np.uint64(PHILOX_W1)) & _MASK32
    return np.stack([c0, c1, c2, c3], axis=1).astype(np.uint32)


def philox_items(first, n, key):
    """The words of items ``first .. first + n - 1`` of the stream ``key``: counter (i_lo, i_hi, 0, 0)."""
    i = np.uint64(first) + np.arange(n, dtype=np.uint64)
    counters = np.zeros((n, 4), dtype=np.uint32)
    counters[:, 0] = (i & _MASK32).astype(np.uint32)
    counters[:, 1] = (i >> np.uint64(32)).astype(np.uint32)
    return philox4x32_10(counters, key)


def _points(kind, m):
    from dsp.modulation import Constellation

    return Constellation(kind, m).points


def slice_labels(y, kind, m, chunk=8192):
    """Nearest-point labels by brute force: argmin over all points of the distance (float64).

    Ties go to the lowest label: callers avoid exact ties (the kernels' own tie rule is tested apart).
    """
    pts = _points(kind, m)
    y = np.asarray(y)
    if kind == "qam":
        flat = y.reshape(-1).astype(np.complex128)
    else:
        flat = y.reshape(-1).astype(np.float64)
    out = np.empty(flat.shape[0], dtype=np.int64)
    for s in range(0, flat.shape[0], chunk):
        blk = flat[s:s + chunk]
        dist = np.abs(blk[:, None] - pts[None, :])
        out[s:s + chunk] = np.argmin(dist, axis=1)
    return out.reshape(y.shape)


def popcount(x):
    x = np.asarray(x, dtype=np.uint64)
    total = np.zeros(x.shape, dtype=np.int64)
    while np.any(x):
        total += (x & np.uint64(1)).astype(np.int64)
        x = x >> np.uint64(1)
    return total


def count_errors(y, labels, kind, m):
    """(bit errors, symbol errors) of ``y`` against transmitted labels, by brute-force decisions."""
    hat = slice_labels(y, kind, m)
    diff = popcount(hat.astype(np.uint64) ^ np.asarray(labels).astype(np.uint64).reshape(hat.shape))
    return int(diff.sum()), int(np.count_nonzero(diff))


def gray(k):
    return k ^ (k >> 1)


def _phi(x):
    return np.exp(-0.5 * x * x) / np.sqrt(2.0 * np.pi)


@lru_cache(maxsize=None)
def _gauss_prob(a, b):
    """P(a < Z < b) for Z ~ N(0, 1), 0 <= a < b <= inf, by quadrature, accurate far in the tail.

    Written as phi(a) * int_0^(b-a) exp(-a u - u^2 / 2) du, so that quad sees a well-scaled integrand.
    """
    from scipy.integrate import quad

    assert 0.0 <= a < b
    val, err = quad(lambda u: np.exp(-a * u - 0.5 * u * u), 0.0, b - a, epsabs=0.0, epsrel=1e-13, limit=200)
    return _phi(a) * val


def ber_gray_pam_numeric(levels, d_over_sigma):
    """BER of Gray PAM-``levels`` (half spacing d, noise sigma) by integrating the Gaussian over regions.

    Level k at (2k - L + 1) d; decision region j = [(2j - L) d, (2j - L + 2) d], the outer two
    unbounded. Sums P(region j | level k) * popcount(gray(k) ^ gray(j)) over all k != j.
    """
    L = int(levels)
    bits = L.bit_length() - 1
    r = float(d_over_sigma)
    total = 0.0
    for k in range(L):
        centre = 2 * k - L + 1                       # in units of d
        for j in range(L):
            if j == k:
                continue
            lo = -np.inf if j == 0 else (2 * j - L)
            hi = np.inf if j == L - 1 else (2 * j - L + 2)
            # standardized distances from the sent level; region j lies on one side of it
            a, b = (lo - centre) * r, (hi - centre) * r
            if j < k:                                # mirror onto the positive side
                a, b = -b, -a
            w = bin(gray(k) ^ gray(j)).count("1")
            total += w * _gauss_prob(float(a), float(b))
    return total / (L * bits)


# ----------------------------------------------------------------------- Reed-Solomon over GF(2^m)
# From the definitions, in plain Python integers: field elements are polynomials over GF(2) as bit
# masks, multiplication is carry-less multiplication reduced modulo the field polynomial. Codeword
# polynomials list their coefficients highest degree first (c[0] multiplies x^(n-1)).

def gf_mul(a, b, m, prim_poly):
    """a * b in GF(2^m) = GF(2)[x] / prim_poly, by shift-and-add with reduction."""
    r = 0
    while b:
        if b & 1:
            r ^= a
        b >>= 1
        a <<= 1
        if a >> m:
            a ^= prim_poly
    return r


def gf_pow(a, e, m, prim_poly):
    r = 1
    for _ in range(e):
        r = gf_mul(r, a, m, prim_poly)
    return r


def poly_eval(coeffs, x, m, prim_poly):
    """Horner evaluation of a polynomial (coefficients highest degree first) at x."""
    acc = 0
    for c in coeffs:
        acc = gf_mul(acc, x, m, prim_poly) ^ int(c)
    return acc


def rs_roots(m, prim_poly, n, k, first_root):
    """The generator roots alpha^(first_root + i), i = 0 .. n-k-1, with alpha = x."""
    a = gf_pow(2, first_root, m, prim_poly)
    roots = []
    for _ in range(n - k):
        roots.append(a)
        a = gf_mul(a, 2, m, prim_poly)
    return roots


def rs_generator(m, prim_poly, n, k, first_root):
    """g(x) = prod (x - root), coefficients highest degree first (monic)."""
    g = [1]
    for r in rs_roots(m, prim_poly, n, k, first_root):
        nxt = g + [0]                       # g * x
        for i, c in enumerate(g):           # + g * r (minus = plus in characteristic 2)
            nxt[i + 1] ^= gf_mul(c, r, m, prim_poly)
        g = nxt
    return g


def rs_encode(msg, m, prim_poly, n, k, first_root):
    """Systematic codeword [msg | msg(x) x^(n-k) mod g(x)] by polynomial long division."""
    g = rs_generator(m, prim_poly, n, k, first_root)
    rem = [int(s) for s in msg] + [0] * (n - k)
    for i in range(k):
        coef = rem[i]
        if coef:
            for j, gj in enumerate(g):
                rem[i + j] ^= gf_mul(gj, coef, m, prim_poly)
    return [int(s) for s in msg] + rem[k:]


def rs_is_codeword(word, m, prim_poly, n, k, first_root):
    """A word is a codeword iff its polynomial vanishes at every generator root."""
    return all(poly_eval(word, r, m, prim_poly) == 0 for r in rs_roots(m, prim_poly, n, k, first_root))


def rs_codebook(m, prim_poly, n, k, first_root):
    """Every codeword of a small code, (q^k, n) int64, by encoding every message."""
    import itertools

    q = 1 << m
    return np.array([rs_encode(msg, m, prim_poly, n, k, first_root)
                     for msg in itertools.product(range(q), repeat=k)], dtype=np.int64)


def mds_weight_distribution(n, k, q):
    """A_w of an MDS [n, k] code over GF(q) (MacWilliams and Sloane, ch. 11, Thm 6), exact integers."""
    from math import comb

    d = n - k + 1
    a = [0] * (n + 1)
    a[0] = 1
    for w in range(d, n + 1):
        a[w] = comb(n, w) * sum((-1) ** j * comb(w, j) * (q ** (w - d + 1 - j) - 1) for j in range(w - d + 1))
    return a


def rs_miscorrection_prob(n, k, q, e):
    """P(a bounded-distance decoder with t = (n-k)//2 miscorrects | e symbol errors, uniformly random
    positions and non-zero values), exactly, for an MDS code.

    By linearity take the zero codeword: the decoder miscorrects iff the error word lies within
    distance t of a non-zero codeword (spheres of radius t are disjoint). For a codeword c of weight
    w, the words v of weight e at distance s from c are counted by where v agrees with c (i positions
    of supp c), differs from it while non-zero (j positions, q-2 values), is zero on supp c (w-i-j),
    and is non-zero off supp c (h positions, q-1 values): e = i + j + h, s = w - i + h.
    """
    from fractions import Fraction
    from math import comb

    t = (n - k) // 2
    a = mds_weight_distribution(n, k, q)
    hits = 0
    for w in range(1, n + 1):
        if not a[w]:
            continue
        count = 0
        for i in range(w + 1):
            for j in range(w - i + 1):
                h = e - i - j
                if h < 0 or h > n - w:
                    continue
                if w - i + h <= t:
                    count += comb(w, i) * comb(w - i, j) * (q - 2) ** j * comb(n - w, h) * (q - 1) ** h
        hits += a[w] * count
    return Fraction(hits, comb(n, e) * (q - 1) ** e)


def binomial_tail_exact(p, n, t):
    """P(Binomial(n, p) > t) in exact rational arithmetic (p a Fraction)."""
    from fractions import Fraction
    from math import comb

    p = Fraction(p)
    return sum(comb(n, e) * p ** e * (1 - p) ** (n - e) for e in range(t + 1, n + 1))


# ------------------------------------------------------------------------------- PAM equalizers

def pam_levels(m):
    """PAM-m level values sorted by value (index k <-> (2k - m + 1) d), from the constellation points."""
    return np.sort(_points("pam", m))


def nearest_level(q, m):
    """Index of the nearest PAM-m level to each value of q (brute-force argmin of the distance)."""
    lv = pam_levels(m)
    q = np.asarray(q, dtype=np.float64)
    return np.argmin(np.abs(q[..., None] - lv), axis=-1)


def lms_equalizer(y, ref, taps, sps, step_train, step_dd, n_train, m, target=(1.0,), fb_taps=0, w0=None):
    """Adaptive FFE / DFE by LMS, one row at a time, written from the documented equations (float64).

    z[k] = sum_j w[j] y[sps k + c - j] - sum_i b[i] a[k-1-i], c = taps // 2 (out-of-range samples 0);
    a[k] = ref[k] for k < n_train, else the nearest level to (z[k] - sum_{i>=1} t[i] a[k-i]) / t[0];
    e = sum_i t[i] a[k-i] - z[k]; w += step e x_k; b -= step e a_past. ``step_*`` are per-row arrays.
    Returns (z, decisions, w, b): decisions are the nearest-level indices of the DD rule.
    """
    y = np.asarray(y, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    batch, n_sym = ref.shape
    lv = pam_levels(m)
    c = taps // 2
    t = np.zeros(4)
    t[:len(target)] = target
    z = np.zeros((batch, n_sym))
    dec = np.zeros((batch, n_sym), dtype=np.int64)
    W = np.zeros((batch, taps))
    Bf = np.zeros((batch, fb_taps))
    ypad = np.concatenate([np.zeros((batch, taps)), y, np.zeros((batch, taps))], axis=1)
    for r in range(batch):
        w = np.zeros(taps)
        if w0 is None:
            w[c] = 1.0
        else:
            w[:] = w0[r]
        b = np.zeros(fb_taps)
        past = np.zeros(3)                       # a[k-1], a[k-2], a[k-3]
        for k in range(n_sym):
            pos = sps * k + c + taps             # index of y[sps k + c] in ypad
            x = ypad[r, pos - np.arange(taps)]   # x[j] = y[sps k + c - j]
            zk = w @ x - b @ past[:fb_taps]
            tail = t[1:] @ past
            kh = int(np.argmin(np.abs((zk - tail) / t[0] - lv)))
            a = ref[r, k] if k < n_train else lv[kh]
            e = t[0] * a + tail - zk
            step = step_train[r] if k < n_train else step_dd[r]
            w = w + step * e * x
            b = b - step * e * past[:fb_taps]
            past = np.array([a, past[0], past[1]])
            z[r, k] = zk
            dec[r, k] = kh
        W[r] = w
        Bf[r] = b
    return z, dec, W, Bf


def ls_ffe_taps(y, ref, taps, sps, n_train, target=(1.0,)):
    """Least-squares FFE taps (FIR order, w[c] the cursor) from the first n_train symbols, by lstsq."""
    y = np.asarray(y, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    batch = y.shape[0]
    c = taps // 2
    out = np.zeros((batch, taps))
    for r in range(batch):
        rows, des = [], []
        for k in range(n_train):
            rows.append([y[r, i] if 0 <= (i := sps * k + c - j) < y.shape[1] else 0.0 for j in range(taps)])
            des.append(sum(target[i] * ref[r, k - i] for i in range(len(target)) if k - i >= 0))
        out[r] = np.linalg.lstsq(np.array(rows), np.array(des), rcond=None)[0]
    return out


def mlse_channel(y, ref, memory, n_train):
    """Least squares of y[k] ~ dc + sum_i h[i] ref[k-i] over k = memory..n_train-1: (h, dc) per row."""
    y = np.asarray(y, dtype=np.float64)
    ref = np.asarray(ref, dtype=np.float64)
    hs, dcs = [], []
    for r in range(y.shape[0]):
        X = np.array([[ref[r, k - i] for i in range(memory + 1)] + [1.0] for k in range(memory, n_train)])
        sol = np.linalg.lstsq(X, y[r, memory:n_train], rcond=None)[0]
        hs.append(sol[:memory + 1])
        dcs.append(sol[memory + 1])
    return np.array(hs), np.array(dcs)


def viterbi(y, h, dc, m, memory, train_idx):
    """Plain Viterbi MLSE per row with full traceback (float64), symbols 0..n_train-1 known.

    States are tuples of the `memory` newest level indices; the trellis starts in the state the
    training symbols leave; branch metric (y[k] - dc - sum_i h[i] lv[a[k-i]])**2. Returns int64
    indices, the training part copied.
    """
    import itertools

    y = np.asarray(y, dtype=np.float64)
    lv = pam_levels(m)
    batch, n = y.shape
    n_train = train_idx.shape[1]
    out = np.zeros((batch, n), dtype=np.int64)
    out[:, :n_train] = train_idx
    states = list(itertools.product(range(m), repeat=memory))   # (a[k], a[k-1], ...)
    sidx = {s: i for i, s in enumerate(states)}
    for r in range(batch):
        start = tuple(int(train_idx[r, n_train - 1 - j]) for j in range(memory))
        metric = np.full(len(states), np.inf)
        metric[sidx[start]] = 0.0
        back = []
        for k in range(n_train, n):
            new = np.full(len(states), np.inf)
            prev = np.zeros(len(states), dtype=np.int64)
            for pi, p in enumerate(states):
                if not np.isfinite(metric[pi]):
                    continue
                for a in range(m):
                    seq = (a,) + p                       # a[k], a[k-1], ..., a[k-memory]
                    mu = dc[r] + sum(h[r, i] * lv[seq[i]] for i in range(memory + 1))
                    s = sidx[seq[:memory]]
                    cand = metric[pi] + (y[r, k] - mu) ** 2
                    if cand < new[s]:
                        new[s] = cand
                        prev[s] = pi
            metric = new
            back.append(prev)
        s = int(np.argmin(metric))
        for k in range(n - 1, n_train - 1, -1):
            out[r, k] = states[s][0]
            s = int(back[k - n_train][s])
    return out


# ----------------------------------------------------------------------------------------- LDPC

def ldpc_qc_expand(base, z):
    """Dense H of a quasi-cyclic base matrix, block by block from the definition: entry -1 is the
    z x z zero block, s >= 0 the identity with its rows shifted right by s (P[r, (r + s) % z] = 1)."""
    base = np.asarray(base)
    mb, nb = base.shape
    H = np.zeros((mb * z, nb * z), dtype=np.uint8)
    ident = np.eye(z, dtype=np.uint8)
    for i in range(mb):
        for j in range(nb):
            s = int(base[i, j])
            if s >= 0:
                H[i * z:(i + 1) * z, j * z:(j + 1) * z] = np.roll(ident, s, axis=1)
    return H


def gf2_rank(H):
    """Rank of a 0/1 matrix over GF(2) by plain row reduction."""
    A = (np.asarray(H) % 2).astype(np.uint8).copy()
    rank = 0
    rows, cols = A.shape
    for c in range(cols):
        piv = [r for r in range(rank, rows) if A[r, c]]
        if not piv:
            continue
        A[[rank, piv[0]]] = A[[piv[0], rank]]
        for r in range(rows):
            if r != rank and A[r, c]:
                A[r] ^= A[rank]
        rank += 1
        if rank == rows:
            break
    return rank


def ldpc_layered_min_sum(H, llr, max_iter, alpha=1.0, beta=0.0, early=True, dtype=np.float64):
    """Layered min-sum decoding, one frame and one check at a time, from the definition.

    H: dense 0/1 (m, n); llr: (F, n) channel LLRs, log P(0)/P(1). For each check in row order and
    each of its edges e: q = L[v] - R_e; R_e = (product of the signs of the other q) *
    alpha * max(min(min |other q|, 1e30) - beta, 0); L[v] = q + R_e. Arithmetic in ``dtype``.
    Early termination: stop when H (L < 0) = 0, tested before the first iteration and after
    each. Returns (bits uint8 (F, n), iterations int (F,), converged bool (F,)).
    """
    H = np.asarray(H)
    rows = [np.flatnonzero(H[i]) for i in range(H.shape[0])]
    T = np.dtype(dtype).type
    a, b, rmax, zero = T(alpha), T(beta), T(1e30), T(0)
    llr = np.asarray(llr, dtype=dtype)
    F, n = llr.shape
    bits = np.zeros((F, n), dtype=np.uint8)
    its = np.zeros(F, dtype=np.int64)
    conv = np.zeros(F, dtype=bool)

    for f in range(F):
        L = llr[f].copy()
        R = [np.zeros(len(r), dtype=dtype) for r in rows]

        def satisfied():
            return all(int(np.count_nonzero(L[r] < 0)) % 2 == 0 for r in rows)

        it, ok = 0, False
        if early and satisfied():
            ok = True
        else:
            while it < max_iter:
                for i, r in enumerate(rows):
                    if len(r) == 0:
                        continue
                    q = L[r] - R[i]
                    d = len(r)
                    # row e of `others` holds |q| of every edge but e (inf in place of e itself)
                    others = np.tile(np.abs(q), (d, 1))
                    others[np.arange(d), np.arange(d)] = np.inf
                    mag = others.min(axis=1)
                    neg_all = np.signbit(q)
                    neg = (int(np.count_nonzero(neg_all)) - neg_all.astype(int)) % 2  # others' signs
                    r_mag = np.maximum(np.minimum(mag, rmax) - b, zero) * a
                    new = np.where(neg == 1, -r_mag, r_mag).astype(dtype)
                    R[i] = new
                    L[r] = q + new
                it += 1
                if early and satisfied():
                    ok = True
                    break
            if not early:
                ok = satisfied()
        bits[f] = L < 0
        its[f] = it
        conv[f] = ok
    return bits, its, conv


def biawgn_capacity_dispersion(snr_es_n0):
    """Capacity C (bit/use) and dispersion V (bit^2/use) of BPSK over real AWGN at Es/N0 (linear),
    from the information density i = 1 - log2(1 + exp(-L)), L ~ N(2/s2, 4/s2), s2 = 1/(2 Es/N0),
    by Gauss-Hermite quadrature (Polyanskiy, Poor, Verdu, IEEE Trans. IT 56(5), 2010)."""
    x, w = np.polynomial.hermite_e.hermegauss(200)
    w = w / w.sum()
    s2 = 1.0 / (2.0 * snr_es_n0)
    L = 2.0 / s2 + np.sqrt(4.0 / s2) * x
    i = 1.0 - np.logaddexp(0.0, -L) / np.log(2.0)
    c = float(np.sum(w * i))
    v = float(np.sum(w * (i - c) ** 2))
    return c, v


def normal_approx_fer(n, k, ebn0_db):
    """Normal approximation of the smallest frame error rate of any (n, k) binary code on BPSK-AWGN
    at Eb/N0 (dB): Q((n C - k + log2(n) / 2) / sqrt(n V))."""
    from scipy.special import ndtr

    es_n0 = k / n * 10 ** (ebn0_db / 10)
    c, v = biawgn_capacity_dispersion(es_n0)
    return float(ndtr(-(n * c - k + 0.5 * np.log2(n)) / np.sqrt(n * v)))


# ----------------------------------------------------------------------------- RRC signals

def rrc_pulse(t, beta):
    """Root-raised-cosine pulse (unit energy per symbol period) at times t in symbols (closed form)."""
    t = np.asarray(t, float)
    out = np.empty_like(t)
    sing = np.isclose(np.abs(4 * beta * t), 1.0)
    zero = np.isclose(t, 0.0)
    r = ~(sing | zero)
    tt = t[r]
    out[r] = (np.sin(np.pi * tt * (1 - beta)) + 4 * beta * tt * np.cos(np.pi * tt * (1 + beta))) / (
        np.pi * tt * (1 - (4 * beta * tt) ** 2))
    out[zero] = 1 - beta + 4 * beta / np.pi
    out[sing] = beta / np.sqrt(2) * ((1 + 2 / np.pi) * np.sin(np.pi / (4 * beta))
                                     + (1 - 2 / np.pi) * np.cos(np.pi / (4 * beta)))
    return out


def random_qam16(rng, shape):
    """Unit-energy 16QAM symbols (unlabelled) of the given shape."""
    lv = np.array([-3.0, -1.0, 1.0, 3.0]) / np.sqrt(10.0)
    return lv[rng.integers(0, 4, shape)] + 1j * lv[rng.integers(0, 4, shape)]

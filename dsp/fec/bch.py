"""Binary triple-error-correcting BCH codes over GF(2^m) with extra check rows: the eBCH(1022,990)
component code of the 400ZR CFEC / ITU-T G.709.2 staircase code.

Definition
----------
A :class:`BchCode` of length n is given by one *locator* per codeword position: distinct non-zero
elements beta_0 .. beta_(n-1) of GF(2^m) (integers 1 .. 2^m - 1 in the polynomial basis, bit i =
coefficient of x^i; the field is built from ``prim_poly``, alpha = x). Its parity-check matrix has
the column

    h(beta) = [beta, beta^3, beta^5 (m bits each), F(beta) (optional), 1]^T

at each position, so a word c is a codeword iff sum_p c_p beta_p^j = 0 for j = 1, 3, 5 (the
narrow-sense, designed distance 7 BCH conditions: the triple-error-correcting BCH(2^m - 1,
2^m - 1 - 3m) code, its positions relabelled and shortened to the n chosen locators), plus the
optional extra row F and an overall parity row. n - k = 3m + 1 (+ 1 with F); with the parity row the
code is even-weight, d_min >= 8. Ordering positions by beta_p = alpha^(e_p), c corresponds to the
polynomial c(x) = sum_p c_p x^(e_p), and the BCH conditions say that g(x) = lcm(m1, m3, m5)
divides c(x) (the test suite checks the encoder that way).

Encoding is systematic, parity last: ``c = [msg (k bits) | parity (n - k bits)]``.

Decoding (``kernels/common/bch.h``): the syndrome is the XOR of h over the received word's set
bits; Peterson's direct solution for t = 3 gives the error locator, whose roots are the error
locators beta themselves, found in closed form by table look-up (quadratic and depressed-cubic root
tables, cube roots) rather than by a Chien search over all 2^m - 1 elements. A correction is
accepted only when its (at most 3) positions are distinct, belong to the code and reproduce the
*whole* syndrome, F and parity rows included: the usual eBCH rule (reject when the overall parity
disagrees with an odd/even number of corrections), and, since d_min >= 8, every pattern of 4
errors is detected, never miscorrected. Up to 3 errors are always corrected.

The 400ZR / G.709.2 component code: :func:`ebch_1022_990`
----------------------------------------------------------
OIF-400ZR (CFEC outer code) uses the staircase FEC of ITU-T G.709.2 Annex A ("OTU4-SC"): 512 x 510
blocks whose rows are codewords of a (1022, 990) code over GF(2^10), p(x) = 1 + x^3 + x^10 (the
KP4 field, ``0x409``). As read from G.709.2 clause A.7.2 (through a public third-party
transcription of the Recommendation; the standard's own text was not available here): the
parity-check column of locator beta is [beta, beta^3, beta^5, F(beta), not F(beta)], where beta is
the field element whose binary representation is an integer i in 1 .. 1022 and F is a function of
beta's three low bits b2 b1 b0, F = b2 !b1 !b0 + !b2 b1 + !b2 !b1 b0 (F = 1 iff the low three bits
read 1 .. 4). The rows F and not-F span the same space as F and the overall parity. 32 checks: 30
BCH + parity + F, so k = 990 (plain shortening + extension of BCH(1023,993) would give k = 991).
Codeword position order used here: position p carries the locator alpha^(1021 - p), i.e. the word is
the polynomial c(x) = sum_p c_p x^(1021 - p) (index 0 = highest degree, as in :mod:`dsp.fec.rs`),
so the BCH part is BCH(1023,993) shortened by one position, a shortened cyclic code with
g(x) = m1(x) m3(x) m5(x); parity = the last 32 positions (exponents 31 .. 0). G.709.2 instead
labels the positions with the integers 1 .. 1022 taken through its permutation Pi_d (Table A.2),
which could not be confirmed here; with unpermuted consecutive integers the last 32 columns are
linearly dependent (rank 19), so no systematic encoder exists in that order. The labelling,
the F function (transcribed from a figure) and the bit order on the line are therefore not
bit-exact to the IA; they do not change the code's parameters (n, k, t, d_min >= 8) or its
performance on independent errors.

References: ITU-T G.709.2 (07/2018) Annex A; OIF-400ZR-01.0/03.0 clause 10 (CFEC); S. Lin,
D. J. Costello, *Error Control Coding*, 2nd ed., ch. 6 (BCH codes, Peterson's algorithm).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dsp._validate import check_int as _check_int
from dsp.backend import array_module, get_backend
from dsp.fec.rs import _field

__all__ = ["BchCode", "BchDecodeResult", "ebch_1022_990", "g7092_f"]

T = 3  # errors corrected by the compiled decoder


@dataclass(frozen=True)
class BchDecodeResult:
    """Output of :meth:`BchCode.decode`.

    Attributes
    ----------
    bits : uint8 array ``(..., n)``
        Corrected words; a failed word is the received word unchanged.
    n_corrected : int32 array ``(...)``
        Bits corrected per word (0 .. 3; 0 for error-free and failed words).
    failed : bool array ``(...)``
        The decoder detected more errors than it corrects.
    """

    bits: object
    n_corrected: object
    failed: object


def g7092_f(beta):
    """G.709.2 A.7.2 extra-row function F of locators ``beta`` (integer array): 1 iff (beta & 7) in 1 .. 4."""
    b = np.asarray(beta, dtype=np.int64) & 7
    return ((b >= 1) & (b <= 4)).astype(np.uint8)


class _Tables:
    """Host tables in the layout of ``kernels/common/bch.h``; ``cache`` holds device copies."""

    __slots__ = ("m", "n", "k", "h", "par", "pos_of", "log", "exp", "quad", "cubic", "cache")

    def __init__(self, **kw):
        for k, v in kw.items():
            setattr(self, k, v)
        self.cache = {}


def _gf2_inverse_map(cols: list[int], r: int) -> list[int]:
    """For the r x r GF(2) matrix with columns ``cols`` (r-bit ints), x[b] = the combination of columns
    (bit j = column j) that sums to the unit vector e_b; ValueError if the matrix is singular."""
    rows = [(c, 1 << j) for j, c in enumerate(cols)]
    pivots = {}
    for vec, comb in rows:
        for b, (pv, pc) in pivots.items():
            if (vec >> b) & 1:
                vec ^= pv
                comb ^= pc
        if vec == 0:
            raise ValueError("the parity positions' check columns are linearly dependent")
        b = vec.bit_length() - 1
        for bb in list(pivots):
            pv, pc = pivots[bb]
            if (pv >> b) & 1:
                pivots[bb] = (pv ^ vec, pc ^ comb)
        pivots[b] = (vec, comb)
    if sorted(pivots) != list(range(r)):
        raise ValueError("the parity-check matrix does not have full rank")
    return [pivots[b][1] for b in range(r)]


class BchCode:
    """Binary BCH code correcting 3 errors, with per-position locators and extra check rows.

    Parameters
    ----------
    locators : sequence of int
        beta_p for codeword position p = 0 .. n-1: distinct field elements in [1, 2^m - 1].
    f_row : sequence of 0/1, optional
        An extra check row (one bit per position), e.g. G.709.2's F(beta) (:func:`g7092_f`).
        Without it the code has n - k = 3m + 1 parity bits, with it 3m + 2.
    m : int
        Field degree, 4 .. 10 (the compiled decoder packs the syndrome in 32 bits).
    prim_poly : int
        Primitive polynomial of degree m, bit i = coefficient of x^i (default x^10 + x^3 + 1).

    Notes
    -----
    See the module docstring for the definition and the decoder. Bits are uint8 0/1 (or bool);
    arrays may be NumPy (CPU kernels) or CuPy (GPU kernels); results stay on the input's device.
    """

    def __init__(self, locators, *, f_row=None, m: int = 10, prim_poly: int = 0x409):
        m = _check_int("m", m, 4, 10)
        prim_poly = _check_int("prim_poly", prim_poly, 0)
        if prim_poly.bit_length() != m + 1 or not prim_poly & 1:
            raise ValueError(f"prim_poly must be a polynomial of degree m={m} with constant term 1 "
                             f"(got {prim_poly:#x})")
        exp, log = _field(m, prim_poly)
        q1 = (1 << m) - 1
        loc = np.asarray(locators)
        if loc.ndim != 1 or loc.dtype.kind not in "ui":
            raise ValueError(f"locators must be a 1-D integer sequence (got shape {loc.shape}, dtype {loc.dtype})")
        loc = loc.astype(np.int64)
        n = loc.size
        r = 3 * m + 1 + (f_row is not None)
        if n <= r:
            raise ValueError(f"locators must hold more than n - k = {r} positions (got {n})")
        if loc.min() < 1 or loc.max() > q1:
            raise ValueError(f"locators must lie in [1, {q1}] (got values in [{loc.min()}, {loc.max()}])")
        if np.unique(loc).size != n:
            raise ValueError("locators must be distinct")
        self._m, self._prim, self._n, self._k, self._r = m, prim_poly, n, n - r, r
        self._loc = loc
        self._exp, self._log = exp, log

        def power(b, e):
            return exp[(log[b].astype(np.int64) * e) % q1].astype(np.int64)

        h = loc | (power(loc, 3) << m) | (power(loc, 5) << (2 * m))
        bit = 3 * m
        if f_row is not None:
            f = np.asarray(f_row)
            if f.shape != (n,) or f.dtype.kind not in "uib" or not np.isin(f, (0, 1)).all():
                raise ValueError(f"f_row must hold n={n} values 0 or 1 (got shape {f.shape}, dtype {f.dtype})")
            h |= f.astype(np.int64) << bit
            bit += 1
        h |= np.int64(1) << bit
        self._f = None if f_row is None else np.asarray(f_row).astype(np.uint8)
        k = self._k
        x = _gf2_inverse_map([int(v) for v in h[k:]], r)
        par = np.zeros(k, dtype=np.int64)
        for b in range(r):
            par ^= np.where((h[:k] >> b) & 1, x[b], 0)

        pos_of = np.full(1 << m, -1, dtype=np.int16)
        pos_of[loc] = np.arange(n, dtype=np.int16)
        y = np.arange(1 << m, dtype=np.int64)
        sq = exp[(2 * log[y].astype(np.int64))].astype(np.int64)  # y^2 (log sentinel -> 0 for y = 0)
        quad = np.full(1 << m, 0xFFFF, dtype=np.int64)
        np.minimum.at(quad, sq ^ y, y)
        cube = np.where(y > 0, exp[(3 * log[np.maximum(y, 1)].astype(np.int64)) % q1], 0).astype(np.int64)
        d = cube ^ y
        cubic = np.zeros(1 << m, dtype=np.int64)
        cnt = np.zeros(1 << m, dtype=np.int64)
        for w, dv in zip(y.tolist(), d.tolist()):
            if cnt[dv] < 3:
                cubic[dv] |= w << (10 * cnt[dv])
            cnt[dv] += 1
        cubic |= np.minimum(cnt, 3) << 30
        self._tables = _Tables(m=m, n=n, k=k, h=h.astype(np.uint32), par=par.astype(np.uint32), pos_of=pos_of,
                               log=log, exp=exp, quad=quad.astype(np.uint16), cubic=cubic.astype(np.uint32))
        for a in (self._tables.h, self._tables.par, pos_of, self._tables.quad, self._tables.cubic):
            a.setflags(write=False)

    # ---------------------------------------------------------------- properties
    @property
    def m(self) -> int:
        return self._m

    @property
    def prim_poly(self) -> int:
        return self._prim

    @property
    def n(self) -> int:
        """Codeword length in bits."""
        return self._n

    @property
    def k(self) -> int:
        """Message length in bits."""
        return self._k

    @property
    def t(self) -> int:
        """Errors always corrected (3)."""
        return T

    @property
    def rate(self) -> float:
        return self._k / self._n

    @property
    def locators(self) -> np.ndarray:
        """beta_p of each position, int64 ``(n,)``."""
        return self._loc.copy()

    @property
    def parity_check_matrix(self) -> np.ndarray:
        """H, uint8 ``(n - k, n)``: rows S1 (m bits, bit 0 first), S3, S5, [F], overall parity."""
        h = self._tables.h.astype(np.int64)
        return ((h[None, :] >> np.arange(self._r)[:, None]) & 1).astype(np.uint8)

    @property
    def generator_matrix(self) -> np.ndarray:
        """G = [I_k | P], uint8 ``(k, n)``: row i is the codeword of the i-th unit message."""
        par = self._tables.par.astype(np.int64)
        p = ((par[:, None] >> np.arange(self._r)[None, :]) & 1).astype(np.uint8)
        return np.concatenate([np.eye(self._k, dtype=np.uint8), p], axis=1)

    def __repr__(self):
        return f"BchCode(n={self._n}, k={self._k}, m={self._m}, prim_poly={self._prim:#x}, t=3)"

    # ---------------------------------------------------------------- coding
    def _bits(self, name, a, length):
        xp = array_module(a)
        a = xp.asarray(a)
        if a.dtype != xp.bool_ and a.dtype.kind not in "ui":
            raise TypeError(f"{name} must be a bool or integer array of bits (got dtype {a.dtype})")
        if a.ndim < 1 or a.shape[-1] != length:
            raise ValueError(f"{name} must have shape (..., {length}) (got {tuple(a.shape)})")
        a = a.view(xp.uint8) if a.dtype == xp.bool_ else a
        if a.size:
            lo, hi = int(a.min()), int(a.max())
            if lo < 0 or hi > 1:
                raise ValueError(f"{name} must hold bits 0 or 1 (got values in [{lo}, {hi}])")
        flat = xp.ascontiguousarray(a.reshape(-1, length).astype(xp.uint8, copy=False))
        return xp, a.shape[:-1], flat

    def _ops(self, xp):
        return get_backend("gpu" if xp.__name__ == "cupy" else "cpu").ops

    def encode(self, msg, threads: int | None = None):
        """Systematic codewords ``[msg | parity]`` of ``msg`` (bits ``(..., k)``) -> uint8 ``(..., n)``.

        ``threads``: CPU threads (default: every core); ignored on the GPU.
        """
        xp, lead, flat = self._bits("msg", msg, self._k)
        return self._ops(xp).bch_encode(flat, self._tables, threads).reshape(*lead, self._n)

    def decode(self, received, threads: int | None = None) -> BchDecodeResult:
        """Bounded-distance hard decoding of ``received`` (bits ``(..., n)``); see :class:`BchDecodeResult`."""
        xp, lead, flat = self._bits("received", received, self._n)
        bits, nc, failed = self._ops(xp).bch_decode(flat, self._tables, threads)
        return BchDecodeResult(bits.reshape(*lead, self._n), nc.reshape(lead), failed.reshape(lead))

    def syndromes(self, words, threads: int | None = None):
        """Packed syndromes, uint32 ``(...)``: bit b is row b of :attr:`parity_check_matrix` times the word."""
        xp, lead, flat = self._bits("words", words, self._n)
        return self._ops(xp).bch_syndromes(flat, self._tables, threads).reshape(lead)

    def is_codeword(self, words, threads: int | None = None):
        """Bool ``(...)``: whether each word of ``words`` ``(..., n)`` is a codeword."""
        return self.syndromes(words, threads) == 0


@lru_cache(maxsize=None)
def ebch_1022_990() -> BchCode:
    """The eBCH(1022,990) component code of the 400ZR CFEC / G.709.2 staircase code (module docstring).

    GF(2^10) with p(x) = x^10 + x^3 + 1; position p has locator alpha^(1021 - p); extra row F =
    :func:`g7092_f` of the locator; parity = positions 990 .. 1021. t = 3, d_min >= 8.
    """
    exp, _ = _field(10, 0x409)
    loc = exp[1021 - np.arange(1022)].astype(np.int64)
    return BchCode(loc, f_row=g7092_f(loc), m=10, prim_poly=0x409)

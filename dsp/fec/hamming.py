"""Soft-decision Hamming inner codes of DCI optics: encoders, hard and Chase-II decoders.

Conventions
-----------
- **LLR sign (the whole package):** ``LLR = log P(b = 0) / P(b = 1)``; hard decision: bit = 1 iff
  LLR < 0; reliability = |LLR|.
- **Codes:** :class:`HammingCode` is a binary linear code given by an m x n parity-check matrix H
  whose columns are distinct and non-zero (so d_min >= 3 and every single error has its own
  syndrome): Hamming, shortened and extended Hamming codes (d_min = 4 when no three columns add
  up to zero, e.g. when every column has odd weight or H has an all-ones row). A word c is a
  codeword iff H c = 0 (mod 2). Encoding is **systematic, parity last**: ``c = [u (k bits) | p
  (m bits)]``, which needs the last m columns of H to be independent (checked). The syndrome
  ``s = H c`` is reported as bits ``s[i]`` (row i of H); as an integer, bit i of it is s[i].
- **Decoders** (``kernels/common/hamming.h``, identical on CPU and GPU):
  :meth:`HammingCode.decode_hard` corrects one error and detects the rest of the non-codeword
  syndromes that are not a column of H (for an extended code: every double error).
  :meth:`HammingCode.decode_chase` is Chase-II (Chase 1972, algorithm 2): hard decisions, the p
  least reliable positions, all 2^p test patterns flipped and each hard-decoded, and the
  candidate codeword with the smallest correlation discrepancy (sum of |LLR| over the bits that
  differ from the hard decisions) wins; ties go to the earlier test pattern. The exact order of
  operations (which fixes the results bit for bit) is in the header.
  Status per codeword: 0 (:data:`STATUS_OK`) the hard decisions form a codeword and are
  returned, 1 (:data:`STATUS_CORRECTED`) the output differs from the hard decisions, 2
  (:data:`STATUS_FAILED`) no test pattern decoded, the hard decisions are returned (a detected
  failure). A wrong codeword (miscorrection) is not flagged: no decoder can.
- **Default p = 5** (:data:`DEFAULT_P`): 32 test patterns. Measured with this decoder on
  BPSK-AWGN, Hamming(128, 119), Eb/N0 = 6 dB (input BER 3.3e-3), 10^6 codewords: information
  BER 1.14e-3 / 5.7e-4 / 2.2e-4 / 1.03e-4 / 6.2e-5 / 4.9e-5 / 4.4e-5 / 4.2e-5 for p = 0 .. 7.
  The classical Chase-2 choice p = floor(d/2) = 2 leaves a factor 5 in BER; p = 5 is within 15 %
  of p = 7 (close to the maximum-likelihood limit) at a quarter of its cost, and still decodes
  at well over 200 Mb/s of information on two CPU cores.

The codes of the standards
--------------------------
:func:`hamming_128_119` -- OIF 400ZR CFEC inner code, the "double-extended" Hamming(128, 119),
d_min = 4. H (9 x 128) has the columns g(i) = [s0 .. s6, s7, 1]^T, with i = sum s_j 2^j
(0 <= i <= 127) and s7 = (s0 s2) + (s0' s1' s2) + (s0 s1 s2') (OR of ANDs, ' = NOT), in the
column order
``g(0..62), g(64..94), g(96..110), g(112..118), g(120), g(122), g(124)`` (119 information bits)
then ``g(63), g(95), g(111), g(119), g(121), g(123), g(125), g(126), g(127)`` (9 parity bits).
The all-ones last row is the overall parity (d_min = 4); the extra s7 row is the "double
extension": it leaves 52,576 codewords of weight 4, against 85,344 in the extended Hamming(128,
120) code, so fewer nearest neighbours. **Source:** the
construction as transcribed from OIF-400ZR-01.0 / -03.0.1 section 10.5 in the public repository
remifan/commplax (``400ZR C-FEC`` module); the implementation agreement itself was not available
here, so the matrix is **not verified against the primary text**. The numbers are
self-consistent (distinct columns, parity part invertible, d_min = 4).

:func:`hamming_128_120` -- IEEE P802.3dj inner code for 200 Gb/s-per-lane IM-DD optics
(concatenated with KP4 RS(544, 514)). It is **not** a binary extended Hamming code on 128 bits:
following draft clause 177 (D0.1, "Figure 177-5", "Table 177-1 Generation matrix for
Hamming(68, 60)"), the 120 message bits form 60 PAM4 symbols (bits 2k, 2k+1 of a pair go to one
symbol), each pair is XORed, ``x[k] = m[2k] XOR m[2k+1]`` (with Gray PAM4, the parity of the
level index: any one-level symbol error flips it), and a Hamming(68, 60) code with generator
``[I_60 | G]`` (G the 60 x 8 matrix of Table 177-1) makes the 8 parity bits ``p = x G``, sent
after the message: ``c = [m (120) | p (8)]``, 128 bits = 64 PAM4 symbols. As a binary code on 128
bits its d_min is 2 (flipping both bits of a pair is invisible); in the metric that matters,
one-level PAM4 symbol errors, it is the d_min = 4 (68, 60) code (every column of [G^T | I_8] has
odd weight). :class:`SymbolPairHammingCode` decodes it from bit LLRs: the XOR bit of a pair gets
the max-log LLR ``sign(L0) sign(L1) min(|L0|, |L1|)`` (the distance to the nearest PAM4
threshold), the (68, 60) code is Chase-decoded, and a pair whose XOR bit the decoder flips gets
its less reliable bit flipped (a one-level move across the nearest threshold).
**Source:** G and the draft's test vector (120 message bits and their 8 parity bits) as
transcribed from the draft in the public repository Omer-Sella/802.3 (``ieeeConstants.py``,
``g_177_1``, ``tv1_tp4``, ``tv1_parity``); it cites the generator of Bliss, IEEE 802.3df
contribution bliss_3df_01_220929. The draft text was not available here: G reproduces the test
vector (tests), which checks the transcription, not later draft revisions.

Also: :func:`hamming_68_60` (the component code alone) and :func:`extended_hamming` (any
extended, optionally shortened, Hamming code with d_min = 4, a plain construction for studies).

References: D. Chase, "A class of algorithms for decoding block codes with channel measurement
information", IEEE Trans. Inf. Theory 18(1), 1972; S. Lin, D. J. Costello, *Error Control Coding*,
2nd ed., ch. 4 and 10; OIF-400ZR-01.0 Implementation Agreement (2020), section 10; IEEE P802.3dj
draft, clause 177.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dsp._validate import bit_array as _bits_in
from dsp._validate import check_int as _int
from dsp.backend import array_module, get_backend

__all__ = ["HammingCode", "SymbolPairHammingCode", "HammingResult", "hamming_128_119", "hamming_128_120",
           "hamming_68_60", "extended_hamming", "DEFAULT_P", "MAX_P", "STATUS_OK", "STATUS_CORRECTED",
           "STATUS_FAILED"]

DEFAULT_P = 5
MAX_P = 10  # DSP_HAMMING_MAX_P in kernels/common/hamming.h
MAX_M = 16  # syndrome table of 2^m int16 entries
STATUS_OK, STATUS_CORRECTED, STATUS_FAILED = 0, 1, 2


@dataclass(frozen=True)
class HammingResult:
    """Output of the decoders (arrays on the input's device).

    Attributes
    ----------
    bits : uint8 array ``(..., n)``
        Decoded codewords (the hard decisions for failed words).
    info : uint8 array ``(..., k)``
        The message bits of ``bits`` (the first k: systematic, parity last).
    status : int8 array ``(...)``
        :data:`STATUS_OK` (0), :data:`STATUS_CORRECTED` (1) or :data:`STATUS_FAILED` (2), see the
        module docstring.
    """

    bits: object
    info: object
    status: object


class _Tables:
    """What the kernels need (``dsp._ops``): ``cols`` uint32 (n,), ``table`` int16 (2^m,)."""

    __slots__ = ("cols", "table", "cache")

    def __init__(self, cols, table):
        self.cols, self.table = cols, table
        self.cache = {}


def _readonly(a):
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


def _gf2_inverse(B):
    """Inverse of a square 0/1 matrix over GF(2), or None if singular."""
    m = B.shape[0]
    A = np.concatenate([B.astype(np.uint8) & 1, np.eye(m, dtype=np.uint8)], axis=1)
    for c in range(m):
        piv = np.flatnonzero(A[c:, c])
        if piv.size == 0:
            return None
        r = c + int(piv[0])
        if r != c:
            A[[c, r]] = A[[r, c]]
        hits = np.flatnonzero(A[:, c])
        hits = hits[hits != c]
        A[hits] ^= A[c]
    return A[:, m:]


def _llr_in(llr, length):
    xp = array_module(llr)
    llr = xp.asarray(llr)
    if llr.dtype not in (xp.float32, xp.float64):
        raise TypeError(f"llr must be float32 or float64 (got dtype {llr.dtype})")
    if llr.ndim < 1 or llr.shape[-1] != length:
        raise ValueError(f"llr must have shape (..., {length}) (got {tuple(llr.shape)})")
    return xp, llr


def _check_p(p, n):
    hi = min(MAX_P, n)
    try:
        return _int("p", p, 0, hi)
    except ValueError as e:
        raise ValueError(f"{e} (p = test positions of Chase-II, 0 .. min({MAX_P}, n={n}))") from None


def _ops(xp):
    return get_backend("gpu" if xp.__name__ == "cupy" else "cpu").ops


class HammingCode:
    """A binary single-error-correcting code given by its parity-check matrix (immutable).

    Parameters
    ----------
    H : 0/1 integer or bool array ``(m, n)``
        Parity-check matrix, 2 <= m <= 16, m < n <= 32767. Its columns must be distinct and
        non-zero, and its last m columns linearly independent (systematic encoding, parity last).
    name : str, optional
        A label.

    Arrays given to the methods may be NumPy (CPU kernels) or CuPy (GPU kernels); results stay on
    the input's device. See the module docstring for the conventions.
    """

    __slots__ = ("_H", "_A", "_n", "_k", "_m", "_name", "_tables", "_dmin")

    def __init__(self, H, *, name: str | None = None):
        H = np.asarray(H)
        if H.ndim != 2:
            raise ValueError(f"H must be a 2-D array (got shape {H.shape})")
        if H.dtype != np.bool_:
            if H.dtype.kind not in "ui":
                raise TypeError(f"H must hold integers 0/1 (got dtype {H.dtype})")
            if H.size and (H.min() < 0 or H.max() > 1):
                raise ValueError(f"H must hold only 0 and 1 (got values in [{H.min()}, {H.max()}])")
        H = H.astype(np.uint8)
        m, n = H.shape
        if not (2 <= m <= MAX_M):
            raise ValueError(f"H must have 2 .. {MAX_M} rows (got {m})")
        if not (m < n <= 32767):
            raise ValueError(f"H must have more columns than rows and at most 32767 (got {n} columns, {m} rows)")
        cols = (H.astype(np.uint32) << np.arange(m, dtype=np.uint32)[:, None]).sum(axis=0).astype(np.uint32)
        zero = np.flatnonzero(cols == 0)
        if zero.size:
            raise ValueError(f"H must have no zero column (column {int(zero[0])} is zero)")
        table = np.full(1 << m, -1, dtype=np.int16)
        table[cols] = np.arange(n, dtype=np.int16)
        if np.unique(cols).size != n:
            first = {}
            for j, c in enumerate(cols.tolist()):
                if c in first:
                    raise ValueError(f"H must have distinct columns (columns {first[c]} and {j} are equal)")
                first[c] = j
        Binv = _gf2_inverse(H[:, n - m:])
        if Binv is None:
            raise ValueError(f"the last m={m} columns of H must be linearly independent (systematic encoding "
                             "with the parity bits last)")
        # parity p = A u with A = B^-1 H_info (m x k): H [u; p] = H_info u + B p = 0
        A = (Binv.astype(np.int64) @ H[:, :n - m].astype(np.int64)) % 2
        self._H = _readonly(H)
        self._A = _readonly(A.astype(np.uint8))
        self._n, self._k, self._m, self._name = n, n - m, m, name
        self._tables = _Tables(_readonly(cols), _readonly(table))
        self._dmin = None

    # ---------------------------------------------------------------- properties
    @property
    def n(self) -> int:
        """Codeword length in bits."""
        return self._n

    @property
    def k(self) -> int:
        """Message length in bits, n - m."""
        return self._k

    @property
    def m(self) -> int:
        """Parity bits (rows of H)."""
        return self._m

    @property
    def rate(self) -> float:
        """k / n."""
        return self._k / self._n

    @property
    def name(self):
        return self._name

    @property
    def H(self) -> np.ndarray:
        """The parity-check matrix, uint8 ``(m, n)`` (read-only)."""
        return self._H

    @property
    def G(self) -> np.ndarray:
        """Systematic generator matrix ``[I_k | A^T]``, uint8 ``(k, n)``: ``c = u G (mod 2)``."""
        return np.concatenate([np.eye(self._k, dtype=np.uint8), self._A.T], axis=1)

    @property
    def min_distance(self) -> int:
        """d_min: 3, 4, or 5 meaning "at least 5" (from the columns of H, O(n^2))."""
        if self._dmin is None:
            cols = self._tables.cols.astype(np.int64)
            n = self._n
            iu, ju = np.triu_indices(n, 1)
            x = cols[iu] ^ cols[ju]
            present = np.zeros(1 << self._m, dtype=bool)
            present[cols] = True
            if present[x].any():  # a ^ b == c: three columns add up to zero
                self._dmin = 3
            else:  # columns distinct: two different pairs with equal sums are disjoint
                self._dmin = 4 if np.unique(x).size < x.size else 5
        return self._dmin

    def __repr__(self):
        label = f", name={self._name!r}" if self._name else ""
        return f"HammingCode(n={self._n}, k={self._k}{label})"

    def __setattr__(self, key, value):
        if key in HammingCode.__slots__ and not hasattr(self, "_dmin"):
            object.__setattr__(self, key, value)
        elif key == "_dmin":
            object.__setattr__(self, key, value)
        else:
            raise AttributeError(f"HammingCode is immutable (cannot set {key!r})")

    # ---------------------------------------------------------------- coding
    def _dev(self, xp, key, make):
        k = (key, xp.__name__)
        d = self._tables.cache.get(k)
        if d is None:
            d = xp.asarray(make())
            self._tables.cache[k] = d
        return d

    def encode(self, msg):
        """Systematic codewords of ``msg``.

        Parameters
        ----------
        msg : 0/1 integer or bool array ``(..., k)``

        Returns
        -------
        uint8 array ``(..., n)``: ``[msg | parity]`` with H c = 0.
        """
        xp, u = _bits_in("msg", msg, self._k)
        At = self._dev(xp, "At", lambda: self._A.T.astype(np.float32))  # exact: sums <= k < 2^24
        p = (u.astype(xp.float32) @ At) % 2
        return xp.concatenate([u.astype(xp.uint8), p.astype(xp.uint8)], axis=-1)

    def syndrome(self, bits):
        """H bits (mod 2): uint8 ``(..., m)`` for 0/1 ``bits`` ``(..., n)``."""
        xp, b = _bits_in("bits", bits, self._n)
        Ht = self._dev(xp, "Ht", lambda: self._H.T.astype(np.float32))
        return ((b.astype(xp.float32) @ Ht) % 2).astype(xp.uint8)

    def is_codeword(self, bits):
        """Bool ``(...)``: H bits = 0 for each word of ``bits`` ``(..., n)``."""
        xp = array_module(bits)
        return ~xp.any(self.syndrome(bits).astype(xp.bool_), axis=-1)

    def message(self, bits):
        """The message bits of codewords: ``bits[..., :k]`` (systematic, parity last)."""
        xp, b = _bits_in("bits", bits, self._n)
        return b[..., :self._k]

    def _run(self, xp, llr, p, threads, pairs=0, k=None):
        lead = llr.shape[:-1]
        n = self._n + pairs
        flat = xp.ascontiguousarray(llr.reshape(-1, n))
        bits, status = _ops(xp).hamming_chase(flat, self._tables, p, pairs, threads)
        bits = bits.reshape(*lead, n)
        return HammingResult(bits, bits[..., :(self._k if k is None else k)], status.reshape(lead))

    def decode_hard(self, bits, threads: int | None = None) -> HammingResult:
        """Syndrome decoding of hard bits: one error corrected, other non-zero syndromes flagged.

        Parameters
        ----------
        bits : 0/1 integer or bool array ``(..., n)``
        threads : int, optional
            CPU threads (default: every core); ignored on the GPU.

        Returns
        -------
        :class:`HammingResult`; status 0 = no error, 1 = one bit corrected, 2 = detected
        uncorrectable (for d_min = 4: every double error), the word returned unchanged.
        """
        xp, b = _bits_in("bits", bits, self._n)
        if threads is not None:
            threads = _int("threads", threads, 1)
        llr = xp.float32(1.0) - xp.float32(2.0) * b.astype(xp.float32)
        return self._run(xp, llr, 0, threads)

    def decode_chase(self, llr, *, p: int = DEFAULT_P, threads: int | None = None) -> HammingResult:
        """Chase-II soft-decision decoding of channel LLRs.

        Parameters
        ----------
        llr : float32 or float64 array ``(..., n)``
            LLRs log P(b=0)/P(b=1), finite; the dtype sets the precision of the metric sums.
        p : int
            Least reliable positions whose 2^p flip patterns are tried, 0 .. min(10, n)
            (default :data:`DEFAULT_P` = 5; p = 0 is hard-decision decoding of the signs).
        threads : int, optional
            CPU threads (default: every core); ignored on the GPU.

        Returns
        -------
        :class:`HammingResult` (bits, info, status). ValueError for NaN or infinite LLRs.
        """
        xp, llr = _llr_in(llr, self._n)
        p = _check_p(p, self._n)
        if threads is not None:
            threads = _int("threads", threads, 1)
        return self._run(xp, llr, p, threads)


class SymbolPairHammingCode:
    """A Hamming code protecting the XOR of bit pairs: the IEEE P802.3dj 200G/lane inner code.

    Message ``m`` (2 K bits, K pairs = PAM4 symbols), ``x[k] = m[2k] XOR m[2k+1]``, parity = the
    parity bits of ``x`` in ``component`` (a :class:`HammingCode` with k = K), codeword
    ``[m | parity]`` of length 2 K + m. See the module docstring (:func:`hamming_128_120`).

    Parameters
    ----------
    component : HammingCode
        The code on the XOR bits and the parity bits (Hamming(68, 60) for 802.3dj).
    name : str, optional
    """

    __slots__ = ("_c", "_name")

    def __init__(self, component: HammingCode, *, name: str | None = None):
        if not isinstance(component, HammingCode):
            raise TypeError(f"component must be a HammingCode (got {type(component).__name__})")
        object.__setattr__(self, "_c", component)
        object.__setattr__(self, "_name", name)

    def __setattr__(self, key, value):
        raise AttributeError(f"SymbolPairHammingCode is immutable (cannot set {key!r})")

    @property
    def component(self) -> HammingCode:
        """The Hamming code on ``[x (K bits) | parity]``."""
        return self._c

    @property
    def n(self) -> int:
        return 2 * self._c.k + self._c.m

    @property
    def k(self) -> int:
        return 2 * self._c.k

    @property
    def rate(self) -> float:
        return self.k / self.n

    @property
    def name(self):
        return self._name

    def __repr__(self):
        label = f", name={self._name!r}" if self._name else ""
        return f"SymbolPairHammingCode(n={self.n}, k={self.k}, component={self._c!r}{label})"

    def encode(self, msg):
        """Codewords ``[msg | parity]``, uint8 ``(..., n)``, of 0/1 ``msg`` ``(..., k)``."""
        xp, u = _bits_in("msg", msg, self.k)
        u = u.astype(xp.uint8)
        x = u[..., 0::2] ^ u[..., 1::2]
        par = self._c.encode(x)[..., self._c.k:]
        return xp.concatenate([u, par], axis=-1)

    def xor_word(self, bits):
        """The component word ``[x | parity]`` (uint8 ``(..., K + m)``) of 0/1 ``bits`` ``(..., n)``."""
        xp, b = _bits_in("bits", bits, self.n)
        b = b.astype(xp.uint8)
        K = self._c.k
        return xp.concatenate([b[..., 0:2 * K:2] ^ b[..., 1:2 * K:2], b[..., 2 * K:]], axis=-1)

    def syndrome(self, bits):
        """Syndrome (uint8 ``(..., m)``) of the component word of ``bits`` ``(..., n)``."""
        return self._c.syndrome(self.xor_word(bits))

    def is_codeword(self, bits):
        xp = array_module(bits)
        return ~xp.any(self.syndrome(bits).astype(xp.bool_), axis=-1)

    def message(self, bits):
        """``bits[..., :k]``."""
        xp, b = _bits_in("bits", bits, self.n)
        return b[..., :self.k]

    def pair_llr(self, llr):
        """Max-log LLRs of the component word: ``sign(L0) sign(L1) min(|L0|, |L1|)`` per pair, the
        parity LLRs as they are; ``(..., K + m)`` in ``llr``'s dtype."""
        xp, llr = _llr_in(llr, self.n)
        K = self._c.k
        a, b = llr[..., 0:2 * K:2], llr[..., 1:2 * K:2]
        mag = xp.minimum(xp.abs(a), xp.abs(b))
        x = (a < 0) ^ (b < 0)
        return xp.concatenate([xp.where(x, -mag, mag), llr[..., 2 * K:]], axis=-1)

    def decode_chase(self, llr, *, p: int = DEFAULT_P, threads: int | None = None) -> HammingResult:
        """Chase-II decoding from bit LLRs ``(..., n)`` (pairs = Gray PAM4 symbols).

        The component code is Chase-decoded on the pair reliabilities of :meth:`pair_llr` (its
        hard decisions being the XOR of the pair's bit decisions); where it changes the XOR bit of
        pair k, the less reliable bit of the pair is flipped (bit 2k if ``|L[2k]| < |L[2k+1]|``,
        else bit 2k+1), in the same kernel (``kernels/common/hamming.h``, ``pairs`` > 0). ``p = 0``:
        hard-decision decoding of the component word (the LLR magnitudes then only pick the bit
        within a pair). Parameters and result as :meth:`HammingCode.decode_chase`; status 1 when
        the output differs from the hard decisions of ``llr``.
        """
        xp, llr = _llr_in(llr, self.n)
        p = _check_p(p, self._c.n)
        if threads is not None:
            threads = _int("threads", threads, 1)
        return self._c._run(xp, llr, p, threads, pairs=self._c.k, k=self.k)


# -------------------------------------------------------------------- the codes

# IEEE P802.3dj D0.1, Table 177-1 "Generation matrix for Hamming(68,60)" (60 x 8), as transcribed in
# github.com/Omer-Sella/802.3, ieeeConstants.py (g_177_1); row k = parity contribution of x[k].
_G_177_1 = """
10010100 01001010 00100101 11001011 10111100 01011110 00101111 11001110 01100111 11101010
01110101 11100011 10101000 01010100 00101010 00010101 11010011 10110000 01011000 00101100
00010110 00001011 11011100 01101110 00110111 11000010 01100001 11101001 10101101 10001111
10011110 01001111 11111110 01111111 11100110 01110011 11100000 01110000 00111000 00011100
00001110 00000111 11011010 01101101 11101111 10101110 01010111 11110010 01111001 11100101
10101011 10001100 01000110 00100011 11001000 01100100 00110010 00011001 11010101 10110011
"""


def _g_177_1() -> np.ndarray:
    rows = _G_177_1.split()
    return np.array([[int(c) for c in r] for r in rows], dtype=np.uint8)


@lru_cache(maxsize=None)
def hamming_68_60() -> HammingCode:
    """The IEEE P802.3dj Hamming(68, 60) component code: H = [G^T | I_8], G = Table 177-1 (cached).

    Systematic, parity last: ``c = [x (60) | x G (8)]``; d_min = 4. See the module docstring for
    the source and its caveat.
    """
    G = _g_177_1()
    return HammingCode(np.concatenate([G.T, np.eye(8, dtype=np.uint8)], axis=1), name="ieee802.3dj-68-60")


@lru_cache(maxsize=None)
def hamming_128_120() -> SymbolPairHammingCode:
    """The IEEE P802.3dj 200G/lane inner code: 120 message bits (60 PAM4 symbols) + 8 parity bits of
    the Hamming(68, 60) code on the pair XORs (cached). See the module docstring."""
    return SymbolPairHammingCode(hamming_68_60(), name="ieee802.3dj-128-120")


def _oif_g(i: int) -> list:
    s = [(i >> j) & 1 for j in range(7)]
    s0, s1, s2 = s[0], s[1], s[2]
    s7 = (s0 & s2) | ((1 - s0) & (1 - s1) & s2) | (s0 & s1 & (1 - s2))
    return s + [s7, 1]


@lru_cache(maxsize=None)
def hamming_128_119() -> HammingCode:
    """The OIF 400ZR CFEC inner code, double-extended Hamming(128, 119), d_min = 4 (cached).

    H (9 x 128) from the columns g(i) in the order of OIF-400ZR section 10.5; see the module
    docstring for the construction, its source and its caveat.
    """
    info = [*range(0, 63), *range(64, 95), *range(96, 111), *range(112, 119), 120, 122, 124]
    parity = [63, 95, 111, 119, 121, 123, 125, 126, 127]
    H = np.array([_oif_g(i) for i in info + parity], dtype=np.uint8).T
    return HammingCode(H, name="oif-400zr-128-119")


def extended_hamming(r: int, n: int | None = None) -> HammingCode:
    """An extended (optionally shortened) Hamming code with r parity bits and d_min = 4.

    Columns of H: ``[v; 1]`` with v running over the (r-1)-bit vectors of weight >= 2 in
    increasing integer order (bit i of v = row i), the first ``n - r`` of them for the message,
    then the parity columns ``[e_0; 1] .. [e_(r-2); 1], [0; 1]``. The last row is the overall
    parity. ``n`` defaults to (and may not exceed) 2^(r-1): ``extended_hamming(8)`` is an
    extended Hamming(128, 120) code, equal up to a column permutation to any other.

    Parameters
    ----------
    r : int
        Parity bits, 3 .. 16.
    n : int, optional
        Code length, r + 1 .. 2^(r-1).
    """
    r = _int("r", r, 3, MAX_M)
    nmax = 1 << (r - 1)
    n = nmax if n is None else _int("n", n, r + 1, nmax)
    v = np.arange(1, nmax, dtype=np.int64)
    wt = np.array([bin(int(x)).count("1") for x in v])
    info = v[wt >= 2][: n - r]
    par = np.concatenate([1 << np.arange(r - 1, dtype=np.int64), [0]])
    allv = np.concatenate([info, par])
    H = np.concatenate([((allv[None, :] >> np.arange(r - 1)[:, None]) & 1), np.ones((1, n), dtype=np.int64)])
    return HammingCode(H.astype(np.uint8), name=f"extended-hamming-{n}-{n - r}")

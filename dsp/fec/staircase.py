"""Staircase codes with BCH component codes: the 400ZR CFEC outer code (ITU-T G.709.2 OTU4-SC).

Geometry (G.709.2 clause 8.3 / Annex A, as used by OIF-400ZR's CFEC)
--------------------------------------------------------------------
A stream is a sequence of blocks B_1, B_2, ... of R = 512 rows x C = 510 columns of bits, preceded
by the conventional all-zero block B_0 (not transmitted). The first C - r = 478 columns of each
row carry information, the last r = 32 its parity. Row i of B_j, together with one *column* of
B_(j-1), forms a codeword of the (n = R + C = 1022, k = 990) component code
(:func:`dsp.fec.bch.ebch_1022_990`):

    codeword(j, i) = [ B_(j-1)[0 .. 511, colof(i)]  (512 bits) | B_j[i, 0 .. 509]  (510 bits) ]

with colof(i) = perm[i - 2] for rows i = 2 .. 511 and no column (a zero left part: the codeword is
shortened to its 510 right bits) for rows 0 and 1, since B_(j-1) has only 510 columns for 512 rows.
Every bit is thus protected by two codewords: its row (with the previous block) and its column
(with the next block's row). This is the "generalized" staircase of G.709.2 with non-square
512 x 510 blocks; Smith et al.'s square form [B_(j-1)^T B_j] is the case R = C. ``perm`` is a
permutation of the 510 columns (G.709.2 Table A.2's Pi_d; its values could not be confirmed here,
so the default is the identity; it does not change the performance on independent errors).

Rate and overhead: 478 / 510 = 239 / 255 (0.9373), overhead 510 / 478 - 1 = 6.69 %, the same as
the RS(255,239) OTU4 FEC; 244 736 information bits per 261 120-bit block (two OTU4 frames). With
the inner Hamming(128,119) code 400ZR's CFEC totals (255/239)(128/119) - 1 = 14.8 % overhead.

Decoding: iterative bounded-distance decoding of the component codewords in a sliding window
(syndrome domain, as proposed by Smith et al.): the syndromes of all codewords are computed once;
each correction flips at most 3 bits and updates the syndromes of the two codewords that hold each
flipped bit. The window covers the codewords of ``window`` consecutive blocks; at each window step
up to ``iterations`` passes decode every codeword with a non-zero syndrome (oldest block first),
stopping early once a pass corrects nothing; then the window slides by one block. After the last
block arrives the window drains, so every block gets the same treatment, except that the last
block of a finite stream has no next block: its columns are unprotected, so its bits are corrected
by its row codewords only, and residual errors spill into the two blocks before it: discard
the last 3 blocks of each stream when measuring BER (measured here: below 5e-3 input BER every
residual error of a 24-block stream lay in its last 3 blocks).

Literature: Smith, Farhood, Hunt, Kschischang, Lodge, "Staircase codes: FEC for 100 Gb/s OTN",
J. Lightwave Technol. 30(1), 2012: the R = 239/255 staircase code reaches an output BER of 1e-15
with NCG 9.41 dB, i.e. at an input BER of about 4.7e-3 (binary symmetric channel), error floor
4e-21. ITU-T G.709.2 (07/2018) Annex A; OIF-400ZR-01.0 (and later) clause 10.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dsp._validate import check_int as _check_int
from dsp.backend import array_module, get_backend
from dsp.fec.bch import BchCode, ebch_1022_990

__all__ = ["StaircaseCode", "StaircaseDecodeResult", "zr400_staircase"]


@dataclass(frozen=True)
class StaircaseDecodeResult:
    """Output of :meth:`StaircaseCode.decode`.

    Attributes
    ----------
    blocks : uint8 array ``(..., L, R, C)``
        Decoded blocks.
    info : uint8 array ``(..., L, R, C - r)``
        Their information bits.
    unsolved : int32 array ``(..., L)``
        Codewords of each block (its rows) whose syndrome is still non-zero after decoding: a
        block with ``unsolved > 0`` holds residual errors the decoder knows of.
    flips : int64 array ``(...)``
        Bit flips applied per stream.
    """

    blocks: object
    info: object
    unsolved: object
    flips: object


class _Geom:
    __slots__ = ("R", "C", "colof", "rowof", "cache")

    def __init__(self, R, C, colof, rowof):
        self.R, self.C, self.colof, self.rowof = R, C, colof, rowof
        self.cache = {}


class StaircaseCode:
    """Staircase code of R x C blocks over a :class:`~dsp.fec.bch.BchCode` component of length R + C.

    Parameters
    ----------
    component : BchCode, optional
        Component code (default :func:`~dsp.fec.bch.ebch_1022_990`); n must equal rows + cols and
        n - k < cols.
    rows, cols : int
        Block size R x C, R >= C (default 512 x 510): rows 0 .. R - C - 1 have no column partner.
    perm : sequence of int, optional
        perm[i] = column of B_(j-1) paired with row R - C + i of B_j; a permutation of 0 .. C-1
        (default: the identity).

    Notes
    -----
    Blocks are uint8 0/1 arrays ``(..., L, R, C)``: leading axes are independent streams, each
    starting after its own all-zero B_0. NumPy input runs the CPU kernels (one OpenMP thread per
    stream), CuPy input the GPU kernels (one CUDA block per stream, one thread per row).
    """

    def __init__(self, component: BchCode | None = None, rows: int = 512, cols: int = 510, perm=None):
        comp = ebch_1022_990() if component is None else component
        if not isinstance(comp, BchCode):
            raise TypeError(f"component must be a BchCode (got {type(comp).__name__})")
        cols = _check_int("cols", cols, 1)
        rows = _check_int("rows", rows, cols)
        if rows + cols != comp.n:
            raise ValueError(f"rows + cols must equal the component length n={comp.n} (got {rows} + {cols})")
        r = comp.n - comp.k
        if r >= cols:
            raise ValueError(f"cols must exceed the component's n - k = {r} parity bits (got {cols})")
        if perm is None:
            perm = np.arange(cols)
        perm = np.asarray(perm)
        if perm.shape != (cols,) or perm.dtype.kind not in "ui" or not np.array_equal(np.sort(perm), np.arange(cols)):
            raise ValueError(f"perm must be a permutation of 0 .. {cols - 1} (got shape {perm.shape})")
        colof = np.full(rows, -1, dtype=np.int32)
        colof[rows - cols:] = perm
        rowof = np.empty(cols, dtype=np.int32)
        rowof[perm] = np.arange(rows - cols, rows, dtype=np.int32)
        self._comp, self._R, self._C, self._r = comp, rows, cols, r
        self._perm = perm.astype(np.int64)
        self._geom = _Geom(rows, cols, colof, rowof)

    # ---------------------------------------------------------------- properties
    @property
    def component(self) -> BchCode:
        return self._comp

    @property
    def rows(self) -> int:
        return self._R

    @property
    def cols(self) -> int:
        return self._C

    @property
    def info_cols(self) -> int:
        """Information columns per block, C - (n - k)."""
        return self._C - self._r

    @property
    def bits_per_block(self) -> int:
        return self._R * self._C

    @property
    def info_bits_per_block(self) -> int:
        return self._R * self.info_cols

    @property
    def rate(self) -> float:
        """info_cols / cols (239/255 for 400ZR)."""
        return self.info_cols / self._C

    @property
    def overhead(self) -> float:
        """cols / info_cols - 1 (6.69 % for 400ZR)."""
        return self._C / self.info_cols - 1.0

    def __repr__(self):
        return (f"StaircaseCode(rows={self._R}, cols={self._C}, component={self._comp!r}, "
                f"rate={self.rate:.4f})")

    # ---------------------------------------------------------------- coding
    def _bits(self, name, a, width):
        xp = array_module(a)
        a = xp.asarray(a)
        if a.dtype != xp.bool_ and a.dtype.kind not in "ui":
            raise TypeError(f"{name} must be a bool or integer array of bits (got dtype {a.dtype})")
        if a.ndim < 3 or a.shape[-2:] != (self._R, width) or a.shape[-3] < 1:
            raise ValueError(f"{name} must have shape (..., L, {self._R}, {width}) with L >= 1 "
                             f"(got {tuple(a.shape)})")
        a = a.view(xp.uint8) if a.dtype == xp.bool_ else a
        if a.size:
            lo, hi = int(a.min()), int(a.max())
            if lo < 0 or hi > 1:
                raise ValueError(f"{name} must hold bits 0 or 1 (got values in [{lo}, {hi}])")
        lead, L = a.shape[:-3], a.shape[-3]
        flat = xp.ascontiguousarray(a.reshape(-1, L * self._R * width).astype(xp.uint8, copy=False))
        return xp, lead, L, flat

    def _ops(self, xp):
        return get_backend("gpu" if xp.__name__ == "cupy" else "cpu").ops

    def encode(self, info, threads: int | None = None):
        """Encode information blocks.

        Parameters
        ----------
        info : bool or integer array of bits ``(..., L, R, C - r)``
            Information bits of blocks B_1 .. B_L of each stream (leading axes), row-major.
        threads : int, optional
            CPU threads (default: every core); ignored on the GPU.

        Returns
        -------
        uint8 array ``(..., L, R, C)``: the transmitted blocks, ``[info | parity]`` in every row.
        """
        xp, lead, L, flat = self._bits("info", info, self.info_cols)
        out = self._ops(xp).sc_encode(flat, self._comp._tables, self._geom, L, threads)
        return out.reshape(*lead, L, self._R, self._C)

    def decode(self, received, *, iterations: int = 8, window: int = 8,
               threads: int | None = None) -> StaircaseDecodeResult:
        """Sliding-window iterative hard-decision decoding (module docstring).

        Parameters
        ----------
        received : bool or integer array of bits ``(..., L, R, C)``
            Hard decisions on blocks B_1 .. B_L of each stream.
        iterations : int
            Maximum passes over the window per window position, 1 .. 64 (a pass that corrects
            nothing ends them early).
        window : int
            Blocks whose codewords the window holds, 1 .. 64.
        threads : int, optional
            CPU threads (default: every core; one stream per thread); ignored on the GPU.

        Returns
        -------
        StaircaseDecodeResult
        """
        iterations = _check_int("iterations", iterations, 1, 64)
        window = _check_int("window", window, 1, 64)
        xp, lead, L, flat = self._bits("received", received, self._C)
        out, syn, flips = self._ops(xp).sc_decode(flat, self._comp._tables, self._geom, L, window, iterations,
                                                  threads)
        blocks = out.reshape(*lead, L, self._R, self._C)
        unsolved = xp.count_nonzero(syn.reshape(-1, L, self._R), axis=-1).astype(xp.int32).reshape(*lead, L)
        return StaircaseDecodeResult(blocks, blocks[..., :self.info_cols], unsolved, flips.reshape(lead))


@lru_cache(maxsize=None)
def zr400_staircase() -> StaircaseCode:
    """The 400ZR CFEC outer staircase code: 512 x 510 blocks of :func:`~dsp.fec.bch.ebch_1022_990`
    (478 information columns, rate 239/255, 6.69 % overhead; column permutation: identity)."""
    return StaircaseCode()

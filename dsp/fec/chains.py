"""FEC chains: post-FEC error counts from one Monte-Carlo batch of an uncoded link.

A chain turns what a link's receiver produced for a batch (the transmitted bits and the LLRs or
hard decisions of the same bits) into post-FEC error counts of a named FEC scheme, so that every
link can run with ``fec=kp4 | kp4+hamming | cfec | ldpc:<name> | none`` (:func:`fec_chain`).

Method: the codeword-translation argument
-----------------------------------------
Links transmit random, *uncoded* bits. For a binary linear code and a decoder that is symmetric
under codeword translation -- bounded-distance hard decoders (RS, BCH, syndrome Hamming),
Chase-II, (layered normalized) min-sum LDPC, iterative staircase decoding -- decoding codeword c
from channel LLRs L gives ``c XOR d`` where d is what the same decoder returns for the all-zero
codeword with the translated LLRs ``L' = L * (1 - 2 c)`` (the sign of every LLR on a 1 bit is
flipped; magnitudes are unchanged). In hard decisions: decoding ``c XOR e`` is decoding the error
pattern ``e`` alone. A chain therefore takes the transmitted bits ``b`` and the link's LLRs ``L``
of the same bits, forms the "as-if-all-zero" LLRs ``L' = L * (1 - 2 b)`` (hard: ``e = hard XOR
b``), cuts them into the code's frames, decodes, and counts the 1s left in the information bits
of the decoded (ideally all-zero) words: those are exactly the residual errors.

Assumption: the link's bits stand in for code bits. The bits of a real codeword are
i.i.d.-like (random data, systematic code, scrambled line), so the error statistics of the
random uncoded stream are those the code would see. What the link did to the bits is kept
entirely: the correlation of the bits of one modulation symbol (Gray labels, PAM4 pairs),
error bursts of a DFE or of cycle slips, varying SNR over a batch: the pattern comes from the
real link, in transmission order. Not modelled: what depends on the actual code bits (e.g.
precoding matched to the code, or a demapper using decisions fed back from the decoder).

Stream layout (all chains)
--------------------------
``tx_bits`` and ``llr`` / ``hard`` have shape ``(..., N)``. The leading axes are flattened in C
order and the rows concatenated into one bit stream in transmission order (bits MSB-first per
modulation symbol, as the link produced them): rows are independent stretches of the same link,
so concatenating them only changes which stretches share a codeword. Every frame is cut from
that stream; a trailing remainder shorter than what one more frame needs is dropped (not
counted). Keep each row a whole number of modulation symbols (true of every link here) so that
frames stay aligned to symbols: the 802.3dj inner code needs its bit pairs (2k, 2k+1) to be PAM4
symbols. Results do not depend on ``threads``.

The chains
----------
``"kp4"``: RS(544, 514) over GF(2^10) (:func:`dsp.fec.kp4`), hard decisions. The stream is cut
into 10-bit symbols (MSB first) dealt round-robin to ``ways`` codewords (2, the 400G
symbol interleave; 4 at 800G; :mod:`dsp.fec.interleave`). Decoding uses the counting path
(:func:`dsp.fec.symbol_errors_per_codeword`): a codeword fails iff it holds more than t = 15
erroneous symbols, and a failed codeword passes its errors through (miscorrection beyond t,
probability about 1/t!, is neglected; the test suite checks the failure decisions against the
real decoder). Frame = codeword; info bits = the 5140 bits of the 514 message symbols; info bit
errors = the bit errors in the message symbols of failed codewords.

``"kp4+hamming"``: IEEE P802.3dj 200 Gb/s-per-lane IM-DD optics: outer KP4 (as above, on the
inner decoder's output bits), a convolutional interleaver, inner Hamming(128, 120)
"symbol-pair" code (:func:`dsp.fec.hamming_128_120`) Chase-II decoded on the LLRs (``p`` test
positions). Channel frame: 128 bits = 64 PAM4 symbols, 120 of them information. The
interleaver (``interleave=True``) is modelled as the Forney convolutional interleaver of the
public FPGA model of this scheme by R. Barrie (University of Toronto; repository
richard259/FPGA-FEC, ``sys5_top.sv``: P = 3 branches, 40-bit units (W = 4 RS symbols), delay
D = 192 units per branch step, branch i delayed (P - 1 - i) D branch clocks, end-to-end latency
46,080 bits). **Not verified against the draft's clause 177 text**, which was not available here.
It is applied *tail-biting* over the batch (unit j of the deinterleaved stream is read from
channel unit ``(j + (P - 1 - j mod P) D P) mod U``, U units in the batch, U a multiple of P), so
no bits are lost to the interleaver's fill: a burst of B <= P consecutive channel units lands in
units at least D P - 1 apart in the outer stream.
Then 10-bit symbols dealt to ``ways`` (2) RS codewords as for ``"kp4"``.
Frames = RS codewords; info bits = RS message bits.

``"cfec"``: OIF 400ZR concatenated FEC: inner double-extended Hamming(128, 119)
(:func:`dsp.fec.hamming_128_119`), Chase-II on the LLRs; outer staircase code with eBCH(1022,
990) components, 512 x 510 blocks (:func:`dsp.fec.zr400_staircase`), hard iterative decoding.
Between them a convolutional interleaver of 16 branches in units of 119 bits (one Hamming
payload), branch i delayed 2 i branch clocks, as transcribed from OIF-400ZR section 10.4 in the
public repository remifan/commplax (``commplax/fec/cfec_400zr.py``; **not verified against the
IA**), applied tail-biting over the batch like the 802.3dj one. The deinterleaved stream fills
blocks row by row; the blocks are split into ``S = max(1, L // stream_blocks)`` streams of
``L // S`` consecutive blocks (L blocks in the batch; the rest dropped), each decoded as its own
staircase stream after the all-zero block B_0. The last 3 blocks of each stream are **not
counted**: the last block has no next block to protect its columns, so its errors and those of
the two blocks before it are not representative (see :mod:`dsp.fec.staircase`). A batch needs at
least 4 blocks (about 1.12 Mbit of channel bits, :attr:`FecChain.min_bits`) to count anything;
the fraction counted is (L/S - 3)/(L/S). Frames = counted staircase blocks; info bits = their
512 x 478 information bits.

``"ldpc:<name>"``: a shipped LDPC code (:func:`dsp.fec.ldpc_code`, names from
:func:`dsp.fec.list_ldpc_codes`), layered normalized min-sum (:meth:`dsp.fec.LdpcCode.decode`,
``max_iterations``, ``scaling``). Frame = codeword of n bits; info bits = the k systematic bits
(:attr:`LdpcCode.info_positions`); frame error = any bit of the decoded word wrong.

``"none"``: :func:`fec_chain` returns None (the link reports pre-FEC results only).

Pre-FEC BER thresholds (:attr:`FecChain.threshold_ber`, for reporting): the pre-FEC BER at which
the literature puts the code's limit for random errors. KP4: 2.4e-4 (IEEE 802.3 clause
119/120 PMD BER objective; post-FEC about 1e-15 for random errors, DOMAIN.md). 802.3dj
concatenated: about 4.85e-3 (P802.3dj 200G/lane optical PMDs, as given in the project's brief;
not verified here). CFEC: 1.25e-2 (400ZR module datasheets; OIF-400ZR gives about 1.22e-2;
not verified here). LDPC: none (None). Measured with these chains (tests/test_fec_chains.py
and its docstrings): 802.3dj on Gray PAM4 AWGN (exact LLRs, p = 5): post-FEC BER 0 in 4.5e7
bits at 6.5e-3, 3.8e-7 at 7.0e-3, 3.2e-6 at 7.5e-3; at 4.85e-3 the inner decoder leaves 2.6e-4,
the KP4 limit, which is where the literature's threshold sits. CFEC on BPSK AWGN: 0 in 2.35e7
bits at 1.15e-2, 3.5e-4 at 1.2e-2 (cliff near 1.17e-2, inner output 4.2e-3 there).

Arrays may be NumPy (CPU kernels) or CuPy (GPU kernels); only the counts come back to the host.
"""
from __future__ import annotations

from dataclasses import dataclass, fields
from functools import lru_cache

import numpy as np

from dsp._validate import check_int as _int
from dsp.backend import array_module

__all__ = ["FecCounts", "FecChain", "Kp4Chain", "Kp4HammingChain", "CfecChain", "LdpcChain", "fec_chain",
           "FEC_SPECS"]

FEC_SPECS = ("none", "kp4", "kp4+hamming", "cfec", "ldpc:<name>")

_KP4_M, _KP4_N, _KP4_K, _KP4_T = 10, 544, 514, 15


@dataclass(frozen=True)
class FecCounts:
    """Post-FEC error counts of one or more batches (add them with ``+``).

    Attributes
    ----------
    info_bit_errors : int
        Wrong information bits after decoding.
    info_bits : int
        Information bits counted. Post-FEC BER = ``info_bit_errors / info_bits``.
    frame_errors : int
        Frames (see the chain) with at least one residual error (KP4: failed codewords).
    frames : int
        Frames counted.
    channel_bit_errors : int
        Hard-decision errors of the channel bits that entered the decoder (the pre-FEC BER of
        what was decoded, sign of the LLR vs the transmitted bit).
    channel_bits : int
        Channel bits that entered the decoder.
    inner_bit_errors, inner_bits : int
        Concatenated chains: errors left after the inner decoder, on the bits handed to the outer
        code (its input BER); 0 and 0 for single codes.
    """

    info_bit_errors: int = 0
    info_bits: int = 0
    frame_errors: int = 0
    frames: int = 0
    channel_bit_errors: int = 0
    channel_bits: int = 0
    inner_bit_errors: int = 0
    inner_bits: int = 0

    def __add__(self, other):
        if not isinstance(other, FecCounts):
            return NotImplemented
        return FecCounts(*(getattr(self, f.name) + getattr(other, f.name) for f in fields(self)))

    @property
    def ber(self) -> float:
        """Post-FEC BER, info_bit_errors / info_bits (NaN when nothing was counted)."""
        return self.info_bit_errors / self.info_bits if self.info_bits else float("nan")

    @property
    def fer(self) -> float:
        """Frame error rate, frame_errors / frames (NaN when nothing was counted)."""
        return self.frame_errors / self.frames if self.frames else float("nan")

    @property
    def pre_fec_ber(self) -> float:
        """channel_bit_errors / channel_bits (NaN when nothing was counted)."""
        return self.channel_bit_errors / self.channel_bits if self.channel_bits else float("nan")


def _count(xp, a) -> int:
    return int(xp.count_nonzero(a))


class FecChain:
    """Base class of the chains (see the module docstring). Use :func:`fec_chain` to build one.

    Attributes
    ----------
    name : str
        The spec, e.g. ``"kp4+hamming"``.
    soft : bool
        Whether :meth:`count` needs LLRs (soft inner decoder) or works on hard decisions.
    rate : float
        Information bits per channel bit.
    bits_per_frame : float
        Channel bits consumed per counted frame on average (KP4: 5440).
    min_bits : int
        Fewest channel bits in a batch for which :meth:`count` counts at least one frame.
    threshold_ber : float or None
        Pre-FEC BER threshold of the literature, for reporting (module docstring).
    """

    name: str = ""
    soft: bool = False
    rate: float = 1.0
    bits_per_frame: float = 0.0
    min_bits: int = 0
    threshold_ber = None

    def __repr__(self):
        return f"{type(self).__name__}({self.name!r})"

    # ---------------------------------------------------------------- input
    def _inputs(self, tx_bits, llr, hard):
        """Validate and flatten: (xp, b (L,) uint8, llr (L,) float or None, hard (L,) uint8 or None)."""
        if tx_bits is None:
            raise ValueError("tx_bits must be given (the transmitted bits, uint8 or bool (..., N))")
        xp = array_module(tx_bits)
        b = xp.asarray(tx_bits)
        if b.dtype != xp.bool_ and b.dtype != xp.uint8:
            raise TypeError(f"tx_bits must be a uint8 or bool array of 0/1 (got dtype {b.dtype})")
        if b.ndim < 1:
            raise ValueError(f"tx_bits must have shape (..., N) (got {tuple(b.shape)})")
        b = b.reshape(-1).view(xp.uint8)
        if b.size and int(b.max()) > 1:
            raise ValueError(f"tx_bits must hold only 0 and 1 (got a value {int(b.max())})")
        if llr is None and hard is None:
            raise ValueError(f"the {self.name!r} chain needs llr" + ("" if self.soft else " or hard"))
        if self.soft and llr is None:
            raise ValueError(f"the {self.name!r} chain decodes soft information: llr must be given "
                             "(hard decisions alone are not enough)")
        shape = tuple(xp.asarray(tx_bits).shape)
        out_l = out_h = None
        if llr is not None:
            if array_module(llr) is not xp:
                raise TypeError("llr must be on the same device as tx_bits (both NumPy or both CuPy)")
            l_ = xp.asarray(llr)
            if l_.dtype != xp.float32 and l_.dtype != xp.float64:
                raise TypeError(f"llr must be float32 or float64 (got dtype {l_.dtype})")
            if tuple(l_.shape) != shape:
                raise ValueError(f"llr must have the shape of tx_bits {shape} (got {tuple(l_.shape)})")
            out_l = l_.reshape(-1)
        if hard is not None:
            if array_module(hard) is not xp:
                raise TypeError("hard must be on the same device as tx_bits (both NumPy or both CuPy)")
            h = xp.asarray(hard)
            if h.dtype != xp.bool_ and h.dtype != xp.uint8:
                raise TypeError(f"hard must be a uint8 or bool array of 0/1 (got dtype {h.dtype})")
            if tuple(h.shape) != shape:
                raise ValueError(f"hard must have the shape of tx_bits {shape} (got {tuple(h.shape)})")
            h = h.reshape(-1).view(xp.uint8)
            if h.size and int(h.max()) > 1:
                raise ValueError(f"hard must hold only 0 and 1 (got a value {int(h.max())})")
            out_h = h
        return xp, b, out_l, out_h

    @staticmethod
    def _threads(threads):
        return None if threads is None else _int("threads", threads, 1)

    def count(self, tx_bits, llr=None, hard=None, threads: int | None = None) -> FecCounts:
        """Post-FEC error counts of one batch.

        Parameters
        ----------
        tx_bits : uint8 or bool array ``(..., N)``
            Transmitted bits, 0/1, in transmission order (MSB first per modulation symbol).
        llr : float32 or float64 array ``(..., N)``, optional
            The receiver's LLRs of the same bits, log P(b=0)/P(b=1) (positive = bit 0), finite.
            Required by soft chains (:attr:`soft`).
        hard : uint8 or bool array ``(..., N)``, optional
            Hard decisions of the same bits (hard chains only; ignored when ``llr`` is given to a
            soft chain). A hard chain given only ``llr`` decides ``bit = 1 iff llr < 0``.
        threads : int, optional
            CPU threads for the decoders (default: every core). Does not change the result.

        Returns
        -------
        FecCounts
        """
        xp, b, llr, hard = self._inputs(tx_bits, llr, hard)
        return self._count(xp, b, llr, hard, self._threads(threads))

    def _count(self, xp, b, llr, hard, threads) -> FecCounts:  # pragma: no cover - abstract
        raise NotImplementedError


# -------------------------------------------------------------------- shared pieces

def _frames(xp, llr, b, n: int):
    """(f, as-if-all-zero LLRs (f, n)) of the f whole n-bit frames at the start of the stream."""
    f = llr.size // n
    return f, _translated(xp, llr[:f * n], b[:f * n]).reshape(f, n)


def _translated(xp, llr, b):
    """As-if-all-zero LLRs: L (1 - 2 b), i.e. the sign flipped where b = 1."""
    return xp.where(b.astype(xp.bool_), -llr, llr)


def _conv_gather_index(xp, units: int, branches: int, delays):
    """Tail-biting convolutional deinterleaver as a gather: deinterleaved unit j = channel unit
    ``(j + delays[j mod P] * P) mod units`` (P = branches; ``delays`` in branch clocks, the
    transmitter's interleaver delay of each branch). A bijection when ``units % P == 0``."""
    return xp.asarray(_gather_index_host(int(units), int(branches), tuple(int(x) for x in delays)))


@lru_cache(maxsize=16)
def _gather_index_host(units, branches, delays):
    j = np.arange(units, dtype=np.int64)
    d = np.asarray(delays, dtype=np.int64)
    idx = (j + d[j % branches] * branches) % units
    idx.setflags(write=False)
    return idx


def _kp4_counts(xp, err, ways, threads):
    """(info_bit_errors, info_bits, failed, codewords) of KP4 on a 1-D error stream (uint8 0/1)."""
    from dsp.fec.counting import symbol_errors_per_codeword

    group = ways * _KP4_N * _KP4_M
    g = err.size // group
    if g == 0:
        return 0, 0, 0, 0
    e = xp.ascontiguousarray(err[:g * group]).reshape(g, group)
    sym = symbol_errors_per_codeword(e, m=_KP4_M, n=_KP4_N, ways=ways, threads=threads)  # (g, ways)
    failed = sym > _KP4_T
    nf = _count(xp, failed)
    info_err = 0
    if nf:
        gi, wi = xp.nonzero(failed)
        e4 = e.reshape(g, _KP4_N, ways, _KP4_M)
        info_err = _count(xp, e4[gi, :_KP4_K, wi, :])
    return info_err, g * ways * _KP4_K * _KP4_M, nf, g * ways


# -------------------------------------------------------------------- the chains

class Kp4Chain(FecChain):
    """KP4 RS(544, 514), hard decisions, ``ways`` codewords symbol-interleaved (module docstring)."""

    soft = False
    threshold_ber = 2.4e-4

    def __init__(self, ways: int = 2):
        self.ways = _int("ways", ways, 1, 64)
        self.name = "kp4"
        self.rate = _KP4_K / _KP4_N
        self.bits_per_frame = float(_KP4_N * _KP4_M)
        self.min_bits = self.ways * _KP4_N * _KP4_M

    def __repr__(self):
        return f"Kp4Chain(ways={self.ways})"

    def _count(self, xp, b, llr, hard, threads):
        rx = (llr < 0).view(xp.uint8) if hard is None else hard
        err = rx ^ b
        n_used = (err.size // self.min_bits) * self.min_bits
        ie, ib, fe, fr = _kp4_counts(xp, err, self.ways, threads)
        return FecCounts(ie, ib, fe, fr, _count(xp, err[:n_used]), n_used)


class Kp4HammingChain(FecChain):
    """IEEE P802.3dj: inner Hamming(128, 120) symbol-pair code (Chase-II), convolutional
    interleaver, outer KP4 (module docstring)."""

    soft = True
    threshold_ber = 4.85e-3
    CI_BRANCHES, CI_UNIT_BITS, CI_DELAY = 3, 40, 192

    def __init__(self, ways: int = 2, p: int | None = None, interleave: bool = True):
        from dsp.fec.hamming import DEFAULT_P, hamming_128_120

        self.code = hamming_128_120()
        self.ways = _int("ways", ways, 1, 64)
        self.p = DEFAULT_P if p is None else _int("p", p, 0, 10)
        if not isinstance(interleave, (bool, np.bool_)):
            raise ValueError(f"interleave must be True or False (got {interleave!r})")
        self.interleave = bool(interleave)
        self.name = "kp4+hamming"
        n, k = self.code.n, self.code.k
        self.rate = (_KP4_K / _KP4_N) * k / n
        self.bits_per_frame = _KP4_N * _KP4_M * n / k
        # one group of `ways` RS codewords after the inner decoder, in whole inner frames
        need = -(-self.ways * _KP4_N * _KP4_M // k)
        self.min_bits = need * n

    def __repr__(self):
        return f"Kp4HammingChain(ways={self.ways}, p={self.p}, interleave={self.interleave})"

    def _count(self, xp, b, llr, hard, threads):
        n = self.code.n
        f, lt = _frames(xp, llr, b, n)
        if f == 0:
            return FecCounts()
        ch_err = _count(xp, lt < 0)
        inner = self.code.decode_chase(lt, p=self.p, threads=threads).info  # (f, 120): errors
        if self.interleave:
            u = self.CI_UNIT_BITS
            units = inner.reshape(-1, u)  # 120 = 3 units per frame: a multiple of the 3 branches
            P, D = self.CI_BRANCHES, self.CI_DELAY
            idx = _conv_gather_index(xp, units.shape[0], P, [(P - 1 - i) * D for i in range(P)])
            stream = units[idx].reshape(-1)
        else:
            stream = inner.reshape(-1)
        ie, ib, fe, fr = _kp4_counts(xp, stream, self.ways, threads)
        used = (fr // self.ways) * self.ways * _KP4_N * _KP4_M
        return FecCounts(ie, ib, fe, fr, ch_err, f * n, _count(xp, stream[:used]), used)


class CfecChain(FecChain):
    """OIF 400ZR CFEC: inner Hamming(128, 119) (Chase-II), convolutional interleaver, outer
    staircase code of eBCH(1022, 990) (module docstring)."""

    soft = True
    threshold_ber = 1.25e-2
    CI_BRANCHES, CI_DELAY_STEP = 16, 2
    DISCARD = 3

    def __init__(self, p: int | None = None, iterations: int = 8, window: int = 8, stream_blocks: int = 32,
                 interleave: bool = True):
        from dsp.fec.hamming import DEFAULT_P, hamming_128_119
        from dsp.fec.staircase import zr400_staircase

        self.code = hamming_128_119()
        self.staircase = zr400_staircase()
        self.p = DEFAULT_P if p is None else _int("p", p, 0, 10)
        self.iterations = _int("iterations", iterations, 1, 64)
        self.window = _int("window", window, 1, 64)
        self.stream_blocks = _int("stream_blocks", stream_blocks, self.DISCARD + 1)
        if not isinstance(interleave, (bool, np.bool_)):
            raise ValueError(f"interleave must be True or False (got {interleave!r})")
        self.interleave = bool(interleave)
        self.name = "cfec"
        n, k = self.code.n, self.code.k
        sc = self.staircase
        self.rate = sc.rate * k / n
        self.bits_per_frame = sc.bits_per_block * n / k
        # 4 blocks of inner payload, in whole multiples of the interleaver's 16 units
        units = -(-(self.DISCARD + 1) * sc.bits_per_block // k)
        units = -(-units // self.CI_BRANCHES) * self.CI_BRANCHES
        self.min_bits = units * n

    def __repr__(self):
        return (f"CfecChain(p={self.p}, iterations={self.iterations}, window={self.window}, "
                f"stream_blocks={self.stream_blocks}, interleave={self.interleave})")

    def _count(self, xp, b, llr, hard, threads):
        n, k = self.code.n, self.code.k
        P = self.CI_BRANCHES
        f = (llr.size // n) // P * P
        sc = self.staircase
        R, C = sc.rows, sc.cols
        nblk = (f * k) // sc.bits_per_block
        if nblk < self.DISCARD + 1:
            return FecCounts()
        lt = _translated(xp, llr[:f * n], b[:f * n]).reshape(f, n)
        ch_err = _count(xp, lt < 0)
        inner = self.code.decode_chase(lt, p=self.p, threads=threads).info  # (f, 119): one unit each
        if self.interleave:
            idx = _conv_gather_index(xp, f, P, [self.CI_DELAY_STEP * i for i in range(P)])
            inner = inner[idx]
        stream = inner.reshape(-1)
        s = max(1, nblk // self.stream_blocks)
        per = nblk // s
        used = s * per * sc.bits_per_block
        blocks = xp.ascontiguousarray(stream[:used]).reshape(s, per, R, C)
        res = sc.decode(blocks, iterations=self.iterations, window=self.window, threads=threads)
        info = res.info[:, :per - self.DISCARD]  # (s, per - 3, R, C - r)
        per_block = xp.count_nonzero(info.reshape(s * (per - self.DISCARD), -1), axis=1)
        counted = blocks[:, :per - self.DISCARD]
        return FecCounts(int(per_block.sum()), int(info.size), _count(xp, per_block),
                         s * (per - self.DISCARD), ch_err, f * n, _count(xp, counted), int(counted.size))


class LdpcChain(FecChain):
    """A shipped LDPC code, layered normalized min-sum (module docstring)."""

    soft = True
    threshold_ber = None

    def __init__(self, name: str, max_iterations: int = 10, scaling: float = 0.75):
        from dsp.fec.ldpc import ldpc_code

        self.code = ldpc_code(name)
        self.max_iterations = _int("max_iterations", max_iterations, 1, 10_000)
        a = float(scaling)
        if not (0.0 < a <= 1.0):
            raise ValueError(f"scaling must be in (0, 1] (got {scaling!r})")
        self.scaling = a
        self.name = f"ldpc:{name}"
        self.rate = self.code.k / self.code.n
        self.bits_per_frame = float(self.code.n)
        self.min_bits = self.code.n

    def __repr__(self):
        return f"LdpcChain({self.code.name!r}, max_iterations={self.max_iterations}, scaling={self.scaling})"

    def _count(self, xp, b, llr, hard, threads):
        n = self.code.n
        f, lt = _frames(xp, llr, b, n)
        if f == 0:
            return FecCounts()
        res = self.code.decode(lt, max_iterations=self.max_iterations, algorithm="nms", scaling=self.scaling,
                               threads=threads)
        word_err = xp.count_nonzero(res.bits, axis=1)
        return FecCounts(_count(xp, res.info), int(res.info.size), _count(xp, word_err), f,
                         _count(xp, lt < 0), f * n)


def fec_chain(spec: str, **options) -> FecChain | None:
    """The FEC chain named by ``spec`` (module docstring), or None for ``"none"``.

    Parameters
    ----------
    spec : str
        ``"none"``, ``"kp4"``, ``"kp4+hamming"``, ``"cfec"`` or ``"ldpc:<name>"`` with a name from
        :func:`dsp.fec.list_ldpc_codes` (e.g. ``"ldpc:wifi-1944-r56"``). Case-sensitive.
    **options
        Passed to the chain: ``kp4``: ``ways`` (2); ``kp4+hamming``: ``ways`` (2), ``p`` (Chase
        test positions, 5), ``interleave`` (True); ``cfec``: ``p`` (5), ``iterations`` (8),
        ``window`` (8), ``stream_blocks`` (32), ``interleave`` (True); ``ldpc``:
        ``max_iterations`` (10), ``scaling`` (0.75).

    Raises
    ------
    ValueError
        Unknown spec (the message lists the allowed ones) or a bad option value.
    TypeError
        An option the chain does not take.
    """
    from dsp.fec.ldpc import list_ldpc_codes

    allowed = ", ".join(["none", "kp4", "kp4+hamming", "cfec"] + [f"ldpc:{c}" for c in list_ldpc_codes()])
    if not isinstance(spec, str):
        raise ValueError(f"fec must be a string, one of {allowed} (got {spec!r})")
    if spec == "none":
        if options:
            raise TypeError(f"fec 'none' takes no options (got {sorted(options)})")
        return None
    if spec == "kp4":
        return Kp4Chain(**options)
    if spec == "kp4+hamming":
        return Kp4HammingChain(**options)
    if spec == "cfec":
        return CfecChain(**options)
    if spec.startswith("ldpc:") and spec[5:] in list_ldpc_codes():
        return LdpcChain(spec[5:], **options)
    raise ValueError(f"fec must be one of {allowed} (got {spec!r})")

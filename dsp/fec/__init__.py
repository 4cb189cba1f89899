"""Forward error correction: Reed-Solomon (KP4/KR4), codeword interleaving, symbol-error counting.

- :class:`ReedSolomon`, :func:`kp4`, :func:`kr4`: encoder and bounded-distance decoder over GF(2^m)
  (symbol order and IEEE 802.3 conventions in :mod:`dsp.fec.rs`).
- :func:`interleave`, :func:`deinterleave`, :func:`bits_to_symbols`, :func:`symbols_to_bits`.
- :func:`symbol_errors_per_codeword` (and ``_packed``), :func:`error_histogram`: the counting path.
- :func:`codeword_error_rate_binomial`, :func:`symbol_error_prob_from_ber`, :func:`post_fec_ber_binomial`,
  :func:`post_fec_from_histogram`: post-FEC estimates (:mod:`dsp.fec.postfec`).
- :class:`LdpcCode`, :class:`LdpcResult`, :func:`ldpc_code`, :func:`list_ldpc_codes`, :func:`bpsk_llr`:
  LDPC codes (alist / quasi-cyclic), systematic encoder, layered min-sum decoder (:mod:`dsp.fec.ldpc`;
  LLR = log P(b=0)/P(b=1), positive means bit 0, for the whole package).

- :class:`HammingCode`, :class:`SymbolPairHammingCode`, :class:`HammingResult`, :func:`hamming_128_119`
  (OIF 400ZR CFEC inner code), :func:`hamming_128_120` (IEEE P802.3dj inner code), :func:`hamming_68_60`,
  :func:`extended_hamming`: encoders, hard and Chase-II soft decoders (:mod:`dsp.fec.hamming`).

- :func:`fec_chain`, :class:`FecChain`, :class:`FecCounts`, :data:`FEC_SPECS`: post-FEC error counts of a
  link batch for ``kp4``, ``kp4+hamming``, ``cfec``, ``ldpc:<name>`` (:mod:`dsp.fec.chains`).

Importing this package loads NumPy only; compiled kernels load on first use.
"""
from dsp.fec.hamming import (HammingCode, HammingResult, SymbolPairHammingCode, extended_hamming, hamming_68_60,
                              hamming_128_119, hamming_128_120)
from dsp.fec.counting import error_histogram, symbol_errors_per_codeword, symbol_errors_per_codeword_packed
from dsp.fec.interleave import bits_to_symbols, deinterleave, interleave, symbols_to_bits
from dsp.fec.ldpc import LdpcCode, LdpcResult, bpsk_llr, ldpc_code, list_ldpc_codes
from dsp.fec.postfec import (CompoundPoissonFit, PostFecEstimate, codeword_error_rate_binomial, fit_compound_poisson,
                             post_fec_ber_binomial, post_fec_from_bursts, post_fec_from_histogram,
                             symbol_error_prob_from_ber)
from dsp.fec.rs import KP4_PRIM_POLY, DecodeResult, ReedSolomon, kp4, kr4
from dsp.fec.bch import BchCode, BchDecodeResult, ebch_1022_990, g7092_f
from dsp.fec.staircase import StaircaseCode, StaircaseDecodeResult, zr400_staircase
from dsp.fec.chains import FEC_SPECS, FecChain, FecCounts, fec_chain

__all__ = [
    "ReedSolomon", "DecodeResult", "kp4", "kr4", "KP4_PRIM_POLY",
    "interleave", "deinterleave", "bits_to_symbols", "symbols_to_bits",
    "symbol_errors_per_codeword", "symbol_errors_per_codeword_packed", "error_histogram",
    "symbol_error_prob_from_ber", "codeword_error_rate_binomial", "post_fec_ber_binomial",
    "post_fec_from_histogram", "PostFecEstimate", "fit_compound_poisson", "post_fec_from_bursts",
    "CompoundPoissonFit",
    "LdpcCode", "LdpcResult", "ldpc_code", "list_ldpc_codes", "bpsk_llr",
    "BchCode", "BchDecodeResult", "ebch_1022_990", "g7092_f",
    "StaircaseCode", "StaircaseDecodeResult", "zr400_staircase",
    "FecChain", "FecCounts", "fec_chain", "FEC_SPECS",
    "HammingCode", "HammingResult", "SymbolPairHammingCode", "extended_hamming", "hamming_68_60",
    "hamming_128_119", "hamming_128_120",
]

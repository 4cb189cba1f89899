"""The FEC counting path: erroneous symbols per codeword straight from bit errors.

For a bounded-distance hard-decision decoder (RS: KP4, KR4) a codeword decodes correctly iff it
holds at most t erroneous symbols (up to rare miscorrection beyond t), so the number of symbol
errors per codeword gives the post-FEC result without running the decoder. This is orders of
magnitude faster than decoding, and its histogram feeds :mod:`dsp.fec.postfec`.

Line model (see :mod:`dsp.fec.interleave`): the line bit stream is cut into m-bit symbols;
consecutive groups of ``ways * n`` symbols hold ``ways`` interleaved codewords, line symbol j of
a group going to codeword ``j % ways``. A symbol is in error if any of its m bits is.
"""
from __future__ import annotations

import numpy as np

from dsp._validate import check_int as _int
from dsp.backend import array_module, get_backend

__all__ = ["symbol_errors_per_codeword", "symbol_errors_per_codeword_packed", "error_histogram"]


def _ops(xp):
    return get_backend("gpu" if xp.__name__ == "cupy" else "cpu").ops


def symbol_errors_per_codeword(err_bits, *, m: int = 10, n: int = 544, ways: int = 1, threads: int | None = None):
    """Erroneous symbols in each codeword, from bit errors in line order.

    Parameters
    ----------
    err_bits : bool or uint8 array ``(..., L)``
        Bit errors (tx XOR rx), one element per line bit; any non-zero byte counts as an error.
    m : int
        Bits per symbol (1 .. 16; KP4/KR4: 10).
    n : int
        Codeword length in symbols (KP4: 544, KR4: 528).
    ways : int
        Codewords interleaved symbol by symbol (1; 2 at 400G; 4 at 800G).
    threads : int, optional
        CPU threads (default: every core).

    Returns
    -------
    int32 array ``(..., (L // (m * n * ways)) * ways)``: codeword order group-major, then way.
    Trailing bits that do not fill a whole group of ``ways`` codewords are ignored.
    NumPy in, NumPy out; CuPy in, CuPy out.
    """
    m = _int("m", m, 1, 16)
    n = _int("n", n, 1)
    ways = _int("ways", ways, 1)
    xp = array_module(err_bits)
    a = xp.asarray(err_bits)
    if a.dtype != xp.bool_ and a.dtype != xp.uint8:
        raise ValueError(f"err_bits must be a bool or uint8 array (got dtype {a.dtype})")
    if a.ndim < 1:
        raise ValueError(f"err_bits must have shape (..., L) (got {tuple(a.shape)})")
    rows = int(np.prod(a.shape[:-1], dtype=np.int64))
    flat = xp.ascontiguousarray(a.reshape(rows, a.shape[-1])).view(xp.uint8)
    out = _ops(xp).rs_symbol_errors(flat, m, n, ways, threads)
    return out.reshape(*a.shape[:-1], out.shape[-1])


def symbol_errors_per_codeword_packed(packed, n_bits: int, *, m: int = 10, n: int = 544, ways: int = 1,
                                      threads: int | None = None):
    """As :func:`symbol_errors_per_codeword`, from bit errors packed 8 to a byte.

    Parameters
    ----------
    packed : uint8 array ``(..., ceil(n_bits / 8))``
        ``np.packbits(err_bits, axis=-1)`` (bit order "big": line bit 0 is the MSB of byte 0), e.g.
        ``np.packbits(tx_bits, axis=-1) ^ np.packbits(rx_bits, axis=-1)``.
    n_bits : int
        Line bits per row (bits past it, the padding of the last byte, are ignored).
    """
    m = _int("m", m, 1, 16)
    n = _int("n", n, 1)
    ways = _int("ways", ways, 1)
    n_bits = _int("n_bits", n_bits, 0)
    xp = array_module(packed)
    a = xp.asarray(packed)
    if a.dtype != xp.uint8:
        raise ValueError(f"packed must be a uint8 array (got dtype {a.dtype})")
    if a.ndim < 1 or a.shape[-1] != (n_bits + 7) // 8:
        raise ValueError(f"packed must have shape (..., ceil(n_bits / 8) = {(n_bits + 7) // 8}) "
                         f"(got {tuple(a.shape)})")
    rows = int(np.prod(a.shape[:-1], dtype=np.int64))
    flat = xp.ascontiguousarray(a.reshape(rows, a.shape[-1]))
    out = _ops(xp).rs_symbol_errors_packed(flat, n_bits, m, n, ways, threads)
    return out.reshape(*a.shape[:-1], out.shape[-1])


def error_histogram(counts, n: int):
    """Histogram of symbol errors per codeword: int64 NumPy array ``(n + 1,)``, entry e = codewords with e errors.

    ``counts`` is any integer array of per-codeword counts in [0, n] (NumPy or CuPy; the result is on the host).
    """
    n = _int("n", n, 1)
    xp = array_module(counts)
    c = xp.asarray(counts).reshape(-1)
    if c.dtype.kind not in "ui":
        raise ValueError(f"counts must be an integer array (got dtype {c.dtype})")
    if c.size and (int(c.min()) < 0 or int(c.max()) > n):
        raise ValueError(f"counts must be in [0, n={n}] (got values in [{int(c.min())}, {int(c.max())}])")
    h = xp.bincount(c.astype(xp.int64), minlength=n + 1)
    return np.asarray(h.get() if xp.__name__ == "cupy" else h, dtype=np.int64)

"""Bits <-> symbols, and the codeword interleave of 400G/800G Ethernet (simplified model).

Bit order: a symbol of m bits is written MSB first, ``symbol = sum_i bits[i] 2^(m-1-i)``.

Interleave (simplified model of the RS-FEC symbol distribution of the IEEE 802.3 400GBASE-R PCS,
clause 119, and of 800G Ethernet, where 2 (400G) or 4 (800G) KP4 codewords are interleaved
10-bit symbol by symbol onto the line): line
symbol j of a group of ``ways`` codewords belongs to codeword ``j % ways`` and is its symbol
``j // ways``. Not modelled: PCS lane distribution, alignment markers, the 10-bit-symbol
muxing across physical lanes and any convolutional interleaver. What it captures is the effect
that matters for FEC margin: a burst of ``B`` consecutive line symbols spreads over ``ways``
codewords, about ``B / ways`` symbols each.

All functions accept NumPy or CuPy arrays and return arrays of the same library.
"""
from __future__ import annotations

import operator

from dsp.backend import array_module

__all__ = ["interleave", "deinterleave", "bits_to_symbols", "symbols_to_bits"]


def _positive_int(name, value, hi=None):
    try:
        v = operator.index(value)
    except TypeError:
        raise ValueError(f"{name} must be an integer (got {value!r})") from None
    if v < 1 or (hi is not None and v > hi):
        raise ValueError(f"{name} must be in [1, {hi}] (got {v})" if hi else f"{name} must be >= 1 (got {v})")
    return v


def interleave(codewords, ways: int):
    """Symbol-interleave ``ways`` codewords onto one line.

    Parameters
    ----------
    codewords : array ``(..., ways, n)``
    ways : int >= 1

    Returns
    -------
    array ``(..., ways * n)`` with ``out[..., j] = codewords[..., j % ways, j // ways]``.
    """
    ways = _positive_int("ways", ways)
    xp = array_module(codewords)
    a = xp.asarray(codewords)
    if a.ndim < 2 or a.shape[-2] != ways:
        raise ValueError(f"codewords must have shape (..., ways={ways}, n) (got {tuple(a.shape)})")
    return xp.ascontiguousarray(xp.swapaxes(a, -1, -2)).reshape(*a.shape[:-2], ways * a.shape[-1])


def deinterleave(line, ways: int):
    """Inverse of :func:`interleave`: ``line`` ``(..., ways * n)`` -> ``(..., ways, n)``."""
    ways = _positive_int("ways", ways)
    xp = array_module(line)
    a = xp.asarray(line)
    if a.ndim < 1 or a.shape[-1] % ways:
        raise ValueError(f"line must have shape (..., ways * n) with ways={ways} (got {tuple(a.shape)})")
    n = a.shape[-1] // ways
    return xp.ascontiguousarray(xp.swapaxes(a.reshape(*a.shape[:-1], n, ways), -1, -2))


def bits_to_symbols(bits, m: int):
    """Group bits into m-bit symbols, MSB first.

    Parameters
    ----------
    bits : bool or integer array ``(..., L)``, values 0/1, ``L`` a multiple of ``m``
    m : int, 1 .. 16

    Returns
    -------
    uint16 array ``(..., L // m)``.
    """
    m = _positive_int("m", m, 16)
    xp = array_module(bits)
    b = xp.asarray(bits)
    if b.dtype.kind not in "uib":
        raise ValueError(f"bits must be a bool or integer array (got dtype {b.dtype})")
    if b.ndim < 1 or b.shape[-1] % m:
        raise ValueError(f"bits must have shape (..., L) with L a multiple of m={m} (got {tuple(b.shape)})")
    if b.dtype.kind != "b" and b.size and (int(b.max()) > 1 or int(b.min()) < 0):
        raise ValueError("bits must hold only 0 and 1")
    grouped = b.reshape(*b.shape[:-1], b.shape[-1] // m, m)
    out = xp.zeros(grouped.shape[:-1], dtype=xp.uint16)
    for i in range(m):  # m passes over strided views: no temporaries larger than the output
        out <<= 1
        out |= grouped[..., i].astype(xp.uint16)
    return out


def symbols_to_bits(symbols, m: int):
    """Inverse of :func:`bits_to_symbols`: integer ``symbols`` ``(..., S)`` < 2^m -> uint8 bits ``(..., S * m)``."""
    m = _positive_int("m", m, 16)
    xp = array_module(symbols)
    s = xp.asarray(symbols)
    if s.dtype.kind not in "ui":
        raise ValueError(f"symbols must be an integer array (got dtype {s.dtype})")
    if s.ndim < 1:
        raise ValueError(f"symbols must have at least one dimension (got shape {tuple(s.shape)})")
    if s.size and (int(s.min()) < 0 or int(s.max()) >= (1 << m)):
        raise ValueError(f"symbols must be in [0, 2**{m}) (got values in [{int(s.min())}, {int(s.max())}])")
    shifts = xp.arange(m - 1, -1, -1, dtype=xp.uint32)
    bits = (s.astype(xp.uint32)[..., None] >> shifts) & 1
    return bits.astype(xp.uint8).reshape(*s.shape[:-1], s.shape[-1] * m)

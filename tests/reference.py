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

"""dsp.modulation (constellations, Gray labels, mapping, hard demapping) and dsp.channel.add_awgn."""
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import reference as ref  # noqa: E402

from dsp.channel import add_awgn, noise_std  # noqa: E402
from dsp.modulation import (Constellation, bits_to_labels, demap_hard, labels_to_bits, map_labels, pam,  # noqa: E402
                            qam)

ALL = [("pam", 2), ("pam", 4), ("pam", 8), ("pam", 16), ("qam", 4), ("qam", 16), ("qam", 64), ("qam", 256)]
IDS = [f"{k}{m}" for k, m in ALL]


def make(kind, m):
    return pam(m) if kind == "pam" else qam(m)


# ---------------------------------------------------------------------------------- constellations

@pytest.mark.parametrize("kind,m", ALL, ids=IDS)
def test_geometry_and_unit_energy(kind, m):
    c = make(kind, m)
    assert c == Constellation(kind, m)
    pts = c.points
    assert pts.shape == (m,)
    assert pts.dtype == (np.complex128 if kind == "qam" else np.float64)
    assert np.mean(np.abs(pts) ** 2) == pytest.approx(1.0, rel=1e-12)
    assert len(np.unique(np.round(pts, 12))) == m  # distinct points
    L = int(round(math.sqrt(m))) if kind == "qam" else m
    assert (c.axes, c.levels, c.bits_per_axis) == ((2 if kind == "qam" else 1), L, int(math.log2(L)))
    assert c.bits_per_symbol == int(math.log2(m))
    # levels are the equally spaced (2k - L + 1) d, symmetric about 0
    axis_vals = np.unique(np.round(pts.real, 12))
    np.testing.assert_allclose(axis_vals, (2 * np.arange(L) - L + 1) * c.d, atol=1e-12)
    if kind == "qam":
        np.testing.assert_allclose(np.unique(np.round(pts.imag, 12)), axis_vals, atol=1e-12)
        assert abs(pts.mean()) < 1e-12
    # d is half the minimum distance
    diff = np.abs(pts[:, None] - pts[None, :])
    assert diff[diff > 0].min() == pytest.approx(2 * c.d, rel=1e-12)
    assert str(c) == f"{m}-{kind.upper()}"


def _popcount(x):
    return bin(int(x)).count("1")


@pytest.mark.parametrize("kind,m", ALL, ids=IDS)
def test_labels_are_gray(kind, m):
    c = make(kind, m)
    pts = c.points
    b = c.bits_per_axis
    # neighbours at distance 2d differ in exactly one bit (per axis); farther pairs differ in more than 0
    dist = np.abs(pts[:, None] - pts[None, :])
    nbr = np.isclose(dist, 2 * c.d, rtol=1e-9)
    assert nbr.sum() == (2 * m - 2 if kind == "pam" else 2 * 2 * c.levels * (c.levels - 1))
    for i, j in zip(*np.nonzero(nbr)):
        assert _popcount(i ^ j) == 1, (i, j)
    if kind == "qam":
        # the I coordinate depends only on the top b bits, Q only on the low b bits
        lab = np.arange(m)
        for hi in range(c.levels):
            assert np.ptp(pts[(lab >> b) == hi].real) < 1e-12
            assert np.ptp(pts[(lab & (c.levels - 1)) == hi].imag) < 1e-12
        # sorted along each axis, labels walk the binary reflected Gray code
        axis_labels_by_level = [int(lab[np.isclose(pts, complex(v, pts.imag.min()))][0] >> b)
                                for v in np.sort(np.unique(np.round(pts.real, 12)))]
    else:
        axis_labels_by_level = list(np.argsort(pts))
    assert axis_labels_by_level == [k ^ (k >> 1) for k in range(c.levels)]


@pytest.mark.parametrize("kind,m", [("qam", 32), ("qam", 8), ("qam", 2), ("pam", 3), ("pam", 32), ("pam", 1)])
def test_bad_order_raises(kind, m):
    with pytest.raises(ValueError, match=r"\bm\b"):
        Constellation(kind, m)
    with pytest.raises(ValueError, match=r"\bm\b"):
        make(kind, m)


@pytest.mark.parametrize("kind", ["psk", "PAM", "", "ask"])
def test_bad_kind_raises(kind):
    with pytest.raises(ValueError, match="kind"):
        Constellation(kind, 4)


# --------------------------------------------------------------------------------- bits and labels

@pytest.mark.parametrize("bps", [1, 2, 3, 4, 6, 8, 10, 16])
def test_bits_labels_round_trip(bps):
    rng = np.random.default_rng(bps)
    bits = rng.integers(0, 2, size=(3, 5 * bps)).astype(np.uint8)
    labels = bits_to_labels(bits, bps)
    assert labels.shape == (3, 5)
    assert labels.dtype == (np.uint8 if bps <= 8 else np.uint16)
    # MSB first, checked by a direct sum
    for r in range(3):
        for s in range(5):
            grp = bits[r, s * bps:(s + 1) * bps]
            assert int(labels[r, s]) == sum(int(v) << (bps - 1 - i) for i, v in enumerate(grp))
    back = labels_to_bits(labels, bps)
    assert back.dtype == np.uint8
    np.testing.assert_array_equal(back, bits)
    all_labels = np.arange(2**bps if bps <= 12 else 4096)
    np.testing.assert_array_equal(bits_to_labels(labels_to_bits(all_labels, bps), bps), all_labels)


def test_bits_msb_first_example():
    np.testing.assert_array_equal(labels_to_bits(np.array([6, 1]), 3), [1, 1, 0, 0, 0, 1])
    np.testing.assert_array_equal(bits_to_labels(np.array([1, 0, 0, 0, 1, 1]), 3), [4, 3])
    assert bits_to_labels(np.zeros(0, np.uint8), 2).shape == (0,)


@pytest.mark.parametrize("n_bits", [1, 3, 5, 7])
def test_bits_length_not_multiple_raises(n_bits):
    with pytest.raises(ValueError, match="bits"):
        bits_to_labels(np.zeros(n_bits, dtype=np.uint8), 4 if n_bits != 1 else 2)


# ------------------------------------------------------------------------------ mapping / demapping

@pytest.mark.parametrize("kind,m", ALL, ids=IDS)
def test_map_then_demap_is_identity(kind, m):
    c = make(kind, m)
    labels = np.arange(m).repeat(3).reshape(3, m)
    for dtype in (None, np.complex128 if kind == "qam" else np.float64):
        x = map_labels(labels, c, dtype=dtype)
        assert x.shape == labels.shape
        expected_dtype = dtype or (np.complex64 if kind == "qam" else np.float32)
        assert x.dtype == expected_dtype
        np.testing.assert_allclose(x, c.points[labels], rtol=1e-6, atol=1e-7)
        hat = demap_hard(x, c)
        assert hat.dtype == np.uint8
        np.testing.assert_array_equal(hat, labels)


@pytest.mark.parametrize("kind,m", ALL, ids=IDS)
@pytest.mark.parametrize("precision", ["single", "double"])
def test_demap_hard_matches_brute_force(kind, m, precision):
    c = make(kind, m)
    rng = np.random.default_rng(m + (precision == "single"))
    n = 30_000
    labels = rng.integers(0, m, size=n)
    nz = rng.standard_normal((2, n)) * 0.8 * c.d
    y = c.points[labels] + (nz[0] + 1j * nz[1] if kind == "qam" else nz[0])
    far = rng.random(n) < 0.05
    y[far] *= 25  # far outside the constellation
    dtype = {("qam", "single"): np.complex64, ("qam", "double"): np.complex128,
             ("pam", "single"): np.float32, ("pam", "double"): np.float64}[kind, precision]
    y = y.astype(dtype)
    # keep the symbols no closer than 1e-3 spacing to a threshold (the brute-force oracle breaks ties by index)
    parts = [y.real, y.imag] if kind == "qam" else [y]
    t = [p.astype(np.float64) / (2 * c.d) + c.levels / 2 for p in parts]
    keep = np.all([np.abs(v - np.round(v)) > 1e-3 for v in t], axis=0)
    y = y[keep]
    y = y[: (y.size // 10) * 10].reshape(-1, 10)  # any shape
    got = demap_hard(y, c)
    assert got.shape == y.shape
    np.testing.assert_array_equal(got, ref.slice_labels(y, kind, m))


def test_demap_hard_ties_and_outer_regions():
    c = pam(4)
    d = c.d
    # thresholds at -2d, 0, 2d: values on a threshold go to the upper region; outer regions are unbounded
    y = np.array([-2 * d, 0.0, 2 * d, -1e9, 1e9, -np.inf, np.inf])
    k = np.array([1, 2, 3, 0, 3, 0, 3])
    # (+-2d) / (2d) is exactly +-1, so t = y / (2d) + 2 lands exactly on 1, 2, 3
    assert list((y / (2 * d) + 2)[:3]) == [1.0, 2.0, 3.0]
    np.testing.assert_array_equal(demap_hard(y, c), k ^ (k >> 1))
    np.testing.assert_array_equal(demap_hard(y.astype(np.float32), c), k ^ (k >> 1))
    # QAM: I and Q decided independently, label = (g(kI) << b) | g(kQ)
    q = qam(16)
    y = np.array([complex(-10, 10), complex(10, -10), complex(0, 0)])
    np.testing.assert_array_equal(demap_hard(y, q), [(0 << 2) | 2, (2 << 2) | 0, (3 << 2) | 3])


@pytest.mark.parametrize("labels", [[0, 4], [7], [255]])
def test_map_labels_out_of_range_raises(labels):
    with pytest.raises(ValueError, match="labels"):
        map_labels(np.array(labels), pam(4))
    with pytest.raises(ValueError, match="labels"):
        map_labels(np.array(labels) + 16, qam(16))


# ------------------------------------------------------------------------------------------ AWGN

def _balanced(c, n, rng):
    """Symbols of exactly unit mean energy: every label equally often."""
    labels = rng.permutation(np.arange(n) % c.m)
    return map_labels(labels, c, dtype=np.complex128 if c.axes == 2 else np.float64)


@pytest.mark.parametrize("snr_db", [-3.0, 0.0, 10.0, 25.0])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_add_awgn_complex_snr(snr_db, dtype):
    rng = np.random.default_rng(int(snr_db * 10) + 100)
    n = 1_000_000
    x = _balanced(qam(16), n, rng).astype(dtype)
    x0 = x.copy()
    y = add_awgn(x, snr_db, np.random.default_rng(1))
    assert y.dtype == dtype and y.shape == x.shape
    np.testing.assert_array_equal(x, x0)  # input not modified
    noise = y.astype(np.complex128) - x.astype(np.complex128)
    pn = np.mean(np.abs(noise) ** 2)
    px = np.mean(np.abs(x.astype(np.complex128)) ** 2)
    snr = 10 ** (snr_db / 10)
    # |n|^2 is exponential: relative std of its mean 1/sqrt(n); plus float32 rounding of y
    assert px / pn == pytest.approx(snr, rel=5 / math.sqrt(n) + (1e-5 if dtype == np.complex64 else 0))
    # circular: equal power in I and Q, uncorrelated, zero mean
    var = pn / 2
    assert np.mean(noise.real**2) == pytest.approx(var, rel=5 * math.sqrt(2 / n) + 1e-5)
    assert np.mean(noise.imag**2) == pytest.approx(var, rel=5 * math.sqrt(2 / n) + 1e-5)
    assert abs(np.mean(noise.real * noise.imag)) < 5 * var / math.sqrt(n)
    assert abs(noise.mean()) < 5 * math.sqrt(pn / n)
    # Gaussian: kurtosis 3 per axis
    k = np.mean(noise.real**4) / np.mean(noise.real**2) ** 2
    assert abs(k - 3) < 0.05


@pytest.mark.parametrize("snr_db", [0.0, 12.0, 30.0])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_add_awgn_real_snr(snr_db, dtype):
    rng = np.random.default_rng(int(snr_db) + 7)
    n = 1_000_000
    x = _balanced(pam(4), n, rng).astype(dtype)
    x0 = x.copy()
    y = add_awgn(x, snr_db, np.random.default_rng(2))
    assert y.dtype == dtype and y.shape == x.shape
    np.testing.assert_array_equal(x, x0)
    noise = y.astype(np.float64) - x.astype(np.float64)
    sigma2 = np.mean(noise**2)
    ex2 = np.mean(x.astype(np.float64) ** 2)
    assert ex2 == pytest.approx(1.0, rel=1e-6)
    # E[x^2] / sigma^2 (not 2 Es/N0 split over two axes): relative std of the mean of n^2 is sqrt(2/n)
    assert ex2 / sigma2 == pytest.approx(10 ** (snr_db / 10), rel=5 * math.sqrt(2 / n) + 1e-5)
    assert noise_std(snr_db, complex_noise=False) == pytest.approx(10 ** (-snr_db / 20))


def test_add_awgn_signal_power_shape_and_reproducibility():
    x = np.ones((200, 1000), dtype=np.complex128) * 3.0  # power 9
    y = add_awgn(x, 10.0, np.random.default_rng(5), signal_power=9.0)
    assert y.shape == x.shape
    assert np.mean(np.abs(y - x) ** 2) == pytest.approx(0.9, rel=5 / math.sqrt(x.size))
    y2 = add_awgn(x, 10.0, np.random.default_rng(5), signal_power=9.0)
    np.testing.assert_array_equal(y, y2)
    y3 = add_awgn(x, 10.0, np.random.default_rng(6), signal_power=9.0)
    assert not np.array_equal(y, y3)
    # default generator works and gives noise too
    assert np.any(add_awgn(x, 10.0) != x)
    assert noise_std(10.0, 9.0, complex_noise=True) == pytest.approx(math.sqrt(0.9 / 2))


@pytest.mark.parametrize("snr_db", [float("nan"), float("inf"), float("-inf")])
def test_add_awgn_non_finite_snr_raises(snr_db):
    with pytest.raises(ValueError, match="snr_db"):
        add_awgn(np.zeros(4, np.complex64), snr_db, np.random.default_rng(0))
    with pytest.raises(ValueError, match="snr_db"):
        add_awgn(np.zeros(4, np.float32), snr_db, np.random.default_rng(0))


def test_labels_to_bits_rejects_labels_that_need_more_bits():
    from dsp.modulation import labels_to_bits

    with pytest.raises(ValueError, match="bits_per_symbol=3"):
        labels_to_bits(np.array([8]), 3)
    with pytest.raises(ValueError, match="labels must be in"):
        labels_to_bits(np.array([-1]), 3)

"""The compiled CPU kernels (``dsp._kernels.slicer`` through ``dsp._ops.cpu``) against NumPy oracles.

- Philox4x32-10: Random123 known-answer vectors and the vectorized oracle of tests/reference.py.
- ``logf``: within 2 float32 ulp of the float64 log over the normal range.
- single-precision Box-Muller: sample by sample against r cos / r sin in float64, and its statistics.
- ``slice_count``: exact counts against brute-force nearest-point decisions, and the tie rule.
- ``awgn_count``: exact counts against a NumPy transcription of the fused generator.
"""
import math
import os
import sys

import numpy as np
import pytest
from scipy import stats

sys.path.insert(0, os.path.dirname(__file__))
import reference as ref  # noqa: E402

from dsp._kernels import slicer  # noqa: E402
from dsp._ops import cpu  # noqa: E402
from dsp.modulation import Constellation  # noqa: E402

CONSTS = [("pam", 2), ("pam", 4), ("pam", 8), ("qam", 4), ("qam", 16), ("qam", 64)]
CONST_IDS = [f"{k}{m}" for k, m in CONSTS]


# ----------------------------------------------------------------------------------------- Philox

KAT = [
    ((0, 0, 0, 0), (0, 0), (0x6627E8D5, 0xE169C58D, 0xBC57AC4C, 0x9B00DBD8)),
    ((0xFFFFFFFF,) * 4, (0xFFFFFFFF, 0xFFFFFFFF), (0x408F276D, 0x41C83B0E, 0xA20BC7C6, 0x6D5451FD)),
    ((0x243F6A88, 0x85A308D3, 0x13198A2E, 0x03707344), (0xA4093822, 0x299F31D0),
     (0xD16CFE09, 0x94FDCCEB, 0x5001E420, 0x24126EA1)),
]


@pytest.mark.parametrize("counter,key,expected", KAT, ids=["zero", "ones", "pi"])
def test_philox_known_answers(counter, key, expected):
    assert tuple(slicer.philox4x32_10(*counter, *key)) == expected


@pytest.mark.parametrize("counter,key,expected", KAT, ids=["zero", "ones", "pi"])
def test_philox_oracle_known_answers(counter, key, expected):
    # the oracle is itself checked, so that agreement with it means something
    assert tuple(int(v) for v in ref.philox4x32_10([counter], key)[0]) == expected


def test_philox_matches_oracle_random():
    rng = np.random.default_rng(20240601)
    ctr = rng.integers(0, 2**32, size=(1000, 4), dtype=np.uint64).astype(np.uint32)
    keys = rng.integers(0, 2**32, size=(1000, 2), dtype=np.uint64).astype(np.uint32)
    expected = ref.philox4x32_10(ctr, (keys[:, 0], keys[:, 1]))
    got = np.array([slicer.philox4x32_10(*map(int, c), int(k[0]), int(k[1])) for c, k in zip(ctr, keys)],
                   dtype=np.uint32)
    np.testing.assert_array_equal(got, expected)


def test_philox_is_a_function_of_every_input():
    base = slicer.philox4x32_10(1, 2, 3, 4, 5, 6)
    for i in range(6):
        args = [1, 2, 3, 4, 5, 6]
        args[i] ^= 1 << 31
        assert slicer.philox4x32_10(*args) != base


# ------------------------------------------------------------------------------------------- logf

def _ulp_error(x):
    x = np.ascontiguousarray(x, dtype=np.float32)
    got = slicer.logf(x)
    exact = np.log(x.astype(np.float64))
    err = np.abs(got.astype(np.float64) - exact)
    ulp = np.spacing(np.abs(got)).astype(np.float64)  # float32 spacing at the result
    return got, err / ulp


def test_logf_accuracy_over_normal_range():
    tiny = np.finfo(np.float32).tiny  # smallest normal, 1.18e-38 (1e-38 itself is subnormal: no contract)
    rng = np.random.default_rng(5)
    sweep = np.geomspace(tiny, 1.0, 200_001).astype(np.float32)
    # random bit patterns over every normal float in [tiny, 2): each binade, each mantissa
    bits = rng.integers(0x00800000, 0x40000000, size=500_000, dtype=np.uint32)
    patterns = bits.view(np.float32)
    one = np.float32(1.0)
    around_one = np.concatenate([
        np.array([1 - 1e-7, 1 + 1e-7, 1 - 2e-7, 0.99999994, 1.0000001, 1.0, 0.5, 2.0, np.sqrt(0.5), np.sqrt(2.0)],
                 dtype=np.float32),
        one - np.arange(1, 5000, dtype=np.float32) * np.float32(2.0**-24),
        one + np.arange(1, 5000, dtype=np.float32) * np.float32(2.0**-23),
        # the reduction boundary f = sqrt(2) / sqrt(1/2), where the exponent carries
        np.nextafter(np.float32(np.sqrt(2.0)), np.float32(np.inf)) * np.float32(2.0) ** np.arange(-120, 120),
        np.float32(np.sqrt(2.0)) * np.float32(2.0) ** np.arange(-120, 120),
    ]).astype(np.float32)
    x = np.concatenate([sweep, patterns, around_one])
    got, ulps = _ulp_error(x)
    assert np.all(np.isfinite(got))
    worst = int(np.argmax(ulps))
    assert ulps[worst] <= 2.0, f"logf({x[worst]!r}) = {got[worst]!r}, log = {np.log(np.float64(x[worst]))!r}: " \
                               f"{ulps[worst]:.3f} ulp"
    assert slicer.logf(np.array([1.0], np.float32))[0] == 0.0
    # exact at powers of two up to the rounding of e ln 2
    e = np.arange(-126, 128)
    p2 = slicer.logf((np.float32(2.0) ** e).astype(np.float32))
    np.testing.assert_allclose(p2, e * np.log(2.0), rtol=2 * 2.0**-24, atol=0)


def test_logf_monotone_near_one():
    # the two branches of the reduction meet at sqrt(2); log must not step backwards anywhere nearby
    x = np.float32(0.5) + np.arange(0, 2**20, dtype=np.float32) * np.float32(2.0**-20)
    y = slicer.logf(x)
    assert np.all(np.diff(y) >= 0)


# ------------------------------------------------------------------------------- Box-Muller (f32)

@pytest.fixture(scope="module")
def bm_samples():
    words = ref.philox_items(0, 2_000_000, (0x1234ABCD, 0x0BADF00D))
    return words, slicer.box_muller_f32(words)


def test_box_muller_f32_matches_formula_per_sample(bm_samples):
    words, z = bm_samples
    assert z.dtype == np.float32 and z.shape == (words.shape[0], 2)
    a = (words[:, 1] >> 1).astype(np.int32)
    assert np.all(a != 0)  # the refined first cell (prob. 2^-31) is tested below
    # u: midpoint of the 2^-31 cell as the kernel forms it in float32 ((float)a + 0.5f, times 2^-31)
    cell = a.astype(np.float32) + np.float32(0.5)
    u = cell.astype(np.float64) * 2.0**-31
    r = np.sqrt(-2.0 * np.log(u))
    theta = 2.0 * np.pi * words[:, 2].astype(np.float64) * 2.0**-32
    tol = 4 * np.spacing(np.maximum(r, 1.0).astype(np.float32)).astype(np.float64)
    err_c = np.abs(z[:, 0] - r * np.cos(theta))
    err_s = np.abs(z[:, 1] - r * np.sin(theta))
    assert err_c.max() <= tol.max() and np.all(err_c <= tol), err_c.max()
    assert np.all(err_s <= tol), err_s.max()


def test_box_muller_f32_refined_first_cell_and_quadrants():
    # w1 >> 1 == 0 selects the refined cell from w3: u = ((w3 >> 1) + 0.5) 2^-62
    w3 = np.array([0, 1, 2, 3, 1000, 2**31, 2**32 - 1], dtype=np.uint64)
    words = np.zeros((len(w3) * 2, 4), dtype=np.uint32)
    words[: len(w3), 1] = 0
    words[len(w3):, 1] = 1  # w1 = 1 also has w1 >> 1 == 0
    words[:, 3] = np.concatenate([w3, w3]).astype(np.uint32)
    words[:, 2] = 0  # theta = 0: zc = r, zs = 0
    z = slicer.box_muller_f32(np.ascontiguousarray(words))
    a3 = (words[:, 3] >> 1).astype(np.float64)
    r = np.sqrt(-2.0 * np.log((np.float32(a3) + np.float32(0.5)).astype(np.float64) * 2.0**-62))
    np.testing.assert_allclose(z[:, 0], r, rtol=1e-6)
    assert np.all(z[:, 1] == 0)
    assert z[:, 0].max() <= 9.35 + 1e-3  # the documented truncation radius
    # exact quarter turns: w2 = q 2^30 rotates (r, 0) by q pi / 2
    words = np.zeros((4, 4), dtype=np.uint32)
    words[:, 1] = 0x80000000  # u ~ 1/2, r = sqrt(2 ln 2)
    words[:, 2] = np.arange(4, dtype=np.uint32) << np.uint32(30)
    z = slicer.box_muller_f32(words)
    r0 = math.sqrt(2 * math.log(2))
    np.testing.assert_allclose(z, [[r0, 0], [0, r0], [-r0, 0], [0, -r0]], atol=1e-6)


def test_box_muller_f32_statistics(bm_samples):
    _, z = bm_samples
    z = z.astype(np.float64)
    n = z.shape[0]
    for col in (0, 1):
        v = z[:, col]
        assert abs(v.mean()) < 5 / math.sqrt(n)
        assert abs(v.var() - 1.0) < 5 * math.sqrt(2.0 / n)
        # fourth moment: kurtosis 3, var(z^4) = 96 for N(0, 1)
        assert abs(np.mean(v**4) - 3.0) < 5 * math.sqrt(96.0 / n)
    assert abs(np.corrcoef(z[:, 0], z[:, 1])[0, 1]) < 5 / math.sqrt(n)
    # same-radius pairs must be uncorrelated in square too (a Box-Muller angle bug shows here)
    assert abs(np.corrcoef(z[:, 0] ** 2, z[:, 1] ** 2)[0, 1]) < 5 / math.sqrt(n)
    pooled = np.abs(z.reshape(-1))
    N = pooled.size
    for thr in (1.0, 2.0, 3.0, 4.0):
        p = 2 * stats.norm.sf(thr)
        k = int(np.count_nonzero(pooled > thr))
        # z_c and z_s are independent, so the pooled count is binomial(N, p)
        assert abs(k - N * p) < 5 * math.sqrt(N * p * (1 - p)), (thr, k, N * p)
    rng = np.random.default_rng(0)
    for col in (0, 1):
        sub = rng.choice(z[:, col], size=200_000, replace=False)
        assert stats.kstest(sub, "norm").pvalue > 1e-4
    # angle uniform, radius^2 exponential with mean 2
    ang = np.arctan2(z[:, 1], z[:, 0])
    assert stats.kstest(ang[:200_000], stats.uniform(loc=-np.pi, scale=2 * np.pi).cdf).pvalue > 1e-4
    assert stats.kstest((z[:200_000] ** 2).sum(axis=1), stats.expon(scale=2).cdf).pvalue > 1e-4


# -------------------------------------------------------------------------------------- slice_count

def _kernel_count(y, labels, const, threads):
    """Call dsp._ops.cpu.slice_count the way the brief specifies (complex viewed as interleaved reals)."""
    if const.axes == 2:
        real = np.ascontiguousarray(y).view(np.float32 if y.dtype == np.complex64 else np.float64)
    else:
        real = y
    return cpu.slice_count(real, labels.astype(np.uint8), const.axes, const.levels, const.bits_per_axis,
                           1.0 / (2.0 * const.d), threads)


def _axis_t(y, const):
    """Scaled coordinates t = y / (2 d) + L / 2 (float64) of each axis of y."""
    yy = np.asarray(y)
    parts = [yy.real, yy.imag] if const.axes == 2 else [yy]
    return [p.astype(np.float64) / (2 * const.d) + const.levels / 2 for p in parts]


def noisy_symbols(kind, m, n, dtype, seed, noise=0.7, margin=1e-3):
    """Random labels and noisy received symbols of ``dtype`` with no axis within ``margin`` of a threshold.

    Noise std ``noise * d`` per axis (many errors, some over several levels); 5 % of the symbols are
    far outside the constellation (up to 40 spacings, and +-1000).
    """
    const = Constellation(kind, m)
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, m, size=n).astype(np.uint8)
    x = const.points[labels]
    nz = rng.standard_normal((2, n)) * noise * const.d
    y = x + (nz[0] + 1j * nz[1] if const.axes == 2 else nz[0])
    far = rng.random(n) < 0.05
    span = (const.levels + 80) * const.d
    if const.axes == 2:
        y[far] = rng.uniform(-span, span, far.sum()) + 1j * rng.uniform(-span, span, far.sum())
    else:
        y[far] = rng.uniform(-span, span, far.sum())
    huge = rng.random(n) < 0.005
    y[huge] = y[huge] * 0 + 1000.0 * np.sign(rng.standard_normal(huge.sum()))
    y = y.astype(dtype)
    for _ in range(20):  # push symbols away from exact or near ties
        ts = _axis_t(y, const)
        near = [np.abs(t - np.round(t)) < margin for t in ts]
        if not any(a.any() for a in near):
            break
        shift = 10 * margin * 2 * const.d
        if const.axes == 2:
            y = (y + (near[0] * shift + 1j * near[1] * shift)).astype(dtype)
        else:
            y = (y + near[0] * shift).astype(dtype)
    else:
        raise AssertionError("could not avoid ties")
    return const, y, labels


_oracle_cache = {}


def _oracle(kind, m, n, dtype, seed):
    key = (kind, m, n, np.dtype(dtype).str, seed)
    if key not in _oracle_cache:
        const, y, labels = noisy_symbols(kind, m, n, dtype, seed)
        _oracle_cache[key] = (const, y, labels, ref.count_errors(y, labels, kind, m))
    return _oracle_cache[key]


@pytest.mark.parametrize("n", [0, 1, 7, 1001, 100_003])
@pytest.mark.parametrize("precision", ["single", "double"])
@pytest.mark.parametrize("kind,m", CONSTS, ids=CONST_IDS)
def test_slice_count_matches_brute_force(kind, m, precision, n):
    cplx = kind == "qam"
    dtype = {("single", False): np.float32, ("double", False): np.float64,
             ("single", True): np.complex64, ("double", True): np.complex128}[precision, cplx]
    const, y, labels, expected = _oracle(kind, m, n, dtype, seed=n + m)
    assert y.dtype == dtype
    if n >= 1001:
        assert expected[0] > 0.05 * n and expected[1] < n, "the data must exercise errors and non-errors"
    for threads in (1, 2):
        assert _kernel_count(y, labels, const, threads) == expected, threads


def _rule_index(v, const, dtype):
    """The kernels' documented decision: floor(clamp(y * scale + L / 2, 0, L - 1)) in ``dtype``, NaN -> 0."""
    dt = np.dtype(dtype).type
    with np.errstate(over="ignore", invalid="ignore"):
        t = np.asarray(v, dtype=dt) * dt(1.0 / (2.0 * const.d)) + dt(0.5 * const.levels)
    t = np.where(t > 0, t, 0)  # NaN and negatives -> 0
    t = np.where(t < const.levels - 1, t, const.levels - 1)
    return np.floor(t).astype(np.int64)


def _float_key(x, dt):
    """Order-preserving integer of a float (consecutive floats have consecutive keys)."""
    itype = np.int32 if dt == np.float32 else np.int64
    i = int(np.array(x, dtype=dt).view(itype))
    return i if i >= 0 else -(i & (2 ** (8 * np.dtype(itype).itemsize - 1) - 1))


def _float_from_key(k, dt):
    itype = np.int32 if dt == np.float32 else np.int64
    bits = 8 * np.dtype(itype).itemsize
    i = k if k >= 0 else (-k) | (1 << (bits - 1))
    if i >= 1 << (bits - 1):
        i -= 1 << bits
    return np.array(i, dtype=itype).view(dt)[()]


def _tie_pair(j, const, dtype):
    """(y_tie, y_below): the smallest y of ``dtype`` whose kernel coordinate y * scale + L / 2 is exactly j
    (computed in ``dtype``, as the kernel does), and its predecessor (coordinate below j)."""
    dt = np.dtype(dtype).type
    sc, hm = dt(1.0 / (2.0 * const.d)), dt(0.5 * const.levels)

    def t(y):
        return dt(y * sc + hm)

    lo = _float_key(dt((j - 0.5 - 0.5 * const.levels) * 2.0 * const.d), dt)   # t ~ j - 1/2
    hi = _float_key(dt((j + 0.5 - 0.5 * const.levels) * 2.0 * const.d), dt)   # t ~ j + 1/2
    assert t(_float_from_key(lo, dt)) < j <= t(_float_from_key(hi, dt))
    while hi - lo > 1:  # t is monotone in y: bisect for the first y with t >= j
        mid = (lo + hi) // 2
        if t(_float_from_key(mid, dt)) >= j:
            hi = mid
        else:
            lo = mid
    y_tie, y_below = _float_from_key(hi, dt), _float_from_key(lo, dt)
    assert t(y_tie) == dt(j), (j, const, dtype, y_tie, t(y_tie))
    assert t(y_below) < dt(j)
    return y_tie, y_below


@pytest.mark.parametrize("precision", ["single", "double"])
@pytest.mark.parametrize("kind,m", CONSTS, ids=CONST_IDS)
def test_slice_count_ties_go_up(kind, m, precision):
    const = Constellation(kind, m)
    L, b = const.levels, const.bits_per_axis
    real = np.float32 if precision == "single" else np.float64
    cplx = np.complex64 if precision == "single" else np.complex128
    for j in range(1, L):
        y_tie, y_below = _tie_pair(j, const, real)
        vals = [y_tie, y_below] + ([real(0.0), real(-0.0)] if 2 * j == L else [])
        idx = [j, j - 1] + ([j, j] if 2 * j == L else [])
        assert list(_rule_index(np.array(vals, real), const, real)) == idx
        for axis in range(const.axes):
            other = real((0.5 - 0.5 * L) * 2 * const.d)  # centre of level 0 on the other axis
            if const.axes == 2:
                y = np.array([complex(v, other) if axis == 0 else complex(other, v) for v in vals], dtype=cplx)
            else:
                y = np.array(vals, dtype=real)

            def label(k):
                g = ref.gray(k)
                return ((g << b) if axis == 0 else g) if const.axes == 2 else g

            # sent index j - 1: only the decisions that went up (to j) are in error, by one bit each
            ups = sum(1 for k in idx if k == j)
            sent_low = np.array([label(j - 1)] * len(vals), dtype=np.uint8)
            sent_high = np.array([label(j)] * len(vals), dtype=np.uint8)
            for threads in (1, 2):
                assert _kernel_count(y, sent_low, const, threads) == (ups, ups), (j, axis)
                assert _kernel_count(y, sent_high, const, threads) == (len(vals) - ups, len(vals) - ups), (j, axis)


@pytest.mark.parametrize("precision", ["single", "double"])
@pytest.mark.parametrize("kind,m", CONSTS, ids=CONST_IDS)
def test_slice_count_extreme_values(kind, m, precision):
    # infinities, huge finite values (y * scale overflows in float32) and NaN: clamped; NaN decides level 0
    const = Constellation(kind, m)
    L, b = const.levels, const.bits_per_axis
    real = np.float32 if precision == "single" else np.float64
    big = np.finfo(real).max
    vals = np.array([np.inf, -np.inf, big, -big, 1e30, -1e30, np.nan, 1e-40, -1e-40], dtype=real)
    # +-1e-40: t rounds to L / 2 exactly, a tie, which goes up for both signs
    expect = np.array([L - 1, 0, L - 1, 0, L - 1, 0, 0, L // 2, L // 2])
    assert list(_rule_index(vals, const, real)) == list(expect)
    rng = np.random.default_rng(m)
    if const.axes == 2:
        # every combination of I and Q from vals
        yi, yq = np.meshgrid(vals, vals, indexing="ij")
        ki, kq = np.meshgrid(expect, expect, indexing="ij")
        y = np.empty(yi.size * 2, dtype=real)
        y[0::2], y[1::2] = yi.ravel(), yq.ravel()
        hat = (ref.gray(ki.ravel()) << b) | ref.gray(kq.ravel())
        axes_y = y
    else:
        axes_y = vals
        hat = ref.gray(expect)
    sent = rng.integers(0, m, size=hat.size)
    sent[::3] = hat[::3]  # some correct decisions too
    diff = ref.popcount(sent.astype(np.uint64) ^ hat.astype(np.uint64))
    expected = (int(diff.sum()), int(np.count_nonzero(diff)))
    assert expected[1] < hat.size
    for threads in (1, 2):
        got = cpu.slice_count(axes_y, sent.astype(np.uint8), const.axes, L, b, 1.0 / (2.0 * const.d), threads)
        assert got == expected


@pytest.mark.parametrize("precision", ["single", "double"])
@pytest.mark.parametrize("kind,m", CONSTS + [("pam", 16), ("qam", 256)], ids=CONST_IDS + ["pam16", "qam256"])
def test_slice_count_matches_rule_without_tie_avoidance(kind, m, precision):
    # raw noisy data (ties, near ties, rounding in the kernel's own precision all included) against the
    # documented rule evaluated in the same precision
    const = Constellation(kind, m)
    L, b = const.levels, const.bits_per_axis
    real = np.float32 if precision == "single" else np.float64
    rng = np.random.default_rng(7 * m)
    n = 50_001
    k = rng.integers(0, L, size=(n, const.axes))
    t = k + 0.5 + rng.standard_normal((n, const.axes)) * 0.8
    # a quarter of the coordinates snapped onto a threshold (before the float rounding)
    snap = rng.random((n, const.axes)) < 0.25
    t = np.where(snap, np.round(t), t)
    y = ((t - L / 2) * 2 * const.d).astype(real)
    sent_k = k
    sent = ref.gray(sent_k[:, 0])
    hat = ref.gray(_rule_index(y[:, 0], const, real))
    if const.axes == 2:
        sent = (sent << b) | ref.gray(sent_k[:, 1])
        hat = (hat << b) | ref.gray(_rule_index(y[:, 1], const, real))
    diff = ref.popcount(sent.astype(np.uint64) ^ hat.astype(np.uint64))
    expected = (int(diff.sum()), int(np.count_nonzero(diff)))
    for threads in (1, 2):
        got = cpu.slice_count(np.ascontiguousarray(y).reshape(-1), sent.astype(np.uint8), const.axes, L, b,
                              1.0 / (2.0 * const.d), threads)
        assert got == expected


def test_slice_count_accepts_noncontiguous_and_defaults_threads():
    const, y, labels, expected = _oracle("pam", 4, 1001, np.float64, seed=1005)
    wide = np.zeros(2 * y.size)
    wide[::2] = y
    assert cpu.slice_count(wide[::2], labels, 1, const.levels, const.bits_per_axis, 1 / (2 * const.d)) == expected
    assert cpu.slice_count(y, labels.astype(np.int64), 1, const.levels, const.bits_per_axis,
                           1 / (2 * const.d), None) == expected


# -------------------------------------------------------------------------------------- awgn_count

def awgn_oracle(first, n, key, axes, L, b, s):
    """(bit errors, symbol errors) of the fused stream by the documented recipe, float64 NumPy."""
    if n == 0:
        return 0, 0
    w = ref.philox_items(first, n, key).astype(np.uint64)
    a = (w[:, 1] << np.uint64(32)) | w[:, 3]
    u = ((a >> np.uint64(11)).astype(np.float64) + 0.5) * 2.0**-53
    r = np.sqrt(-2.0 * np.log(u))
    theta = 2.0 * np.pi * (w[:, 2].astype(np.float64) * 2.0**-32)
    z = (r * np.cos(theta), r * np.sin(theta))
    bit_err = np.zeros(n, dtype=np.int64)
    for ax in range(axes):
        k = ((w[:, 0] >> np.uint64(b * ax)) & np.uint64(L - 1)).astype(np.int64)
        t = (k + 0.5) + s * z[ax]
        k_hat = np.clip(np.floor(t), 0, L - 1).astype(np.int64)
        bit_err += ref.popcount(ref.gray(k ^ k_hat))
    return int(bit_err.sum()), int(np.count_nonzero(bit_err))


AWGN_CASES = [(1, 2, 0.45), (1, 4, 0.3), (1, 8, 0.25), (1, 16, 0.2), (2, 2, 0.4), (2, 4, 0.3), (2, 8, 0.25),
              (2, 16, 0.2)]
AWGN_IDS = ["pam2", "pam4", "pam8", "pam16", "qam4", "qam16", "qam64", "qam256"]


@pytest.mark.parametrize("axes,L,s", AWGN_CASES, ids=AWGN_IDS)
def test_awgn_count_double_matches_oracle(axes, L, s):
    b = L.bit_length() - 1
    key = (0xDEADBEEF, 0x01234567)
    first, n = 12_345, 200_003
    expected = awgn_oracle(first, n, key, axes, L, b, s)
    assert expected[1] > 0.01 * n  # plenty of errors to compare
    for threads in (1, 2):
        assert cpu.awgn_count(first, n, key, axes, L, b, s, True, threads) == expected


@pytest.mark.parametrize("axes,L,s", AWGN_CASES, ids=AWGN_IDS)
def test_awgn_count_single_close_to_double_oracle(axes, L, s):
    b = L.bit_length() - 1
    key = (0x0BADCAFE, 0x7)
    n = 200_003
    eb, es = awgn_oracle(0, n, key, axes, L, b, s)
    gb, gs = cpu.awgn_count(0, n, key, axes, L, b, s, False, 2)
    tol = 3 + 3 * n / 1e5  # a few counts per 1e5 symbols: decisions within float32 rounding of a threshold
    assert abs(gb - eb) <= tol and abs(gs - es) <= tol, ((gb, gs), (eb, es))


@pytest.mark.parametrize("axes,L,s", [(1, 4, 0.3), (2, 16, 0.2)], ids=["pam4", "qam256"])
def test_awgn_count_single_equals_box_muller_f32_and_rule(axes, L, s):
    # the fused single-precision path is exactly box_muller_f32 (tested above) then the float32 decision
    b = L.bit_length() - 1
    key, first, n = (99, 100), 2**32 - 50_000, 100_000  # crosses the high counter word
    w = ref.philox_items(first, n, key)
    z = slicer.box_muller_f32(w)
    s32 = np.float32(s)
    bit_err = np.zeros(n, dtype=np.int64)
    for ax in range(axes):
        k = ((w[:, 0] >> np.uint32(b * ax)) & np.uint32(L - 1)).astype(np.int64)
        t = (k.astype(np.float32) + np.float32(0.5)) + s32 * z[:, ax]
        k_hat = np.clip(np.floor(t), 0, L - 1).astype(np.int64)
        bit_err += ref.popcount(ref.gray(k ^ k_hat))
    expected = (int(bit_err.sum()), int(np.count_nonzero(bit_err)))
    for threads in (1, 2):
        assert cpu.awgn_count(first, n, key, axes, L, b, s, False, threads) == expected


@pytest.mark.parametrize("double", [True, False], ids=["double", "single"])
def test_awgn_count_threads_and_splits(double):
    key, axes, L, b, s = (31337, 4242), 2, 4, 2, 0.35
    first, n = 1000, 3 * 16384 + 777  # several OpenMP chunks and a ragged tail
    whole = cpu.awgn_count(first, n, key, axes, L, b, s, double, 1)
    assert whole[1] > 0
    assert cpu.awgn_count(first, n, key, axes, L, b, s, double, 2) == whole
    assert cpu.awgn_count(first, n, key, axes, L, b, s, double, 3) == whole
    for cut in (1, 63, 64, 65, 16384, 16385, 20000, n - 1):
        a = cpu.awgn_count(first, cut, key, axes, L, b, s, double, 2)
        c = cpu.awgn_count(first + cut, n - cut, key, axes, L, b, s, double, 1)
        assert (a[0] + c[0], a[1] + c[1]) == whole, cut
    if double:
        assert whole == awgn_oracle(first, n, key, axes, L, b, s)


def test_awgn_count_high_counter_word_and_edges():
    key, axes, L, b = (1, 2), 1, 4, 2
    first = 2**32 - 3000  # items straddle i_hi = 0 / 1
    n = 6000
    got = cpu.awgn_count(first, n, key, axes, L, b, 0.3, True, 2)
    assert got == awgn_oracle(first, n, key, axes, L, b, 0.3)
    far = 2**45 + 17
    assert cpu.awgn_count(far, 5000, key, 2, 8, 3, 0.25, True, 2) == awgn_oracle(far, 5000, key, 2, 8, 3, 0.25)
    # another key gives another stream
    assert cpu.awgn_count(0, 50_000, (1, 2), 2, 8, 3, 0.25, True, 2) != cpu.awgn_count(0, 50_000, (2, 1), 2, 8, 3,
                                                                                         0.25, True, 2)
    for double in (True, False):
        assert cpu.awgn_count(5, 0, key, 2, 4, 2, 0.3, double, 2) == (0, 0)
        assert cpu.awgn_count(0, 100_000, key, 2, 16, 4, 0.0, double, 2) == (0, 0)  # no noise, no errors
        # overwhelming noise: decisions independent of the sent level, SER -> 1 - 1/L per axis
        bits, syms = cpu.awgn_count(0, 100_000, key, 1, 4, 2, 1e6, double, 2)
        assert abs(syms / 1e5 - 0.75) < 0.01
        # one bit error per symbol for PAM4 with probability 1/2 (Gray neighbours and outer pair) ...
        assert abs(bits / 1e5 - 1.0) < 0.02


def test_kernel_threads_is_per_thread_and_restored():
    """kernel_threads sets the default thread count of the calling thread only, for the block."""
    import threading

    from dsp._ops import cpu

    base = cpu.default_threads()
    seen = {}
    with cpu.kernel_threads(1):
        assert cpu.default_threads() == 1
        t = threading.Thread(target=lambda: seen.setdefault("other", cpu.default_threads()))
        t.start()
        t.join()
    assert seen["other"] == base and cpu.default_threads() == base


def test_tune_allocator_applies_on_glibc_and_can_be_disabled(monkeypatch):
    import ctypes
    import sys

    from dsp._ops import cpu

    monkeypatch.setenv("DSP_MALLOC_TUNING", "0")
    assert cpu.tune_allocator() is False
    monkeypatch.setenv("DSP_MALLOC_TUNING", "1")
    try:
        glibc = sys.platform.startswith("linux") and bool(ctypes.CDLL("libc.so.6").mallopt)
    except (OSError, AttributeError):
        glibc = False
    assert cpu.tune_allocator() is glibc

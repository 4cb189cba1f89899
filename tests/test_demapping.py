"""dsp.modulation.demap_llr: soft demapping against a brute-force oracle over all M points.

The oracle (``brute_llr``) takes the definition literally: for every bit, log-sum-exp (or max) of
the Gaussian log-likelihoods of all M constellation points whose label has that bit 0, minus those
with it 1, in float64, with no per-axis decomposition and no closed form. The LLR sign is checked
at the boundary with the LDPC decoder (dsp.fec), which takes LLR = log P(b=0)/P(b=1).
"""
import numpy as np
import pytest
from scipy.special import logsumexp

from dsp.modulation import (LLR_MAX, bits_to_labels, demap_hard, demap_llr, labels_to_bits, map_labels, pam,
                            qam)

CONSTS = [pam(2), pam(4), pam(8), pam(16), qam(4), qam(16), qam(64), qam(256)]
IDS = [str(c) for c in CONSTS]


def brute_llr(y, const, noise_var, method):
    """Bit LLRs from all M points (float64); noise_var: E|n|^2 for QAM, sigma^2 for PAM; any shape
    of y, noise_var broadcastable to it."""
    y = np.asarray(y, dtype=np.complex128 if const.axes == 2 else np.float64)
    nv = np.broadcast_to(np.asarray(noise_var, dtype=np.float64), y.shape).reshape(-1)
    yf = y.reshape(-1)
    pts = const.points
    m = const.bits_per_symbol
    lab_bits = labels_to_bits(np.arange(const.m), m).reshape(const.m, m)
    if const.axes == 2:
        met = -np.abs(yf[:, None] - pts[None]) ** 2 / nv[:, None]          # complex: exp(-|y-x|^2 / N0)
    else:
        met = -(yf[:, None] - pts[None]) ** 2 / (2 * nv[:, None])
    red = (lambda a: a.max(axis=1)) if method == "maxlog" else (lambda a: logsumexp(a, axis=1))
    out = np.empty((yf.size, m))
    for j in range(m):
        out[:, j] = red(met[:, lab_bits[:, j] == 0]) - red(met[:, lab_bits[:, j] == 1])
    return out.reshape(*y.shape[:-1], y.shape[-1] * m)


def random_symbols(const, shape, rng, spread=1.3, dtype=None):
    if const.axes == 2:
        y = rng.normal(0, spread, shape) + 1j * rng.normal(0, spread, shape)
        return y.astype(dtype or np.complex128)
    return rng.normal(0, spread, shape).astype(dtype or np.float64)


def assert_llr_close(got, want, rtol):
    err = np.abs(got.astype(np.float64) - want) / (1.0 + np.abs(want))
    assert np.max(err) <= rtol, f"max relative error {np.max(err):.3g} > {rtol}"


# ------------------------------------------------------------------------------ against the oracle

@pytest.mark.parametrize("method", ["maxlog", "exact"])
@pytest.mark.parametrize("const", CONSTS, ids=IDS)
@pytest.mark.parametrize("noise_var", [0.003, 0.2, 5.0])
def test_matches_brute_force_double(const, method, noise_var):
    rng = np.random.default_rng(const.m * 7 + int(noise_var * 1000))
    y = random_symbols(const, (2, 3, 401), rng)
    got = demap_llr(y, const, noise_var, method=method)
    assert got.dtype == np.float64 and got.shape == (2, 3, 401 * const.bits_per_symbol)
    assert_llr_close(got, brute_llr(y, const, noise_var, method), 1e-9)


@pytest.mark.parametrize("method", ["maxlog", "exact"])
@pytest.mark.parametrize("const", CONSTS, ids=IDS)
def test_matches_brute_force_single(const, method):
    rng = np.random.default_rng(const.m)
    y = random_symbols(const, (5, 1001), rng, dtype=np.complex64 if const.axes == 2 else np.float32)
    for nv in (0.01, 0.5):
        got = demap_llr(y, const, nv, method=method)
        assert got.dtype == np.float32
        assert_llr_close(got, brute_llr(y, const, nv, method), 1e-4)


@pytest.mark.parametrize("method", ["maxlog", "exact"])
@pytest.mark.parametrize("n", [1, 2, 7, 16385, 40000])
def test_sizes_and_blocks(method, n):
    # sizes below, at and across the internal CPU block of 2^15 axis values (2^14 QAM symbols)
    const = qam(16)
    rng = np.random.default_rng(n)
    y = random_symbols(const, (n,), rng)
    got = demap_llr(y, const, 0.1, method=method)
    assert got.shape == (4 * n,)
    assert_llr_close(got, brute_llr(y, const, 0.1, method), 1e-9)


@pytest.mark.parametrize("method", ["maxlog", "exact"])
@pytest.mark.parametrize("const", [pam(4), qam(16), qam(64)], ids=str)
def test_noise_var_per_pol_and_per_symbol(const, method):
    rng = np.random.default_rng(3)
    y = random_symbols(const, (3, 2, 1500), rng)
    for nv in (np.array([[0.05], [0.4]]),                                  # per pol (pol, 1)
               rng.uniform(0.01, 1.0, (3, 2, 1)),                           # per batch item and pol
               rng.uniform(0.01, 1.0, (3, 2, 1500))):                       # per symbol
        got = demap_llr(y, const, nv, method=method)
        assert_llr_close(got, brute_llr(y, const, nv, method), 1e-9)
        # per pol, the same as demapping each pol alone with its scalar
    nv = np.array([[0.05], [0.4]])
    got = demap_llr(y, const, nv, method=method)
    for p in range(2):
        np.testing.assert_array_equal(got[:, p], demap_llr(y[:, p], const, float(nv[p, 0]), method=method))


def test_exact_minus_maxlog_bounded():
    # LSE over L/2 levels exceeds their max by at most log(L/2): |exact - maxlog| <= log(L/2)
    rng = np.random.default_rng(5)
    for const in (pam(8), qam(64), qam(256)):
        y = random_symbols(const, (20000,), rng)
        for nv in (0.01, 1.0, 100.0):
            diff = demap_llr(y, const, nv, method="exact") - demap_llr(y, const, nv, method="maxlog")
            assert np.max(np.abs(diff)) <= np.log(const.levels / 2) + 1e-9
            if nv == 1.0:
                assert np.max(np.abs(diff)) > 0.1       # the correction is really there at moderate SNR


# ------------------------------------------------------------------------------------- LLR sign

@pytest.mark.parametrize("method", ["maxlog", "exact"])
@pytest.mark.parametrize("const", CONSTS, ids=IDS)
def test_sign_at_every_point(const, method):
    labels = np.arange(const.m)
    y = map_labels(labels, const, dtype=np.complex128 if const.axes == 2 else np.float64)
    llr = demap_llr(y, const, 0.05, method=method)
    bits = labels_to_bits(labels, const.bits_per_symbol)
    assert np.all((llr > 0) == (bits == 0))                 # positive = bit 0, never zero at a point
    assert np.all(llr[: const.bits_per_symbol] > 0)          # the point of label 0: all LLRs positive
    if const.kind == "pam" and const.m == 2:
        # PAM2 label 0 is the level -d: LLR = -2 d y / sigma^2
        np.testing.assert_allclose(demap_llr(np.array([0.3]), const, 0.5, method=method), [-2 * 0.3 / 0.5])


@pytest.mark.parametrize("method", ["maxlog", "exact"])
@pytest.mark.parametrize("const", CONSTS, ids=IDS)
@pytest.mark.parametrize("dtype", ["single", "double"])
def test_hard_decisions_equal_demap_hard(const, method, dtype):
    rng = np.random.default_rng(11)
    cdt = {"single": (np.complex64, np.float32), "double": (np.complex128, np.float64)}[dtype]
    y = random_symbols(const, (4, 3000), rng, dtype=cdt[0] if const.axes == 2 else cdt[1])
    # max-log signs are the nearest-point labels' bits at any noise; exact LLRs are bit-wise MAP
    # decisions, which near a threshold differ from them at low SNR, so test those at a high SNR
    llr = demap_llr(y, const, 0.1 if method == "maxlog" else 1e-4, method=method)
    want = labels_to_bits(demap_hard(y, const), const.bits_per_symbol)
    # leave out values within 1e-5 of a decision threshold (either rounding may decide there)
    thr = np.arange(1, const.levels) * 2 * const.d - const.levels * const.d
    comps = [y.real, y.imag] if const.axes == 2 else [y]
    near = np.zeros(y.shape, dtype=bool)
    for v in comps:
        near |= np.min(np.abs(v.astype(np.float64)[..., None] - thr), axis=-1) < 1e-5
    keep = np.repeat(~near, const.bits_per_symbol, axis=-1)
    assert keep.mean() > 0.99
    np.testing.assert_array_equal(((llr < 0).astype(np.uint8))[keep], want[keep])


# -------------------------------------------------------------------------------- extreme inputs

@pytest.mark.parametrize("method", ["maxlog", "exact"])
@pytest.mark.parametrize("const", [pam(4), qam(16), qam(64), qam(256)], ids=str)
@pytest.mark.parametrize("dtype", ["single", "double"])
def test_extreme_inputs_finite(const, method, dtype):
    cdt = np.complex64 if dtype == "single" else np.complex128
    rdt = np.float32 if dtype == "single" else np.float64
    vals = np.array([0.0, 1e-30, -1e-30, 0.3, -0.7, 1e3, -1e6, 1e30, -1e30, 3e37])
    if const.axes == 2:
        y = (vals[:, None] + 1j * vals[None, :]).reshape(-1).astype(cdt)
    else:
        y = vals.astype(rdt)
    for nv in (1e-300, 1e-45, 1e-30, 1e-8, 1.0, 1e8, 1e30, 1e300):
        llr = demap_llr(y, const, nv, method=method)
        assert np.all(np.isfinite(llr)), (nv, llr[~np.isfinite(llr)])
        assert np.max(np.abs(llr)) <= LLR_MAX
    # a huge negative I value is bit 0 for the I MSB, with a huge LLR at a tiny noise
    yy = np.array([-1e30 + 0j] if const.axes == 2 else [-1e30], dtype=cdt if const.axes == 2 else rdt)
    llr = demap_llr(yy, const, 1e-30, method=method)
    assert llr[0] == LLR_MAX
    # at very large noise all LLRs are ~0 and still finite
    assert np.max(np.abs(demap_llr(y[:3], const, 1e300, method=method))) < 1e-200 or dtype == "single"


def test_exact_hard_decisions_are_bitwise_map():
    # at low SNR the exact LLR sign is the bit-wise MAP decision, not the nearest point's bit
    rng = np.random.default_rng(4)
    y = random_symbols(pam(8), (20000,), rng)
    exact = demap_llr(y, pam(8), 0.1, method="exact")
    assert np.any((exact < 0) != (demap_llr(y, pam(8), 0.1, method="maxlog") < 0))
    np.testing.assert_array_equal(exact < 0, brute_llr(y, pam(8), 0.1, "exact") < 0)


def test_does_not_modify_input_and_takes_views():
    rng = np.random.default_rng(0)
    y = random_symbols(qam(16), (2, 64), rng)
    y0 = y.copy()
    a = demap_llr(y[:, ::2], qam(16), 0.1, method="exact")   # non-contiguous view
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(a, demap_llr(np.ascontiguousarray(y[:, ::2]), qam(16), 0.1, method="exact"))


def test_dtype_argument():
    rng = np.random.default_rng(0)
    y = random_symbols(qam(16), (100,), rng, dtype=np.complex64)
    a = demap_llr(y, qam(16), 0.1, dtype=np.float64)
    assert a.dtype == np.float64
    assert_llr_close(a, brute_llr(y.astype(np.complex128), qam(16), 0.1, "maxlog"), 1e-9)
    assert demap_llr(y.astype(np.complex128), qam(16), 0.1, dtype="float32").dtype == np.float32
    assert demap_llr(np.float64([0.1]), pam(4), 0.1).dtype == np.float64


# ------------------------------------------------------------------------------------ bad input

@pytest.mark.parametrize("kwargs,match", [
    (dict(y=np.zeros(4, np.float32), const=qam(16)), "complex64 or complex128"),
    (dict(y=np.zeros(4, np.complex64), const=pam(4)), "float32 or float64"),
    (dict(y=np.zeros(4, np.int32), const=pam(4)), "float32 or float64"),
    (dict(y=np.complex64(1), const=qam(16)), "at least one dimension"),
    (dict(noise_var=0.0), "noise_var must be finite and > 0"),
    (dict(noise_var=-1.0), "noise_var must be finite and > 0"),
    (dict(noise_var=float("nan")), "noise_var must be finite and > 0"),
    (dict(noise_var=float("inf")), "noise_var must be finite and > 0"),
    (dict(noise_var=np.array([[0.1], [0.0]])), "noise_var must be finite and > 0"),
    (dict(noise_var=np.ones(3)), "does not broadcast"),
    (dict(noise_var=np.ones((5, 2, 1))), "without enlarging"),
    (dict(noise_var="0.1"), "noise_var must be a real number"),
    (dict(method="log-map"), "method must be one of maxlog, exact"),
    (dict(dtype=np.float16), "dtype must be None, float32 or float64"),
    (dict(dtype="complex64"), "dtype must be None, float32 or float64"),
])
def test_bad_input(kwargs, match):
    args = dict(y=np.zeros((2, 8), np.complex64), const=qam(16), noise_var=0.1)
    args.update(kwargs)
    y, const, nv = args.pop("y"), args.pop("const"), args.pop("noise_var")
    with pytest.raises(ValueError, match=match):
        demap_llr(y, const, nv, **args)


def test_bad_const_type():
    with pytest.raises(TypeError, match="const must be a dsp.modulation.Constellation"):
        demap_llr(np.zeros(4, np.complex64), 16, 0.1)


# ----------------------------------------------------------------- boundary with the LDPC decoder

@pytest.mark.parametrize("method", ["maxlog", "exact"])
def test_ldpc_decodes_16qam_llrs(method):
    from dsp.fec import ldpc_code

    code = ldpc_code("wifi-648-r56")                          # n = 648 = 162 16-QAM symbols
    rng = np.random.default_rng(2024)
    frames = 24
    c = code.encode(rng.integers(0, 2, (frames, code.k), dtype=np.uint8))
    x = map_labels(bits_to_labels(c, 4), qam(16))             # complex64 (frames, 162)
    snr_db = 13.0                                             # Es/N0; GMI ~3.7 > rate 3.33 bit/symbol
    nv = 10 ** (-snr_db / 10)
    n = (rng.normal(0, np.sqrt(nv / 2), x.shape) + 1j * rng.normal(0, np.sqrt(nv / 2), x.shape)).astype(np.complex64)
    y = x + n
    llr = demap_llr(y, qam(16), nv, method=method)
    raw_errors = int(np.sum((llr < 0) != (c == 1)))
    assert raw_errors > 20                                    # the decoder has work to do
    res = code.decode(llr, max_iterations=20)
    assert bool(np.all(res.converged))
    np.testing.assert_array_equal(res.bits, c)
    # the opposite sign convention fails: decisions are all wrong words
    bad = code.decode(-llr, max_iterations=20)
    assert not np.any(np.all(bad.bits == c, axis=-1))


# ------------------------------------------------------------------------------------------- GPU

@pytest.mark.gpu
@pytest.mark.parametrize("method", ["maxlog", "exact"])
@pytest.mark.parametrize("const", [pam(4), qam(16), qam(64)], ids=str)
@pytest.mark.parametrize("dtype", ["single", "double"])
def test_gpu_equals_cpu(const, method, dtype):
    import cupy as cp

    rng = np.random.default_rng(21)
    cdt = np.complex64 if dtype == "single" else np.complex128
    rdt = np.float32 if dtype == "single" else np.float64
    y = random_symbols(const, (2, 2, 30001), rng, dtype=cdt if const.axes == 2 else rdt)
    nv = np.array([[0.05], [0.3]])
    want = demap_llr(y, const, nv, method=method)
    for noise in (nv, cp.asarray(nv)):
        got = demap_llr(cp.asarray(y), const, noise, method=method)
        assert isinstance(got, cp.ndarray) and got.dtype == want.dtype and got.shape == want.shape
        np.testing.assert_allclose(got.get(), want, rtol=1e-5 if dtype == "single" else 1e-12,
                                   atol=1e-4 if dtype == "single" else 1e-10)
    big = demap_llr(cp.asarray(y), const, 1e-40, method=method)
    assert bool(cp.all(cp.isfinite(big)))

"""PAM equalizers (dsp.rx.equalizers: FFE, DFE, MLSE) against the NumPy oracles of tests/reference.py,
their behaviour on ISI channels, and argument checking.

- Kernel = oracle: LMS FFE (sps 1 and 2, tap counts across the kernel's padded lengths), LS FFE,
  partial-response target, DFE; MLSE decisions = a plain full-traceback Viterbi. Both precisions,
  batch 1 and several rows, odd and tiny lengths.
- Behaviour: FFE vs raw slicing on a bandwidth-limited channel; MLSE vs FFE on 1 + 0.9 D; MLSE on
  a memoryless AWGN channel vs the closed-form PAM4 SER (Wilson interval); DFE vs FFE on 1 + 0.5 D
  and its error bursts; FFE with a (1, alpha) target followed by an MLSE.
- Every bad argument is a ValueError naming the parameter.
"""
import math
import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import reference as ref  # noqa: E402

from dsp.metrics import ber_interval  # noqa: E402
from dsp.rx import dfe, estimate_channel, ffe, mlse  # noqa: E402

M = 4
D = math.sqrt(3.0 / (M * M - 1))


def pam(rng, batch, n, m=M):
    idx = rng.integers(0, m, (batch, n))
    return idx, ref.pam_levels(m)[idx]


def isi(rng, a, h, cursor, sigma):
    """a filtered by h (tap `cursor` at the symbol's instant) plus white Gaussian noise."""
    n = a.shape[1]
    y = np.stack([np.convolve(r, h)[cursor:cursor + n] for r in a])
    return y + sigma * rng.standard_normal(y.shape)


def isi_half(rng, a, p, cursor, sigma):
    """T/2-spaced: symbols at even samples, filtered by the T/2-spaced pulse p."""
    up = np.zeros((a.shape[0], 2 * a.shape[1]))
    up[:, ::2] = a
    return isi(rng, up, p, cursor, sigma)


def step(y, mu, taps, fb_taps=0):
    """The documented normalised step, per row."""
    return mu / (taps * np.mean(np.asarray(y, dtype=np.float64) ** 2, axis=1) + fb_taps)


def slice_idx(z, m=M):
    return ref.nearest_level(z, m)


def ser(dec, idx, start):
    return float(np.mean(dec[:, start:] != idx[:, start:]))


TOL = {np.float64: dict(rtol=1e-9, atol=1e-9), np.float32: dict(rtol=2e-3, atol=2e-3)}
H4 = [0.2, 1.0, 0.5, 0.25]
P2 = [0.1, 0.45, 1.0, 0.7, 0.3, 0.1]


# ---------------------------------------------------------------------------------- kernel = oracle

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sps", [1, 2])
@pytest.mark.parametrize("batch,n,taps,n_train", [(1, 1, 1, 0), (1, 5, 3, 2), (3, 257, 15, 100), (2, 600, 8, 300),
                                                  (1, 301, 17, 301), (2, 400, 40, 150), (1, 150, 64, 50),
                                                  (2, 20, 64, 7), (1, 65, 50, 30), (3, 33, 31, 33)])
def test_ffe_lms_matches_oracle(dtype, sps, batch, n, taps, n_train):
    rng = np.random.default_rng(n + taps + sps)
    idx, a = pam(rng, batch, n)
    y = (isi_half(rng, a, P2, 2, 0.03) if sps == 2 else isi(rng, a, H4, 1, 0.03)).astype(dtype)
    res = ffe(y, a, taps=taps, sps=sps, mu=0.05, n_train=n_train)
    st = step(y, 0.05, taps)
    z, _, w, _ = ref.lms_equalizer(y, a, taps, sps, st, st, n_train, M)
    assert res.z.dtype == dtype and res.z.shape == (batch, n)
    assert res.weights.dtype == dtype and res.weights.shape == (batch, taps)
    np.testing.assert_allclose(res.z, z, **TOL[dtype])
    np.testing.assert_allclose(res.weights, w, **TOL[dtype])


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("sps", [1, 2])
@pytest.mark.parametrize("mu", [0.0, 0.02])
def test_ffe_ls_matches_oracle(dtype, sps, mu):
    rng = np.random.default_rng(11 + sps)
    idx, a = pam(rng, 3, 700)
    y = (isi_half(rng, a, P2, 2, 0.05) if sps == 2 else isi(rng, a, H4, 1, 0.05)).astype(dtype)
    taps, n_train = 13, 200
    res = ffe(y, a, taps=taps, sps=sps, mu=mu, n_train=n_train, method="ls")
    w0 = ref.ls_ffe_taps(y, a, taps, sps, n_train)
    st = step(y, mu, taps)
    z, _, w, _ = ref.lms_equalizer(y, a, taps, sps, 0 * st, st, n_train, M, w0=w0)
    tol = TOL[dtype] if dtype == np.float32 else dict(rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(res.z, z, **tol)
    np.testing.assert_allclose(res.weights, w, **tol)
    if mu == 0.0:
        np.testing.assert_allclose(res.weights, w0, **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("target", [(1.0, 0.5), (0.8, 0.6, -0.1, 0.05)])
@pytest.mark.parametrize("method", ["lms", "ls"])
def test_ffe_target_matches_oracle(dtype, target, method):
    rng = np.random.default_rng(5)
    idx, a = pam(rng, 2, 500)
    y = isi(rng, a, [0.1, 1.0, 0.8, 0.4], 1, 0.02).astype(dtype)
    taps, n_train = 11, 150
    res = ffe(y, a, taps=taps, mu=0.03, n_train=n_train, method=method, target=target)
    st = step(y, 0.03, taps)
    w0 = ref.ls_ffe_taps(y, a, taps, 1, n_train, target) if method == "ls" else None
    z, _, w, _ = ref.lms_equalizer(y, a, taps, 1, st if w0 is None else 0 * st, st, n_train, M, target=target, w0=w0)
    tol = TOL[dtype] if dtype == np.float32 else dict(rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(res.z, z, **tol)
    np.testing.assert_allclose(res.weights, w, **tol)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("fb_taps", [1, 2, 3])
@pytest.mark.parametrize("sps,batch,n", [(1, 1, 3), (1, 3, 501), (2, 2, 333)])
def test_dfe_matches_oracle(dtype, fb_taps, sps, batch, n):
    rng = np.random.default_rng(fb_taps * 100 + n)
    idx, a = pam(rng, batch, n)
    y = (isi_half(rng, a, P2, 2, 0.03) if sps == 2 else isi(rng, a, [0.15, 1.0, 0.6, 0.3], 1, 0.03)).astype(dtype)
    ff, n_train = 9, min(n, 120)
    res = dfe(y, a, ff_taps=ff, fb_taps=fb_taps, sps=sps, mu=0.05, n_train=n_train)
    st = step(y, 0.05, ff, fb_taps)
    z, dec, w, b = ref.lms_equalizer(y, a, ff, sps, st, st, n_train, M, fb_taps=fb_taps)
    np.testing.assert_allclose(res.z, z, **TOL[dtype])
    np.testing.assert_allclose(res.ff_weights, w, **TOL[dtype])
    np.testing.assert_allclose(res.fb_weights, b, **TOL[dtype])
    assert res.decisions.dtype == np.uint8
    np.testing.assert_array_equal(res.decisions, dec)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("m,memory,batch,n,sigma", [(4, 1, 3, 700, 0.12), (4, 2, 2, 450, 0.1), (2, 1, 1, 301, 0.3),
                                                    (2, 2, 2, 200, 0.25), (8, 1, 1, 250, 0.04), (4, 1, 1, 6, 0.1),
                                                    (4, 2, 1, 6, 0.1)])
def test_mlse_matches_viterbi(dtype, m, memory, batch, n, sigma):
    rng = np.random.default_rng(m * 1000 + memory * 100 + n)
    idx, a = pam(rng, batch, n, m)
    h = [1.0, 0.8] if memory == 1 else [0.9, 0.7, 0.35]
    y = (isi(rng, a, h, 0, sigma) + 0.05).astype(dtype)
    n_train = min(n, 60)
    out = mlse(y, a, memory=memory, n_train=n_train, levels=m)
    hh, dc = ref.mlse_channel(y, a, memory, n_train)
    he, dce = estimate_channel(y, a, memory=memory, n_train=n_train)
    np.testing.assert_allclose(he, hh, rtol=1e-9, atol=1e-9)
    np.testing.assert_allclose(dce, dc, rtol=1e-9, atol=1e-9)
    expected = ref.viterbi(y, hh, dc, m, memory, idx[:, :n_train])
    assert out.dtype == np.uint8 and out.shape == (batch, n)
    np.testing.assert_array_equal(out, expected)
    # the portable add-compare-select (the one the CUDA kernels run) decides the same
    np.testing.assert_array_equal(_mlse_portable(y, a, idx, n_train, m, memory), expected)
    if n > 100:  # the test means something: there are errors for the MLSE to avoid and it decides well
        assert ser(slice_idx(y - dc[:, None], m), idx, n_train) > 0.05
        assert ser(out, idx, n_train) < 0.05


def _mlse_portable(y, a, idx, n_train, m, memory):
    """The CPU kernel forced onto the portable add-compare-select, on estimate_channel's channel."""
    from dsp._kernels import equalizer

    h, dc = estimate_channel(y, a, memory=memory, n_train=n_train)
    hh = np.zeros((y.shape[0], 3), dtype=y.dtype)
    hh[:, :memory + 1] = h
    out = np.zeros(y.shape, dtype=np.uint8)
    out[:, :n_train] = idx[:, :n_train]
    code = equalizer.mlse(np.ascontiguousarray(y), n_train, hh, dc.astype(y.dtype), m, memory,
                          math.sqrt(3.0 / (m * m - 1)), out, 1, True)
    assert code == 0
    return out


def test_mlse_long_block_traceback_matches_viterbi():
    # several traceback blocks (ring of 256, depth 64) plus a ragged end
    rng = np.random.default_rng(99)
    idx, a = pam(rng, 2, 1333)
    y = isi(rng, a, [1.0, 0.9], 0, 0.12)
    out = mlse(y, a, memory=1, n_train=50)
    hh, dc = ref.mlse_channel(y, a, 1, 50)
    expected = ref.viterbi(y, hh, dc, M, 1, idx[:, :50])
    np.testing.assert_array_equal(out, expected)
    np.testing.assert_array_equal(_mlse_portable(y, a, idx, 50, M, 1), expected)


def test_rows_are_independent():
    rng = np.random.default_rng(3)
    idx, a = pam(rng, 4, 800)
    y = isi(rng, a, H4, 1, 0.05)
    full = ffe(y, a, n_train=200)
    one = ffe(y[2:3], a[2:3], n_train=200)
    np.testing.assert_array_equal(full.z[2:3], one.z)
    out = mlse(y, a, n_train=200)
    np.testing.assert_array_equal(out[1:2], mlse(y[1:2], a[1:2], n_train=200))


def test_inputs_are_not_modified_and_ref_tail_is_ignored():
    rng = np.random.default_rng(4)
    idx, a = pam(rng, 2, 500)
    y = isi(rng, a, H4, 1, 0.05)
    y0, a0 = y.copy(), a.copy()
    r1 = ffe(y, a, n_train=100)
    a2 = a.copy()
    a2[:, 100:] = 0.0
    r2 = ffe(y, a2, n_train=100)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(a, a0)
    np.testing.assert_array_equal(r1.z, r2.z)
    np.testing.assert_array_equal(mlse(y, a, n_train=100), mlse(y, a2, n_train=100))


# --------------------------------------------------------------------------------------- behaviour

def test_ffe_opens_the_eye_of_an_isi_channel():
    rng = np.random.default_rng(10)
    idx, a = pam(rng, 2, 60_000)
    y = isi(rng, a, H4, 1, 0.06)
    raw = ser(slice_idx(y), idx, 4000)
    for method in ("lms", "ls"):
        res = ffe(y, a, n_train=4000, method=method)
        eq = ser(slice_idx(res.z), idx, 6000)
        assert raw > 0.2
        assert eq < raw / 1000, (method, raw, eq)


def test_ffe_t2_spaced():
    rng = np.random.default_rng(12)
    idx, a = pam(rng, 2, 40_000)
    y = isi_half(rng, a, P2, 2, 0.05)
    raw = ser(slice_idx(y[:, ::2] / 1.0), idx, 4000)
    res = ffe(y, a, sps=2, taps=21, n_train=4000)
    assert ser(slice_idx(res.z), idx, 6000) < min(raw / 100, 1e-3)


def test_mlse_beats_ffe_on_strong_isi():
    rng = np.random.default_rng(20)
    idx, a = pam(rng, 2, 40_000)
    y = isi(rng, a, [1.0, 0.9], 0, 0.12)
    f = ser(slice_idx(ffe(y, a, taps=31, n_train=4000, method="ls").z), idx, 4000)
    m = ser(mlse(y, a, memory=1, n_train=4000), idx, 4000)
    assert f > 0.01
    assert m < f / 20, (f, m)


def test_ffe_with_target_then_mlse():
    # a low-pass channel: FFE to a (1, 0.5) duobinary-like target, then an MLSE of memory 1
    rng = np.random.default_rng(21)
    idx, a = pam(rng, 2, 40_000)
    y = isi(rng, a, [0.1, 1.0, 0.85, 0.55, 0.3, 0.15], 1, 0.1)
    plain = ser(slice_idx(ffe(y, a, taps=21, n_train=4000, method="ls").z), idx, 4000)
    pr = ffe(y, a, taps=21, n_train=4000, method="ls", target=(1.0, 0.5))
    both = ser(mlse(pr.z, a, memory=1, n_train=4000), idx, 4000)
    assert both < plain / 3, (plain, both)


def test_mlse_awgn_matches_closed_form_ser():
    from scipy.special import ndtr

    rng = np.random.default_rng(30)
    sigma = 0.18
    idx, a = pam(rng, 2, 150_000)
    y = a + sigma * rng.standard_normal(a.shape)
    n_train = 30_000
    out = mlse(y, a, memory=1, n_train=n_train)
    errors = int(np.count_nonzero(out[:, n_train:] != idx[:, n_train:]))
    trials = out[:, n_train:].size
    expected = 2 * (M - 1) / M * float(ndtr(-D / sigma))   # 1.5 Q(d / sigma)
    assert errors > 1000
    lo, hi = ber_interval(errors, trials, 0.999, "wilson")
    assert lo <= expected <= hi, (errors / trials, expected, lo, hi)


def _error_stats(err):
    """Fraction of errors that follow an error, per equalizer."""
    follow = np.count_nonzero(err[:, 1:] & err[:, :-1])
    return follow / max(1, np.count_nonzero(err[:, :-1]))


def test_dfe_beats_ffe_and_errors_come_in_bursts():
    rng = np.random.default_rng(40)
    idx, a = pam(rng, 2, 100_000)
    y = isi(rng, a, [1.0, 0.5], 0, 0.13)
    n_train = 4000
    f = ffe(y, a, n_train=n_train)
    g = dfe(y, a, fb_taps=2, n_train=n_train)
    ef = slice_idx(f.z)[:, 2 * n_train:] != idx[:, 2 * n_train:]
    eg = g.decisions[:, 2 * n_train:] != idx[:, 2 * n_train:]
    assert np.count_nonzero(ef) > 300
    assert eg.mean() < 0.7 * ef.mean(), (ef.mean(), eg.mean())
    assert np.all((g.fb_weights[:, 0] > 0.25) & (g.fb_weights[:, 0] < 0.6))  # cancels much of the 0.5 D
    # a wrong decision fed back halves the next symbol's margin: errors cluster
    pf, pg = _error_stats(ef), _error_stats(eg)
    assert pg > 2 * pf and pg > 10 * eg.mean(), (pf, pg, eg.mean())


# ------------------------------------------------------------------------------------- bad arguments

def _ok():
    rng = np.random.default_rng(0)
    idx, a = pam(rng, 2, 64)
    return isi(rng, a, H4, 1, 0.05), a


@pytest.mark.parametrize("kwargs,name", [
    (dict(taps=0), "taps"), (dict(taps=65), "taps"), (dict(taps=2.5), "taps"), (dict(sps=3), "sps"),
    (dict(sps=0), "sps"), (dict(levels=3), "levels"), (dict(levels=32), "levels"), (dict(mu=-0.1), "mu"),
    (dict(mu=float("nan")), "mu"), (dict(mu=float("inf")), "mu"), (dict(n_train=-1), "n_train"),
    (dict(n_train=65), "n_train"), (dict(method="rls"), "method"), (dict(method="ls", n_train=10), "n_train"),
    (dict(target=(0.0, 1.0)), "target"), (dict(target=(1, 0, 0, 0, 0.1)), "target"),
    (dict(target=(1.0, float("nan"))), "target"),
])
def test_ffe_bad_arguments(kwargs, name):
    y, a = _ok()
    with pytest.raises(ValueError, match=name):
        ffe(y, a, **kwargs)


@pytest.mark.parametrize("kwargs,name", [
    (dict(fb_taps=0), "fb_taps"), (dict(fb_taps=4), "fb_taps"), (dict(ff_taps=0), "ff_taps"),
    (dict(ff_taps=100), "ff_taps"), (dict(sps=4), "sps"), (dict(mu=-1), "mu"), (dict(n_train=100), "n_train"),
    (dict(levels=6), "levels"),
])
def test_dfe_bad_arguments(kwargs, name):
    y, a = _ok()
    with pytest.raises(ValueError, match=name):
        dfe(y, a, **kwargs)


@pytest.mark.parametrize("kwargs,name", [
    (dict(memory=0), "memory"), (dict(memory=3), "memory"), (dict(levels=5), "levels"),
    (dict(levels=16, memory=2), "levels"), (dict(n_train=3), "n_train"), (dict(n_train=65), "n_train"),
    (dict(memory=2, n_train=5), "n_train"),
])
def test_mlse_bad_arguments(kwargs, name):
    y, a = _ok()
    with pytest.raises(ValueError, match=name):
        mlse(y, a, **kwargs)


def test_shape_and_dtype_errors():
    y, a = _ok()
    with pytest.raises(ValueError, match="y must"):
        ffe(y[0], a)
    with pytest.raises(ValueError, match="y must"):
        ffe(y.astype(np.int32), a)
    with pytest.raises(ValueError, match="y must"):
        ffe(y.astype(np.complex64), a)
    with pytest.raises(ValueError, match="ref must"):
        ffe(y, a[:1])
    with pytest.raises(ValueError, match="samples per row"):
        ffe(y, a[:, :-1])
    with pytest.raises(ValueError, match="samples per row"):
        ffe(y, a, sps=2)
    with pytest.raises(ValueError, match="y must"):
        mlse(y[:, :, None], a)
    with pytest.raises(ValueError, match="ref must"):
        dfe(y, a[:, :0])


# ---------------------------------------------------------------------------------------------- GPU

@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_gpu_equals_cpu(dtype):
    import cupy as cp

    rng = np.random.default_rng(50)
    idx, a = pam(rng, 37, 3001)
    y = isi(rng, a, H4, 1, 0.08).astype(dtype)
    y2 = isi_half(rng, a, P2, 2, 0.05).astype(dtype)
    tol = dict(rtol=1e-5, atol=1e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for kw in (dict(), dict(method="ls", mu=0.01), dict(target=(1.0, 0.5)), dict(taps=64)):
        c, g = ffe(y, a, n_train=500, **kw), ffe(cp.asarray(y), cp.asarray(a), n_train=500, **kw)
        np.testing.assert_allclose(g.z.get(), c.z, **tol)
        np.testing.assert_allclose(g.weights.get(), c.weights, **tol)
    c, g = ffe(y2, a, sps=2, n_train=500), ffe(cp.asarray(y2), cp.asarray(a), sps=2, n_train=500)
    np.testing.assert_allclose(g.z.get(), c.z, **tol)
    c, g = dfe(y, a, fb_taps=3, n_train=500), dfe(cp.asarray(y), cp.asarray(a), fb_taps=3, n_train=500)
    np.testing.assert_allclose(g.z.get(), c.z, **tol)
    assert np.mean(g.decisions.get() != c.decisions) < 1e-3
    for m, memory in ((4, 1), (4, 2), (2, 2), (8, 2), (16, 1)):
        idx, am = pam(rng, 9, 2000, m)
        ym = isi(rng, am, [1.0, 0.6, 0.2][:memory + 1], 0, 0.02).astype(dtype)
        c, g = mlse(ym, am, memory=memory, levels=m, n_train=300), mlse(cp.asarray(ym), cp.asarray(am),
                                                                        memory=memory, levels=m, n_train=300)
        assert np.mean(g.get() != c) < 1e-3

"""2x2 MIMO equalizer (dsp.rx.mimo) against a slow NumPy oracle of the documented update equations,
its behaviour on dual-polarization channels, and argument checking.

- Kernel = oracle: CMA, RDE, DD-LMS with training, blind -> DD switch (4th-power phase alignment),
  the single-output pre-stage (orthogonality rule), the DD phase tracker; both precisions, sps 1
  and 2, tap counts across the padded windows, tiny and odd lengths, one and many items, the
  stateful MimoEqualizer across calls. The FIR convention against np.convolve with frozen taps.
- Behaviour: random unitary Jones rotation + T/2 ISI pulse + AWGN on DP-QPSK / DP-16QAM: the
  output SNR approaches the least-squares (Wiener) optimum of the same filter, decisions match
  the transmitted symbols after the pol/90-degree ambiguity, blind -> DD improves 16-QAM, RDE
  from CMA weights improves over CMA; the singularity check flags a degenerate start and the
  single-output pre-stage repairs it.
- Bad arguments raise ValueError / TypeError naming the parameter.
"""
import math

import numpy as np
import pytest

from dsp.modulation import qam
from dsp.rx import MimoEqualizer, mimo_equalize
from dsp.rx.mimo import _rings, orthogonality

# ------------------------------------------------------------------------------------------ oracle


def oracle(x, taps, sps, *, method="cma", mu=1e-3, n_blind=None, mu_dd=None, const=None, ref=None, n_train=0,
           pll_mu=0.0, n_single=0, w0=None, k_off=0, state=None):
    """The documented equations, one symbol at a time, complex128 (items over leading axes).

    Returns (y, w, err, state) with state per item = (phi (2,), S (2,) complex).
    """
    x = np.asarray(x, dtype=np.complex128)
    lead = x.shape[:-2]
    xi = x.reshape(-1, 2, x.shape[-1])
    items, _, ns = xi.shape
    n_sym = ns // sps
    c = taps // 2
    never = 1 << 62
    if method == "dd":
        n_blind = 0
    elif n_blind is None:
        n_blind = never
    mu_dd = mu if mu_dd is None else mu_dd
    if const is None:
        r2, thr, pts = np.array([1.0]), np.array([]), None
    else:
        pts = np.asarray(const.points)
        if method == "rde":
            r2, thr = (np.array(v) for v in _rings(const))
        else:
            r2, thr = np.array([np.mean(abs(pts) ** 4) / np.mean(abs(pts) ** 2)]), np.array([])
        levels = np.unique(pts.real)
    if w0 is None:
        w0 = np.zeros((2, 2, taps), complex)
        w0[0, 0, c] = w0[1, 1, c] = 1
    W0 = np.broadcast_to(np.asarray(w0, dtype=np.complex128), lead + (2, 2, taps)).reshape(-1, 2, 2, taps)
    refi = None if ref is None else np.broadcast_to(np.asarray(ref), lead + (2, n_sym)).reshape(-1, 2, n_sym)
    y = np.zeros((items, 2, n_sym), complex)
    err = np.zeros((items, 2, n_sym))
    Wout = np.zeros_like(W0)
    states = []
    vv0 = n_blind - min(n_blind, 1024)

    def nearest(v):
        return levels[np.argmin(abs(v - levels))]

    for it in range(items):
        w = W0[it].copy()
        phi, S = (np.zeros(2), np.zeros(2, complex)) if state is None else (state[it][0].copy(), state[it][1].copy())
        pad = np.concatenate([np.zeros((2, taps)), xi[it], np.zeros((2, 2 * taps))], axis=1)
        for k in range(n_sym):
            g = k_off + k
            if g == n_single and g > 0:
                w[1, 1] = np.conj(w[0, 0][::-1])
                w[1, 0] = -np.conj(w[0, 1][::-1])
            if g == n_blind and g > 0:
                for o in range(2):
                    w[o] *= np.exp(-1j * math.atan2(-S[o].imag, -S[o].real) / 4)
            X = pad[:, sps * k + c - np.arange(taps) + taps]          # X[i, j] = x_i[sps k + c - j]
            yk = (w * X[None]).sum(axis=(1, 2))
            gr = np.zeros(2, complex)
            for o in range(2):
                if g < n_blind:
                    p = abs(yk[o]) ** 2
                    R2 = r2[int(np.sum(p > thr))]
                    e, cost, step, out = yk[o] * (R2 - p), (R2 - p) ** 2, mu, yk[o]
                    if g >= vv0:
                        S[o] += yk[o] ** 4
                else:
                    z = yk[o] * np.exp(-1j * phi[o])
                    d = refi[it, o, k] if g < n_train else nearest(z.real) + 1j * nearest(z.imag)
                    ez = d - z
                    e, cost, step, out = ez * np.exp(1j * phi[o]), abs(ez) ** 2, mu_dd, z
                    if pll_mu:
                        phi[o] += pll_mu * (z * np.conj(d)).imag
                y[it, o, k], err[it, o, k] = out, cost
                gr[o] = step * e
            for o in range(1 if g < n_single else 2):
                w[o] += gr[o] * np.conj(X)
        Wout[it] = w
        states.append((phi, S))
    return (y.reshape(lead + (2, n_sym)), Wout.reshape(lead + (2, 2, taps)), err.reshape(lead + (2, n_sym)),
            states)


# ------------------------------------------------------------------------------------------ channel

PULSE = np.array([0.1, 0.45, 1.0, 0.7, 0.3, 0.1])  # T/2-spaced, cursor at index 2
PULSE = PULSE / np.sqrt(np.sum(PULSE ** 2))


def unitary(rng):
    q, r = np.linalg.qr(rng.standard_normal((2, 2)) + 1j * rng.standard_normal((2, 2)))
    return q * (np.diag(r) / abs(np.diag(r)))


def channel(rng, items, n, const, snr_db, sps=2):
    """Symbols a (items, 2, n) through the ISI pulse (sps 2) or a T-spaced ISI, a random unitary
    Jones matrix per item, and white noise of variance 10^(-snr_db/10) per complex sample."""
    a = const.points[rng.integers(0, const.m, (items, 2, n))]
    up = np.zeros((items, 2, sps * n), complex)
    up[..., ::sps] = a
    h, cur = (PULSE, 2) if sps == 2 else (np.array([0.2, 1.0, 0.3]) / math.sqrt(1.13), 1)
    filt = np.zeros_like(up)
    for j, hj in enumerate(h):
        sh = j - cur
        if sh >= 0:
            filt[..., sh:] += hj * up[..., :up.shape[-1] - sh]
        else:
            filt[..., :sh] += hj * up[..., -sh:]
    x = np.stack([unitary(rng) @ f for f in filt])
    s2 = 10 ** (-snr_db / 10)
    x += math.sqrt(s2 / 2) * (rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape))
    return a, x


def matched_snr(y, a, start):
    """Per item and output: the SNR (dB) against the best-matching transmitted pol and complex gain."""
    out = np.zeros(y.shape[:2])
    for i in range(y.shape[0]):
        for o in range(2):
            best = -np.inf
            for p in range(2):
                yy, aa = y[i, o, start:], a[i, p, start:]
                g = np.vdot(aa, yy) / np.vdot(aa, aa)
                best = max(best, 10 * np.log10(abs(g) ** 2 * np.mean(abs(aa) ** 2) / np.mean(abs(yy - g * aa) ** 2)))
            out[i, o] = best
    return out


def ls_snr(x, a, taps, sps, start):
    """Wiener optimum of the same butterfly (least squares on the known symbols), dB per item/output."""
    items, _, ns = x.shape
    n = ns // sps
    c = taps // 2
    pad = np.concatenate([np.zeros((items, 2, taps)), x, np.zeros((items, 2, 2 * taps))], axis=-1)
    idx = sps * np.arange(start, n)[:, None] + c - np.arange(taps)[None, :] + taps
    out = np.zeros((items, 2))
    for i in range(items):
        X = np.concatenate([pad[i, 0][idx], pad[i, 1][idx]], axis=1)
        for o in range(2):
            t = a[i, o, start:]
            w = np.linalg.lstsq(X, t, rcond=None)[0]
            out[i, o] = 10 * np.log10(np.mean(abs(t) ** 2) / np.mean(abs(X @ w - t) ** 2))
    return np.maximum(out, out[:, ::-1])  # the pol each output locks to is the blind stage's choice


def symbol_errors_resolved(y, a, const, start):
    """Symbol errors per item after the best pol assignment and 90-degree rotation per output."""
    pts = np.asarray(const.points)
    out = []
    for i in range(y.shape[0]):
        tot = 0
        for o in range(2):
            best = None
            for p in range(2):
                for r in range(4):
                    z = y[i, o, start:] * 1j ** r
                    dec = pts[np.argmin(abs(z[:, None] - pts[None, :]), axis=1)]
                    e = int(np.sum(~np.isclose(dec, a[i, p, start:])))
                    best = e if best is None else min(best, e)
            tot += best
        out.append(tot)
    return np.array(out)


TOL = {np.complex128: dict(rtol=1e-9, atol=1e-9), np.complex64: dict(rtol=3e-3, atol=3e-3)}


# ---------------------------------------------------------------------------------- kernel = oracle

CASES = [
    # (lead, n_sym, taps, sps, kwargs)
    ((3,), 300, 15, 2, dict(method="cma", mu=2e-3)),
    ((1,), 5, 1, 1, dict(method="cma", mu=1e-2)),
    ((2,), 301, 7, 1, dict(method="cma", mu=3e-3, n_blind=150, const=qam(16), pll_mu=0.01, n_single=50)),
    ((1,), 260, 1, 2, dict(method="rde", mu=2e-3, n_blind=200, const=qam(16), mu_dd=1e-3)),
    ((2, 2), 250, 9, 2, dict(method="dd", mu=2e-3, const=qam(16), n_train=100, pll_mu=0.02)),
    ((2,), 200, 33, 2, dict(method="cma", mu=1e-3, const=qam(64))),
    ((1,), 70, 63, 1, dict(method="dd", mu=1e-3, const=qam(4))),
    ((2,), 1200, 17, 2, dict(method="cma", mu=2e-3, n_blind=1100, const=qam(4), n_single=300)),
    ((3,), 40, 23, 2, dict(method="rde", mu=5e-3, const=qam(64), n_blind=None)),
]


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_matches_oracle(dtype, case):
    lead, n, taps, sps, kw = CASES[case]
    rng = np.random.default_rng(case)
    const = kw.get("const") or qam(4)
    items = int(np.prod(lead))
    a, x = channel(rng, items, n, const, 22, sps)
    ns = sps * n + (1 if case % 2 and sps == 2 else 0)      # odd sample counts too
    x = np.concatenate([x, np.zeros((items, 2, ns - sps * n))], axis=-1).reshape(lead + (2, ns)).astype(dtype)
    a = a.reshape(lead + (2, n))
    w0 = None
    if case == 0:                                            # a non-trivial start
        w0 = np.zeros((2, 2, taps), complex)
        w0[0, 0, taps // 2] = w0[1, 1, taps // 2] = 0.9
        w0 += 0.05 * (rng.standard_normal(w0.shape) + 1j * rng.standard_normal(w0.shape))
    pub = dict(kw)
    pub["constellation"] = pub.pop("const", None)
    res = mimo_equalize(x, taps=taps, sps=sps, ref=a if kw.get("n_train") else None, weights=w0,
                        return_error=True, **pub)
    y, w, err, _ = oracle(x, taps, sps, ref=a, w0=w0, **kw)
    assert res.y.dtype == dtype and res.y.shape == lead + (2, n)
    assert res.weights.dtype == dtype and res.weights.shape == lead + (2, 2, taps)
    assert res.error.shape == lead + (2, n) and res.converged.shape == lead
    np.testing.assert_allclose(res.y, y, **TOL[dtype])
    np.testing.assert_allclose(res.weights, w, **TOL[dtype])
    np.testing.assert_allclose(res.error, err, rtol=TOL[dtype]["rtol"] * 10, atol=TOL[dtype]["atol"] * 10)


def test_fir_convention_with_frozen_taps():
    """mu ~ 0: y[o, k] = sum_i sum_j w[o, i, j] x[i, sps k + c - j] (np.convolve), both sps."""
    rng = np.random.default_rng(5)
    for sps, taps in ((2, 15), (1, 5), (2, 1)):
        x = rng.standard_normal((3, 2, 2 * 40 + 1)) + 1j * rng.standard_normal((3, 2, 2 * 40 + 1))
        w = rng.standard_normal((3, 2, 2, taps)) + 1j * rng.standard_normal((3, 2, 2, taps))
        res = mimo_equalize(x, taps=taps, sps=sps, mu=1e-300, weights=w)
        n = x.shape[-1] // sps
        c = taps // 2
        for it in range(3):
            for o in range(2):
                full = sum(np.convolve(x[it, i], w[it, o, i]) for i in range(2))  # full[m] = sum_j w[j] x[m - j]
                np.testing.assert_allclose(res.y[it, o], full[c + sps * np.arange(n)], rtol=1e-12, atol=1e-12)
        np.testing.assert_array_equal(res.weights, w)


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
def test_stateful_equalizer_carries_state(dtype):
    """Two blocks through MimoEqualizer = the oracle on each block with taps, schedule (blind -> DD
    switch at the block boundary, 4th-power sums) and phase trackers carried."""
    rng = np.random.default_rng(11)
    c16 = qam(16)
    a, x = channel(rng, 2, 400, c16, 25)
    x = x.astype(dtype)
    kw = dict(method="cma", mu=2e-3, n_blind=200, mu_dd=1e-3, pll_mu=0.01)
    eq = MimoEqualizer(taps=9, sps=2, constellation=c16, **kw)
    r1 = eq(x[..., :400])
    r2 = eq(x[..., 400:], return_error=True)
    assert eq.symbols == 400
    y1, w1, _, st = oracle(x[..., :400], 9, 2, const=c16, **kw)
    # second block: the oracle from the first block's taps and state, global index offset 200
    y2, w2, e2, _ = oracle_from(x[..., 400:], w1, st, 200, c16, kw)
    np.testing.assert_allclose(r1.y, y1, **TOL[dtype])
    np.testing.assert_allclose(r2.y, y2, **TOL[dtype])
    np.testing.assert_allclose(r2.weights, w2, **TOL[dtype])
    eq.reset()
    assert eq.weights is None and eq.symbols == 0
    np.testing.assert_allclose(eq(x[..., :400]).y, r1.y, rtol=0, atol=0)


def oracle_from(x, w_start, state, k_off, const, kw):
    outs = [oracle(x[i:i + 1], w_start.shape[-1], 2, const=const, w0=w_start[i], k_off=k_off, state=[state[i]], **kw)
            for i in range(x.shape[0])]
    return (np.concatenate([o[0] for o in outs]), np.concatenate([o[1] for o in outs]),
            np.concatenate([o[2] for o in outs]), None)


# ------------------------------------------------------------------------------------------ behaviour

def test_cma_qpsk_converges_near_wiener_and_decides_symbols():
    rng = np.random.default_rng(21)
    c4 = qam(4)
    a, x = channel(rng, 4, 16000, c4, 16)
    x = x.astype(np.complex64)
    res = mimo_equalize(x, taps=15, sps=2, method="cma", mu=2e-3, n_blind=8000, mu_dd=1e-3, constellation=c4)
    assert res.converged.all() and (res.orthogonality > 0.95).all()
    snr = matched_snr(res.y.astype(np.complex128), a, 10000)
    opt = ls_snr(x.astype(np.complex128), a, 15, 2, 10000)
    assert (snr > opt - 1.2).all(), (snr, opt)
    # blind -> DD: the phase is aligned to the 90-degree ambiguity, decisions are right
    assert (symbol_errors_resolved(res.y, a, c4, 10000) == 0).all()
    # the two outputs carry different transmitted polarizations
    for i in range(4):
        corr = [abs(np.vdot(a[i, p, 10000:], res.y[i, 0, 10000:])) for p in range(2)]
        other = [abs(np.vdot(a[i, p, 10000:], res.y[i, 1, 10000:])) for p in range(2)]
        assert np.argmax(corr) != np.argmax(other)


def test_blind_then_dd_improves_16qam_and_matches_symbols():
    rng = np.random.default_rng(22)
    c16 = qam(16)
    a, x = channel(rng, 4, 20000, c16, 21)
    x = x.astype(np.complex64)
    blind = mimo_equalize(x, method="cma", mu=1e-3, constellation=c16)
    dd = mimo_equalize(x, method="cma", mu=1e-3, n_blind=10000, mu_dd=1e-3, constellation=c16, return_error=True)
    s_blind = matched_snr(blind.y.astype(complex), a, 15000)
    s_dd = matched_snr(dd.y.astype(complex), a, 15000)
    assert (s_dd > s_blind + 0.3).all() and s_dd.mean() > s_blind.mean() + 0.6, (s_blind, s_dd)
    opt = ls_snr(x.astype(complex), a, 15, 2, 15000)
    assert (s_dd > opt - 1.5).all(), (s_dd, opt)
    assert dd.converged.all()
    # after the switch the DD cost is the MSE: it falls below the blind stage's
    assert dd.error[..., 15000:].mean() < 0.05
    # symbol errors as the measured output SNR predicts for Gaussian noise (wrong pol/rotation: ~75 %)
    snr_lin = 10 ** (s_dd.mean(axis=1) / 10)
    q = 0.5 * np.array([math.erfc(math.sqrt(3 * s / 15 / 2)) for s in snr_lin])
    ser_th = 1 - (1 - 2 * (1 - 1 / 4) * q) ** 2
    n_dec = 2 * 5000
    assert (symbol_errors_resolved(dd.y, a, c16, 15000) <= 2 * ser_th * n_dec + 10).all()


def test_rde_from_cma_weights_improves_16qam():
    rng = np.random.default_rng(23)
    c16 = qam(16)
    a, x = channel(rng, 2, 16000, c16, 21)
    x = x.astype(np.complex64)
    cma = mimo_equalize(x, method="cma", mu=1e-3, constellation=c16)
    rde = mimo_equalize(x, method="rde", mu=1e-3, constellation=c16, weights=cma.weights)
    assert (matched_snr(rde.y.astype(complex), a, 8000) > matched_snr(cma.y.astype(complex), a, 8000) + 0.3).all()


def test_training_then_dd_with_phase_tracker():
    """Data-aided start, then DD with the PLL on a constant carrier phase offset (DP-16QAM)."""
    rng = np.random.default_rng(24)
    c16 = qam(16)
    a, x = channel(rng, 2, 6000, c16, 22)
    rot = np.exp(1j * np.linspace(0, 0.6, x.shape[-1]))         # a slow phase drift
    x = (x * rot).astype(np.complex128)
    res = mimo_equalize(x, method="dd", mu=2e-3, constellation=c16, ref=a, n_train=2000, pll_mu=2e-2,
                        return_error=True)
    # no ambiguity with training: symbol-for-symbol, no rotation or pol swap
    e = res.y[..., 3000:] - a[..., 3000:]
    assert np.mean(abs(e) ** 2) < 10 ** (-15 / 10)
    pts = c16.points
    dec = pts[np.argmin(abs(res.y[..., 3000:, None] - pts), axis=-1)]
    assert np.mean(dec != a[..., 3000:]) < 1e-3


def test_singularity_flagged_and_prestage_repairs():
    rng = np.random.default_rng(25)
    c4 = qam(4)
    a, x = channel(rng, 2, 8000, c4, 18)
    w0 = np.zeros((2, 2, 15), complex)
    w0[:, 0, 7] = 1                                              # both outputs start on input X
    bad = mimo_equalize(x, method="cma", mu=1e-3, weights=w0)
    assert not bad.converged.any() and (bad.orthogonality < 0.05).all()
    good = mimo_equalize(x, method="cma", mu=1e-3, weights=w0, n_single=4000)
    assert good.converged.all() and (good.orthogonality > 0.9).all()
    snr = matched_snr(good.y, a, 6000)
    assert (snr > 12).all()
    for i in range(2):                                           # and on different polarizations
        p0 = np.argmax([abs(np.vdot(a[i, p, 6000:], good.y[i, 0, 6000:])) for p in range(2)])
        p1 = np.argmax([abs(np.vdot(a[i, p, 6000:], good.y[i, 1, 6000:])) for p in range(2)])
        assert p0 != p1
    # divergence (NaN) is 'not converged' too
    huge = mimo_equalize(x * 100, method="cma", mu=1.0)
    assert not huge.converged.any()


def test_orthogonality_measure():
    taps = 7
    eye = np.zeros((2, 2, taps), complex)
    eye[0, 0, 3] = eye[1, 1, 3] = 2.0
    assert orthogonality(eye) == pytest.approx(1.0)
    rot = np.einsum("ab,bcj->acj", unitary(np.random.default_rng(1)), eye)
    assert orthogonality(rot, 1) == pytest.approx(1.0)
    sing = eye.copy()
    sing[1] = sing[0]
    assert orthogonality(sing) == pytest.approx(0.0, abs=1e-12)
    assert orthogonality(np.zeros((2, 2, taps))) == 0.0
    pdl = eye.copy()
    pdl[1, 1, 3] = 2.0 / 3                                       # singular values 3 : 1 -> 2*3/(9+1)
    assert orthogonality(pdl) == pytest.approx(0.6)


def test_empty_and_tiny():
    x = np.zeros((0, 2, 10), np.complex64)
    res = mimo_equalize(x)
    assert res.y.shape == (0, 2, 5) and res.weights.shape == (0, 2, 2, 15) and res.converged.shape == (0,)
    res = mimo_equalize(np.ones((2, 2), np.complex128), taps=3, sps=2)
    assert res.y.shape == (2, 1) and res.weights.shape == (2, 2, 3)


# ------------------------------------------------------------------------------------- bad arguments

X = np.zeros((2, 64), np.complex64)


@pytest.mark.parametrize("kw,match", [
    (dict(taps=14), "taps"), (dict(taps=0), "taps"), (dict(taps=65), "taps"), (dict(taps=3.0), "taps"),
    (dict(sps=3), "sps"), (dict(method="lms"), "method"), (dict(mu=0.0), "mu"), (dict(mu=float("nan")), "mu"),
    (dict(mu=-1e-3), "mu"), (dict(mu_dd=float("inf")), "mu_dd"), (dict(pll_mu=-1.0), "pll_mu"),
    (dict(method="rde"), "constellation"), (dict(method="dd"), "constellation"), (dict(n_blind=10), "constellation"),
    (dict(n_blind=-1, constellation=qam(4)), "n_blind"), (dict(method="dd", n_blind=5, constellation=qam(4)), "n_blind"),
    (dict(n_train=10), "n_train"), (dict(method="dd", constellation=qam(4), n_train=10), "ref"),
    (dict(method="dd", constellation=qam(4), n_train=10, ref=np.zeros((2, 5))), "ref"),
    (dict(n_single=5, n_blind=4, constellation=qam(4)), "n_single"),
    (dict(constellation="qam16"), "constellation"), (dict(weights=np.zeros((2, 2, 3))), "weights"),
    (dict(weights=np.full((2, 2, 15), np.nan)), "weights"),
])
def test_bad_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        mimo_equalize(X, **kw)


def test_bad_signals():
    with pytest.raises(ValueError, match="polarization axis"):
        mimo_equalize(np.zeros((3, 64), np.complex64))
    with pytest.raises(ValueError, match="polarization axis"):
        mimo_equalize(np.zeros(64, np.complex64))
    with pytest.raises(TypeError, match="complex64 or complex128"):
        mimo_equalize(np.zeros((2, 64), np.int16))
    with pytest.raises(TypeError, match="complex64 or complex128"):
        mimo_equalize(np.zeros((2, 64), np.float32))
    with pytest.raises(ValueError, match="at least sps"):
        mimo_equalize(np.zeros((2, 1), np.complex64), sps=2)
    eq = MimoEqualizer()
    eq(np.zeros((3, 2, 32), np.complex64))
    with pytest.raises(ValueError, match="leading shape"):
        eq(np.zeros((2, 2, 32), np.complex64))
    with pytest.raises(TypeError, match="dtype"):
        eq(np.zeros((3, 2, 32), np.complex128))


# ----------------------------------------------------------------------------------------------- GPU

@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("case", range(len(CASES)))
def test_gpu_matches_cpu(dtype, case):
    import cupy as cp

    lead, n, taps, sps, kw = CASES[case]
    rng = np.random.default_rng(100 + case)
    const = kw.get("const") or qam(4)
    items = int(np.prod(lead))
    a, x = channel(rng, items, n, const, 22, sps)
    x = x.reshape(lead + (2, sps * n)).astype(dtype)
    a = a.reshape(lead + (2, n))
    pub = dict(kw)
    pub["constellation"] = pub.pop("const", None)
    pub.update(taps=taps, sps=sps, ref=a if kw.get("n_train") else None, return_error=True)
    cpu = mimo_equalize(x, **pub)
    if pub["ref"] is not None:
        pub["ref"] = cp.asarray(a)
    gpu = mimo_equalize(cp.asarray(x), **pub)
    # same lane order on both; only libm vs CUDA sin/cos/atan2 (PLL, phase alignment) may differ in the last ulp
    tol = dict(rtol=1e-9, atol=1e-9) if dtype == np.complex128 else dict(rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(gpu.y.get(), cpu.y, **tol)
    np.testing.assert_allclose(gpu.weights.get(), cpu.weights, **tol)
    np.testing.assert_allclose(gpu.error.get(), cpu.error, rtol=tol["rtol"] * 10, atol=tol["atol"] * 10)
    np.testing.assert_array_equal(gpu.converged.get(), cpu.converged)


@pytest.mark.gpu
def test_gpu_many_items_converge():
    import cupy as cp

    rng = np.random.default_rng(7)
    c4 = qam(4)
    a, x = channel(rng, 64, 4000, c4, 16)
    res = mimo_equalize(cp.asarray(x.astype(np.complex64)), method="cma", mu=1e-3)
    assert bool(res.converged.all())
    cpu = mimo_equalize(x.astype(np.complex64), method="cma", mu=1e-3)
    np.testing.assert_allclose(res.y.get(), cpu.y, rtol=1e-4, atol=1e-4)

"""Symbol-timing recovery (dsp.rx.timing) on RRC-shaped 16QAM built here from the closed-form pulse.

The signals are sampled directly from the continuous-time sum of root-raised-cosine pulses at the
instants we choose (a fractional delay, a clock frequency offset), so the oracle does not share
any code with the estimator or the interpolators.
"""
import math

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import reference as ref  # noqa: E402

from dsp.channel.fiber import apply_cd
from dsp.rx.cdc import compensate_cd
from dsp.rx.timing import estimate_timing_offset, fractional_delay, recover_timing, timing_track

BETA = 0.2


def rrc(t, beta=BETA):
    return ref.rrc_pulse(t, beta)


def qam16(rng, shape):
    return ref.random_qam16(rng, shape)


def rrc_at(sym, t, span=24):
    """sum_k a_k g(t - k) at the times t (symbols; 1-D), the symbols periodic in k: (..., len(t))."""
    n = sym.shape[-1]
    out = np.empty(sym.shape[:-1] + t.shape, complex)
    for s in range(0, t.size, 8192):
        tt = t[s:s + 8192]
        k = np.floor(tt)[:, None] + np.arange(-span, span + 1)
        out[..., s:s + 8192] = (sym[..., k.astype(np.int64) % n] * rrc(tt[:, None] - k)).sum(-1)
    return out


def received(sym, sps, delay, ppm=0.0, snr_db=None, rng=None):
    """Samples m of the RRC signal delayed by ``delay`` symbols, sample clock off by ``ppm``:
    sample m is taken at symbol time m (1 + ppm 1e-6) / sps - delay."""
    n = sym.shape[-1] * sps
    t = np.arange(n) * (1 + ppm * 1e-6) / sps - delay
    x = rrc_at(sym, t)
    if snr_db is not None:
        sigma = math.sqrt(10 ** (-snr_db / 10) * sps / 2)      # Es/N0 after the matched filter = snr_db
        x = x + sigma * (rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape))
    return x


def matched(y, sps):
    """RRC matched filter (circular) and symbol-instant samples y_mf[sps k]."""
    n = y.shape[-1]
    lags = np.arange(-24 * sps, 24 * sps + 1)
    g = np.zeros(n)
    np.add.at(g, lags % n, rrc(lags / sps) / sps)
    return np.fft.ifft(np.fft.fft(y) * np.fft.fft(g))[..., ::sps]


def evm(z, s):
    return float(np.sqrt(np.mean(np.abs(z - s) ** 2) / np.mean(np.abs(s) ** 2)))


# --------------------------------------------------------------------------------- estimation

TOL = 0.015   # symbols; the measured spread at 8192 symbols, 20 dB, roll-off 0.2 is about 0.002


@pytest.mark.parametrize("delay", [-0.45, -0.3, -0.1, 0.1, 0.25, 0.45])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_estimates_known_delay(delay, dtype):
    rng = np.random.default_rng(int(delay * 1000) % 97)
    sym = qam16(rng, (2, 8192))
    x = received(sym, 2, delay, snr_db=20.0, rng=rng).astype(dtype)
    tau = estimate_timing_offset(x, 2)
    assert tau.shape == () and tau.dtype == np.float64
    err = (float(tau) - delay + 0.5) % 1.0 - 0.5
    assert abs(err) < TOL, (delay, float(tau))


def test_sign_convention_and_range():
    """A later signal gives a larger offset; estimates wrap into [-0.5, 0.5)."""
    rng = np.random.default_rng(11)
    sym = qam16(rng, (2, 4096))
    a = float(estimate_timing_offset(received(sym, 2, 0.1)))
    b = float(estimate_timing_offset(received(sym, 2, 0.2)))
    assert a == pytest.approx(0.1, abs=5e-3) and b == pytest.approx(0.2, abs=5e-3)
    c = float(estimate_timing_offset(received(sym, 2, 0.7)))         # = -0.3 modulo one symbol
    assert c == pytest.approx(-0.3, abs=5e-3)


def test_joint_polarisations_and_batch():
    rng = np.random.default_rng(12)
    delays = np.array([-0.35, 0.05, 0.4])
    sym = qam16(rng, (3, 2, 4096))
    x = np.stack([received(sym[i], 2, d, snr_db=25.0, rng=rng) for i, d in enumerate(delays)])
    x[1, 0] = 0.0                                                      # all power in one polarisation
    tau = estimate_timing_offset(x, 2)
    assert tau.shape == (3,)
    np.testing.assert_allclose(tau, delays, atol=TOL)
    # the pols are summed: a pol with half the signal energy each (a 45-degree rotation) works too
    rot = np.stack([x[0, 0] + x[0, 1], x[0, 0] - x[0, 1]]) / math.sqrt(2)
    assert float(estimate_timing_offset(rot, 2)) == pytest.approx(delays[0], abs=TOL)


def test_sps4():
    rng = np.random.default_rng(13)
    sym = qam16(rng, (2, 4096))
    x = received(sym, 4, 0.3, snr_db=20.0, rng=rng)
    assert float(estimate_timing_offset(x, 4)) == pytest.approx(0.3, abs=TOL)
    y = recover_timing(x, 4)
    assert evm(matched(y, 4), sym) < 0.15


def test_after_cd_compensation():
    """2400 ps/nm at 60 GBd: no usable line before CDC, the right offset after it."""
    rng = np.random.default_rng(14)
    sym = qam16(rng, (2, 8192))
    x = received(sym, 2, -0.2, snr_db=20.0, rng=rng).astype(np.complex64)
    rx = apply_cd(x, 120e9, 2400.0, 1550.0)
    y = compensate_cd(rx, 2400.0, 120e9)
    assert float(estimate_timing_offset(y, 2)) == pytest.approx(-0.2, abs=TOL)


# -------------------------------------------------------------------------------- resampling

def test_fractional_delay_matches_closed_form():
    rng = np.random.default_rng(15)
    sym = qam16(rng, (2, 2048))
    x0 = received(sym, 2, 0.0)
    for d in (0.37, -1.25):
        y = fractional_delay(x0.astype(np.complex64), 2 * d)           # samples at 2 sps
        assert y.dtype == np.complex64
        assert evm(y, received(sym, 2, d)) < 1e-3                       # oracle's pulse: 24-symbol span


@pytest.mark.parametrize("delay", [-0.4, -0.15, 0.2, 0.45])
def test_recover_constant_offset(delay):
    rng = np.random.default_rng(16)
    sym = qam16(rng, (2, 8192))
    x = received(sym, 2, delay, snr_db=25.0, rng=rng).astype(np.complex64)
    y = recover_timing(x, 2)
    assert y.dtype == np.complex64 and y.shape == x.shape
    e_raw, e_rec = evm(matched(x, 2), sym), evm(matched(y, 2), sym)
    # noise alone gives EVM 10^(-25/20) = 0.056 after the matched filter
    assert e_rec < 0.07, e_rec
    assert e_raw > 0.15                                                # the offset did hurt
    # given tau explicitly: the same resampling
    y2 = recover_timing(x, 2, tau=estimate_timing_offset(x, 2))
    np.testing.assert_allclose(y2, y, atol=1e-6)


@pytest.mark.parametrize("ppm,delay", [(0.0, 0.3), (50.0, 0.2), (-50.0, -0.1), (100.0, 0.0)])
def test_tracking_clock_offset(ppm, delay):
    rng = np.random.default_rng(17)
    n_sym = 16384
    sym = qam16(rng, (2, n_sym))
    x = received(sym, 2, delay, ppm=ppm, snr_db=25.0, rng=rng).astype(np.complex64)
    tr, centres = timing_track(x, 2, block=1024)
    # symbol k's instant lies at sample m with m (1 + eps) / 2 - delay = k, i.e. tau = delay - eps m / 2 (+ O(eps^2))
    expect = delay - ppm * 1e-6 * centres / 2
    shift = np.round(tr[0] - expect[0])                                 # a whole-symbol wrap is allowed
    np.testing.assert_allclose(tr - shift, expect, atol=0.02)
    y = recover_timing(x, 2, block=1024)
    z = matched(y, 2)
    k0 = int(shift)
    ref = np.roll(sym, -k0, axis=-1)
    good = slice(64, n_sym - 64 - int(abs(ppm) * 1e-6 * n_sym) - 2)
    assert evm(z[..., good], ref[..., good]) < 0.08
    if ppm:                                                             # a constant correction is not enough
        z0 = matched(recover_timing(x, 2), 2)
        assert evm(z0[..., good], ref[..., good]) > 0.15


@pytest.mark.parametrize("n_blocks", [1, 2, 3, 4])
def test_tracking_few_blocks(n_blocks):
    rng = np.random.default_rng(20)
    sym = qam16(rng, (2, 256 * n_blocks + 100))
    x = received(sym, 2, 0.25, ppm=200.0)
    tr, centres = timing_track(x, 2, block=256, smooth=5)
    assert tr.shape == (n_blocks,) and np.all(np.diff(centres) > 0)
    np.testing.assert_allclose(tr, 0.25 - 200e-6 * centres / 2, atol=0.02)
    y = recover_timing(x, 2, block=256)
    assert np.all(np.isfinite(y)) and evm(matched(y, 2)[..., 30:-30], sym[..., 30:-30]) < 0.05


def test_tracking_edges_are_zero():
    rng = np.random.default_rng(18)
    sym = qam16(rng, (1, 2048))
    x = received(sym, 2, 0.0, ppm=-1000.0)             # the last instants (+2 symbols) lie past the end
    tr, centres = timing_track(x, 2, block=128)
    assert tr[-1] == pytest.approx(1000e-6 * centres[-1] / 2, abs=0.02)
    y = recover_timing(x, 2, block=128)
    assert np.all(y[..., -3:] == 0) and np.all(y[..., :-5] != 0)


# --------------------------------------------------------------------------------- bad input

def test_bad_input():
    x = np.zeros((2, 1024), np.complex64)
    with pytest.raises(ValueError, match="sps must be an integer >= 2"):
        estimate_timing_offset(x, 1)
    with pytest.raises(ValueError, match="sps must be an integer >= 2"):
        estimate_timing_offset(x, 2.5)
    with pytest.raises(TypeError, match="complex64 or complex128"):
        estimate_timing_offset(np.zeros((2, 1024)), 2)
    with pytest.raises(ValueError, match=r"shape \(..., pol, n\)"):
        estimate_timing_offset(np.zeros(1024, np.complex64), 2)
    with pytest.raises(ValueError, match="at least 4 symbols"):
        estimate_timing_offset(np.zeros((2, 6), np.complex64), 2)
    with pytest.raises(ValueError, match="block must be an integer >= 16"):
        timing_track(x, 2, block=8)
    with pytest.raises(ValueError, match="smooth must be an odd integer"):
        timing_track(x, 2, block=64, smooth=4)
    with pytest.raises(ValueError, match="at least one block"):
        timing_track(x, 2, block=1024)
    with pytest.raises(ValueError, match="tau is only accepted"):
        recover_timing(x, 2, block=64, tau=0.1)
    with pytest.raises(ValueError, match="tau must be finite"):
        recover_timing(x, 2, tau=float("nan"))
    with pytest.raises(ValueError, match="delay_samples must be finite"):
        fractional_delay(x, float("inf"))


@pytest.mark.gpu
def test_gpu_equals_cpu():
    from dsp.backend import get_backend

    cp = get_backend("gpu").xp
    rng = np.random.default_rng(19)
    sym = qam16(rng, (2, 8192))
    x = received(sym, 2, 0.3, ppm=30.0, snr_db=25.0, rng=rng).astype(np.complex64)
    xg = cp.asarray(x)
    assert float(estimate_timing_offset(xg, 2)) == pytest.approx(float(estimate_timing_offset(x, 2)), abs=1e-5)
    for block in (None, 1024):
        yg = recover_timing(xg, 2, block=block)
        assert isinstance(yg, cp.ndarray) and yg.dtype == cp.complex64
        np.testing.assert_allclose(cp.asnumpy(yg), recover_timing(x, 2, block=block), atol=1e-4)


def test_recover_timing_spectrum_equals_recover_timing():
    from dsp.modulation.shaping import shape_rrc
    from dsp.rx.timing import fractional_delay, recover_timing, recover_timing_spectrum

    rng = np.random.default_rng(11)
    a = ((rng.choice([-1, 1], (3, 2, 2048)) + 1j * rng.choice([-1, 1], (3, 2, 2048))) / np.sqrt(2))
    x = fractional_delay(shape_rrc(a.astype(np.complex64), 2, 0.2), 0.6)
    want = recover_timing(x, 2)
    got = recover_timing_spectrum(np.fft.fft(x, axis=-1), 2)
    assert got.dtype == x.dtype
    np.testing.assert_allclose(got, want, atol=2e-5)
    with pytest.raises(ValueError, match="multiple of sps"):
        recover_timing_spectrum(np.fft.fft(x[..., :-1], axis=-1), 2)

"""Chromatic-dispersion compensation (dsp.rx.cdc) against the fiber model and closed forms.

Oracles: dsp.channel.fiber.apply_cd (the channel to undo), a single huge-FFT compensation,
np.convolve with the FIR taps, Savory's published tap formula written out here, and the
physical broadening of a pulse.
"""
import math

import os
import sys

import numpy as np
import pytest

sys.path.insert(0, os.path.dirname(__file__))
import reference as ref  # noqa: E402

from dsp.channel.fiber import C_M_S, apply_cd, cd_response
from dsp.rx.cdc import (CdCompensator, cd_compensation_response, cd_fir_num_taps, cd_fir_taps,
                        cd_memory_samples, compensate_cd, default_fft_size, default_overlap)

FS = 120e9          # 60 GBd at 2 samples per symbol
LAM = 1550.0


# ------------------------------------------------------------------------------------- signals

def rrc(t, beta):
    return ref.rrc_pulse(t, beta)


def qam16(rng, shape):
    return ref.random_qam16(rng, shape)


def rrc_signal(sym, sps=2, beta=0.2, span=32):
    """Periodic RRC-shaped signal (..., n_sym * sps) of the symbols, complex128."""
    n = sym.shape[-1] * sps
    up = np.zeros(sym.shape[:-1] + (n,), complex)
    up[..., ::sps] = sym
    lags = np.arange(-span * sps, span * sps + 1)
    g = np.zeros(n)
    np.add.at(g, lags % n, rrc(lags / sps, beta))
    return np.fft.ifft(np.fft.fft(up) * np.fft.fft(g))


def rel_err(y, ref):
    return float(np.sqrt(np.mean(np.abs(y - ref) ** 2) / np.mean(np.abs(ref) ** 2)))


def rms_width(p):
    """RMS width (samples) of the power profile |p|^2 (1-D)."""
    w = np.abs(p) ** 2
    t = np.arange(p.size)
    m = (w * t).sum() / w.sum()
    return math.sqrt((w * (t - m) ** 2).sum() / w.sum())


# ---------------------------------------------------------------------------- design numbers

def test_memory_and_tap_count_formulas():
    # N_cd = |D L| lambda^2 fs^2 / c, computed by hand: 2400 ps/nm = 2.4 s/m
    ncd = 2.4 * (1550e-9) ** 2 * FS ** 2 / C_M_S
    assert cd_memory_samples(2400, FS, LAM) == pytest.approx(ncd, rel=1e-12)
    assert cd_memory_samples(-2400, FS, LAM) == pytest.approx(ncd, rel=1e-12)
    assert 276 < ncd < 278
    # Savory: N = 2 floor(|D| lambda^2 z / (2 c T^2)) + 1
    assert cd_fir_num_taps(2400, FS, LAM) == 2 * math.floor(ncd / 2) + 1 == 277
    assert cd_fir_num_taps(-2400, FS, LAM) == 277
    assert cd_fir_num_taps(0, FS, LAM) == 1
    assert cd_fir_num_taps(100, 64e9, 1310) == 2 * math.floor(0.1 * 1310e-9 ** 2 * 64e9 ** 2 / C_M_S / 2) + 1
    assert len(cd_fir_taps(2400, FS, LAM)) == 277
    ov = default_overlap(2400, FS, LAM)
    assert ov % 2 == 0 and ov >= ncd
    assert default_overlap(2400, FS, LAM, "td") == 276
    nf = default_fft_size(ov)
    assert nf & (nf - 1) == 0 and nf >= 8 * ov and nf == 4096
    assert default_fft_size(0) == 1024 and default_fft_size(128) == 1024 and default_fft_size(129) == 2048


def test_fd_response_is_conjugate_of_fiber():
    for cd in (2400.0, -800.0):
        h = cd_compensation_response(1024, cd, FS, LAM)
        np.testing.assert_allclose(h, np.conj(cd_response(1024, FS, cd, LAM)), rtol=0, atol=1e-12)
        np.testing.assert_allclose(h * cd_response(1024, FS, cd, LAM), 1.0, atol=1e-12)


# ------------------------------------------------------------------------- undo the fiber model

@pytest.mark.parametrize("method", ["fd", "td"])
@pytest.mark.parametrize("cd", [2400.0, -2400.0])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_compensation_undoes_apply_cd(method, cd, dtype):
    rng = np.random.default_rng(1)
    sym = qam16(rng, (2, 3001))                     # 6002 samples: not a multiple of any block
    x = rrc_signal(sym).astype(dtype)
    rx = apply_cd(x, FS, cd, LAM)
    y = compensate_cd(rx, cd, FS, wavelength_nm=LAM, method=method)
    assert y.dtype == dtype and y.shape == x.shape
    edge = default_overlap(cd, FS, LAM) // 2 + 16
    inner = slice(edge, x.shape[-1] - edge)
    before = rel_err(rx[..., inner], x[..., inner])
    after = rel_err(y[..., inner], x[..., inner])
    assert before > 0.5                              # the channel really is dispersive
    # error vector of the compensated field against the sent one (no matched filter needed). fd:
    # limited to about -60 dB by the overlap-save truncation of the band-edge ringing of the
    # sampled all-pass (default overlap N_cd + 16); td: Savory's rectangular-windowed FIR, ~5 %.
    tol = {"fd": 2e-3, "td": 0.06}[method]
    assert after < tol, (method, cd, after)


def test_td_is_worse_than_fd_but_close():
    rng = np.random.default_rng(2)
    x = rrc_signal(qam16(rng, (1, 4000)))
    rx = apply_cd(x, FS, 2400, LAM)
    inner = slice(400, -400)
    e_fd = rel_err(compensate_cd(rx, 2400, FS)[..., inner], x[..., inner])
    e_td = rel_err(compensate_cd(rx, 2400, FS, method="td")[..., inner], x[..., inner])
    assert e_fd < e_td < 0.06


@pytest.mark.parametrize("shape", [(1, 5), (2, 777), (3, 2, 10_001), (20_000,)])
@pytest.mark.parametrize("fft_size,overlap", [(None, None), (1000, None), (4096, 400), (512, 300)])
def test_overlap_save_equals_one_big_fft(shape, fft_size, overlap):
    """Away from the frame edges, overlap-save equals the circular compensation by one FFT."""
    rng = np.random.default_rng(3)
    x = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    f = np.fft.fftfreq(shape[-1])
    x = np.fft.ifft(np.fft.fft(x) * np.exp(-(f / 0.15) ** 2))         # band-limited noise
    ref = np.fft.ifft(np.fft.fft(x) * np.conj(cd_response(shape[-1], FS, 2400, LAM)))
    y = compensate_cd(x, 2400, FS, fft_size=fft_size, overlap=overlap)
    n = shape[-1]
    edge = 300
    if n > 2 * edge + 10:
        assert rel_err(y[..., edge:n - edge], ref[..., edge:n - edge]) < 5e-3
    # and everywhere it equals the *linear* convolution: zero-padded huge FFT
    big = n + 8192
    xp_ = np.zeros(shape[:-1] + (big,), complex)
    xp_[..., :n] = x
    lin = np.fft.ifft(np.fft.fft(xp_) * np.conj(cd_response(big, FS, 2400, LAM)))[..., :n]
    # (error floor: the overlap-save truncation of the sampled all-pass's band-edge ringing)
    assert rel_err(y, lin) < 5e-3


@pytest.mark.parametrize("n", [1, 50, 600, 5001])
def test_td_is_the_fir_convolution(n):
    """method='td' is exactly the linear convolution with the (centred) taps."""
    rng = np.random.default_rng(4)
    x = rng.standard_normal((2, n)) + 1j * rng.standard_normal((2, n))
    a = cd_fir_taps(1000, FS, LAM)
    y = compensate_cd(x, 1000, FS, method="td")
    for p in range(2):
        ref = np.convolve(x[p], a)[a.size // 2:a.size // 2 + n]
        np.testing.assert_allclose(y[p], ref, rtol=0, atol=1e-10 * max(1.0, np.abs(ref).max()))


def test_single_precision_stays_single():
    rng = np.random.default_rng(5)
    x = (rng.standard_normal((2, 4097)) + 1j * rng.standard_normal((2, 4097))).astype(np.complex64)
    x0 = x.copy()
    for method in ("fd", "td"):
        y = compensate_cd(x, 2400, FS, method=method)
        assert y.dtype == np.complex64 and y.flags.c_contiguous
        y64 = compensate_cd(x.astype(np.complex128), 2400, FS, method=method)
        assert rel_err(y, y64) < 1e-5
    np.testing.assert_array_equal(x, x0)            # input untouched
    assert CdCompensator(2400, FS)._held(np.complex64, np).dtype == np.complex64


def test_zero_dispersion_is_identity():
    x = (np.arange(10) * (1 + 2j)).astype(np.complex64).reshape(2, 5)
    for method in ("fd", "td"):
        y = compensate_cd(x, 0.0, FS, method=method)
        np.testing.assert_array_equal(y, x)
        assert y is not x


# ------------------------------------------------------------------------------ physical signs

def _broadened_pulse(cd):
    n = 4096
    t = np.arange(n) - n / 2
    p = np.exp(-0.5 * (t / 2.0) ** 2).astype(complex)           # Gaussian field, sigma = 2 samples
    return p, apply_cd(p[None], FS, cd, LAM)[0]


@pytest.mark.parametrize("method", ["fd", "td"])
def test_pulse_sign_physical(method):
    """D > 0 broadens a pulse; compensating the same cd restores it; the wrong sign doubles it."""
    cd = 2400.0                                                      # N_cd ~ 277 samples
    p, rx = _broadened_pulse(cd)
    w0, w1 = rms_width(p), rms_width(rx)
    assert w1 > 10 * w0
    back = compensate_cd(rx[None], cd, FS, method=method)[0]
    if method == "fd":
        assert rms_width(back) == pytest.approx(w0, rel=1e-3)
    # td: Savory's truncated FIR leaves ~4 % of the field in low tails (which inflate the RMS width)
    assert rel_err(back, p) < (1e-6 if method == "fd" else 0.06)
    wrong = compensate_cd(rx[None], -cd, FS, method=method)[0]
    # strongly broadened Gaussian: width ~ |beta2 L| / sigma0, so twice the dispersion is twice as wide
    assert rms_width(wrong) / w1 == pytest.approx(2.0, rel=0.1)


def test_savory_taps_conjugation():
    """The published taps (physics sign) are the complex conjugate of the compensating ones here."""
    cd, fs = 2400.0, FS
    d_lam2_z = cd * 1e-3 * (LAM * 1e-9) ** 2
    t = 1.0 / fs
    n = 2 * math.floor(abs(d_lam2_z) / (2 * C_M_S * t * t)) + 1
    k = np.arange(-(n // 2), n // 2 + 1)
    published = np.sqrt(1j * C_M_S * t * t / d_lam2_z) * np.exp(-1j * np.pi * C_M_S * t * t * k * k / d_lam2_z)
    np.testing.assert_allclose(cd_fir_taps(cd, fs, LAM, convention="savory"), published, rtol=1e-12)
    np.testing.assert_allclose(cd_fir_taps(cd, fs, LAM), np.conj(published), rtol=1e-12)
    # physically: the conjugated taps undo apply_cd, the published ones double the dispersion
    p, rx = _broadened_pulse(cd)
    ours = np.convolve(rx, cd_fir_taps(cd, fs, LAM), mode="same")
    theirs = np.convolve(rx, published, mode="same")
    assert rel_err(ours, p) < 0.06
    assert rel_err(theirs, p) > 0.9
    assert rms_width(theirs) / rms_width(rx) == pytest.approx(2.0, rel=0.05)
    # unit-energy all-pass: sum |a_k|^2 ~ 1
    assert np.sum(np.abs(published) ** 2) == pytest.approx(1.0, rel=0.01)


# ---------------------------------------------------------------------- noun, cache, streaming

@pytest.mark.parametrize("method", ["fd", "td"])
def test_streaming_equals_whole_frame(method):
    rng = np.random.default_rng(6)
    x = (rng.standard_normal((3, 2, 20_000)) + 1j * rng.standard_normal((3, 2, 20_000))).astype(np.complex64)
    comp = CdCompensator(-2400, FS, method=method)
    whole = comp(x)
    parts, i = [], 0
    for k in (1, 999, 3, 7000, 4000, 2, 7995):
        parts.append(comp.push(x[..., i:i + k]))
        i += k
    assert i == x.shape[-1]
    parts.append(comp.flush())
    np.testing.assert_array_equal(np.concatenate(parts, axis=-1), whole)
    # a new stream after flush starts clean
    np.testing.assert_array_equal(np.concatenate([comp.push(x), comp.flush()], axis=-1), whole)
    with pytest.raises(ValueError, match="chunk must have leading shape"):
        comp.push(x[..., :10])
        comp.push(x[0, :, :10])


def test_filter_cached():
    a = CdCompensator(2400, FS)
    b = CdCompensator(2400, FS)
    assert a._held(np.complex64, np) is b._held(np.complex64, np)
    np.testing.assert_allclose(a.response(), cd_compensation_response(a.fft_size, 2400, FS))
    x = np.ones((2, 3000), np.complex64)
    compensate_cd(x, 2400, FS)
    from dsp.rx import cdc

    hits = cdc._compensator.cache_info().hits
    compensate_cd(x, 2400, FS)
    assert cdc._compensator.cache_info().hits == hits + 1


# ---------------------------------------------------------------------------------- bad input

@pytest.mark.parametrize("kw,match", [
    (dict(cd_ps_nm=float("nan")), "cd_ps_nm must be a finite number"),
    (dict(cd_ps_nm=float("inf")), "cd_ps_nm must be a finite number"),
    (dict(sample_rate_hz=0.0), "sample_rate_hz must be > 0"),
    (dict(sample_rate_hz=-1e9), "sample_rate_hz must be > 0"),
    (dict(wavelength_nm=1100.0), "wavelength_nm must be in 1200..1700"),
    (dict(wavelength_nm=1800.0), "wavelength_nm must be in 1200..1700"),
    (dict(method="xcorr"), "method must be one of"),
    (dict(fft_size=2049), "fft_size must be an even integer"),
    (dict(fft_size=256), "fft_size must be an even integer >= "),
    (dict(fft_size=2048.0), "fft_size must be an integer"),
    (dict(overlap=301), "overlap must be an even integer"),
    (dict(overlap=100), "overlap must be an even integer >= 294"),
    (dict(method="td", overlap=100), "overlap must be an even integer >= 276"),
])
def test_bad_parameters(kw, match):
    args = dict(cd_ps_nm=2400.0, sample_rate_hz=FS)
    args.update(kw)
    x = np.zeros((2, 100), np.complex64)
    with pytest.raises(ValueError, match=match):
        compensate_cd(x, args.pop("cd_ps_nm"), args.pop("sample_rate_hz"), **args)


def test_bad_signals():
    with pytest.raises(TypeError, match="x must be complex64 or complex128"):
        compensate_cd(np.zeros((2, 100)), 2400, FS)
    with pytest.raises(TypeError, match="x must be complex64 or complex128"):
        compensate_cd(np.zeros((2, 100), np.int32), 2400, FS)
    with pytest.raises(ValueError, match="at least one sample"):
        compensate_cd(np.zeros((2, 0), np.complex64), 2400, FS)
    with pytest.raises(TypeError, match="NumPy or CuPy array"):
        compensate_cd([1j, 2j], 2400, FS)
    with pytest.raises(ValueError, match="num_taps must be an odd integer"):
        cd_fir_taps(2400, FS, num_taps=10)
    with pytest.raises(ValueError, match="convention must be"):
        cd_fir_taps(2400, FS, convention="physics")
    with pytest.raises(ValueError, match="flush"):
        CdCompensator(2400, FS).flush()


# ----------------------------------------------------------------------------------------- GPU

@pytest.mark.gpu
@pytest.mark.parametrize("method", ["fd", "td"])
def test_gpu_equals_cpu(method):
    from dsp.backend import get_backend

    cp = get_backend("gpu").xp
    rng = np.random.default_rng(7)
    x = (rng.standard_normal((3, 2, 50_001)) + 1j * rng.standard_normal((3, 2, 50_001))).astype(np.complex64)
    y_cpu = compensate_cd(x, 2400, FS, method=method)
    y_gpu = compensate_cd(cp.asarray(x), 2400, FS, method=method)
    assert isinstance(y_gpu, cp.ndarray) and y_gpu.dtype == cp.complex64
    assert rel_err(cp.asnumpy(y_gpu), y_cpu) < 1e-5
    comp = CdCompensator(2400, FS, method=method)
    xg = cp.asarray(x)
    parts = [comp.push(xg[..., :20_000]), comp.push(xg[..., 20_000:]), comp.flush()]
    assert rel_err(cp.asnumpy(cp.concatenate(parts, axis=-1)), y_cpu) < 1e-5

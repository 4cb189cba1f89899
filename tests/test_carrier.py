"""Carrier recovery (dsp.rx.carrier): frequency offset, BPS, Viterbi-Viterbi, cycle slips.

- Kernel = oracle: the BPS kernel (both SIMD builds, both precisions, joint or not, odd and tiny
  lengths, windows wider than the stream, test-phase counts off the padded lane widths) equals
  ``bps_oracle`` below, a slow NumPy transcription of kernels/common/cpr.h (bit for bit: every
  float operation is the same IEEE operation in the same order).
- Physics: 4th-power FOE on noisy dual-pol 16QAM for offsets of both signs, aliasing beyond
  +-fs/8; BPS and VV on Wiener phase noise plus AWGN: BER after pilot-aided slip correction vs
  the closed-form AWGN BER; a pi/2 jump found, located and counted once by the pilots.
- Every bad argument raises, naming the parameter.
"""
import math

import numpy as np
import pytest
from scipy.optimize import brentq

from dsp._ops import cpu as ops_cpu
from dsp.metrics import ber_awgn_qam, count_errors
from dsp.modulation import map_labels, pam, qam
from dsp.rx.carrier import (BPS_BLOCK, bps, correct_cycle_slips, count_cycle_slips, estimate_frequency_offset,
                            remove_frequency_offset, viterbi_viterbi)

Q16 = qam(16)
FS = 59.84375e9  # 400ZR symbol rate


# ------------------------------------------------------------------------------------- oracle

def bps_oracle(x, L, d, B, W, joint=False):
    """Slow transcription of kernels/common/cpr.h for x (rows, n): returns (y, phase)."""
    real = np.float32 if x.dtype == np.complex64 else np.float64
    rows, n = x.shape
    b = np.arange(B)
    phi = (b - 0.5 * B) * (math.pi / (2.0 * B))
    c, s = np.cos(phi).astype(real), np.sin(phi).astype(real)
    scale, h, lmax = real(1.0 / (2.0 * d)), real(0.5 * (L - 1)), real(L - 1.0)
    M = real(1.5 * 2.0 ** (23 if real == np.float32 else 52))

    def dist(row):
        xr = (row.real.astype(real) * scale)[:, None]
        xi = (row.imag.astype(real) * scale)[:, None]
        ur = (xr * c + xi * s) + h
        ui = (xi * c - xr * s) + h
        kr = (np.clip(ur, 0, lmax) + M) - M                          # nearest level, ties to even
        ki = (np.clip(ui, 0, lmax) + M) - M
        er, ei = ur - kr, ui - ki
        return er * er + ei * ei                                     # (n, B)

    streams = [(dist(x[2 * r]) + dist(x[2 * r + 1])) if joint else dist(x[r])
               for r in range(rows // 2 if joint else rows)]
    y = np.empty_like(x)
    phase = np.empty((rows, n), dtype=real)
    for r, D in enumerate(streams):
        dec = np.empty(n, dtype=np.int64)
        for k0 in range(0, n, BPS_BLOCK):
            S = np.zeros(B, dtype=real)
            for j in range(max(0, k0 - W), min(n, k0 + W + 1)):
                S = S + D[j]
            dec[k0] = np.argmin(S)
            for k in range(k0 + 1, min(n, k0 + BPS_BLOCK)):
                new = D[k + W] if k + W < n else np.zeros(B, real)
                old = D[k - W - 1] if k - W - 1 >= 0 else np.zeros(B, real)
                S = S + (new - old)
                dec[k] = np.argmin(S)                                  # first minimum
        m, prev = 0, dec[0]
        ms = np.empty(n, dtype=np.int64)
        for k in range(n):                                             # the unwrap, one symbol at a time
            D2 = 2 * (dec[k] - prev)
            m += 1 if D2 <= -B else (-1 if D2 > B else 0)
            prev = dec[k]
            ms[k] = m
        ph = ((ms * float(B) + dec - 0.5 * B) * (math.pi / (2.0 * B))).astype(real)
        for rr in ((2 * r, 2 * r + 1) if joint else (r,)):
            xr, xi = x[rr].real.astype(real), x[rr].imag.astype(real)
            yr = xr * c[dec] + xi * s[dec]
            yi = xi * c[dec] - xr * s[dec]
            q = ms & 3
            out_r = np.select([q == 0, q == 1, q == 2], [yr, yi, -yr], -yi)
            out_i = np.select([q == 0, q == 1, q == 2], [yi, -yr, -yi], yr)
            y[rr] = out_r + 1j * out_i
            phase[rr] = ph
    return y, phase


def tables(B, dtype):
    nb = ops_cpu.bps_lanes(B)
    b = np.minimum(np.arange(nb), B - 1)
    phi = (b - 0.5 * B) * (math.pi / (2.0 * B))
    return np.cos(phi).astype(dtype), np.sin(phi).astype(dtype)


def qam_signal(rng, shape, snr_db=None, theta=None, const=Q16, dtype=np.complex128):
    lab = rng.integers(0, const.m, shape).astype(np.uint8)
    s = map_labels(lab, const, dtype=np.complex128)
    x = s * np.exp(1j * theta) if theta is not None else s.copy()
    if snr_db is not None:
        sig = math.sqrt(10 ** (-snr_db / 10) / 2)
        x = x + sig * (rng.standard_normal(shape) + 1j * rng.standard_normal(shape))
    return lab, s, x.astype(dtype)


def wiener(rng, shape, linewidth_t):
    """Laser phase noise: cumulative sum of N(0, 2 pi linewidth T) increments, random start."""
    inc = rng.normal(0.0, math.sqrt(2 * math.pi * linewidth_t), shape)
    return np.cumsum(inc, axis=-1) + rng.uniform(-math.pi, math.pi, shape[:-1] + (1,))


def snr_at_ber(m, ber):
    return brentq(lambda s: ber_awgn_qam(m, s) - ber, 0.0, 30.0)


# --------------------------------------------------------------------------------- BPS = oracle

CASES = [  # (rows, n, W, B, joint)
    (1, 1, 0, 2, False),
    (2, 2, 3, 7, True),
    (3, 5, 2, 32, False),
    (1, 1500, 0, 8, False),
    (2, 1029, 10, 32, True),
    (4, 777, 600, 33, False),        # window wider than a block, lanes padded 33 -> 64
    (1, 2 * BPS_BLOCK + 3, 40, 256, False),
    (2, 300, 5000, 16, True),        # window wider than the stream
    (1, 1100, 2500, 200, False),     # ring over 4 MiB: the kernel recomputes the leaving row (the GPU's way)
]


@pytest.mark.parametrize("dtype", [np.complex128, np.complex64])
@pytest.mark.parametrize("rows,n,W,B,joint", CASES)
def test_bps_kernel_equals_oracle(dtype, rows, n, W, B, joint):
    rng = np.random.default_rng(rows * 1000 + n + B)
    theta = np.cumsum(rng.normal(0, 0.03, (rows, n)), axis=-1) + rng.uniform(-3, 3, (rows, 1))
    _, _, x = qam_signal(rng, (rows, n), snr_db=14, theta=theta, dtype=dtype)
    y_ref, ph_ref = bps_oracle(x, 4, Q16.d, B, W, joint)
    real = np.float32 if dtype == np.complex64 else np.float64
    c, s = tables(B, real)
    for simd in (0, 1):
        y, ph = ops_cpu.bps(x, joint, W, c, s, B, 1 / (2 * Q16.d), 1.5, 3.0, threads=2, simd=simd)
        np.testing.assert_array_equal(ph, ph_ref)
        np.testing.assert_array_equal(y, y_ref)
        assert y.dtype == dtype and ph.dtype == real


@pytest.mark.parametrize("m", [4, 64])
def test_bps_public_matches_oracle_and_shapes(m):
    const = qam(m)
    rng = np.random.default_rng(m)
    shape = (2, 3, 2, 700)
    theta = np.cumsum(rng.normal(0, 0.01, shape), axis=-1)
    _, _, x = qam_signal(rng, shape, snr_db=25, theta=theta, const=const, dtype=np.complex64)
    r = bps(x, const, n_phases=24, window=7)
    y_ref, ph_ref = bps_oracle(x.reshape(-1, 700), const.levels, const.d, 24, 7)
    np.testing.assert_array_equal(r.phase, ph_ref.reshape(shape))
    np.testing.assert_array_equal(r.symbols, y_ref.reshape(shape))
    assert r.slips is None
    rj = bps(x, const.points, n_phases=24, window=7, joint=True, threads=1)   # point array, joint
    y_ref, ph_ref = bps_oracle(x.reshape(-1, 700), const.levels, const.d, 24, 7, joint=True)
    np.testing.assert_array_equal(rj.phase, ph_ref.reshape(shape))
    np.testing.assert_array_equal(rj.phase[..., 0, :], rj.phase[..., 1, :])


def test_bps_input_not_modified_and_noncontiguous():
    rng = np.random.default_rng(9)
    _, _, x = qam_signal(rng, (2, 2, 400), snr_db=20, theta=0.2, dtype=np.complex64)
    big = np.repeat(x, 2, axis=-1)[..., ::2]          # strided view equal to x
    keep = big.copy()
    r1, r2 = bps(big, Q16), bps(x, Q16)
    np.testing.assert_array_equal(big, keep)
    np.testing.assert_array_equal(r1.symbols, r2.symbols)


# ------------------------------------------------------------------------------ BPS behaviour

def test_bps_static_phase_and_drift_sign():
    """A constant phase is found (mod pi/2) and removed; a fast linear drift is unwrapped over many turns."""
    rng = np.random.default_rng(11)
    n = 20_000
    lab, s, x = qam_signal(rng, (1, n), snr_db=30, theta=0.3)
    r = bps(x, Q16, n_phases=64, window=20)
    err = r.phase - 0.3
    q = np.rint(err / (math.pi / 2))
    assert np.all(q == q[0, 0]) and np.max(np.abs(err - q * math.pi / 2)) < 0.05
    ramp = 2 * math.pi * 1e-3 * np.arange(n)          # 20 turns: unwrapping must follow
    _, s, x = qam_signal(rng, (1, n), snr_db=30, theta=ramp)
    r = bps(x, Q16, n_phases=64, window=20)
    err = r.phase - ramp
    q = np.rint(err / (math.pi / 2))
    assert count_cycle_slips(r.phase, ramp) == 0
    assert np.all(q == q[0, 0]) and np.max(np.abs(err - q * math.pi / 2)) < 0.1   # edges: one-sided windows lag
    corrected = r.symbols * np.exp(-1j * q * math.pi / 2)
    np.testing.assert_allclose(corrected, s, atol=0.12)


def _pilot_frame(rng, items, n, spacing=64):
    """Dual-pol 16QAM with a QPSK pilot (outer corner points) every `spacing` symbols."""
    lab = rng.integers(0, 16, (items, 2, n)).astype(np.uint8)
    s = map_labels(lab, Q16, dtype=np.complex128)
    pos = np.arange(0, n, spacing)
    corners = np.array([1 + 1j, -1 + 1j, -1 - 1j, 1 - 1j]) * 3 * Q16.d
    pil = corners[rng.integers(0, 4, (items, 2, pos.size))]
    s[..., pos] = pil
    data = np.ones(n, bool)
    data[pos] = False
    return lab, s, pos, pil, data


@pytest.mark.parametrize("linewidth_t,window,factor", [(1e-4, 16, 1.5), (1e-3, 8, 3.5)])
def test_bps_ber_on_wiener_phase_noise(linewidth_t, window, factor):
    """Measured: BER / theory 1.28 at linewidth T = 1e-4, 2.98 at 1e-3 (about 1 slip per 800 symbols)."""
    rng = np.random.default_rng(int(linewidth_t * 1e5))
    items, n = 2, 100_000
    snr = snr_at_ber(16, 1e-2)
    lab, s, pos, pil, data = _pilot_frame(rng, items, n)
    theta = wiener(rng, (items, 2, n), linewidth_t)
    sig = math.sqrt(10 ** (-snr / 10) / 2)
    x = (s * np.exp(1j * theta) + sig * (rng.standard_normal(s.shape) + 1j * rng.standard_normal(s.shape)))
    x = x.astype(np.complex64)
    r = bps(x, Q16, n_phases=32, window=window, pilots=(pos, pil), pilot_window=0)
    bits, _ = count_errors(r.symbols[..., data], lab[..., data], Q16)
    ber = bits / (4 * items * 2 * data.sum())
    theory = ber_awgn_qam(16, snr)
    assert theory * 0.9 < ber < factor * theory, (ber, theory)
    # without the pilots the same blind estimate is off by a multiple of pi/2 nearly everywhere
    blind = bps(x, Q16, n_phases=32, window=window)
    err = np.rint((blind.phase - theta) / (math.pi / 2))
    assert np.mean(err % 4 == 0) < 0.6
    # after correction the estimate follows the true phase (genie quadrant 0 nearly everywhere)
    err = np.rint((r.phase - theta) / (math.pi / 2))
    assert np.mean(err % 4 == 0) > 0.98
    assert r.slips.shape == (items, 2)


def test_bps_joint_beats_single_on_shared_laser():
    rng = np.random.default_rng(21)
    items, n = 2, 60_000
    snr = snr_at_ber(16, 1e-2)
    lab, s, pos, pil, data = _pilot_frame(rng, items, n)
    theta = wiener(rng, (items, 1, n), 2e-4)                      # one laser for both polarisations
    sig = math.sqrt(10 ** (-snr / 10) / 2)
    x = (s * np.exp(1j * theta) + sig * (rng.standard_normal(s.shape) + 1j * rng.standard_normal(s.shape)))
    x = x.astype(np.complex64)
    out = {}
    for joint in (False, True):
        r = bps(x, Q16, window=8, joint=joint, pilots=(pos, pil))
        out[joint] = count_errors(r.symbols[..., data], lab[..., data], Q16)[0]
    assert out[True] < out[False]


# -------------------------------------------------------------------------------------- VV

def test_viterbi_viterbi_qpsk_ber():
    q4 = qam(4)
    rng = np.random.default_rng(31)
    items, n = 2, 100_000
    snr = snr_at_ber(4, 1e-2)
    lab = rng.integers(0, 4, (items, 2, n)).astype(np.uint8)
    s = map_labels(lab, q4, dtype=np.complex128)
    pos = np.arange(0, n, 64)
    theta = wiener(rng, (items, 2, n), 1e-4)
    sig = math.sqrt(10 ** (-snr / 10) / 2)
    x = (s * np.exp(1j * theta) + sig * (rng.standard_normal(s.shape) + 1j * rng.standard_normal(s.shape)))
    r = viterbi_viterbi(x.astype(np.complex64), window=24, pilots=(pos, s[..., pos]), pilot_window=2)
    bits, _ = count_errors(r.symbols, lab, q4)
    ber = bits / (2 * s.size)
    theory = ber_awgn_qam(4, snr)
    assert theory * 0.9 < ber < 1.3 * theory, (ber, theory)
    assert r.phase.dtype == np.float32 and r.symbols.dtype == np.complex64


def test_viterbi_viterbi_against_direct_formula():
    rng = np.random.default_rng(32)
    n, W = 257, 5
    _, _, x = qam_signal(rng, (2, n), snr_db=12, theta=np.linspace(0, 9, n), const=qam(4))
    r = viterbi_viterbi(x, window=W, joint=True)
    z = (x ** 4).sum(axis=0)
    phase = np.empty(n)
    prev = None
    for k in range(n):                                                 # the textbook recursion
        phi = np.angle(-z[max(0, k - W):k + W + 1].sum()) / 4
        prev = phi if prev is None else phi + math.floor(0.5 - (phi - prev) / (math.pi / 2)) * math.pi / 2
        phase[k] = prev
    np.testing.assert_allclose(r.phase[0], phase, atol=1e-9)
    np.testing.assert_allclose(r.symbols, x * np.exp(-1j * phase), atol=1e-9)
    # BPSK
    xb = np.exp(1j * 0.4) * np.sign(rng.standard_normal((1, 1, 300))) + 0j
    rb = viterbi_viterbi(xb, window=3, m=2)
    np.testing.assert_allclose(rb.phase, 0.4, atol=1e-9)


# -------------------------------------------------------------------------------------- FOE

@pytest.mark.parametrize("f_rel", [-0.11, -0.02, 0.0, 0.0371, 0.12])
def test_frequency_offset_recovered(f_rel):
    rng = np.random.default_rng(41)
    n = 1 << 14
    k = np.arange(n)
    f = f_rel * FS
    bin_hz = FS / (4 * n)                     # bin of the 4th-power spectrum (unpadded), divided by 4
    theta = 2 * np.pi * f / FS * k + 0.7
    _, s, x = qam_signal(rng, (1, 2, n), snr_db=14, theta=theta, dtype=np.complex64)
    est = estimate_frequency_offset(x, FS)
    assert isinstance(est, np.ndarray) and est.shape == (1,)
    assert abs(est[0] - f) < 0.05 * bin_hz, (est, f)     # measured: within 0.012 bins
    # with laser phase noise (100 kHz at 60 GBd) the realisation's mean frequency wanders a bit
    theta = theta + wiener(rng, (1, 2, n), 100e3 / FS)
    _, s, x = qam_signal(rng, (1, 2, n), snr_db=14, theta=theta, dtype=np.complex64)
    est = estimate_frequency_offset(x, FS)
    assert abs(est[0] - f) < 1.0 * bin_hz, (est, f)
    y = remove_frequency_offset(x, est, FS)
    r = bps(y, Q16, window=16)
    assert count_cycle_slips(r.phase, theta - 2 * np.pi * est[0] / FS * k).tolist() == [[0, 0]]


def test_frequency_offset_range_and_batch():
    rng = np.random.default_rng(42)
    n = 4096
    k = np.arange(n)
    offs = np.array([[0.124, -0.125 + 0.002], [0.13, -0.2]]) * FS          # last two outside +-fs/8
    theta = 2 * np.pi * offs[..., None, None] / FS * k
    _, _, x = qam_signal(rng, (2, 2, 2, n), snr_db=20, theta=theta)
    est = estimate_frequency_offset(x, FS)
    assert est.shape == (2, 2)
    expect = (offs / FS + 0.125) % 0.25 - 0.125                             # aliased by fs/4
    np.testing.assert_allclose(est / FS, expect, atol=0.05 / (4 * n))
    assert est[1, 0] < 0 and est[1, 1] > 0                                 # the range error
    single = estimate_frequency_offset(x[0, 0], FS)
    assert isinstance(single, float) and abs(single - est[0, 0]) < 1e-3 * FS / n
    # power 2 on BPSK: range +-fs/4
    xb = (np.sign(rng.standard_normal((1, n))) * np.exp(2j * np.pi * 0.2 * k)).astype(np.complex64)
    assert abs(estimate_frequency_offset(xb, FS, power=2) / FS - 0.2) < 0.05 / (2 * n)


def test_remove_frequency_offset_closed_form():
    rng = np.random.default_rng(43)
    n = 1000
    k = np.arange(n)
    f = np.array([1.5e9, -0.7e9])
    _, s, _ = qam_signal(rng, (2, 2, n))
    x = s * np.exp(1j * (2 * np.pi * f[:, None, None] / FS * k + 0.25))
    y = remove_frequency_offset(x, f, FS, phase0=0.25)
    np.testing.assert_allclose(y, s, atol=1e-9)
    y32 = remove_frequency_offset(x.astype(np.complex64), f, FS, phase0=0.25)
    assert y32.dtype == np.complex64
    np.testing.assert_allclose(y32, s, atol=1e-5)
    np.testing.assert_allclose(remove_frequency_offset(x[0], 1.5e9, FS, phase0=0.25), s[0], atol=1e-9)
    inplace = x.copy()
    assert remove_frequency_offset(inplace, f, FS, phase0=0.25, out=inplace) is inplace
    np.testing.assert_array_equal(inplace, y)
    with pytest.raises(ValueError, match="out must be"):
        remove_frequency_offset(x, f, FS, out=y32)


# ------------------------------------------------------------------------------ cycle slips

def _slipped(rng, n=4000, at=1000, pols=2):
    """16QAM with pilots, ideal blind estimate except a pi/2 slip of the estimate at `at`."""
    lab, s, pos, pil, data = _pilot_frame(rng, 1, n)
    s = s[:, :pols]
    lab, pil = lab[:, :pols], pil[:, :pols]
    noise = 0.05 * (rng.standard_normal(s.shape) + 1j * rng.standard_normal(s.shape))
    phase = np.full(s.shape, 0.02)
    phase[..., at:] -= math.pi / 2                    # the estimate slipped by -pi/2 ...
    y = (s + noise) * np.exp(-1j * (phase - 0.02))    # ... so the corrected symbols turn by +pi/2
    y = y * np.exp(1j * math.pi / 2)                  # plus an initial quadrant error (q_0 = 1)
    phase = phase - math.pi / 2
    return lab, s, noise, pos, pil, y.astype(np.complex64), phase.astype(np.float32)


def test_inserted_slip_found_located_and_counted_once():
    rng = np.random.default_rng(51)
    lab, s, noise, pos, pil, y, phase = _slipped(rng)
    c = correct_cycle_slips(y, phase, pil, pos)
    np.testing.assert_array_equal(c.slips, [[1, 1]])
    assert c.quadrants.shape == (1, 2, pos.size)
    assert np.all(c.quadrants[..., :16] == 1) and np.all(c.quadrants[..., 16:] == 2)   # pilots 0..960 | 1024..
    np.testing.assert_allclose(c.symbols, s + noise, atol=1e-5)         # located at the jump exactly
    np.testing.assert_allclose(c.phase, 0.02, atol=1e-5)
    assert count_cycle_slips(phase, np.zeros_like(phase)).tolist() == [[1, 1]]
    assert count_cycle_slips(c.phase, np.zeros_like(phase)).tolist() == [[0, 0]]
    # midway boundary (pilots 960 and 1024: from 993 on): symbols 993..999 get the new quadrant early
    cn = correct_cycle_slips(y[:, :1], phase[:, :1], pil[0, 0], pos, locate="nearest")  # pilots broadcast
    wrong = np.abs(cn.symbols - (s + noise)[:, :1]) > 1e-3
    np.testing.assert_array_equal(np.nonzero(wrong[0, 0])[0], np.arange(993, 1000))
    np.testing.assert_array_equal(cn.slips, [[1]])
    # one pilot far off (noise): alone it reads as two slips, the 3-pilot average (G = 1) rides it out
    yb = y.copy()
    yb[0, 0, pos[40]] *= -1j
    assert correct_cycle_slips(yb, phase, pil, pos, pilot_window=0).slips.tolist() == [[3, 1]]
    c1 = correct_cycle_slips(yb, phase, pil, pos, pilot_window=1)
    assert c1.slips.tolist() == [[1, 1]]
    np.testing.assert_allclose(np.delete(c1.symbols, pos[40], axis=-1), np.delete(s + noise, pos[40], axis=-1),
                               atol=1e-5)


def test_slip_of_carrier_through_bps_counted_once():
    """A pi/2 jump of the carrier is invisible to BPS (pi/2 symmetry); the pilots catch it."""
    rng = np.random.default_rng(52)
    n = 30_000
    lab, s, pos, pil, data = _pilot_frame(rng, 1, n)
    theta = np.full((1, 2, n), 0.1)
    theta[..., 12_345:] += math.pi / 2
    sig = math.sqrt(10 ** (-20 / 10) / 2)
    x = s * np.exp(1j * theta) + sig * (rng.standard_normal(s.shape) + 1j * rng.standard_normal(s.shape))
    r = bps(x.astype(np.complex64), Q16, window=16, pilots=(pos, pil))
    np.testing.assert_array_equal(r.slips, [[1, 1]])
    _, ser = count_errors(r.symbols[..., data], lab[..., data], Q16)
    assert ser < 150                                  # at most the symbols between jump and boundary
    blind = bps(x.astype(np.complex64), Q16, window=16)
    assert count_cycle_slips(blind.phase, theta).tolist() == [[1, 1]]


def test_count_cycle_slips_synthetic():
    err = np.zeros(100)
    err[10:] += math.pi / 2
    err[50:] += math.pi
    err[70:] -= math.pi / 2
    true = np.linspace(0, 3, 100)
    assert count_cycle_slips(true + err + 0.1, true) == 3
    assert count_cycle_slips(true + math.pi / 2, true) == 0
    assert count_cycle_slips(np.stack([true, true + err]), true).tolist() == [0, 3]


# ------------------------------------------------------------------------------- bad input

def test_bad_input():
    rng = np.random.default_rng(61)
    _, _, x = qam_signal(rng, (1, 2, 100), dtype=np.complex64)
    for kw, what in ((dict(n_phases=1), "n_phases"), (dict(n_phases=257), "n_phases"), (dict(n_phases=3.0), "n_phases"),
                     (dict(window=-1), "window"), (dict(window=1.5), "window"), (dict(threads=0), "threads")):
        with pytest.raises(ValueError, match=what):
            bps(x, Q16, **kw)
    with pytest.raises(TypeError, match="x must be complex64 or complex128"):
        bps(x.real, Q16)
    with pytest.raises(TypeError, match="complex64 or complex128"):
        bps(x.astype(np.complex256) if hasattr(np, "complex256") else x.real.astype(np.int16), Q16)
    with pytest.raises(ValueError, match="shape"):
        bps(x[0, 0], Q16)
    for bad in (pam(4), qam(16).points[:8], np.exp(2j * np.pi * np.arange(8) / 8), np.append(qam(16).points[:15], 0),
                np.array([0, 1, 1j, 1 + 1j, 2, 2 + 1j, 2j, 1 + 2j, 2 + 2j])):
        with pytest.raises(ValueError, match="constellation"):
            bps(x, bad)
    with pytest.raises(ValueError, match="joint"):
        bps(x[:, :1], Q16, joint=True)
    with pytest.raises(ValueError, match="pilots"):
        bps(x, Q16, pilots=np.arange(3))
    with pytest.raises(ValueError, match="pilot_positions"):
        bps(x, Q16, pilots=(np.array([5, 3]), np.ones(2)))
    with pytest.raises(ValueError, match="pilot_positions"):
        bps(x, Q16, pilots=(np.array([0, 100]), np.ones(2)))
    with pytest.raises(ValueError, match="pilots must have shape"):
        bps(x, Q16, pilots=(np.array([0, 10]), np.ones(3)))
    with pytest.raises(ValueError, match="locate"):
        correct_cycle_slips(x, np.zeros(x.shape), np.ones(1), [0], locate="best")
    with pytest.raises(ValueError, match="phase must be real"):
        correct_cycle_slips(x, np.zeros((1, 2, 99)), np.ones(1), [0])
    with pytest.raises(ValueError, match="m must be"):
        viterbi_viterbi(x, m=8)
    with pytest.raises(ValueError, match="window"):
        viterbi_viterbi(x, window=-2)
    with pytest.raises(ValueError, match="sample_rate_hz"):
        estimate_frequency_offset(x, 0.0)
    with pytest.raises(ValueError, match="power"):
        estimate_frequency_offset(x, FS, power=0)
    with pytest.raises(ValueError, match="nfft"):
        estimate_frequency_offset(x, FS, nfft=50)
    with pytest.raises(TypeError, match="complex"):
        estimate_frequency_offset(x.real, FS)
    with pytest.raises(ValueError, match="f_hz"):
        remove_frequency_offset(x, np.ones(3), FS)
    with pytest.raises(ValueError, match="phase0"):
        remove_frequency_offset(x, 1e9, FS, phase0=float("nan"))
    with pytest.raises(TypeError, match="real"):
        count_cycle_slips(np.zeros(3, complex), np.zeros(3))


# --------------------------------------------------------------------------------------- GPU

@pytest.mark.gpu
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_gpu_equals_cpu(dtype):
    import cupy as cp

    rng = np.random.default_rng(71)
    items, n = 3, 5000
    lab, s, pos, pil, data = _pilot_frame(rng, items, n)
    theta = wiener(rng, (items, 2, n), 3e-4)
    x = (s * np.exp(1j * theta) + 0.1 * (rng.standard_normal(s.shape) + 1j * rng.standard_normal(s.shape)))
    x = x.astype(dtype)
    xg = cp.asarray(x)
    for kw in (dict(), dict(joint=True), dict(n_phases=7, window=0), dict(n_phases=256, window=700),
               dict(pilots=(pos, pil))):
        c, g = bps(x, Q16, **kw), bps(xg, Q16, **kw)
        np.testing.assert_array_equal(g.phase.get(), c.phase)          # same arithmetic, same bits
        np.testing.assert_array_equal(g.symbols.get(), c.symbols)
        if c.slips is not None:
            np.testing.assert_array_equal(g.slips.get(), c.slips)
    tiny = x[:1, :, :3]
    np.testing.assert_array_equal(bps(cp.asarray(tiny), Q16).phase.get(), bps(tiny, Q16).phase)
    c, g = viterbi_viterbi(x, window=9), viterbi_viterbi(xg, window=9)
    np.testing.assert_allclose(g.phase.get(), c.phase, atol=1e-4 if dtype == np.complex64 else 1e-10)
    fc, fg = estimate_frequency_offset(x, FS), estimate_frequency_offset(xg, FS)
    np.testing.assert_allclose(fg, fc, rtol=0, atol=1e-6 * FS / n)
    yc, yg = remove_frequency_offset(x, fc, FS), remove_frequency_offset(xg, fc, FS)
    np.testing.assert_allclose(yg.get(), yc, atol=1e-5)

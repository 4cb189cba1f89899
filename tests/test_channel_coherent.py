"""Coherent-channel impairments against closed forms: laser phase noise and frequency offset,
polarization (random SOPs, PMD, PDL), EDFA noise and OSNR, and the Manakov split-step fiber."""

import math

import numpy as np
import pytest
from scipy import stats

from dsp.backend import get_backend
from dsp.channel import NormalStream, amplifiers, fiber, lasers, nonlinear, polarization

BE = get_backend("cpu")


def _cgauss(rng, shape, dtype=np.complex128, power=1.0):
    z = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return (z * math.sqrt(power / 2)).astype(dtype)


def _sumsq_within_chi2(sumsq, var, dof, p=1e-6):
    """sum of dof squared N(0, var) values lies inside the two-sided chi-square(dof) interval."""
    lo, hi = stats.chi2.ppf([p / 2, 1 - p / 2], dof)
    return lo <= sumsq / var <= hi


# ----------------------------------------------------------------------------- lasers
@pytest.mark.parametrize("rng_kind", ["numpy", "stream"])
def test_phase_noise_increment_variance(rng_kind):
    lw, fs = 100e3, 64e9
    rng = np.random.default_rng(1) if rng_kind == "numpy" else NormalStream(BE, (1, 2))
    phi = lasers.phase_noise((8, 1 << 15), lw, fs, rng)
    assert phi.shape == (8, 1 << 15) and phi.dtype == np.float64
    d = np.diff(phi, axis=-1, prepend=0.0)
    var = 2 * math.pi * lw / fs
    assert _sumsq_within_chi2(float((d * d).sum()), var, d.size)
    # a 10 % wrong variance would fail the same bound
    assert not _sumsq_within_chi2(float((d * d).sum()), 1.1 * var, d.size)
    # Wiener: variance of the phase grows linearly, Var phi[k] = (k+1) var (over many rows)
    phi = lasers.phase_noise((4000, 64), lw, fs, np.random.default_rng(2))
    assert phi[:, -1].var() == pytest.approx(64 * var, rel=0.1)
    assert np.all(lasers.phase_noise((2, 5), 0.0, fs, rng) == 0)


def test_apply_phase_noise_common_to_both_polarizations():
    rng = np.random.default_rng(3)
    x = _cgauss(rng, (3, 2, 4096), np.complex64)
    y = lasers.apply_phase_noise(x, 1e6, 32e9, np.random.default_rng(4))
    assert y.dtype == np.complex64 and y.shape == x.shape
    assert np.allclose(np.abs(y), np.abs(x), rtol=1e-5)
    rot = y / x
    assert np.allclose(rot[:, 0], rot[:, 1], atol=1e-5)          # one laser, both polarizations
    assert not np.allclose(rot[0, 0], rot[1, 0], atol=1e-2)      # independent walks per frame
    ref = x * np.exp(1j * lasers.phase_noise((3, 1, 4096), 1e6, 32e9, np.random.default_rng(4), dtype=np.float32))
    assert np.allclose(y, ref, atol=1e-5)


def test_frequency_offset_moves_spectrum_up_and_sets_phase():
    fs, n, f = 64e9, 4096, 1.0e9
    x = np.ones((2, 2, n), dtype=np.complex128)
    y = lasers.apply_frequency_offset(x, f, fs, phase0=0.3)
    spec = np.abs(np.fft.fft(y[0, 0]))
    peak = np.fft.fftfreq(n, 1 / fs)[np.argmax(spec)]
    assert peak == pytest.approx(f, abs=fs / n)
    assert np.angle(y[0, 1, 0]) == pytest.approx(0.3)
    assert np.allclose(y, np.exp(1j * (2 * np.pi * f * np.arange(n) / fs + 0.3)))
    neg = lasers.apply_frequency_offset(x.astype(np.complex64), -f, fs)
    assert neg.dtype == np.complex64
    assert np.fft.fftfreq(n, 1 / fs)[np.argmax(np.abs(np.fft.fft(neg[1, 0])))] == pytest.approx(-f, abs=fs / n)
    # long frames keep an exact phase (the cycle count is reduced before scaling by 2 pi)
    long = lasers.apply_frequency_offset(np.ones((1, 1 << 22), np.complex128), 1.234567e9, fs)
    k = (1 << 22) - 1
    assert np.angle(long[0, k] * np.exp(-2j * np.pi * ((k * 1.234567e9 / fs) % 1))) == pytest.approx(0, abs=1e-9)


@pytest.mark.parametrize("n", [0, 1, 2, 7, 1000, 65537])
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_phase_ramp_closed_form(n, dtype):
    """The blocked tone equals exp(j (2 pi c k + phase0)) evaluated directly in long double."""
    c = np.array([[0.0083], [-0.31], [1.7e-5]])
    p0 = np.array([[0.25], [-2.0], [3.0]])
    r = lasers.phase_ramp(c[:, 0], n, dtype, np, p0[:, 0])
    assert r.shape == (3, n) and r.dtype == dtype
    k = np.arange(n, dtype=np.longdouble)
    cyc = c.astype(np.longdouble) * k
    ref = np.exp(1j * (2 * np.pi * (cyc - np.floor(cyc)) + p0).astype(np.float64))
    tol = 2e-6 if dtype == np.complex64 else 1e-10  # float64 c * k: ~1e-16 of up to 2e4 cycles
    np.testing.assert_allclose(r, ref, rtol=0, atol=tol)
    assert lasers.phase_ramp(0.01, 5, np.complex64).shape == (5,)


@pytest.mark.parametrize("call, match", [
    (lambda: lasers.phase_noise(8, -1.0, 1e9, np.random.default_rng()), "linewidth_hz"),
    (lambda: lasers.phase_noise(8, float("nan"), 1e9, np.random.default_rng()), "linewidth_hz"),
    (lambda: lasers.phase_noise(8, 1e3, 0.0, np.random.default_rng()), "sample_rate_hz"),
    (lambda: lasers.apply_phase_noise(np.ones((2, 8)), 1e3, 1e9, np.random.default_rng()), "complex"),
    (lambda: lasers.apply_frequency_offset(np.ones((2, 8), complex), 6e8, 1e9), "freq_offset_hz"),
    (lambda: lasers.apply_frequency_offset(np.ones((2, 8), complex), 1e6, 1e9, phase0=float("inf")), "phase0"),
])
def test_laser_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- polarization
def test_random_sop_is_unitary_and_haar():
    rng = np.random.default_rng(5)
    j = polarization.random_sop(rng, 20000)
    assert j.shape == (20000, 2, 2) and j.dtype == np.complex128
    assert np.allclose(np.swapaxes(j.conj(), -1, -2) @ j, np.eye(2), atol=1e-12)
    assert polarization.random_sop(rng).shape == (2, 2)
    # X launched: output Stokes vectors uniform on the Poincare sphere
    e = j[..., :, 0]
    s1 = np.abs(e[:, 0]) ** 2 - np.abs(e[:, 1]) ** 2
    s2 = 2 * (e[:, 0] * e[:, 1].conj()).real
    s3 = -2 * (e[:, 0] * e[:, 1].conj()).imag
    s = np.stack([s1, s2, s3], 1)
    sd = 1 / math.sqrt(3 * len(s))
    assert np.all(np.abs(s.mean(0)) < 5 * sd)
    assert np.allclose((s ** 2).mean(0), 1 / 3, atol=0.02)
    # uniform on the sphere: s1 is uniform on [-1, 1] (Archimedes); KS test
    assert stats.kstest(s1, "uniform", args=(-1, 2)).pvalue > 1e-4
    # global phase uniform: det J = exp(2 j phi)
    assert stats.kstest(np.angle(np.linalg.det(j)), "uniform", args=(-np.pi, 2 * np.pi)).pvalue > 1e-4


def test_rotate_matches_matmul_per_frame():
    rng = np.random.default_rng(6)
    x = _cgauss(rng, (4, 2, 33), np.complex64)
    j = polarization.random_sop(rng, 4)
    y = polarization.rotate(x, j)
    assert y.dtype == np.complex64
    assert np.allclose(y, np.einsum("bij,bjn->bin", j, x), atol=1e-5)
    assert np.allclose(polarization.rotate(x, j[0]), np.einsum("ij,bjn->bin", j[0], x), atol=1e-5)


@pytest.mark.parametrize("dgd_ps", [10.0, 37.5])
def test_pmd_response_dgd_from_eigenvalues(dgd_ps):
    n, fs = 256, 100e9
    jones = polarization.random_sop(np.random.default_rng(7))
    h = polarization.pmd_response(n, fs, dgd_ps, jones)
    assert h.shape == (2, 2, n)
    w = 2 * np.pi * np.fft.fftfreq(n, 1 / fs)
    k = 5  # an interior bin: d/dw by central differences
    dh = (h[..., k + 1] - h[..., k - 1]) / (w[k + 1] - w[k - 1])
    m = 1j * dh @ np.linalg.inv(h[..., k])
    ev = np.sort(np.linalg.eigvals(m).real)
    assert ev[1] - ev[0] == pytest.approx(dgd_ps * 1e-12, rel=1e-3)
    assert ev[0] + ev[1] == pytest.approx(0.0, abs=1e-16)
    # eigenvector of the slow state: the first principal state, row 0 of J (conj): J^H e_0
    vals, vecs = np.linalg.eig(m)
    slow = vecs[:, np.argmax(vals.real)]
    assert abs(np.vdot(jones.conj()[0], slow)) == pytest.approx(1.0, abs=1e-6)
    # unitary at every frequency
    hh = np.moveaxis(h, -1, 0)
    assert np.allclose(np.swapaxes(hh.conj(), -1, -2) @ hh, np.eye(2), atol=1e-12)


def test_pmd_delays_principal_states_by_half_dgd():
    fs, n = 100e9, 512
    dgd = 60.0  # ps = 6 samples: +-3 samples exactly
    x = np.zeros((2, n), complex)
    x[0, 100] = 1.0
    x[1, 200] = 1.0
    y = polarization.apply_pmd(x, dgd, fs)
    assert np.argmax(np.abs(y[0])) == 103 and np.argmax(np.abs(y[1])) == 197
    assert np.allclose(y[0], np.roll(x[0], 3), atol=1e-12)
    # with a rotation, the same in the principal-state basis
    j = polarization.random_sop(np.random.default_rng(8))
    xl = polarization.rotate(x, j.conj().T)  # launch the principal states
    yl = polarization.rotate(polarization.apply_pmd(xl, dgd, fs, jones=j), j)
    assert np.allclose(yl, y, atol=1e-12)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_pmd_energy_and_inverse_and_response(dtype):
    rng = np.random.default_rng(9)
    x = _cgauss(rng, (3, 2, 1001), dtype)
    j = polarization.random_sop(rng, 3)
    y = polarization.apply_pmd(x, 23.4, 64e9, jones=j)
    tol = 1e-5 if dtype == np.complex64 else 1e-12
    assert y.dtype == dtype
    assert np.allclose((np.abs(y) ** 2).sum((1, 2)), (np.abs(x) ** 2).sum((1, 2)), rtol=tol)
    assert np.allclose(polarization.apply_pmd(y, -23.4, 64e9, jones=j), x, atol=10 * tol)
    # frequency domain: Y(w) = H(w) X(w) with H from pmd_response
    h = polarization.pmd_response(1001, 64e9, 23.4, j[1])
    ref = np.fft.ifft(np.einsum("abk,bk->ak", h, np.fft.fft(x[1].astype(complex), axis=-1)), axis=-1)
    assert np.allclose(y[1], ref, atol=10 * tol)


def test_pdl_extremes():
    j = polarization.random_sop(np.random.default_rng(10))
    x = np.eye(2, dtype=complex)[:, :, None] * np.ones(4)  # two frames: X and Y launched
    h = polarization.apply_pdl(x, 3.0, jones=j)[..., 0].T   # columns: responses = the matrix
    sv = np.linalg.svd(h, compute_uv=False)
    assert 20 * np.log10(sv[0] / sv[1]) == pytest.approx(3.0)
    assert sv[0] == pytest.approx(1.0)
    with pytest.raises(ValueError, match="pdl_db"):
        polarization.apply_pdl(x, -1.0)


@pytest.mark.parametrize("call, match", [
    (lambda: polarization.apply_pmd(np.ones((3, 8), complex), 1.0, 1e9), "field"),
    (lambda: polarization.apply_pmd(np.ones((2, 8), complex), float("nan"), 1e9), "dgd_ps"),
    (lambda: polarization.apply_pmd(np.ones((2, 8), complex), 1.0, -1e9), "fs_hz"),
    (lambda: polarization.apply_pmd(np.ones((2, 8), complex), 1.0, 1e9, jones=np.ones((2, 2))), "unitary"),
    (lambda: polarization.rotate(np.ones((2, 8), complex), np.ones(3)), "jones"),
    (lambda: polarization.pmd_response(0, 1e9, 1.0), "n"),
])
def test_polarization_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- amplifiers
def test_58db_rule_constant_and_osnr():
    c = amplifiers.hnu_bref_dbm(1550.0, 12.5e9)
    assert c == pytest.approx(-57.953, abs=1e-3)  # h c / 1550 nm * 12.5 GHz = 1.6025e-9 mW... in dBm
    one = amplifiers.osnr_db_from_spans(16.0, 16.0, 5.0, 1)   # 0 dBm into the amplifier
    assert one == pytest.approx(53.0, abs=0.05)
    assert one == pytest.approx(0.0 - 5.0 - c)
    assert amplifiers.osnr_db_from_spans(16.0, 16.0, 5.0, 10) == pytest.approx(one - 10.0)
    assert amplifiers.osnr_db_from_spans(16.0, 16.0, 5.0, 7) == pytest.approx(one - 10 * math.log10(7))


def test_ase_psd_definition():
    nu = amplifiers.carrier_frequency_hz(1550.0)
    g, nf = 10 ** 2.0, 10 ** 0.5
    psd = amplifiers.ase_psd_w_hz(20.0, 5.0, nu)
    n_sp = (nf - 1 / g) * g / (2 * (g - 1))           # from NF = 1/G + 2 n_sp (G - 1)/G
    assert psd == pytest.approx(n_sp * amplifiers.H_PLANCK * nu * (g - 1), rel=1e-12)
    # high-gain limit: 2 S B_ref / G = NF h nu B_ref, the 58 dB rule
    assert 10 * np.log10(2 * psd * 12.5e9 / g / 1e-3) == pytest.approx(5.0 + amplifiers.hnu_bref_dbm(), abs=0.02)
    assert amplifiers.ase_psd_w_hz(0.0, 0.0, nu) == 0.0  # a transparent noiseless element


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_add_ase_noise_variance(dtype):
    psd, fs = 3e-18, 100e9
    x = np.zeros((4, 2, 1 << 14), dtype)
    y = amplifiers.add_ase_noise(x, psd, fs, np.random.default_rng(11))
    assert y.dtype == dtype
    var = psd * fs / 2  # per real dimension
    r = np.stack([y.real, y.imag]).astype(float)
    for part in (r[0], r[1]):  # I, Q; each polarization
        for p in (0, 1):
            v = part[:, p]
            assert _sumsq_within_chi2(float((v * v).sum()), var, v.size)
    assert abs(np.corrcoef(y[:, 0].ravel().real, y[:, 1].ravel().real)[0, 1]) < 5 / math.sqrt(y[:, 0].size)
    s = amplifiers.add_ase_noise(x, psd, fs, NormalStream(BE, (4, 5)))
    assert np.isclose(np.mean(np.abs(s) ** 2), psd * fs, rtol=0.02)


@pytest.mark.parametrize("call, match", [
    (lambda: amplifiers.ase_psd_w_hz(-1.0, 5.0, 1.9e14), "gain_db"),
    (lambda: amplifiers.ase_psd_w_hz(20.0, float("nan"), 1.9e14), "nf_db"),
    (lambda: amplifiers.osnr_db_from_spans(0.0, 20.0, 5.0, 0), "n_spans"),
    (lambda: amplifiers.osnr_db_from_spans(0.0, -2.0, 5.0, 1), "span_loss_db"),
    (lambda: amplifiers.add_ase_noise(np.zeros((2, 4)), 1e-18, 1e9, np.random.default_rng()), "complex"),
    (lambda: amplifiers.add_ase_noise(np.zeros((2, 4), complex), -1e-18, 1e9, np.random.default_rng()), "psd"),
    (lambda: amplifiers.hnu_bref_dbm(0.0), "wavelength_nm"),
])
def test_amplifier_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- SSFM
FS = 128e9


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("step_km", [None, 7.0])
def test_ssfm_linear_limit_is_cd_plus_loss(dtype, step_km):
    x = _cgauss(np.random.default_rng(12), (2, 2, 2048), dtype, 1e-3)
    y = nonlinear.ssfm_manakov(x, FS, 80.0, gamma_w_km=0.0, step_km=step_km, alpha_db_km=0.2)
    ref = fiber.attenuate(fiber.apply_cd(x, FS, 17.0 * 80.0, 1550.0), 16.0)
    assert y.dtype == dtype
    tol = 2e-5 if dtype == np.complex64 else 1e-12
    assert np.max(np.abs(y - ref)) < tol * np.max(np.abs(ref))


@pytest.mark.parametrize("alpha", [0.0, 0.2])
def test_ssfm_cw_spm_phase(alpha):
    p, length, gamma = 0.05, 50.0, 1.3  # 17 dBm CW
    x = np.full((1, 2, 64), math.sqrt(p / 2), dtype=np.complex128)
    y = nonlinear.ssfm_manakov(x, FS, length, alpha_db_km=alpha, gamma_w_km=gamma)
    leff = nonlinear.effective_length_km(length, alpha)
    a = alpha * math.log(10) / 10
    assert leff == pytest.approx(length if alpha == 0 else (1 - math.exp(-a * length)) / a)
    phase = np.angle(y / x)
    expected = -(8 / 9) * gamma * p * leff  # the phase of an intense field decreases (module doc)
    assert np.allclose(np.angle(np.exp(1j * (phase - expected))), 0, atol=1e-10)
    assert np.allclose(np.abs(y) ** 2, np.abs(x) ** 2 * 10 ** (-alpha * length / 10), rtol=1e-12)
    # scalar NLSE for one polarization: factor 1
    y1 = nonlinear.ssfm_manakov(x[:, :1] * math.sqrt(2), FS, length, alpha_db_km=alpha, gamma_w_km=gamma)
    assert np.allclose(np.angle(y1[0, 0, 0] / x[0, 0, 0]), np.angle(np.exp(-1j * gamma * p * leff)), atol=1e-10)


def _pulse_train(rng, n=1024, sps=4, power=0.02):
    """A random dual-pol QPSK-like signal with Gaussian pulses (smooth spectrum inside the band)."""
    sym = (rng.choice([-1, 1], (2, n // sps)) + 1j * rng.choice([-1, 1], (2, n // sps))) / math.sqrt(2)
    up = np.zeros((2, n), complex)
    up[:, ::sps] = sym
    f = np.fft.fftfreq(n)
    up = np.fft.ifft(np.fft.fft(up) * np.exp(-(f * sps / 0.6) ** 2))
    return up * math.sqrt(power / np.mean(np.sum(np.abs(up) ** 2, 0)))


def test_ssfm_energy_conserved_without_loss():
    x = _pulse_train(np.random.default_rng(13))[None]
    y = nonlinear.ssfm_manakov(x, FS, 40.0, alpha_db_km=0.0, gamma_w_km=1.3, max_phase_rad=0.01)
    e0, e1 = np.sum(np.abs(x) ** 2), np.sum(np.abs(y) ** 2)
    assert e1 == pytest.approx(e0, rel=1e-12)
    assert not np.allclose(y, fiber.apply_cd(x, FS, 17.0 * 40, 1550.0), atol=1e-3 * np.abs(x).max())  # it did act
    y32 = nonlinear.ssfm_manakov(x.astype(np.complex64), FS, 40.0, alpha_db_km=0.0, max_phase_rad=0.01)
    assert y32.dtype == np.complex64
    assert np.max(np.abs(y32 - y)) < 1e-4 * np.abs(y).max()


def test_ssfm_step_convergence_second_order():
    x = _pulse_train(np.random.default_rng(14), power=0.05)[None]
    kw = dict(alpha_db_km=0.2, gamma_w_km=1.3)
    ref = nonlinear.ssfm_manakov(x, FS, 20.0, step_km=20.0 / 512, **kw)
    errs = [np.linalg.norm(nonlinear.ssfm_manakov(x, FS, 20.0, step_km=20.0 / k, **kw) - ref) for k in (8, 16, 32)]
    assert errs[0] > 1e-3 * np.linalg.norm(ref)  # the coarse step is visibly wrong ...
    for e0, e1 in zip(errs, errs[1:]):           # ... and halving the step quarters the error
        assert 3.2 < e0 / e1 < 5.0, errs
    # the phase rule converges too: error falls with max_phase_rad
    e_rule = [np.linalg.norm(nonlinear.ssfm_manakov(x, FS, 20.0, max_phase_rad=p, **kw) - ref) for p in (0.02, 0.005)]
    assert e_rule[1] < e_rule[0] / 8


def test_ssfm_step_rule():
    g = (8 / 9) * 1.3 * 0.01  # rad/km at 10 mW peak
    steps = nonlinear.ssfm_steps_km(80.0, peak_power_w=0.01, alpha_db_km=0.0, max_phase_rad=0.005)
    assert steps.sum() == pytest.approx(80.0)
    assert np.allclose(steps[:-1], 0.005 / g)
    steps = nonlinear.ssfm_steps_km(80.0, peak_power_w=0.01, alpha_db_km=0.2, max_phase_rad=0.005)
    a = 0.2 * math.log(10) / 10
    z = np.concatenate([[0], np.cumsum(steps)[:-1]])
    phase = g * np.exp(-a * z) * (1 - np.exp(-a * steps)) / a  # peak nonlinear phase of each step
    assert np.allclose(phase[:-1], 0.005) and phase[-1] <= 0.005 + 1e-12
    assert steps.sum() == pytest.approx(80.0) and np.all(np.diff(steps[:-1]) > 0)
    assert np.all(nonlinear.ssfm_steps_km(80.0, peak_power_w=0.01, max_step_km=0.5) <= 0.5 + 1e-12)
    assert np.allclose(nonlinear.ssfm_steps_km(10.0, step_km=3.0), [3, 3, 3, 1])
    assert np.allclose(nonlinear.ssfm_steps_km(10.0, gamma_w_km=0.0, peak_power_w=1.0), [10.0])


def test_soliton_keeps_its_shape():
    """A fundamental soliton (anomalous dispersion) keeps its sech shape only with the right sign
    pair of dispersion and Kerr operators; without the Kerr term it broadens."""
    fs, n = 2e12, 1024
    t0 = 1e-12
    beta2 = abs(fiber.beta2_s2_m(17.0, 1550.0))      # s^2/m
    gamma = 1.3                                      # /W/km
    p0 = beta2 / (gamma / 1e3 * t0 ** 2)             # scalar NLSE (one polarization), N = 1
    ld_km = t0 ** 2 / beta2 / 1e3
    t = (np.arange(n) - n // 2) / fs
    x = (math.sqrt(p0) / np.cosh(t / t0))[None, None, :].astype(np.complex128)
    kw = dict(alpha_db_km=0.0, gamma_w_km=gamma, max_phase_rad=0.002)
    y = nonlinear.ssfm_manakov(x, fs, 4 * ld_km, **kw)
    assert np.max(np.abs(np.abs(y) - np.abs(x))) < 0.01 * math.sqrt(p0)
    lin = nonlinear.ssfm_manakov(x, fs, 4 * ld_km, **{**kw, "gamma_w_km": 0.0})
    assert np.max(np.abs(lin)) < 0.7 * math.sqrt(p0)
    # the opposite sign pair (normal dispersion with the same Kerr term) breaks the pulse up
    normal = nonlinear.ssfm_manakov(x, fs, 4 * ld_km, dispersion_ps_nm_km=-17.0, **kw)
    assert np.max(np.abs(normal)) < 0.7 * math.sqrt(p0)
    # Manakov: the same soliton in two polarizations needs (8/9) gamma P0 = |beta2| / T0^2
    x2 = np.concatenate([x, x], axis=1) * math.sqrt(9 / 8 / 2)
    y2 = nonlinear.ssfm_manakov(x2, fs, 4 * ld_km, **kw)
    assert np.max(np.abs(np.abs(y2) - np.abs(x2))) < 0.01 * np.abs(x2).max()


def test_propagate_link_osnr_matches_added_noise():
    rng = np.random.default_rng(15)
    x = np.stack([_pulse_train(rng, n=1 << 16) for _ in range(4)]).astype(np.complex64)  # 4 frames
    kw = dict(n_spans=3, span_km=80.0, launch_dbm=0.0, nf_db=5.0, gamma_w_km=0.0)
    y, osnr = nonlinear.propagate_link(x, FS, rng=np.random.default_rng(16), **kw)
    clean, osnr2 = nonlinear.propagate_link(x, FS, rng=None, ase=False, **kw)
    assert osnr == osnr2 == pytest.approx(amplifiers.osnr_db_from_spans(0.0, 16.0, 5.0, 3))
    p_sig = np.mean(np.sum(np.abs(clean) ** 2, axis=-2))
    assert 10 * np.log10(p_sig / 1e-3) == pytest.approx(0.0, abs=1e-4)   # launch power restored
    noise = (y - clean).astype(np.complex128)
    p_noise = np.mean(np.sum(np.abs(noise) ** 2, axis=-2))             # both pols, over fs
    measured = 10 * np.log10(p_sig * FS / (p_noise * amplifiers.REF_BW_HZ))
    # rule vs exact PSD differ by 10 log10(G NF / (G NF - 1)) = 0.035 dB; statistics: 0.006 dB rms
    exact = 10 * np.log10(p_sig / (3 * 2 * amplifiers.ase_psd_w_hz(16.0, 5.0, amplifiers.carrier_frequency_hz(1550))
                                   * amplifiers.REF_BW_HZ))
    assert measured == pytest.approx(exact, abs=0.03)
    assert measured == pytest.approx(osnr, abs=0.08)


def test_propagate_link_nonlinear_runs_and_scales_each_frame():
    rng = np.random.default_rng(17)
    x = np.stack([_pulse_train(rng, 2048), 10 * _pulse_train(rng, 2048)])
    y, _ = nonlinear.propagate_link(x, FS, n_spans=2, span_km=50.0, launch_dbm=6.0, nf_db=5.0, rng=None, ase=False)
    p = np.mean(np.sum(np.abs(y) ** 2, axis=-2), axis=-1)
    assert np.allclose(10 * np.log10(p / 1e-3), 6.0, atol=1e-9)
    # the same frames at low power are (almost) linear: the Kerr effect at 6 dBm is visible
    lin, _ = nonlinear.propagate_link(x, FS, n_spans=2, span_km=50.0, launch_dbm=6.0, nf_db=5.0, rng=None,
                                      ase=False, gamma_w_km=0.0)
    assert np.linalg.norm(y - lin) > 0.05 * np.linalg.norm(lin)


@pytest.mark.parametrize("call, match", [
    (lambda: nonlinear.ssfm_manakov(np.ones((3, 8), complex), FS, 1.0), "field"),
    (lambda: nonlinear.ssfm_manakov(np.ones((2, 8)), FS, 1.0), "field"),
    (lambda: nonlinear.ssfm_manakov(np.ones((2, 8), complex), FS, -1.0), "length_km"),
    (lambda: nonlinear.ssfm_manakov(np.ones((2, 8), complex), FS, 1.0, gamma_w_km=-1.0), "gamma_w_km"),
    (lambda: nonlinear.ssfm_manakov(np.ones((2, 8), complex), FS, 1.0, step_km=0.0), "step_km"),
    (lambda: nonlinear.ssfm_manakov(np.ones((2, 8), complex), FS, 1.0, max_phase_rad=0.0), "max_phase_rad"),
    (lambda: nonlinear.ssfm_manakov(np.ones((2, 8), complex), FS, 1.0, alpha_db_km=float("nan")), "alpha_db_km"),
    (lambda: nonlinear.ssfm_manakov(np.ones((2, 8), complex), FS, 1.0, workers=0), "workers"),
    (lambda: nonlinear.propagate_link(np.ones((2, 8), complex), FS, n_spans=0, span_km=80.0, launch_dbm=0.0,
                                      nf_db=5.0, rng=None, ase=False), "n_spans"),
    (lambda: nonlinear.propagate_link(np.zeros((2, 8), complex), FS, n_spans=1, span_km=80.0, launch_dbm=0.0,
                                      nf_db=5.0, rng=None, ase=False), "nonzero power"),
    (lambda: nonlinear.propagate_link(np.ones((1, 8), complex), FS, n_spans=1, span_km=80.0, launch_dbm=0.0,
                                      nf_db=5.0, rng=None, ase=False), "pol = 2"),
])
def test_ssfm_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ----------------------------------------------------------------------------- GPU
@pytest.mark.gpu
def test_gpu_matches_cpu():
    from dsp.backend import gpu_unavailable_reason

    if gpu_unavailable_reason():
        pytest.skip(gpu_unavailable_reason())
    import cupy as cp

    rng = np.random.default_rng(18)
    x = _pulse_train(rng, 4096, power=0.03)[None].astype(np.complex64)
    kw = dict(alpha_db_km=0.2, max_phase_rad=0.005)
    a = nonlinear.ssfm_manakov(x, FS, 80.0, **kw)
    b = nonlinear.ssfm_manakov(cp.asarray(x), FS, 80.0, **kw).get()
    assert b.dtype == np.complex64 and np.max(np.abs(a - b)) < 1e-4 * np.abs(a).max()
    j = polarization.random_sop(rng)
    assert np.allclose(polarization.apply_pmd(cp.asarray(x), 20.0, FS, jones=j).get(),
                       polarization.apply_pmd(x, 20.0, FS, jones=j), atol=1e-5 * np.abs(x).max())
    y = lasers.apply_frequency_offset(cp.asarray(x), 1e9, FS, 0.2).get()
    assert np.allclose(y, lasers.apply_frequency_offset(x, 1e9, FS, 0.2), atol=1e-5 * np.abs(x).max())
    pn = lasers.apply_phase_noise(cp.asarray(x), 1e5, FS, cp.random.default_rng(1))
    assert np.allclose(cp.abs(pn).get(), np.abs(x), rtol=1e-5)
    s = NormalStream(get_backend("gpu"), (1, 2))
    out, osnr = nonlinear.propagate_link(cp.asarray(x), FS, n_spans=2, span_km=80.0, launch_dbm=0.0, nf_db=5.0,
                                         rng=s, gamma_w_km=0.0)
    ref, _ = nonlinear.propagate_link(x, FS, n_spans=2, span_km=80.0, launch_dbm=0.0, nf_db=5.0,
                                      rng=NormalStream(BE, (1, 2)), gamma_w_km=0.0)
    assert np.max(np.abs(out.get() - ref)) < 1e-4 * np.abs(ref).max()

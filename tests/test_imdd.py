"""IM/DD PAM4 link: channel physics against closed forms, the link against theory, equalizer
benefits at link level, the KP4/burst histograms, and parameter errors."""

import numpy as np
import pytest

from dsp.backend import get_backend
from dsp.channel import NormalStream, adc, fiber, filters, lasers, modulators, photodiode
from dsp.metrics import ber_interval
from dsp.modulation.prbs import POLYNOMIALS, prbs, prbs_q
from dsp.sim.imdd import ImddLink, burst_histogram, count_imdd_errors
from dsp.sim.presets import PresetError, load_preset

BE = get_backend("cpu")


# ----------------------------------------------------------------------------- fiber
def test_beta2_and_g652_values():
    assert fiber.beta2_s2_m(17.0, 1550.0) * 1e27 == pytest.approx(-21.68, abs=0.01)  # ps^2/km
    # G.652: zero at lambda0, slope S0 there
    assert fiber.dispersion_g652(1310.0, 1310.0) == pytest.approx(0.0, abs=1e-12)
    h = 1e-3
    slope = (fiber.dispersion_g652(1310 + h) - fiber.dispersion_g652(1310 - h)) / (2 * h)
    assert slope == pytest.approx(0.092, rel=1e-6)
    assert fiber.dispersion_g652(1271.0, 1324.0) == pytest.approx(-5.19, abs=0.01)


def test_cd_sign_tone_above_carrier_arrives_earlier():
    fs, n = 400e9, 1 << 14
    t = (np.arange(n) - n // 2) / fs
    env = np.exp(-(t / 20e-12) ** 2)
    for f0, sign in ((50e9, -1), (-50e9, +1)):
        field = (env * np.exp(2j * np.pi * f0 * t)).astype(np.complex128)
        out = fiber.apply_cd(field, fs, 17.0 * 10, 1550.0)  # anomalous, 170 ps/nm
        p = np.abs(out) ** 2
        centroid = (p * t).sum() / p.sum()
        expected = fiber.beta2_s2_m(17.0, 1550.0) * 10e3 * 2 * np.pi * f0  # tau = beta2 L w
        assert np.sign(centroid) == sign
        assert centroid == pytest.approx(expected, rel=0.02)


def test_attenuate_scales_power():
    f = np.ones(8, dtype=np.complex64)
    out = fiber.attenuate(f, 3.0)
    assert out.dtype == np.complex64 and np.allclose(np.abs(out) ** 2, 10 ** -0.3)
    with pytest.raises(ValueError, match="loss_db"):
        fiber.attenuate(f, -1.0)


def test_cd_is_all_pass_and_inverts():
    rng = np.random.default_rng(0)
    x = (rng.standard_normal((2, 4096)) + 1j * rng.standard_normal((2, 4096))).astype(np.complex64)
    y = fiber.apply_cd(x, 100e9, 300.0, 1550.0)
    assert y.dtype == np.complex64
    assert np.allclose(np.sum(np.abs(y) ** 2), np.sum(np.abs(x) ** 2), rtol=1e-4)
    assert np.allclose(fiber.apply_cd(y, 100e9, -300.0, 1550.0), x, atol=1e-4)


@pytest.mark.parametrize("alpha", [0.0, -0.7])
def test_power_fading_from_field_propagation(alpha):
    """Small-signal IM through CD + square law: tone gains follow sqrt(1+a^2) cos(theta + atan a)."""
    fs, n = 256e9, 1 << 14
    cd, lam = 17.0 * 20, 1550.0
    k = np.arange(5, 1900, 37)            # tone bins, distinct and not harmonically related
    freqs = k * fs / n
    t = np.arange(n) / fs
    phases = np.random.default_rng(1).uniform(0, 2 * np.pi, k.size)
    drive = (0.002 * np.cos(2 * np.pi * freqs[:, None] * t + phases[:, None])).sum(0)
    field = modulators.modulate_eml(drive[None, :], 3.0, alpha) if alpha else \
        modulators.modulate_intensity(drive[None, :], 3.0)
    p0 = photodiode.photodetect(field)[0]
    p1 = photodiode.photodetect(fiber.apply_cd(field, fs, cd, lam))[0]
    h = (np.fft.rfft(p1)[k] / np.fft.rfft(p0)[k]).real
    theory = fiber.power_fading_response(freqs, cd, lam, alpha)
    assert np.max(np.abs(h - theory)) < 0.01
    nulls = fiber.fading_nulls_hz(cd, lam, 2)
    if alpha == 0:  # the measured response changes sign at the predicted nulls
        for f in nulls[nulls < freqs[-1]]:
            i = np.searchsorted(freqs, f)
            assert h[i - 1] * h[i] < 0


# ----------------------------------------------------------------------------- filters
@pytest.mark.parametrize("kind", ["bessel", "butterworth", "gaussian"])
def test_lowpass_3db_and_no_delay(kind):
    h = filters.lowpass_response(np.array([0.0, 20e9]), 20e9, kind)
    assert abs(h[0]) == pytest.approx(1.0)
    assert abs(h[1]) ** 2 == pytest.approx(0.5, rel=1e-6)
    # DC group delay removed: an impulse response centred at 0 (circularly)
    n, fs = 4096, 320e9
    x = np.zeros(n); x[0] = 1.0
    y = filters.lowpass(x[None, :], fs, 20e9, kind)[0]
    tt = np.where(np.arange(n) < n // 2, np.arange(n), np.arange(n) - n)
    assert abs((y * tt).sum() / y.sum()) < 0.05


def test_noise_bandwidth_of_brickwall_and_bad_kind():
    assert filters.noise_bandwidth_hz(100e9, 1000, 20e9, "brickwall") == pytest.approx(20e9, rel=0.01)
    with pytest.raises(ValueError, match="kind"):
        filters.lowpass_response([0.0], 1e9, "chebyshev")
    with pytest.raises(ValueError, match="bandwidth_hz"):
        filters.lowpass_response([0.0], -1.0)


# ----------------------------------------------------------------------------- transmitter
def test_pam_levels_and_extinction_ratio():
    assert np.allclose(modulators.pam_drive_levels(4), [-1, -1 / 3, 1 / 3, 1])
    lv = modulators.pam_drive_levels(4, 0.5)
    assert (lv[2] - lv[1]) / (lv[1] - lv[0]) == pytest.approx(0.5)
    p = modulators.power_waveform(np.array([-1.0, 1.0]), 6.0)
    assert 10 * np.log10(p[1] / p[0]) == pytest.approx(6.0)
    with pytest.raises(ValueError, match="middle_eye_ratio"):
        modulators.pam_drive_levels(8, 0.5)


def test_mzm_sine_law_and_eml_chirp():
    v = np.linspace(-1, 1, 5)[None, :]
    e = modulators.modulate_mzm(v, 0.5, 1.0)
    ref = np.sin(np.pi / 2 * (0.5 + 0.5 * v))
    assert np.allclose(e / e[0, -1], ref / ref[0, -1])
    e = modulators.modulate_eml(v, 5.0, 2.0)
    p = np.abs(e) ** 2
    assert np.allclose(np.angle(e), 1.0 * np.log(p / p.mean() * p.mean()) - 1.0 * np.log(p[0, 2]) + np.angle(e[0, 2]))
    assert np.mean(p) == pytest.approx(1.0)
    with pytest.raises(ValueError, match="mzm_bias"):
        modulators.modulate_mzm(v, 1.5)


def test_rin_and_receiver_noise_variance():
    stream = NormalStream(BE, (3, 4))
    f = np.ones((4, 1 << 16), dtype=np.complex64)
    out = lasers.add_rin(f, -130.0, 100e9, stream)
    rel = np.abs(out) ** 2 - 1
    assert rel.var() == pytest.approx(10 ** -13 * 50e9, rel=0.02)
    i = np.full((4, 1 << 16), 1e-3)
    y = photodiode.add_receiver_noise(i, 100e9, 20.0, True, stream)
    assert y.var() == pytest.approx(((20e-12) ** 2 + 2 * photodiode.Q_E * 1e-3) * 50e9, rel=0.02)


def test_normal_stream_continues_and_matches_kernel():
    s = NormalStream(BE, (7, 9))
    a, b = s.standard_normal((3, 5), np.float64), s.standard_normal(6, np.float64)
    whole = BE.ops.normal(16 + 6, np.float64, (7, 9))
    assert np.array_equal(a.ravel(), whole[:15]) and np.array_equal(b, whole[16:22])


def test_quantize():
    x = np.linspace(-2, 2, 1001)
    q = adc.quantize(x, 3, 1.0)
    assert len(np.unique(q)) == 8 and q.min() == pytest.approx(-0.875) and q.max() == pytest.approx(0.875)
    assert np.max(np.abs(q - x)[np.abs(x) < 1]) <= 0.125 + 1e-12
    with pytest.raises(ValueError, match="adc_bits"):
        adc.quantize(x, 0, 1.0)


@pytest.mark.parametrize("order", sorted(POLYNOMIALS)[:5])
def test_prbs_period_and_balance(order):
    p = (1 << order) - 1
    s = prbs(order, 2 * p)
    assert np.array_equal(s[:p], s[p:]) and int(s[:p].sum()) == 1 << (order - 1)
    for d in (1, 2, 3, 7):  # no shorter period among small shifts
        assert not np.array_equal(s[:p - d], s[d:p])
    assert set(np.unique(prbs_q(order, 100))) <= {0, 1, 2, 3}


# ----------------------------------------------------------------------------- the link
@pytest.mark.parametrize("rop", [-15.5, -13.5, -12.0])
def test_thermal_noise_ber_matches_closed_form(rop):
    lk = ImddLink(length_km=0.0, rx_filter="matched", shot_noise=False, equalizer="none", rop_dbm=rop,
                  rin_db_hz=0.0, precision="double")
    theory = lk.theory_ber()
    c = ImddLink.run_batch(lk, BE, np.random.SeedSequence(11), int(min(4e6, 3000 / theory / 2)))
    lo, hi = ber_interval(c.bit_errors, c.bits, 0.999)
    assert c.bit_errors > 300
    assert lo <= theory <= hi, (c.bit_errors / c.bits, theory)


def test_theory_only_for_ideal_links():
    assert ImddLink(length_km=0.0, rx_filter="matched", shot_noise=False, equalizer="none").theory_ber() is not None
    assert ImddLink().theory_ber() is None


def test_ffe_lowers_ber_on_bandwidth_limited_link():
    common = dict(rop_dbm=-8.0, driver_bandwidth_ghz=20.0, tia_bandwidth_ghz=20.0, length_km=0.5)
    raw = ImddLink(equalizer="none", **common).run_batch(BE, np.random.SeedSequence(2), 1 << 17)
    ffe = ImddLink(equalizer="ffe", **common).run_batch(BE, np.random.SeedSequence(2), 1 << 17)
    assert raw.bit_errors / raw.bits > 1e-2
    assert ffe.bit_errors / ffe.bits < 1e-3 * raw.bit_errors / raw.bits


def test_mlse_beats_ffe_under_strong_isi():
    common = dict(rop_dbm=-6.0, driver_bandwidth_ghz=9.0, tia_bandwidth_ghz=30.0, length_km=0.5,
                  eq_method="ls")
    ffe = ImddLink(equalizer="ffe", **common).run_batch(BE, np.random.SeedSequence(3), 1 << 17)
    mlse = ImddLink(equalizer="mlse", mlse_alpha=0.7, **common).run_batch(BE, np.random.SeedSequence(3), 1 << 17)
    auto = ImddLink(equalizer="mlse", **common).run_batch(BE, np.random.SeedSequence(3), 1 << 17)
    assert ffe.bit_errors > 1000
    assert mlse.bit_errors < 0.1 * ffe.bit_errors
    assert auto.bit_errors < 0.5 * ffe.bit_errors


def test_dfe_error_propagation_shows_in_bursts():
    common = dict(rop_dbm=-11.0, driver_bandwidth_ghz=15.0, tia_bandwidth_ghz=20.0, length_km=0.5)
    ffe = ImddLink(equalizer="ffe", **common).run_batch(BE, np.random.SeedSequence(4), 1 << 17)
    dfe = ImddLink(equalizer="dfe", dfe_taps=2, **common).run_batch(BE, np.random.SeedSequence(4), 1 << 17)
    def multi(c):
        b = np.array(c.histograms["error_bursts"])
        return b[1:].sum() / b.sum()
    assert dfe.symbol_errors > 100 and ffe.symbol_errors > 100
    assert multi(dfe) > 2 * multi(ffe)


@pytest.mark.parametrize("extra", [100, 101])  # packed path (length % 4 == 0) and the bit-expanding one
def test_histograms_are_consistent_with_the_error_pattern(extra):
    rng = np.random.default_rng(5)
    err = (rng.random((3, 5440 * 2 + extra)) < 0.01).astype(np.uint8) * rng.integers(1, 4, (3, 5440 * 2 + extra))
    err = err.astype(np.uint8)
    c = count_imdd_errors(err, 2, 2)
    kp4 = np.array(c.histograms["kp4_symbol_errors"])
    assert kp4.sum() == 3 * 4  # 2 groups of 2 codewords per row (5440 PAM4 symbols per group)
    # NumPy recount: line bits -> 10-bit symbols -> round-robin codewords
    bits = ((err[..., None] >> np.array([1, 0])) & 1).reshape(3, -1)[:, :2 * 10 * 544 * 2]
    per = bits.reshape(3, 2, 544, 2, 10).any(-1).sum(2).ravel()
    assert np.array_equal(np.bincount(per, minlength=41)[:41], kp4)
    bursts = burst_histogram(np.array([[1, 1, 0, 1, 0, 0, 1, 1, 1]], dtype=bool))
    assert bursts[0] == 1 and bursts[1] == 1 and bursts[2] == 1 and bursts.sum() == 3
    assert c.bit_errors == int(sum(bin(v).count("1") for v in err.ravel()))


@pytest.mark.parametrize("bad, match", [
    (dict(length_km=-1.0), "length_km"), (dict(rop_dbm=float("nan")), "rop_dbm"),
    (dict(ffe_taps=0), "ffe_taps"), (dict(equalizer="zf"), "equalizer"),
    (dict(dispersion_ps_nm_km="steep"), "dispersion_ps_nm_km"), (dict(rin_db_hz=-20.0), "rin_db_hz"),
    (dict(ffe_sps=2, sps=1), "ffe_sps"),
])
def test_bad_parameters(bad, match):
    with pytest.raises(ValueError, match=match):
        ImddLink(**bad)


def test_presets_build_and_reject_bad_values():
    for name in ("400g-dr4", "400g-fr4", "400g-lr4", "800g-fr4", "pam4-cband", "imdd-pam4"):
        p = load_preset(name)
        assert p.threshold_ber == 2.4e-4
        p.build()
    fr4 = load_preset("400g-fr4").build()
    assert fr4.wavelength_nm == 1271.0 and fr4.cd_ps_nm == pytest.approx(-10.38, abs=0.01)
    assert load_preset("800g-fr4").build().kp4_ways == 4
    with pytest.raises(PresetError, match="length_km"):
        load_preset("400g-fr4").build(length_km=-2)
    with pytest.raises(PresetError, match="equalizer"):
        load_preset("400g-fr4").build(equalizer="zf")
    with pytest.raises(PresetError, match="symbol_rate_gbd"):
        load_preset("400g-fr4").build(symbol_rate_gbd=10)


# ----------------------------------------------------------------------------- sensitivity, plots, CLI
def test_threshold_crossing_interpolates_log_ber():
    from dsp.metrics import threshold_crossing

    x = [-12.0, -11.0, -10.0]
    ber = [1e-2, 1e-3, 1e-5]
    v, lo, hi = threshold_crossing(x, ber, [b / 2 for b in ber], [b * 2 for b in ber], 1e-4)
    assert v == pytest.approx(-10.5)  # halfway in log10 between 1e-3 and 1e-5
    assert lo < v < hi
    assert threshold_crossing(x, ber, ber, ber, 0.3) is None
    with pytest.raises(ValueError, match="threshold"):
        threshold_crossing(x, ber, ber, ber, 0.7)


def test_sensitivity_from_a_rop_sweep():
    from dsp.sim.engine import simulate_ber

    r = simulate_ber("400g-fr4", {"rop_dbm": [-12.0, -11.0, -10.0, -9.0]}, target_errors=200, max_bits=4_000_000,
                     seed=1, workers=1)
    v, lo, hi = r.threshold_crossing()
    assert -11.0 < lo <= v <= hi < -9.0
    hist = r.points[0].histograms
    assert sum(hist["kp4_symbol_errors"]) > 0 and len(hist["error_bursts"]) == 32


def test_eye_plot_and_trace(tmp_path):
    pytest.importorskip("matplotlib")
    from dsp.sim.plot import plot_eye

    link = load_preset("400g-fr4").build(rop_dbm=-9.0, frame_symbols=8192, n_train=2048)
    tr = link.trace(1, seed=2)
    assert {"aligned", "eq_input", "z", "weights", "decided", "labels"} <= set(tr)
    errors = (tr["decided"][:, 2048:] != tr["labels"][:, 2048:]).mean()
    assert errors < 1e-2
    plot_eye(tr, tmp_path / "eye.png")
    assert (tmp_path / "eye.png").stat().st_size > 10_000


def test_cli_eye_and_sensitivity_line(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    from dsp.cli import main

    assert main(["eye", "400g-dr4", "--set", "frame_symbols=8192", "--set", "n_train=1024",
                 "--out", str(tmp_path / "e.png")]) == 0
    assert main(["eye", "awgn-pam4", "--out", str(tmp_path / "x.png")]) == 2
    assert main(["ber", "400g-dr4", "--sweep", "rop_dbm=-12,-10", "--max-bits", "1000000", "--workers", "1"]) == 0
    out = capsys.readouterr().out
    assert "BER threshold 0.00024 crossed at rop_dbm = -1" in out


def test_kp4_post_fec_on_independent_errors_matches_binomial():
    """Thermal noise only, no ISI: RS-symbol errors are independent, so the measured KP4 codeword
    error rate must agree with the binomial model at the measured symbol error rate."""
    lk = ImddLink(length_km=0.0, rx_filter="matched", shot_noise=False, equalizer="none", rop_dbm=-13.2,
                  rin_db_hz=0.0, frame_symbols=65536)
    c = lk.run_batch(BE, np.random.SeedSequence(9), 1 << 22)
    m = lk.point_metrics(c, 0.999)
    assert m["codewords"] > 1000 and 0.1 < m["fer"] < 0.9
    assert m["fer_low"] <= m["fer_est"] <= m["fer_high"]
    assert m["post_fec_ber_low"] <= m["post_fec_ber"] <= m["post_fec_ber_high"] < c.bit_errors / c.bits
    assert ImddLink(fec="none").point_metrics(c) == {}
    with pytest.raises(ValueError, match="fec"):
        ImddLink(fec="ldpc")


def test_post_fec_fields_in_json(tmp_path):
    from dsp.sim.engine import PointResult, simulate_ber

    r = simulate_ber("400g-dr4", {"rop_dbm": [-11.0]}, target_errors=100, max_bits=200_000, seed=2, workers=1,
                     out=tmp_path / "r.csv")
    d = r.points[0].to_dict()
    assert {"fer", "fer_low", "fer_high", "post_fec_ber", "post_fec_ber_low", "post_fec_ber_high",
            "post_fec_ber_est"} <= set(d)
    import csv

    row = next(csv.DictReader(open(tmp_path / "r.csv")))
    assert PointResult.from_row(row).metrics == r.points[0].metrics


@pytest.mark.parametrize("over", [dict(modulator="mzm"), dict(modulator="eml", eml_alpha=-1.0),
                                  dict(dac_bits=6, adc_bits=6), dict(middle_eye_ratio=0.8),
                                  dict(ffe_sps=2), dict(dfe_taps=3, equalizer="dfe"),
                                  dict(mlse_memory=1, equalizer="mlse"), dict(eq_method="ls")])
def test_link_options_run_and_stay_close_to_the_default(over):
    base = dict(rop_dbm=-11.0, length_km=2.0, wavelength_nm=1271.0, lambda0_nm=1324.0)
    ref = ImddLink(**base).run_batch(BE, np.random.SeedSequence(6), 1 << 17)
    c = ImddLink(**base, **over).run_batch(BE, np.random.SeedSequence(6), 1 << 17)
    ber, ber_ref = c.bit_errors / c.bits, ref.bit_errors / ref.bits
    assert 0 < ber_ref < 1e-2
    assert ber < 3 * ber_ref  # a working receiver, not a broken one


def test_coarse_adc_and_dac_cost_margin():
    base = dict(rop_dbm=-11.0, length_km=0.5)
    fine = ImddLink(**base).run_batch(BE, np.random.SeedSequence(8), 1 << 17)
    coarse = ImddLink(**base, adc_bits=3, dac_bits=3).run_batch(BE, np.random.SeedSequence(8), 1 << 17)
    assert coarse.bit_errors > 3 * fine.bit_errors + 10


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("n", [1, 63, 16384 * 2 + 37])
def test_fused_noise_equals_unfused(dtype, n):
    """NormalStream's fused receiver-noise and RIN passes draw exactly the normals standard_normal would."""
    rng = np.random.default_rng(1)
    x = (rng.random((2, n)) * 2e-4 - 2e-5).astype(dtype)
    a, b = 1e-12, 3e-9
    fused = NormalStream(BE, (5, 6)).add_signal_dependent_noise(x, a, b)
    z = NormalStream(BE, (5, 6)).standard_normal(x.shape, dtype)
    ref = x + np.sqrt(dtype(a) + dtype(b) * np.maximum(x, 0)) * z
    assert np.allclose(fused, ref, rtol=1e-6 if dtype == np.float32 else 1e-14, atol=0)
    f = (rng.standard_normal((2, n)) + 1j * rng.standard_normal((2, n))).astype(
        np.complex64 if dtype == np.float32 else np.complex128)
    fused = NormalStream(BE, (5, 6)).scale_by_rin(f, 0.3)
    z = NormalStream(BE, (5, 6)).standard_normal(f.shape, dtype)
    assert np.allclose(fused, f * np.sqrt(np.maximum(1 + dtype(0.3) * z, 0)), rtol=1e-6, atol=0)
    s = NormalStream(BE, (5, 6))
    s.scale_by_rin(f, 0.3)  # the stream continues after a fused call
    assert np.array_equal(s.standard_normal(4, dtype), BE.ops.normal(2 * ((f.size + 1) // 2) + 4, dtype, (5, 6))[-4:])


def test_fec_chains_on_the_imdd_link():
    """800G-class lane with the 802.3dj inner Hamming + KP4: clean where KP4 alone would fail."""
    base = dict(length_km=0.0, rx_filter="matched", shot_noise=False, equalizer="none", rin_db_hz=0.0,
                frame_symbols=32768)
    lk = ImddLink(rop_dbm=-13.25, fec="kp4+hamming", **base)
    c = lk.run_batch(BE, np.random.SeedSequence(3), 1 << 18)
    m = lk.point_metrics(c)
    pre = c.bit_errors / c.bits
    assert 1e-3 < pre < 4e-3, pre                       # far above KP4's 2.4e-4 ...
    assert m["post_fec_ber"] == 0 and m["fer"] == 0       # ... corrected by the concatenated code
    assert m["inner_fec_ber"] < pre / 5 and m["fec_threshold_ber"] == 4.85e-3
    kp4 = ImddLink(rop_dbm=-13.25, fec="kp4", **base)
    assert kp4.point_metrics(kp4.run_batch(BE, np.random.SeedSequence(3), 1 << 18))["fer"] > 0.1
    # A hard-output equalizer feeds a soft chain with binary-symmetric-channel LLRs.
    dfe = ImddLink(rop_dbm=-13.25, fec="ldpc:wifi-648-r56", **{**base, "equalizer": "dfe"})
    m = dfe.point_metrics(dfe.run_batch(BE, np.random.SeedSequence(3), 1 << 16))
    assert m["fec_frames"] > 50 and "post_fec_ber" in m
    with pytest.raises(ValueError, match="ldpc:"):
        ImddLink(fec="turbo")


def test_burst_aware_estimate_on_a_dfe_link():
    """The compound-Poisson estimate is fitted on the link's own codeword histogram (DFE error events)
    and stays consistent with what Monte Carlo counts (the model itself is validated against
    simulated bursts in tests/test_fec_rs.py)."""
    lk = ImddLink(equalizer="dfe", dfe_taps=2, length_km=0.0, rop_dbm=-12.0, tia_bandwidth_ghz=14.0,
                  frame_symbols=65536)
    c = lk.run_batch(BE, np.random.SeedSequence(4), 1 << 20)
    m = lk.point_metrics(c, 0.999)
    assert "compound Poisson" in m["post_fec_model"]
    assert 0 < m["fer_est"] <= m["fer_high"] and 0 < m["post_fec_ber_est"] < c.bit_errors / c.bits
    assert m["fer_est"] > 0.5 * m["fer_est_iid"]

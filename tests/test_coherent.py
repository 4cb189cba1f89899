"""The coherent DP-QAM link (dsp.sim.coherent): theory agreement, CD, the full 400ZR impairment set,
nonlinear optimum, convergence errors and presets."""
import math

import numpy as np
import pytest

from dsp.backend import get_backend
from dsp.channel.noise import combine_osnr_db, osnr_to_snr_db, snr_to_osnr_db
from dsp.metrics import ber_awgn_qam, ber_interval, gmi_awgn_qam
from dsp.modulation.shaping import matched_filter_rrc, rrc_response, rrc_taps, shape_rrc
from dsp.sim.coherent import CoherentLink, ConvergenceError
from dsp.sim.links import build_link

CPU = get_backend("cpu")
RS = 59.84375e9


def run(link, frames=2, seed=1):
    c = link.run_batch(CPU, np.random.SeedSequence(seed), frames * 2 * link.counted_per_frame)
    return c, link.point_metrics(c)


# ----------------------------------------------------------------------------- conventions

def test_osnr_snr_conversion():
    # DOMAIN.md: OSNR_dB = SNR_dB + 10 log10(Rs / 12.5 GHz).
    assert osnr_to_snr_db(20.0, RS) == pytest.approx(20.0 - 10 * math.log10(RS / 12.5e9))
    assert snr_to_osnr_db(osnr_to_snr_db(17.3, 30e9), 30e9) == pytest.approx(17.3)
    assert combine_osnr_db(20.0, 20.0) == pytest.approx(20.0 - 10 * math.log10(2))
    assert combine_osnr_db(math.inf, 25.0) == 25.0
    with pytest.raises(ValueError, match="osnr_db"):
        osnr_to_snr_db(float("nan"), RS)
    with pytest.raises(ValueError, match="symbol_rate_baud"):
        osnr_to_snr_db(20.0, 0.0)


def test_add_ase_power_matches_osnr():
    from dsp.channel.noise import add_ase

    rng = np.random.default_rng(3)
    x = np.zeros((4, 2, 1 << 15), dtype=np.complex64) + np.complex64(1.0)  # 2 W over both pols
    fs, osnr = 2 * RS, 18.0
    noise = add_ase(x, osnr, fs, rng) - x
    # ASE in both pols within 12.5 GHz = P / OSNR; white over fs, so its total power is that * fs / 12.5 GHz.
    expect = 2.0 / 10 ** (osnr / 10) * fs / 12.5e9
    assert np.mean(np.sum(np.abs(noise) ** 2, axis=-2)) == pytest.approx(expect, rel=0.01)
    assert noise.dtype == np.complex64
    with pytest.raises(ValueError, match="complex"):
        add_ase(np.ones((2, 8)), 20.0, fs, rng)


def test_rrc_shaping_is_nyquist_and_unit_power():
    rng = np.random.default_rng(0)
    a = (rng.choice([-1, 1], (2, 4096)) + 1j * rng.choice([-1, 1], (2, 4096))) / np.sqrt(2)
    for beta in (0.0, 0.1, 0.5, 1.0):
        s = shape_rrc(a.astype(np.complex64), 2, beta)
        assert s.dtype == np.complex64 and s.shape == (2, 8192)
        assert np.mean(np.abs(s) ** 2) == pytest.approx(1.0, rel=0.03)
        y = matched_filter_rrc(s, 2, beta)[:, ::2]
        assert np.max(np.abs(y - a)) < 1e-4
    # The truncated FIR's spectrum approximates the closed-form response.
    h = rrc_taps(64, 8, 0.2)
    f = np.fft.rfftfreq(4096, 1 / 8)
    H = np.abs(np.fft.rfft(h, 4096))
    assert np.max(np.abs(H / H[0] - rrc_response(f, 0.2))) < 0.02
    with pytest.raises(ValueError, match="rolloff"):
        shape_rrc(a, 2, 1.5)


# ----------------------------------------------------------------------------- the link

def test_back_to_back_agrees_with_theory():
    """Ideal transceiver, ASE only (and a random SOP): BER and SNR within a few tenths of a dB.

    "Ideal DSP" here: the blind chain with a long CPR window (the phase is static).
    """
    for osnr in (18.0, 21.0):
        link = CoherentLink(osnr_db=osnr, cpr_window=128)
        c, met = run(link, frames=3)
        snr_theory = osnr_to_snr_db(osnr, link.symbol_rate_hz)
        assert abs(met["snr_db"] - snr_theory) < 0.3, (osnr, met["snr_db"], snr_theory)
        lo, hi = ber_interval(c.bit_errors, c.bits, 0.999)
        assert hi > ber_awgn_qam(16, snr_theory)            # no better than theory
        assert lo < ber_awgn_qam(16, snr_theory - 0.3)      # within 0.3 dB of it
        # GMI from the LLRs agrees with the AWGN value at the measured SNR.
        # (slightly below: the LLRs assume Gaussian noise, the CMA residual is not quite)
        assert gmi_awgn_qam(16, met["snr_db"]) - 0.06 < met["gmi"] < gmi_awgn_qam(16, met["snr_db"]) + 0.01
        if osnr >= 21.0:  # at 18 dB (BER 3.5e-2) the DD-PLL occasionally slips; the pilots undo it
            assert met["cycle_slips"] == 0


def test_qpsk_with_viterbi_viterbi():
    link = CoherentLink(m=4, osnr_db=12.0, cpr="vv", linewidth_hz=100e3)
    c, met = run(link, frames=2)
    snr = osnr_to_snr_db(12.0, link.symbol_rate_hz)
    lo, hi = ber_interval(c.bit_errors, c.bits, 0.999)
    assert hi > ber_awgn_qam(4, snr) and lo < ber_awgn_qam(4, snr - 0.5)


@pytest.mark.parametrize("cdc, limit_db", [("frame", 0.1), ("fd", 0.1), ("td", 0.3)])
def test_cd_2400_compensated_without_penalty(cdc, limit_db):
    """FD: exact inverse, no penalty. TD: Savory's truncated FIR leaves ~5 % rms error (~0.2 dB here)."""
    ref = CoherentLink(osnr_db=20.0)
    link = CoherentLink(osnr_db=20.0, cd_ps_nm=2400.0, cdc=cdc)
    _, m0 = run(ref)
    _, m1 = run(link)
    assert m1["snr_db"] > m0["snr_db"] - limit_db, (m0["snr_db"], m1["snr_db"])


def test_cd_uncompensated_or_wrong_sign_fails():
    """The physical sign: compensating -2400 ps/nm for a +2400 ps/nm fiber leaves 4800 ps/nm."""
    with pytest.raises(ConvergenceError, match="did not converge"):
        run(CoherentLink(osnr_db=25.0, cd_ps_nm=2400.0, cdc="none"))


def test_full_400zr_impairments_converge_with_small_penalty():
    """2400 ps/nm, 100 kHz linewidths, 1 GHz offset, 10 ps DGD under a random SOP."""
    ref = CoherentLink(osnr_db=20.5)
    link = CoherentLink(osnr_db=20.5, cd_ps_nm=2400.0, linewidth_hz=100e3, freq_offset_hz=1e9, dgd_ps=10.0)
    _, m0 = run(ref, frames=3)
    c, m1 = run(link, frames=3)
    penalty = m0["snr_db"] - m1["snr_db"]
    assert penalty < 0.5, penalty
    assert c.bit_errors / c.bits < 2.0e-2


def test_timing_offset_is_recovered():
    # A 3-tap equalizer cannot absorb a 0.4-symbol sampling error by itself.
    ref = CoherentLink(osnr_db=20.0, mimo_taps=3)
    link = CoherentLink(osnr_db=20.0, mimo_taps=3, timing_offset_sym=0.4)
    off = CoherentLink(osnr_db=20.0, mimo_taps=3, timing_offset_sym=0.4, timing_recovery=False)
    _, m0 = run(ref)
    _, m1 = run(link)
    _, m2 = run(off)
    assert m1["snr_db"] > m0["snr_db"] - 0.15
    assert m2["snr_db"] < m1["snr_db"] - 0.2  # the sampling error costs without timing recovery (0.36 dB)


def test_launch_power_sweep_has_an_optimum():
    """Over 3 x 80 km spans, SNR rises with launch power (ASE-limited), then falls (Kerr)."""
    snr = {}
    for p in (-6.0, 3.0, 12.0):
        link = CoherentLink(osnr_db=math.inf, n_spans=3, span_km=80.0, launch_dbm=p, nf_db=5.0,
                            frame_symbols=16384, n_skip=4096)
        _, met = run(link, frames=1)
        snr[p] = met["snr_db"]
        assert met["osnr_line_db"] == pytest.approx(p - 16.0 - 5.0 + 57.953 - 10 * math.log10(3), abs=0.05)
    assert snr[3.0] > snr[-6.0] + 3 and snr[3.0] > snr[12.0] + 3, snr


def test_diverging_equalizer_raises_instead_of_a_ber():
    with pytest.raises(ConvergenceError, match="no BER is reported"):
        run(CoherentLink(osnr_db=20.0, mimo_mu=0.1, dgd_ps=10.0), frames=1)


def test_same_seed_same_counts():
    link = CoherentLink(osnr_db=19.0, linewidth_hz=100e3)
    a, _ = run(link, frames=1, seed=5)
    b, _ = run(link, frames=1, seed=5)
    assert a == b


def test_counts_do_not_depend_on_threads_or_grouping(monkeypatch):
    """Frame groups draw their noise from their own streams: one thread or a pool, the same counts;
    a longer batch adds groups to the shorter one's (its first groups are the same frames)."""
    import dsp.sim.coherent as coherent

    monkeypatch.setattr(coherent, "GROUP_SAMPLES", 2 * 8192 * 2)  # 2 frames per group
    link = CoherentLink(osnr_db=17.0, linewidth_hz=100e3, dgd_ps=5.0, frame_symbols=8192, n_skip=2048)
    assert link.frames_per_group == 2
    n = 2 * link.counted_per_frame * 5  # 5 frames: 3 groups
    one = link.run_batch(CPU, np.random.SeedSequence(7), n, threads=1)
    two = link.run_batch(CPU, np.random.SeedSequence(7), n, threads=2)
    assert one == two and one.bit_errors > 100
    four = link.run_batch(CPU, np.random.SeedSequence(7), 2 * link.counted_per_frame * 4, threads=2)
    assert four.bits == one.bits * 4 // 5 and four.bit_errors < one.bit_errors


@pytest.mark.parametrize("kw, match", [
    (dict(m=8), "m must be one of"),
    (dict(osnr_db=float("nan")), "osnr_db"),
    (dict(cd_ps_nm="lots"), "cd_ps_nm must be 'auto'"),
    (dict(dgd_ps=-1.0), "dgd_ps must be >= 0"),
    (dict(mimo_taps=14), "mimo_taps must be odd"),
    (dict(mimo_method="lms"), "mimo_method must be one of"),
    (dict(cpr="vv"), "needs QPSK"),
    (dict(freq_offset_hz=9e9), "within"),
    (dict(pilot_period=1), "pilot_period"),
    (dict(n_skip=40000), "n_skip"),
    (dict(linewidth_hz=-5.0), "linewidth_hz"),
    (dict(timing_recovery="yes"), "timing_recovery"),
])
def test_bad_parameters(kw, match):
    with pytest.raises(ValueError, match=match):
        CoherentLink(**kw)


def test_presets_build_and_run_from_the_engine():
    from dsp.sim.engine import simulate_ber
    from dsp.sim.presets import load_preset

    p = load_preset("400zr")
    assert p.threshold_ber == 1.25e-2
    link = build_link("coherent", **p.resolve({"osnr_db": "inf"}))
    assert link.osnr_db == math.inf and link.total_cd_ps_nm == 2400.0
    res = simulate_ber("coherent-b2b", sweep={"osnr_db": [19.0]}, target_errors=200, max_bits=1e6, seed=2)
    pt = res.points[0]
    assert pt.bit_errors >= 200 and "snr_db" in pt.metrics and "ngmi" in pt.metrics
    for name in ("openzr-400g", "800zr"):
        assert load_preset(name).threshold_ber == 2.0e-2


def test_trace_and_constellation_plot(tmp_path):
    pytest.importorskip("matplotlib")
    from dsp.cli import main
    from dsp.sim.plot import plot_constellations

    link = CoherentLink(osnr_db=22.0, cd_ps_nm=2400.0, freq_offset_hz=1e9, linewidth_hz=100e3, frame_symbols=16384,
                        n_skip=4096, cdc="fd")
    tr = link.trace(1, seed=3)
    for key in ("received", "cd_compensated", "matched", "mimo", "mimo_dd", "cpr", "mimo_weights", "phase"):
        assert key in tr, key
    assert "foe" in link.__class__(**{**link.__dict__, "mimo_dd_mu": 0.0}).trace(1, seed=3)
    assert tr["cpr"].shape == (1, 2, 16384) and tr["mimo_weights"].shape == (1, 2, 2, 15)
    assert abs(float(np.ravel(tr["freq_offset_hz"])[0]) - 1e9) < 5e6  # the 4th-power estimate
    plot_constellations(tr, tmp_path / "c.png")
    assert (tmp_path / "c.png").stat().st_size > 10_000
    assert main(["constellation", "400zr", "--set", "frame_symbols=8192", "--set", "n_skip=2048",
                 "--out", str(tmp_path / "z.png")]) == 0
    assert main(["constellation", "400g-fr4", "--out", str(tmp_path / "bad.png")]) == 2  # not coherent
    assert main(["eye", "400zr", "--out", str(tmp_path / "bad.png")]) == 2  # not IM/DD


# ----------------------------------------------------------------------------- IQ front ends

def _qpsk(n=4096, seed=0):
    rng = np.random.default_rng(seed)
    return ((rng.choice([-1, 1], (2, n)) + 1j * rng.choice([-1, 1], (2, n))) / np.sqrt(2)).astype(np.complex64)


def test_iq_modulator_mzm_compresses_outer_points():
    from dsp.channel.iq import modulate_iq
    from dsp.modulation import map_labels, qam

    lab = np.arange(16, dtype=np.uint8).repeat(64).reshape(1, -1)
    x = map_labels(lab, qam(16))
    ideal = modulate_iq(x, "ideal")
    assert np.allclose(ideal, x / np.sqrt(np.mean(np.abs(x) ** 2)), atol=1e-6)
    for drive in (0.2, 0.6):
        y = modulate_iq(x, "mzm", drive)
        assert np.mean(np.abs(y) ** 2) == pytest.approx(1.0, rel=1e-5)
        # sine law: rail values sin(pi/2 * d * v / rms); outer/inner level ratio below 3 and falling with drive
        outer, inner = np.max(y.real), np.min(np.abs(y.real))
        expect = math.sin(math.pi / 2 * drive * 3 / math.sqrt(5)) / math.sin(math.pi / 2 * drive / math.sqrt(5))
        assert outer / inner == pytest.approx(expect, rel=1e-4)
    with pytest.raises(ValueError, match="iq_modulator"):
        modulate_iq(x, "eml")
    with pytest.raises(ValueError, match="drive_rms_vpi"):
        modulate_iq(x, "mzm", 0.0)


def test_iq_imbalance_and_skew():
    from dsp.channel.iq import apply_iq_imbalance, apply_skew

    x = _qpsk()
    y = apply_iq_imbalance(x, 2.0, 10.0)
    g = 10 ** (2.0 / 40)
    phi = math.radians(10.0)
    assert np.allclose(y.real, x.real * g - x.imag / g * math.sin(phi), atol=1e-6)
    assert np.allclose(y.imag, x.imag / g * math.cos(phi), atol=1e-6)
    assert np.array_equal(apply_iq_imbalance(x), x)
    # Skew by exactly 3 samples at fs = 1 THz (3 ps) is a circular shift of Q alone.
    s = apply_skew(x, 3.0, 1e12)
    assert np.allclose(s.real, x.real, atol=1e-6)
    assert np.allclose(s.imag, np.roll(x.imag, 3, axis=-1), atol=1e-5)
    with pytest.raises(ValueError, match="iq_gain_imbalance_db"):
        apply_iq_imbalance(x, 10.0, 0.0)


def test_coherent_detect_adc():
    from dsp.channel.iq import coherent_detect

    x = 3.0 * _qpsk()
    y = coherent_detect(x)
    assert np.mean(np.abs(y) ** 2, axis=-1) == pytest.approx([1.0, 1.0], rel=1e-5)
    q = coherent_detect(x + 0.01, adc_bits=3, adc_clip=2.0)
    assert len(np.unique(q.real)) <= 8 and np.max(np.abs(q.real)) <= 2.0 / math.sqrt(2) + 1e-6
    with pytest.raises(TypeError, match="complex"):
        coherent_detect(np.ones((2, 8)))


def test_transmitter_impairments_cost_snr():
    base = run(CoherentLink(osnr_db=22.0))[1]["snr_db"]
    for kw in (dict(iq_modulator="mzm", drive_rms_vpi=0.5), dict(iq_gain_imbalance_db=1.0, iq_phase_error_deg=5.0),
               dict(iq_skew_ps=3.0), dict(tx_osnr_db=22.0)):
        snr = run(CoherentLink(osnr_db=22.0, **kw))[1]["snr_db"]
        assert snr < base - 0.1, (kw, base, snr)
    # Tx OSNR adds in inverse: 22 dB twice is 19 dB.
    link = CoherentLink(osnr_db=22.0, tx_osnr_db=22.0)
    assert link.line_osnr_db == pytest.approx(22.0 - 10 * math.log10(2))
    assert run(link)[1]["snr_db"] == pytest.approx(osnr_to_snr_db(link.line_osnr_db, link.symbol_rate_hz), abs=0.3)


# ----------------------------------------------------------------------------- FEC on the link

def test_post_fec_with_cfec_and_kp4():
    # 400ZR CFEC: clean well below its ~1.2e-2 pre-FEC threshold, failing above it.
    good = CoherentLink(osnr_db=22.5, fec="cfec")
    c, met = run(good, frames=1)
    assert c.bits >= 8_000_000  # the batch grew to what the staircase streams need
    assert met["post_fec_ber"] == 0 and met["fer"] == 0 and met["fec_frames"] > 10
    assert 0 < met["post_fec_ber_high"] < 1e-5 and met["fec_threshold_ber"] == 1.25e-2
    bad = CoherentLink(osnr_db=19.0, fec="cfec")
    _, met = run(bad, frames=1)
    assert met["fer"] > 0.9 and met["post_fec_ber"] > 1e-3
    # KP4 (hard) on a 16QAM link far above its 2.4e-4 threshold: every codeword fails.
    _, met = run(CoherentLink(osnr_db=20.0, fec="kp4"), frames=1)
    assert met["fer"] == 1.0 and met["post_fec_ber_low"] > 1e-3
    with pytest.raises(ValueError, match="ldpc:"):
        CoherentLink(fec="turbo")


def test_pdl_costs_snr_on_the_weak_polarization():
    """PDL of 3 dB and 6 dB (random axes): the SNR after the DSP falls with PDL."""
    snr = [run(CoherentLink(osnr_db=22.0, pdl_db=p), frames=3)[1]["snr_db"] for p in (0.0, 3.0, 6.0)]
    assert snr[0] > snr[1] + 0.1 and snr[1] > snr[2] + 0.3, snr
    with pytest.raises(ValueError, match="pdl_db"):
        CoherentLink(pdl_db=-1.0)

"""Fast error counting and frame alignment of the coherent link (CoherentLink.count / align).

The CPU path (kernels/cpu/qam_count.pyx via dsp._ops.cpu) must give the counts of the original
NumPy implementation (equal, except for a symbol that lies within float rounding of a decision
threshold, which the kernel's float64 gain sums may decide differently; in practice the counts of
these tests are equal): that implementation is kept here, verbatim, as the slow oracle
(``slow_align``, ``slow_count``) and both run on real link outputs (400ZR preset, coherent-b2b
QPSK / 64QAM, single and double precision, with and without pilots, a polarization swap and a
delay imposed on the reference).
"""
import dataclasses
import math

import numpy as np
import pytest

import dsp.sim.coherent as co
from dsp.backend import get_backend
from dsp.metrics import gmi_sum
from dsp.modulation import demap_hard, demap_llr, labels_to_bits, map_labels, qam
from dsp.modulation.demapping import LLR_MAX
from dsp.rx.carrier import correct_cycle_slips
from dsp.sim.links import POPCOUNT8, Counts
from dsp.sim.presets import load_preset

CPU = get_backend("cpu")


# ----------------------------------------------------------------------------- the slow oracle
# CoherentLink.align and CoherentLink.count as they were before the CPU kernel (NumPy only).

def slow_align(link, z, symbols, labels):
    xp = np
    n = z.shape[-1]
    start = min(link.n_skip, n - link.tail_symbols - co.ALIGN_SYMBOLS) if n > co.ALIGN_SYMBOLS else 0
    seg = z[..., start:start + co.ALIGN_SYMBOLS]
    k = xp.arange(start, start + seg.shape[-1])
    lmax = link.mimo_taps
    peaks = []
    for lag in range(-lmax, lmax + 1):
        ref = symbols[..., (k - lag) % n]
        peaks.append(xp.abs(xp.einsum("rpk,rqk->rpq", seg, xp.conj(ref))))
    corr = xp.stack(peaks, axis=-1)  # (r, p, q, lag)
    peak = corr.max(axis=-1)
    lags = corr.argmax(axis=-1) - lmax
    swap = (peak[:, 0, 1] + peak[:, 1, 0]) > (peak[:, 0, 0] + peak[:, 1, 1])
    rows = xp.arange(z.shape[0])
    ref_sym = xp.empty_like(symbols)
    ref_lab = xp.empty_like(labels)
    k = xp.arange(n)
    for p in range(2):
        q = xp.where(swap, 1 - p, p)
        lag = lags[rows, p, q]
        idx = (k[None, :] - lag[:, None]) % n
        ref_sym[:, p] = symbols[rows[:, None], q[:, None], idx]
        ref_lab[:, p] = labels[rows[:, None], q[:, None], idx]
    return ref_sym, ref_lab


def slow_count(link, z, phase, converged, symbols, labels, fec_inputs=None):
    xp = np
    const = link.constellation
    n = z.shape[-1]
    ref_sym, ref_lab = slow_align(link, z, symbols, labels)
    slips = 0
    if link.pilot_period and phase is not None:
        pos = np.arange(0, n, link.pilot_period)
        sc = correct_cycle_slips(z, phase, ref_sym[..., pos], pos)
        z, slips = sc.symbols, int(sc.slips.sum())
    else:
        c = (z * xp.conj(ref_sym)).sum(axis=-1, keepdims=True)
        q = xp.round(xp.angle(c) / (np.pi / 2))
        z = z * xp.exp(-1j * q * (np.pi / 2)).astype(z.dtype)
    mask = xp.asarray(link.counted_mask(n))
    zc, rc, lc = z[..., mask], ref_sym[..., mask], ref_lab[..., mask]
    for _ in range(2):
        d = xp.asarray(const.points.astype(z.dtype))[demap_hard(zc, const).astype(xp.intp)]
        g = (zc * xp.conj(d)).sum(axis=-1, keepdims=True) / (xp.abs(d) ** 2).sum(axis=-1, keepdims=True)
        zc = zc / g
    dec = demap_hard(zc, const)
    err = xp.bitwise_xor(dec, lc)
    pop = xp.asarray(POPCOUNT8)[err]
    bit_err_frame = co.backend_sum(pop.reshape(pop.shape[0], -1), xp)
    bits_frame = 2 * lc.shape[-1] * const.bits_per_symbol
    conv = np.asarray(converged).reshape(-1)
    bad = (~conv) | (bit_err_frame > 0.25 * bits_frame)
    if bad.any():
        raise co.ConvergenceError("oracle: not converged")
    e2 = xp.abs(zc - rc) ** 2
    noise_var = e2.mean(axis=-1, keepdims=True)
    sums = {"err_power": float(e2.sum()), "ref_power": float((xp.abs(rc) ** 2).sum()),
            "cycle_slips": float(slips), "frames": float(z.shape[0])}
    cap = co.GMI_SYMBOLS
    llr = demap_llr(zc[..., :cap], const, xp.maximum(noise_var, noise_var.dtype.type(1e-12)), method="exact")
    total, count = gmi_sum(llr, labels_to_bits(lc[..., :cap], const.bits_per_symbol))
    sums["gmi_sum"], sums["gmi_bits"] = float(total), float(count)
    counts = Counts(int(bit_err_frame.sum()), int(bits_frame * z.shape[0]), int(xp.count_nonzero(err)),
                    int(err.size), (), tuple(sums.items()))
    if fec_inputs is not None:
        tx = labels_to_bits(lc, const.bits_per_symbol)
        if link._chain.soft:
            fec_inputs.append((tx, demap_llr(zc, const, xp.maximum(noise_var, noise_var.dtype.type(1e-12)),
                                             method="exact")))
        else:
            fec_inputs.append((tx, labels_to_bits(dec, const.bits_per_symbol)))
    return counts


# ----------------------------------------------------------------------------- helpers

def simulate(link, frames, seed=1):
    """(z, phase, converged, symbols, labels) of ``frames`` frames, as CoherentLink._run_batch draws them."""
    label_rng, normal, sop_rng = link._random_sources(CPU, np.random.SeedSequence(seed), None)
    labels = label_rng.integers(0, link.m, size=(frames, 2, link.frame_symbols), dtype=np.uint8)
    z, phase, conv, sym = link._simulate(CPU, labels, normal, link._jones(sop_rng, frames))
    return z, phase, conv, sym, labels


def perturb(sym, labels, swap_frame=0, lag_frame=1, lag=3):
    """The reference rearranged so that the DSP output matches it only through a polarization swap
    (frame ``swap_frame``) and a delay of ``lag`` symbols (frame ``lag_frame``)."""
    s, lab = sym.copy(), labels.copy()
    s[swap_frame], lab[swap_frame] = sym[swap_frame, ::-1], labels[swap_frame, ::-1]
    if lag_frame < sym.shape[0]:
        s[lag_frame] = np.roll(sym[lag_frame], -lag, axis=-1)
        lab[lag_frame] = np.roll(labels[lag_frame], -lag, axis=-1)
    return s, lab


def rare(symbols):
    """Decisions that the gain's rounding may move across a threshold: the oracle sums the gain in the
    row's precision, term after term (float32: relative error ~1e-5 over 10^4 terms), the kernel
    in float64; symbols that close to a threshold are about 1e-4 of a 64QAM row."""
    return 2 + int(2e-4 * symbols)


def assert_counts_equal(new, old):
    """Same counted bits and symbols; errors equal up to :func:`rare` threshold symbols; sums to float
    rounding."""
    assert (new.bits, new.symbols) == (old.bits, old.symbols)
    r = rare(new.symbols)
    assert abs(new.bit_errors - old.bit_errors) <= 2 * r and abs(new.symbol_errors - old.symbol_errors) <= r
    a, b = new.totals, old.totals
    assert set(a) == set(b)
    for k in ("cycle_slips", "frames", "gmi_bits"):
        assert a[k] == b[k], k
    for k in ("err_power", "ref_power", "gmi_sum"):
        assert a[k] == pytest.approx(b[k], rel=1e-4), k


def b2b(**kw):
    base = dict(frame_symbols=16384, n_skip=4096, linewidth_hz=100e3, freq_offset_hz=1e9)
    base.update(kw)
    return load_preset("coherent-b2b").build(**base)


@pytest.fixture(scope="module")
def zr400():
    link = load_preset("400zr").build(osnr_db=21.0, fec="none")
    return link, simulate(link, 2)


# ----------------------------------------------------------------------------- count vs the oracle

def test_400zr_counts_identical(zr400):
    link, (z, ph, conv, sym, lab) = zr400
    new = link.count(z, ph, conv, sym, lab)
    assert_counts_equal(new, slow_count(link, z, ph, conv, sym, lab))
    assert new.bit_errors > 1000  # near the CFEC threshold: plenty of decisions close to thresholds


def test_400zr_swap_and_lag(zr400):
    link, (z, ph, conv, sym, lab) = zr400
    s2, l2 = perturb(sym, lab)
    src0, lag0 = link.align(z, sym, lab, gather=False)
    src, lag = link.align(z, s2, l2, gather=False)
    np.testing.assert_array_equal(src[0], 1 - src0[0])
    np.testing.assert_array_equal(src[1], src0[1])
    np.testing.assert_array_equal(lag, lag0 + np.array([[0], [3]]))
    # the alignment undoes the perturbation: same counts as on the unperturbed reference
    base = link.count(z, ph, conv, sym, lab)
    new = link.count(z, ph, conv, s2, l2)
    assert_counts_equal(new, slow_count(link, z, ph, conv, s2, l2))
    assert (new.bit_errors, new.symbol_errors) == (base.bit_errors, base.symbol_errors)


def test_align_matches_oracle(zr400):
    link, (z, ph, conv, sym, lab) = zr400
    for s, l in ((sym, lab), perturb(sym, lab, swap_frame=1, lag_frame=0, lag=-7)):
        rs, rl = link.align(z, s, l)
        os_, ol = slow_align(link, z, s, l)
        np.testing.assert_array_equal(rs, os_)
        np.testing.assert_array_equal(rl, ol)


@pytest.mark.parametrize("m,osnr", [(4, 13.0), (64, 27.0)])
@pytest.mark.parametrize("precision", ["single", "double"])
@pytest.mark.parametrize("pilot_period", [64, 0])
def test_b2b_counts_match_oracle(m, osnr, precision, pilot_period):
    link = b2b(m=m, osnr_db=osnr, precision=precision, pilot_period=pilot_period)
    z, ph, conv, sym, lab = simulate(link, 2, seed=m)
    assert z.dtype == (np.complex64 if precision == "single" else np.complex128)
    s2, l2 = perturb(sym, lab, lag=-2)
    for s, l in ((sym, lab), (s2, l2)):
        new = link.count(z, ph, conv, s, l)
        assert_counts_equal(new, slow_count(link, z, ph, conv, s, l))
        assert 0 < new.bit_errors < 0.05 * new.bits


def test_one_frame_and_odd_frame_count():
    link = dataclasses.replace(b2b(m=16, osnr_db=19.0, frame_symbols=12289, n_skip=4097), tail_symbols=33)
    z, ph, conv, sym, lab = simulate(link, 3, seed=5)
    for rows in (slice(0, 1), slice(0, 3)):
        args = (z[rows], ph[rows], conv[rows], sym[rows], lab[rows])
        assert_counts_equal(link.count(*args), slow_count(link, *args))


@pytest.mark.parametrize("fec", ["cfec", "kp4"])
def test_fec_inputs_match_oracle(zr400, fec):
    link, (z, ph, conv, sym, lab) = zr400
    link = dataclasses.replace(link, fec=fec)
    new, old = [], []
    assert_counts_equal(link.count(z, ph, conv, sym, lab, new), slow_count(link, z, ph, conv, sym, lab, old))
    (tx_n, rx_n), (tx_o, rx_o) = new[0], old[0]
    np.testing.assert_array_equal(tx_n, tx_o)
    assert rx_n.shape == rx_o.shape and rx_n.dtype == rx_o.dtype
    if link._chain.soft:  # gain and noise variance summed in double here, in float32 there
        np.testing.assert_allclose(rx_n, rx_o, rtol=1e-4, atol=1e-3)
        assert np.mean((rx_n < 0) != (rx_o < 0)) < 1e-5
    else:  # decided bits: equal but for the rare threshold symbol
        assert np.count_nonzero(rx_n != rx_o) <= 2 * rare(rx_n.size // (2 * link.bits_per_symbol))


def test_not_converged_raises(zr400):
    link, (z, ph, conv, sym, lab) = zr400
    rng = np.random.default_rng(0)
    junk = (rng.standard_normal(z.shape) + 1j * rng.standard_normal(z.shape)).astype(z.dtype)
    with pytest.raises(co.ConvergenceError, match="did not converge"):
        link.count(junk, ph, conv, sym, lab)
    with pytest.raises(co.ConvergenceError, match="did not converge"):
        link.count(z, ph, np.zeros_like(conv), sym, lab)


# ----------------------------------------------------------------------------- the kernels alone

def gain_oracle(z, const):
    """The decision-directed gain loop of the kernel's definition on z (rows, C): gain sums in float64,
    zc = z w with w = 1 / (g1 g2) in the row's precision: (zc, decided labels)."""
    w = np.ones((z.shape[0], 1), dtype=np.complex128)
    for _ in range(2):
        zc = z * w.astype(z.dtype)
        d = const.points[demap_hard(zc, const).astype(np.intp)]
        g = (zc.astype(np.complex128) * np.conj(d)).sum(axis=-1, keepdims=True) / (np.abs(d) ** 2).sum(
            axis=-1, keepdims=True)
        w = w / g
    zc = z * w.astype(z.dtype)
    return zc, demap_hard(zc, const)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("m", [4, 16, 64])
@pytest.mark.parametrize("rows,n", [(1, 1), (2, 3), (3, 7), (2, 129), (5, 1001), (6, 30011)])
def test_qam_count_rows_against_numpy(dtype, m, rows, n):
    c = qam(m)
    rng = np.random.default_rng(rows * n + m)
    lab = rng.integers(0, m, (rows, n)).astype(np.uint8)
    sym = map_labels(lab, c, dtype)
    z = (0.93 * np.exp(0.02j) * sym + 0.12 * (rng.standard_normal((rows, n)) + 1j * rng.standard_normal((rows, n))))
    z = z.astype(dtype)
    # row r of z is compared with row src[r] of a shuffled, rolled copy of the reference
    src = rng.permutation(rows)
    lag = rng.integers(-min(n - 1, 15), min(n - 1, 15) + 1, rows)
    ref_sym, ref_lab = np.empty_like(sym), np.empty_like(lab)
    for r in range(rows):
        ref_sym[src[r]] = np.roll(sym[r], -lag[r])
        ref_lab[src[r]] = np.roll(lab[r], -lag[r])
    cols = np.arange(n)[(np.arange(n) % 5 != 0) | (n < 5)]
    cap = max(1, cols.size // 3)
    be, se, ep, rp, zc, lc, dec = CPU.ops.qam_count_rows(z, ref_sym, ref_lab, src, lag, cols, c.levels,
                                                         c.bits_per_axis, 1 / (2 * c.d), c.points, cap,
                                                         cols.size, True)
    zo, do = gain_oracle(z[:, cols], c)
    tol = 2e-6 if dtype == np.complex64 else 1e-13
    np.testing.assert_allclose(zc, zo[:, :cap], rtol=tol, atol=tol)
    assert np.count_nonzero(dec != do) <= 1  # a last-ulp difference at a threshold, at most
    np.testing.assert_array_equal(lc, lab[:, cols])
    err = dec ^ lab[:, cols]  # the counts are those of the kernel's own decisions
    np.testing.assert_array_equal(be, POPCOUNT8[err].sum(axis=-1))
    np.testing.assert_array_equal(se, (err != 0).sum(axis=-1))
    rp_ref = (np.abs(sym[:, cols]) ** 2).sum(axis=-1, dtype=np.float64)
    np.testing.assert_allclose(ep, (np.abs(zo - sym[:, cols]) ** 2).sum(axis=-1, dtype=np.float64), rtol=1e-5,
                               atol=1e-9 * rp_ref.max())
    np.testing.assert_allclose(rp, (np.abs(sym[:, cols]) ** 2).sum(axis=-1, dtype=np.float64), rtol=1e-5)


def test_qam_count_rows_validates():
    c = qam(16)
    z = np.zeros((2, 10), np.complex64)
    lab = np.zeros((2, 10), np.uint8)
    args = (c.levels, c.bits_per_axis, 1 / (2 * c.d), c.points, 1, 1, False)
    with pytest.raises(ValueError, match="cols"):
        CPU.ops.qam_count_rows(z, z, lab, [0, 1], [0, 0], np.arange(0), *args)
    with pytest.raises(ValueError, match="cols"):
        CPU.ops.qam_count_rows(z, z, lab, [0, 1], [0, 0], np.arange(5, 11), *args)
    with pytest.raises(ValueError, match="src"):
        CPU.ops.qam_count_rows(z, z, lab, [0, 2], [0, 0], np.arange(10), *args)
    with pytest.raises(ValueError, match="lag"):
        CPU.ops.qam_count_rows(z, z, lab, [0, 1], [0, 10], np.arange(10), *args)
    with pytest.raises(TypeError, match="complex64 or complex128"):
        CPU.ops.qam_count_rows(z, z.astype(np.complex128), lab, [0, 1], [0, 0], np.arange(10), *args)


@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
@pytest.mark.parametrize("m", [4, 16, 64])
def test_qam_gmi_rows_against_demap_llr(dtype, m):
    c = qam(m)
    rng = np.random.default_rng(m)
    nv = np.array([0.3, 0.05, 0.01, 1e-4, 1e-7])  # the tiny ones underflow a group's exponentials
    rows, n = nv.size, 777
    lab = rng.integers(0, m, (rows, n)).astype(np.uint8)
    x = map_labels(lab, c, dtype)
    y = x + np.sqrt(nv[:, None] / 2) * (rng.standard_normal(x.shape) + 1j * rng.standard_normal(x.shape))
    y[3, 5] = -x[3, 5] * 1.01  # confidently wrong decisions: large terms
    y[4, 9] = np.conj(x[4, 9]) + 0.3
    y = y.astype(dtype)
    rdt = np.float32 if dtype == np.complex64 else np.float64
    got = CPU.ops.qam_gmi_rows(y, lab, 1 / (0.5 * nv), c.levels, c.bits_per_axis, c.d, LLR_MAX)
    for r in range(rows):
        llr = demap_llr(y[r:r + 1], c, nv[r].astype(rdt), method="exact")
        total, count = gmi_sum(llr, labels_to_bits(lab[r:r + 1], c.bits_per_symbol))
        assert got[r] / math.log(2) == pytest.approx(total, rel=2e-5, abs=1e-3), r


# ----------------------------------------------------------------------------- correct_cycle_slips fast path

@pytest.mark.parametrize("n_slips", [1, 100])  # per row; few: segment slices; many: the per-symbol gather
@pytest.mark.parametrize("dtype", [np.complex64, np.complex128])
def test_cycle_slip_rotation_exact(n_slips, dtype):
    rng = np.random.default_rng(n_slips)
    S, n, P = 4, 40000, 64
    a = map_labels(rng.integers(0, 16, (S, n)).astype(np.uint8), qam(16), dtype)
    q = np.zeros((S, n), np.int64)
    for s in range(S):
        for k in rng.choice(np.arange(P, n - P), n_slips, replace=False):
            q[s, k:] += rng.choice([-1, 1, 2])
    rdt = np.float32 if dtype == np.complex64 else np.float64
    phase = (-q * (np.pi / 2) + 0.01 * rng.standard_normal((S, n))).astype(rdt)
    y = (a * np.exp(1j * q * (np.pi / 2))).astype(dtype)
    pos = np.arange(0, n, P)
    r = correct_cycle_slips(y, phase, a[:, pos], pos)
    qk = np.rint((r.phase.astype(np.float64) - phase) / (np.pi / 2)).astype(np.int64)
    table = np.array([1, -1j, -1, 1j], dtype=np.complex128).astype(dtype)
    np.testing.assert_array_equal(r.symbols, y * table[qk % 4])
    np.testing.assert_array_equal(r.phase, phase + (np.pi / 2 * qk).astype(rdt))
    assert int(r.slips.sum()) >= S * n_slips // 2


# ----------------------------------------------------------------------------- the generic (CuPy) path

class _ArrayModuleProxy:
    """NumPy under another name: makes CoherentLink.count take its generic path, the one CuPy runs."""

    def __getattr__(self, name):
        return getattr(np, name)


@pytest.mark.parametrize("pilot_period", [64, 0])
def test_generic_path_matches(zr400, monkeypatch, pilot_period):
    link, (z, ph, conv, sym, lab) = zr400
    link = dataclasses.replace(link, pilot_period=pilot_period, fec="kp4")
    s2, l2 = perturb(sym, lab)
    fast, old = [], []
    c_fast = link.count(z, ph, conv, s2, l2, fast)
    c_old = slow_count(link, z, ph, conv, s2, l2, old)
    monkeypatch.setattr(co, "array_module", lambda a: _ArrayModuleProxy())
    generic = []
    c_gen = link.count(z, ph, conv, s2, l2, generic)
    assert c_gen == c_old  # the same NumPy expressions: equal to the last bit
    assert_counts_equal(c_fast, c_gen)
    for (t1, r1), (t2, r2) in zip(generic, fast):
        np.testing.assert_array_equal(t1, t2)
        assert np.count_nonzero(r1 != r2) <= 2 * rare(r1.size // (2 * link.bits_per_symbol))


@pytest.mark.gpu
def test_gpu_count_matches_cpu(zr400):
    """CuPy runs the generic path: same alignment and slips; counts equal up to the rare decision
    that a last-ulp difference of the gain (CuPy's reduction order) moves across a threshold."""
    import cupy as cp

    link, (z, ph, conv, sym, lab) = zr400
    cpu = link.count(z, ph, conv, sym, lab)
    gpu = link.count(cp.asarray(z), cp.asarray(ph), cp.asarray(conv), cp.asarray(sym), cp.asarray(lab))
    assert (gpu.bits, gpu.symbols) == (cpu.bits, cpu.symbols)
    assert abs(gpu.bit_errors - cpu.bit_errors) <= 3 and abs(gpu.symbol_errors - cpu.symbol_errors) <= 3
    for k in ("cycle_slips", "frames", "gmi_bits"):
        assert gpu.totals[k] == cpu.totals[k]
    for k in ("err_power", "ref_power", "gmi_sum"):
        assert gpu.totals[k] == pytest.approx(cpu.totals[k], rel=1e-4)

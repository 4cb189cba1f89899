"""GPU kernels against the CPU kernels (run by scripts/gpu_check.sh; skipped without a CUDA device).

The single-precision cores round identically on both targets (no FMA contraction on either, IEEE
sqrt and conversions), so the fused generator and the slicer give bit-identical counts.
"""
import numpy as np
import pytest

from dsp.modulation import Constellation

pytestmark = pytest.mark.gpu


@pytest.fixture(scope="module")
def backends():
    from dsp.backend import get_backend

    return get_backend("cpu"), get_backend("gpu")


@pytest.mark.parametrize("kind,m", [("pam", 2), ("pam", 4), ("pam", 8), ("qam", 4), ("qam", 16), ("qam", 64)])
@pytest.mark.parametrize("n", [1, 1001, 3_000_017])
def test_awgn_count_gpu_equals_cpu_single(backends, kind, m, n):
    cpu, gpu = backends
    c = Constellation(kind, m)
    args = (12345, n, (0xDEADBEEF, 42), c.axes, c.levels, c.bits_per_axis, 0.18)
    assert gpu.ops.awgn_count(*args, False) == cpu.ops.awgn_count(*args, False)


def test_awgn_count_gpu_double_statistically_equal(backends):
    cpu, gpu = backends
    c = Constellation("qam", 16)
    args = (0, 10_000_000, (7, 8), c.axes, c.levels, c.bits_per_axis, 0.2)
    a, b = gpu.ops.awgn_count(*args, True), cpu.ops.awgn_count(*args, True)
    # libm and CUDA's log/sin/cos may differ in the last ulp: only decisions on a threshold can flip.
    assert abs(a[0] - b[0]) <= 2 and abs(a[1] - b[1]) <= 2


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kind,m", [("pam", 4), ("qam", 16), ("qam", 64)])
def test_slice_count_gpu_equals_cpu(backends, dtype, kind, m):
    import cupy as cp

    from dsp.metrics import count_errors
    from dsp.modulation import map_labels

    cpu, gpu = backends
    c = Constellation(kind, m)
    rng = np.random.default_rng(3)
    labels = rng.integers(0, m, 200_003).astype(np.uint8)
    cdt = np.complex64 if dtype == np.float32 else np.complex128
    x = map_labels(labels, c, dtype=cdt if kind == "qam" else dtype)
    noise = 0.15 * (rng.standard_normal(x.shape) + (1j * rng.standard_normal(x.shape) if kind == "qam" else 0))
    y = (x + noise).astype(x.dtype)
    assert count_errors(cp.asarray(y), cp.asarray(labels), c) == count_errors(y, labels, c)


def test_simulate_ber_gpu_equals_cpu():
    from dsp.sim.engine import simulate_ber

    kw = dict(sweep={"snr_db": [8.0, 12.0, 16.0]}, params={"m": 16}, target_errors=2000, seed=1, workers=1)
    g = simulate_ber("awgn-qam", backend="gpu", **kw)
    c = simulate_ber("awgn-qam", backend="cpu", **kw)
    assert all(p.backend == "gpu" for p in g.points)
    assert [(p.bit_errors, p.bits) for p in g.points] == [(p.bit_errors, p.bits) for p in c.points]


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_normal_noise_gpu_equals_cpu(backends, dtype):
    cpu, gpu = backends
    a = gpu.ops.normal(100_001, dtype, (3, 4), 17).get()
    b = cpu.ops.normal(100_001, dtype, (3, 4), 17)
    tol = 0 if dtype == np.float32 else 1e-12  # double Box-Muller uses libm vs CUDA log/cos
    assert np.allclose(a, b, rtol=tol, atol=tol)


@pytest.mark.parametrize("equalizer", ["none", "ffe", "dfe", "mlse"])
def test_imdd_link_gpu_matches_cpu(backends, equalizer):
    """Same labels and noise on both (Philox); FFT rounding may flip a few threshold decisions."""
    from dsp.sim.presets import load_preset

    cpu, gpu = backends
    link = load_preset("400g-fr4").build(rop_dbm=-10.5, equalizer=equalizer)
    a = link.run_batch(cpu, np.random.SeedSequence(5), 1 << 18)
    b = link.run_batch(gpu, np.random.SeedSequence(5), 1 << 18)
    assert a.bits == b.bits and a.bit_errors > 50
    assert abs(a.bit_errors - b.bit_errors) <= max(5, 0.05 * a.bit_errors)


@pytest.mark.parametrize("fec", ["none", "cfec"])
def test_coherent_link_gpu_matches_cpu(backends, fec):
    """The whole 400zr chain on the device: same labels and noise (Philox), so the counts agree up to
    the FFT and transcendental rounding that can move a few decisions; metrics as well."""
    from dsp.sim.presets import load_preset

    cpu, gpu = backends
    link = load_preset("400zr").build(osnr_db=21.0, fec=fec)
    a = link.run_batch(cpu, np.random.SeedSequence(5), 1 << 17)
    b = link.run_batch(gpu, np.random.SeedSequence(5), 1 << 17)
    assert a.bits == b.bits and a.bit_errors > 500
    assert abs(a.bit_errors - b.bit_errors) <= max(10, 0.03 * a.bit_errors)
    ma, mb = link.point_metrics(a), link.point_metrics(b)
    assert abs(ma["snr_db"] - mb["snr_db"]) < 0.05 and abs(ma["gmi"] - mb["gmi"]) < 0.01
    if fec != "none":
        assert ma["fec_frames"] == mb["fec_frames"]

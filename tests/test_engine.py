"""The Monte-Carlo engine: batch plan, prefix stopping, BER floor, reproducibility, store, resume."""
import csv
import json
import os
import time
from dataclasses import dataclass

import numpy as np
import pytest

import dsp
from dsp.sim.engine import simulate_ber
from dsp.sim.links import Counts, Link
from dsp.sim.presets import PresetError


@dataclass(frozen=True)
class ScriptedLink(Link):
    """Errors of batch (point, batch) are a fixed function of its spawn key; optional random delays
    make batches finish out of order in a pool."""

    errors_per_batch: int = 7
    bits_per_symbol: int = 2
    jitter_s: float = 0.0
    calls_file: str = ""

    def run_batch(self, backend, seed_seq, n_symbols, threads=None):
        point, batch = seed_seq.spawn_key
        if self.jitter_s:
            time.sleep(np.random.default_rng(seed_seq).uniform(0, self.jitter_s))
        if self.calls_file:
            with open(self.calls_file, "a") as f:
                f.write(f"{point},{batch}\n")
        e = min(self.errors_per_batch * (batch + 1), n_symbols * self.bits_per_symbol)
        return Counts(e, n_symbols * self.bits_per_symbol, e, n_symbols)


def test_batch_plan_and_prefix_stopping():
    # errors per batch: 7, 14, 21, 28 ...; cumulative 7, 21, 42, 70 -> target 40 stops after batch 2.
    res = simulate_ber(ScriptedLink(), target_errors=40, max_bits=10**12, first_batch=10, max_batch=25, workers=1)
    (p,) = res.points
    assert p.batches == 3 and p.bit_errors == 42 and p.stop == "target_errors"
    assert p.symbols == 10 + 20 + 25 and p.bits == 2 * 55


def test_max_bits_trims_the_last_batch():
    res = simulate_ber(ScriptedLink(errors_per_batch=0), target_errors=1, max_bits=101, first_batch=16, workers=1)
    (p,) = res.points
    assert p.stop == "max_bits" and p.bit_errors == 0 and p.ber == 0.0
    assert p.bits == 102  # 16 + 32 + 3 symbols: the plan never exceeds max_bits by more than a symbol
    assert p.ber_low == 0.0 and 0 < p.ber_high < 0.05


def test_counts_independent_of_executor_and_completion_order(tmp_path):
    link = ScriptedLink(jitter_s=0.02)
    kw = dict(sweep={"errors_per_batch": [1, 3, 5, 9]}, target_errors=60, first_batch=4, max_batch=64)
    a = simulate_ber(link, workers=1, **kw)
    b = simulate_ber(link, workers=2, **kw)
    assert [p.to_dict() | {"elapsed_s": 0} for p in a.points] == [p.to_dict() | {"elapsed_s": 0} for p in b.points]


def test_awgn_counts_identical_in_process_and_pool():
    kw = dict(sweep={"snr_db": [8.0, 12.0, 16.0]}, params={"m": 16}, target_errors=500, seed=5, backend="cpu")
    a = simulate_ber("awgn-qam", workers=1, **kw)
    b = simulate_ber("awgn-qam", workers=2, **kw)
    assert [(p.bit_errors, p.bits, p.symbol_errors) for p in a.points] == \
           [(p.bit_errors, p.bits, p.symbol_errors) for p in b.points]
    c = simulate_ber("awgn-qam", workers=1, **{**kw, "seed": 6})
    assert [p.bit_errors for p in a.points] != [p.bit_errors for p in c.points]


def test_ber_floor_stops_the_sweep():
    snrs = [10.0, 14.0, 18.0, 22.0, 26.0]
    res = simulate_ber("awgn-pam4", {"snr_db": snrs}, target_errors=100, ber_floor=1e-3, workers=1, backend="cpu")
    bers = [p.ber for p in res.points]
    assert bers[-1] < 1e-3 and all(b >= 1e-3 for b in bers[:-1])
    assert len(res.points) + len(res.skipped) == len(snrs) and res.skipped
    assert [s["snr_db"] for s in res.skipped] == snrs[len(res.points):]


def test_ber_floor_on_a_grid_acts_per_inner_sweep():
    res = simulate_ber("awgn-qam", {"m": [4, 16], "snr_db": [6.0, 12.0, 18.0]}, target_errors=100,
                       ber_floor=1e-3, workers=1, backend="cpu")
    kept = [(p.swept["m"], p.swept["snr_db"]) for p in res.points]
    # QPSK falls below 1e-3 at 12 dB, so its 18 dB point is skipped; 16QAM runs all three.
    assert kept == [(4, 6.0), (4, 12.0), (16, 6.0), (16, 12.0), (16, 18.0)]
    assert res.skipped == ({"m": 4, "snr_db": 18.0},)


def test_store_resume_recomputes_nothing(tmp_path):
    out = tmp_path / "r.csv"
    calls = tmp_path / "calls.txt"
    link = ScriptedLink(calls_file=str(calls))
    kw = dict(sweep={"errors_per_batch": [2, 4, 8]}, target_errors=50, first_batch=8, workers=1, out=out)
    full = simulate_ber(link, **kw)
    with open(out) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["errors_per_batch"]) for r in rows] == [2, 4, 8]
    assert [int(r["bit_errors"]) for r in rows] == [p.bit_errors for p in full.points]
    n_calls = len(calls.read_text().splitlines())
    again = simulate_ber(link, resume=True, **kw)
    assert len(calls.read_text().splitlines()) == n_calls  # nothing recomputed
    assert [p.to_dict() for p in again.points] == [p.to_dict() for p in full.points]
    # a different seed is a different run: resume must not reuse the rows
    simulate_ber(link, resume=True, seed=1, **kw)
    assert len(calls.read_text().splitlines()) > n_calls


def test_interrupted_sweep_keeps_finished_points_and_resumes(tmp_path):
    out = tmp_path / "r.csv"
    kw = dict(sweep={"snr_db": [4.0, 6.0, 8.0, 10.0]}, params={"m": 4}, target_errors=200, workers=1, backend="cpu")
    reference = simulate_ber("awgn-qam", **kw)

    def interrupt(done, total, bits):
        if done >= 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        simulate_ber("awgn-qam", out=out, progress=interrupt, **kw)
    with open(out) as f:
        assert len(list(csv.DictReader(f))) == 2
    resumed = simulate_ber("awgn-qam", out=out, resume=True, **kw)
    assert [p.bit_errors for p in resumed.points] == [p.bit_errors for p in reference.points]
    with open(out) as f:
        assert len(list(csv.DictReader(f))) == 4
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


def test_result_records_backend_seed_and_serialises():
    res = simulate_ber("awgn-qam", params={"snr_db": 8.0}, target_errors=100, seed=42, backend="cpu")
    (p,) = res.points
    d = json.loads(res.to_json())[0]
    assert d["backend"] == "cpu" == p.backend and d["seed"] == 42
    for k in ("ber", "ber_low", "ber_high", "bit_errors", "bits"):
        assert k in d
    assert p.ber_low < p.ber < p.ber_high


@pytest.mark.parametrize("kw,match", [
    (dict(target_errors=0), "target_errors"),
    (dict(max_bits=-5), "max_bits"),
    (dict(ber_floor=2.0), "ber_floor"),
    (dict(ber_floor=float("nan")), "ber_floor"),
    (dict(seed=-1), "seed"),
    (dict(confidence=1.0), "confidence"),
    (dict(interval="bayes"), "interval"),
    (dict(resume=True), "resume"),
    (dict(backend="tpu"), "backend"),
    (dict(workers=0), "workers"),
])
def test_bad_engine_arguments(kw, match):
    with pytest.raises(ValueError, match=match):
        simulate_ber("awgn-qam", **kw)


def test_bad_parameters_name_the_allowed_values():
    with pytest.raises(PresetError, match="known presets: 400g-dr4, .*awgn-pam4, awgn-qam"):
        simulate_ber("no-such-link")
    with pytest.raises(PresetError, match="valid: m, snr_db, precision"):
        simulate_ber("awgn-qam", params={"osnr_db": 3})
    with pytest.raises(PresetError, match=r"snr_db must be a finite float in \[-20, 60\]"):
        simulate_ber("awgn-qam", {"snr_db": [1.0, float("inf")]})
    with pytest.raises(PresetError, match="m must be one of 4, 16, 64"):
        simulate_ber("awgn-qam", params={"m": 8})


def test_gpu_backend_without_device_is_a_clear_error():
    from dsp.backend import BackendError, gpu_unavailable_reason

    if gpu_unavailable_reason() is None:
        pytest.skip("a GPU is present")
    with pytest.raises(BackendError, match="backend='gpu' needs CuPy and a CUDA device"):
        simulate_ber("awgn-qam", backend="gpu")


def test_preset_file_path(tmp_path):
    src = (dsp.load_preset("awgn-qam"))
    f = tmp_path / "mine.toml"
    f.write_text('description = "QPSK at 7 dB"\nlink = "awgn"\n[fixed]\nformat = "qam"\nm = 4\n'
                 '[parameters.snr_db]\ndefault = 7.0\nmin = 0.0\nmax = 20.0\n')
    p = dsp.load_preset(f)
    assert p.name == "mine" and p.parameter_names == ["snr_db"] and src.name == "awgn-qam"
    res = simulate_ber(f, target_errors=100, backend="cpu")
    assert res.points[0].theory_ber == pytest.approx(dsp.metrics.ber_awgn_qam(4, 7.0))


def test_import_is_cheap():
    import subprocess
    import sys

    code = "import sys, dsp; dsp.__version__; print(sorted(m for m in ('cupy', 'scipy', 'matplotlib', 'dask') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_grid_sweep_to_parquet_resumes_without_recomputing(tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "grid.parquet"
    calls = tmp_path / "calls.txt"
    link = ScriptedLink(calls_file=str(calls))
    kw = dict(sweep={"errors_per_batch": [2, 4], "bits_per_symbol": [1, 2]}, target_errors=50, first_batch=8,
              workers=1, out=out)
    full = simulate_ber(link, **kw)
    table = pq.read_table(out)
    assert table.num_rows == 4 and table.schema.field("bit_errors").type.id == __import__("pyarrow").int64().id
    assert table.column("bit_errors").to_pylist() == [p.bit_errors for p in full.points]
    n_calls = len(calls.read_text().splitlines())
    again = simulate_ber(link, resume=True, **kw)
    assert len(calls.read_text().splitlines()) == n_calls  # nothing recomputed
    assert [p.to_dict() for p in again.points] == [p.to_dict() for p in full.points]


def _visible_device(_):
    import os
    import time

    time.sleep(0.2)  # keep both workers busy so that each takes a task
    return os.environ.get("CUDA_VISIBLE_DEVICES")


def test_gpu_pool_gives_each_worker_its_own_device():
    from dsp.sim.executors import GpuPoolExecutor

    ex = GpuPoolExecutor(2)
    try:
        futs = [ex.submit(_visible_device, i) for i in range(6)]
        seen = {ex.result(f) for f in futs}
    finally:
        ex.close()
    assert seen == {"0", "1"}
    with pytest.raises(ValueError, match="devices"):
        GpuPoolExecutor(0)

"""Dask execution: a LocalCluster gives exactly the counts of an in-process run."""
import pytest

distributed = pytest.importorskip("dask.distributed")

from dsp.sim.engine import simulate_ber  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        with distributed.Client(cluster) as c:
            yield c


def test_local_cluster_counts_equal_in_process(client):
    kw = dict(sweep={"snr_db": [6.0, 10.0, 14.0]}, params={"m": 16}, target_errors=300, seed=7, backend="cpu",
              ber_floor=1e-3)
    local = simulate_ber("awgn-qam", workers=1, **kw)
    remote = simulate_ber("awgn-qam", client=client, **kw)
    assert [(p.bit_errors, p.bits, p.symbol_errors) for p in remote.points] == \
           [(p.bit_errors, p.bits, p.symbol_errors) for p in local.points]
    assert remote.skipped == local.skipped


def test_scheduler_address_via_cli(client, capsys):
    import json

    from dsp.cli import main

    code = main(["ber", "awgn-qam", "--set", "m=4", "--sweep", "snr_db=4:8:2", "--target-errors", "200",
                 "--backend", "cpu", "--dask", client.scheduler.address, "--json"])
    out = capsys.readouterr().out
    assert code == 0
    local = simulate_ber("awgn-qam", {"snr_db": [4.0, 6.0, 8.0]}, params={"m": 4}, target_errors=200, workers=1,
                         backend="cpu")
    assert [p["bit_errors"] for p in json.loads(out)] == [p.bit_errors for p in local.points]


"""The dci-dsp command: output formats, files, and clear errors with a non-zero exit."""
import csv
import json
import shutil
import subprocess
import sys

import pytest

from dsp.cli import main, parse_sweep


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_presets_lists_descriptions_and_parameters(capsys):
    code, out, _ = run(capsys, "presets")
    assert code == 0
    assert "awgn-pam4:" in out and "awgn-qam:" in out
    assert "snr_db=" in out and "one of 4, 16, 64" in out


def test_ber_json_has_the_promised_fields(capsys):
    code, out, _ = run(capsys, "ber", "awgn-qam", "--set", "m=4", "--sweep", "snr_db=2:6:2", "--target-errors", "200",
                       "--seed", "9", "--backend", "cpu", "--json")
    assert code == 0
    points = json.loads(out)
    assert [p["snr_db"] for p in points] == [2.0, 4.0, 6.0]
    for p in points:
        for k in ("ber", "ber_low", "ber_high", "bit_errors", "bits", "backend", "seed"):
            assert k in p
        assert p["backend"] == "cpu" and p["seed"] == 9 and p["bit_errors"] >= 200
        assert p["ber_low"] < p["ber"] < p["ber_high"]


def test_ber_table_csv_plot_and_resume(capsys, tmp_path):
    pytest.importorskip("matplotlib")
    csv_path, png = tmp_path / "ber.csv", tmp_path / "ber.png"
    args = ["ber", "awgn-pam4", "--sweep", "snr_db=8:14:3", "--target-errors", "100", "--backend", "cpu",
            "--out", str(csv_path), "--plot", str(png)]
    code, out, _ = run(capsys, *args)
    assert code == 0
    assert "snr_db" in out.splitlines()[0] and "BER" in out
    rows = list(csv.DictReader(open(csv_path)))
    assert [float(r["snr_db"]) for r in rows] == [8.0, 11.0, 14.0]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    code, out2, _ = run(capsys, *args, "--resume", "--json")
    assert code == 0
    assert [p["bit_errors"] for p in json.loads(out2)] == [int(r["bit_errors"]) for r in rows]


@pytest.mark.parametrize("argv,message", [
    (["ber", "nope"], "unknown preset 'nope'; known presets: 400g-dr4, 400g-fr4,"),
    (["ber", "awgn-qam", "--set", "osnr_db=3"], "valid: m, snr_db, precision"),
    (["ber", "awgn-qam", "--set", "snr_db=nan"], "snr_db must be a finite float in [-20, 60]"),
    (["ber", "awgn-qam", "--set", "snr_db=99"], "snr_db must be a finite float in [-20, 60]"),
    (["ber", "awgn-qam", "--set", "m=32"], "m must be one of 4, 16, 64"),
    (["ber", "awgn-qam", "--set", "snr_db"], "--set expects KEY=VALUE"),
    (["ber", "awgn-qam", "--sweep", "snr_db=5:1:1"], "STEP must be non-zero"),
    (["ber", "awgn-qam", "--sweep", "snr_db=1:5"], "START:STOP:STEP"),
    (["ber", "awgn-qam", "--sweep", "bogus=1:5:1"], "unknown parameter 'bogus'"),
    (["ber", "awgn-qam", "--plot", "x.png"], "--plot needs a --sweep"),
    (["ber", "awgn-qam", "--resume"], "--resume needs --out"),
    (["ber", "awgn-qam", "--seed", "-3"], "--seed must be a non-negative integer"),
])
def test_bad_input_is_one_clear_line(capsys, argv, message):
    code, out, err = run(capsys, *argv)
    assert code == 2 and out == ""
    assert message in err and "Traceback" not in err


@pytest.mark.parametrize("argv", [["ber", "awgn-qam", "--target-errors", "0"],
                                  ["ber", "awgn-qam", "--ber-floor", "3"],
                                  ["ber", "awgn-qam", "--backend", "tpu"]])
def test_bad_options_exit_non_zero(argv):
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2


def test_sweep_grammar():
    assert parse_sweep("rop_dbm=-12:-4:0.5")[1][:3] == [-12.0, -11.5, -11.0]
    assert parse_sweep("rop_dbm=-12:-4:0.5")[1][-1] == -4.0
    assert parse_sweep("x=0:1:0.3")[1] == [0.0, 0.3, 0.6, 0.9]
    assert parse_sweep("m=4,16,64") == ("m", ["4", "16", "64"])


def test_console_script_is_installed():
    exe = shutil.which("dci-dsp")
    cmd = [exe] if exe else [sys.executable, "-m", "dsp"]
    r = subprocess.run([*cmd, "ber", "awgn-qam", "--set", "m=64", "--backend", "cpu", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)[0]["bits"] > 0
    r = subprocess.run([*cmd, "ber", "missing"], capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "known presets" in r.stderr and "Traceback" not in r.stderr

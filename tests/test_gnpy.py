"""GNPy interoperability (dsp.gnpy).

Most tests need no GNPy: they read JSON results captured from real GNPy 3.0.1 runs
(tests/data/gnpy_path_result.json: ``gnpy-transmission-example -s gnpy_services.json -r dci-1 -o``;
tests/data/gnpy_path_request_result.json: ``gnpy-path-request ... gnpy_services.json -o``, both on
GNPy's example network meshTopologyExampleV2.json with GNPy's example eqpt_config.json plus the
simulated 400ZR entry tests/data/gnpy_400zr_transceiver.json). The tests marked by
``pytest.importorskip("gnpy")`` load our entry into GNPy and plan paths with it.
"""
import json
import logging
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dsp import gnpy as g

DATA = Path(__file__).parent / "data"
TRANSMISSION = DATA / "gnpy_path_result.json"
PATH_REQUEST = DATA / "gnpy_path_request_result.json"
ENTRY = DATA / "gnpy_400zr_transceiver.json"
SERVICES = DATA / "gnpy_services.json"


def load(p):
    return json.loads(p.read_text())


def gnpy_penalty(entry_mode, impairment, value):
    """GNPy's penalty rule, re-implemented from its documentation: insert (0, 0) when every listed
    value is positive, interpolate linearly, infinite outside the listed range."""
    pts = sorted((p[impairment], p["penalty_value"]) for p in entry_mode["penalties"] if impairment in p)
    if all(x > 0 for x, _ in pts):
        pts.insert(0, (0.0, 0.0))
    xs, ys = zip(*pts)
    if value < xs[0] or value > xs[-1]:
        return math.inf
    return float(np.interp(value, xs, ys))


# ------------------------------------------------------------------------------------------ reading
def test_import_is_light():
    code = "import sys, dsp.gnpy; bad = [m for m in ('numpy', 'gnpy', 'scipy') if m in sys.modules]; print(bad)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_read_transmission_json():
    p = g.read_gnpy_path(TRANSMISSION)
    assert p.source == "transmission json"
    assert (p.gsnr_01nm_db, p.gsnr_bw_db, p.osnr_ase_01nm_db, p.osnr_ase_bw_db) == (28.86, 22.06, 28.86, 22.06)
    assert (p.cd_ps_nm, p.pmd_ps, p.pdl_db) == (167.0, 0.13, 0.0)
    assert p.penalties_db == {"chromatic_dispersion": 0.0, "pmd": 0.0}
    assert (p.transponder_type, p.transponder_mode) == ("dci-dsp 400zr", "400zr DP-16QAM 59.84 GBd")
    assert (p.response_id, p.label, p.blocking_reason) == ("dci-1", "59.84G", None)
    # the 0.1 nm and signal-bandwidth figures differ by 10 log10(Rs / 12.5 GHz), as GNPy defines them
    rs = load(ENTRY)["mode"][0]["baud_rate"]
    assert p.gsnr_01nm_db - p.gsnr_bw_db == pytest.approx(10 * math.log10(rs / 12.5e9), abs=0.01)
    # the same document parsed, or its response alone, reads the same
    doc = load(TRANSMISSION)
    assert g.read_gnpy_path(doc) == p
    assert g.read_gnpy_path(doc["gnpy-path-computation:responses"]["response"][0]) == p


def test_read_path_request_json():
    with pytest.raises(g.GnpyFormatError, match=r"2 responses \['dci-1', 'dci-2'\].*response_id"):
        g.read_gnpy_path(PATH_REQUEST)
    ok = g.read_gnpy_path(PATH_REQUEST, response_id="dci-1")
    assert ok.source == "path-request json" and ok.blocking_reason is None
    assert (ok.gsnr_01nm_db, ok.osnr_ase_01nm_db, ok.cd_ps_nm, ok.pmd_ps, ok.pdl_db) == (28.86, 28.86, None, None, None)
    assert ok.penalties_db == {"chromatic_dispersion": 0.0, "pmd": 0.0}  # PDL_penalty is [null]: not reported
    blocked = g.read_gnpy_path(PATH_REQUEST, response_id="dci-2")
    assert blocked.blocking_reason == "MODE_NOT_FEASIBLE"
    assert blocked.penalties_db["chromatic_dispersion"] == math.inf  # GNPy wrote "Infinity"
    assert (blocked.gsnr_01nm_db, blocked.osnr_ase_01nm_db) == (25.49, 25.6)
    with pytest.raises(g.GnpyFormatError, match=r"no response with response-id 'nope'.*dci-1"):
        g.read_gnpy_path(PATH_REQUEST, response_id="nope")


def test_from_gnpy_path_conditions():
    c = g.from_gnpy_path(TRANSMISSION, "400zr")
    assert c == {"osnr_db": 28.86, "tx_osnr_db": math.inf, "cd_ps_nm": 167.0, "dgd_ps": 0.13, "pdl_db": 0.0}
    c = g.from_gnpy_path(TRANSMISSION, "openzr-400g", noise="osnr_ase", pmd_to_dgd=3.0, linewidth_hz=300e3)
    assert c["osnr_db"] == 28.86 and c["dgd_ps"] == pytest.approx(0.39) and c["linewidth_hz"] == 300e3
    # a path-request response has no CD / PMD values: they must be given, and the error says so
    with pytest.raises(g.GnpyFormatError, match=r"'cd-ps-per-nm' missing.*receiving Transceiver.*cd_ps_nm="):
        g.from_gnpy_path(PATH_REQUEST, response_id="dci-1")
    with pytest.raises(g.GnpyFormatError, match=r"'pmd-ps' missing.*dgd_ps="):
        g.from_gnpy_path(PATH_REQUEST, response_id="dci-1", cd_ps_nm=167)
    c = g.from_gnpy_path(PATH_REQUEST, response_id="dci-2", cd_ps_nm=2588.5, dgd_ps=0.5)
    assert c == {"osnr_db": 25.49, "tx_osnr_db": math.inf, "cd_ps_nm": 2588.5, "dgd_ps": 0.5}
    # the conditions are what the preset accepts
    from dsp.sim.presets import load_preset

    link = load_preset("400zr").build(**g.from_gnpy_path(TRANSMISSION))
    assert link.line_osnr_db == pytest.approx(28.86) and link.total_cd_ps_nm == 167.0 and link.dgd_ps == 0.13


def test_pdl_goes_to_presets_with_a_pdl_model(caplog, tmp_path):
    doc = load(TRANSMISSION)
    hops = doc["gnpy-path-computation:responses"]["response"][0]["path-properties"]["path-route-objects"]
    hops[-1]["path-route-object"]["num-unnum-hop"]["details"]["pdl-db"][0]["average"] = "1.5"
    with caplog.at_level(logging.WARNING, logger="dsp.gnpy"):
        c = g.from_gnpy_path(doc)
    assert c["pdl_db"] == 1.5 and caplog.text == ""  # the coherent link models PDL
    # a preset without a PDL model reports it and ignores it (strict=True: raises)
    from pathlib import Path

    import dsp

    text = (Path(dsp.__file__).parent / "presets" / "coherent-b2b.toml").read_text()
    no_pdl = tmp_path / "no-pdl.toml"  # the generic preset without its pdl_db parameter
    no_pdl.write_text(text[:text.index("[parameters.pdl_db]")] + text[text.index("[parameters.random_sop]"):])
    with caplog.at_level(logging.WARNING, logger="dsp.gnpy"):
        c = g.from_gnpy_path(doc, str(no_pdl))
    assert "pdl_db" not in c and "PDL = 1.5 dB" in caplog.text and "ignored" in caplog.text
    with pytest.raises(ValueError, match="PDL = 1.5 dB.*strict=True"):
        g.from_gnpy_path(doc, str(no_pdl), strict=True)


def _drop_metric(doc, name):
    for resp in doc["gnpy-path-computation:responses"]["response"]:
        props = resp.get("path-properties") or resp["no-path"]["path-properties"]
        props["path-metric"] = [m for m in props["path-metric"] if m["metric-type"] != name]
    return doc


def test_error_messages_name_field_and_place(tmp_path):
    # the transmission output repeats the GSNR in the receiver's details, which then serve
    assert g.from_gnpy_path(_drop_metric(load(TRANSMISSION), "SNR-0.1nm"))["osnr_db"] == 28.86
    doc = _drop_metric(load(PATH_REQUEST), "SNR-0.1nm")
    kw = dict(response_id="dci-1", cd_ps_nm=0, dgd_ps=0)
    with pytest.raises(g.GnpyFormatError, match=r"'SNR-0.1nm' missing in path-properties.*response 'dci-1'"):
        g.from_gnpy_path(doc, **kw)
    assert g.from_gnpy_path(doc, noise="osnr_ase", **kw)["osnr_db"] == 28.86  # ASE-only OSNR still there
    doc = load(TRANSMISSION)
    del doc["gnpy-path-computation:responses"]["response"][0]["path-properties"]
    with pytest.raises(g.GnpyFormatError, match=r"'path-properties' missing in response 'dci-1'"):
        g.read_gnpy_path(doc)
    with pytest.raises(g.GnpyFormatError, match=r"'response' missing in 'gnpy-path-computation:responses'"):
        g.read_gnpy_path({"gnpy-path-computation:responses": {}})
    with pytest.raises(g.GnpyFormatError, match="not a GNPy path result"):
        g.read_gnpy_path({"foo": 1})
    with pytest.raises(g.GnpyFormatError, match=r"no path for response 'x' \(no-path: NO_PATH\)"):
        g.read_gnpy_path({"response": [{"response-id": "x", "no-path": {"no-path": "NO_PATH"}}]})
    doc = load(TRANSMISSION)
    m = doc["gnpy-path-computation:responses"]["response"][0]["path-properties"]["path-metric"][1]
    m["per-label-accumulative-value"].append({"label": "32.00G", "accumulative-value": "20.0"})
    with pytest.raises(g.GnpyFormatError, match=r"several labels \['59.84G', '32.00G'\].*label="):
        g.read_gnpy_path(doc)
    assert g.read_gnpy_path(doc, label="59.84G").gsnr_01nm_db == 28.86
    with pytest.raises(g.GnpyFormatError, match="no label 'x'"):
        g.read_gnpy_path(doc, label="x")
    m["per-label-accumulative-value"][0]["accumulative-value"] = "abc"
    with pytest.raises(g.GnpyFormatError, match=r"'SNR-0.1nm'.*expected a number, got 'abc'"):
        g.read_gnpy_path(doc, label="59.84G")
    bad = tmp_path / "bad.json"
    bad.write_text("{")
    with pytest.raises(g.GnpyFormatError, match="not valid JSON"):
        g.read_gnpy_path(bad)
    with pytest.raises(ValueError, match="cannot read GNPy result file"):
        g.read_gnpy_path(tmp_path / "missing.json")
    with pytest.raises(g.GnpyFormatError, match="receiving Transceiver.*lacks"):
        g.read_gnpy_path(object())


def test_argument_errors():
    with pytest.raises(ValueError, match="noise must be one of gsnr, osnr_ase"):
        g.from_gnpy_path(TRANSMISSION, noise="nli")
    with pytest.raises(ValueError, match="pmd_to_dgd must be a finite number > 0"):
        g.from_gnpy_path(TRANSMISSION, pmd_to_dgd=0)
    with pytest.raises(ValueError, match="coherent preset.*400g-fr4"):
        g.from_gnpy_path(TRANSMISSION, "400g-fr4")
    with pytest.raises(ValueError, match="unknown parameter 'bogus'"):
        g.from_gnpy_path(TRANSMISSION, bogus=1)
    with pytest.raises(ValueError, match="osnr_db must be"):
        g.from_gnpy_path(TRANSMISSION, osnr_db=99.0)  # out of the preset's range
    with pytest.raises(ValueError, match="carrier selects a carrier of GNPy objects"):
        g.read_gnpy_path(TRANSMISSION, carrier=0)


class FakeTransceiver:
    """GNPy's receiving Transceiver after propagation, by its attributes (values per carrier)."""

    def __init__(self):
        self.uid = "trx B"
        self.snr_01nm = np.array([20.0, 22.0, 24.0])
        self.snr = self.snr_01nm - 6.8
        self.osnr_ase_01nm = self.snr_01nm + 1
        self.osnr_ase = self.snr + 1
        self.chromatic_dispersion = np.array([1000.0, 1001.0, 1002.0])
        self.pmd = np.array([2.0, 2.0, 2.0])
        self.pdl = np.array([0.0, 0.0, 0.0])
        self.penalties = {"chromatic_dispersion": [0.0, 0.1, 0.2], "rx_power_dbm": np.zeros(3)}
        self.propagated_labels = np.array(["A", "A", "B"])


def test_read_objects():
    t = FakeTransceiver()
    p = g.read_gnpy_path(t)
    assert p.source == "gnpy objects" and p.gsnr_01nm_db == pytest.approx(22.0) and p.label is None
    assert p.penalties_db == {"chromatic_dispersion": pytest.approx(0.1)}
    assert g.read_gnpy_path([object(), t]) == p  # a propagated path: the last element
    one = g.read_gnpy_path(t, carrier=-1)
    assert (one.gsnr_01nm_db, one.cd_ps_nm, one.label) == (24.0, 1002.0, "B")
    a = g.read_gnpy_path(t, label="A")
    assert a.gsnr_01nm_db == pytest.approx(21.0) and a.osnr_ase_bw_db == pytest.approx(21.0 - 6.8 + 1)
    with pytest.raises(ValueError, match=r"carrier must be an integer index in \[-3, 2\]"):
        g.read_gnpy_path(t, carrier=3)
    with pytest.raises(ValueError, match="label must be one of"):
        g.read_gnpy_path(t, label="C")
    t.snr_01nm = None
    with pytest.raises(g.GnpyFormatError, match="no computed GSNR.*propagate the path first"):
        g.read_gnpy_path(t)


# ------------------------------------------------------------------------------------------ writing
class FakeApi:
    """dsp.api stand-in: required OSNR = 20 + (cd / 2000)^2 + (dgd / 20)^2 - 0.004 (a little below
    the reference at the first table rows, as Monte-Carlo noise can be), recording the calls."""

    def __init__(self):
        self.calls = []

    @staticmethod
    def req(c):
        return 20.0 + (float(c["cd_ps_nm"]) / 2000) ** 2 + (float(c["dgd_ps"]) / 20) ** 2

    def required_osnr(self, preset, target_ber=None, **kw):
        self.calls.append(("required_osnr", preset, target_ber, kw))

        class R:
            value = self.req(kw)
        return R()

    def penalty_table(self, preset, parameter, values, *, target_ber=None, **kw):
        self.calls.append(("penalty_table", preset, parameter, tuple(values), target_ber, kw))
        rows = []
        for v in values:
            r = self.req({**kw, parameter: v}) - (0.004 if v == values[0] else 0.0)
            rows.append((v, r, r - 0.1, r + 0.1, None))

        class T:
            pass
        t = T()
        t.rows, t.parameter = tuple(rows), parameter
        return t


@pytest.fixture
def fake_api(monkeypatch):
    import dsp.api

    fake = FakeApi()
    monkeypatch.setattr(dsp.api, "required_osnr", fake.required_osnr)
    monkeypatch.setattr(dsp.api, "penalty_table", fake.penalty_table)
    return fake


def test_transceiver_entry_structure(fake_api):
    e = g.transceiver_entry("400zr", cd_values_ps_nm=(0, 2000, 4000), dgd_values_ps=(0, 20, 40), pmd_to_dgd=2.0,
                            linewidth_hz=200e3)
    g.validate_transceiver_entry(e)
    assert set(e) == set(g.TRANSCEIVER_KEYS) and len(e["mode"]) == 1
    mode = e["mode"][0]
    assert set(mode) == set(g.MODE_KEYS)
    assert e["type_variety"] == "dci-dsp 400zr" and mode["format"] == "400zr DP-16QAM 59.84 GBd"
    assert e["frequency"] == {"min": 191.3e12, "max": 196.1e12}
    assert mode["baud_rate"] == 59.84375e9 and mode["roll_off"] == 0.2 and mode["bit_rate"] == 400e9
    assert mode["min_spacing"] == 75e9 and mode["tx_osnr"] == 40.0 and mode["cost"] == 1
    assert mode["OSNR"] == 20.0
    pens = mode["penalties"]
    assert pens[:3] == [{"chromatic_dispersion": 0.0, "penalty_value": 0.0},  # -0.004 floored at 0
                        {"chromatic_dispersion": 2000.0, "penalty_value": 1.0},
                        {"chromatic_dispersion": 4000.0, "penalty_value": 4.0}]
    assert pens[3:6] == [{"pmd": 0.0, "penalty_value": 0.0}, {"pmd": 10.0, "penalty_value": 1.0},
                         {"pmd": 20.0, "penalty_value": 4.0}]  # DGD / pmd_to_dgd
    assert [p["pdl"] for p in pens[6:]] == [0.0, 1.0, 2.0]
    # every simulation back to back apart from the tabulated impairment, without Tx noise (GNPy adds tx_osnr)
    (_, _, tb, kw), cd_call, dgd_call, pdl_call = fake_api.calls
    assert tb is None and kw["cd_ps_nm"] == 0 and kw["dgd_ps"] == 0 and kw["tx_osnr_db"] == math.inf
    assert kw["linewidth_hz"] == 200e3
    assert cd_call[2:4] == ("cd_ps_nm", (0.0, 2000.0, 4000.0)) and cd_call[5]["dgd_ps"] == 0
    assert dgd_call[2:4] == ("dgd_ps", (0.0, 20.0, 40.0)) and dgd_call[5]["cd_ps_nm"] == 0
    assert pdl_call[2:4] == ("pdl_db", (0.0, 1.0, 2.0)) and pdl_call[5]["cd_ps_nm"] == 0 == pdl_call[5]["dgd_ps"]
    # GNPy's own penalty rule on this entry reproduces the model between the table points, inf beyond
    assert gnpy_penalty(mode, "chromatic_dispersion", 3000) == pytest.approx(2.5)
    assert gnpy_penalty(mode, "chromatic_dispersion", 4001) == math.inf
    assert gnpy_penalty(mode, "pmd", 5) == pytest.approx(0.5)
    json.dumps(e, allow_nan=False)  # plain JSON, no inf / nan


def test_transceiver_entry_defaults_and_errors(fake_api):
    e = g.transceiver_entry("800zr", cd_values_ps_nm=(1000,), dgd_values_ps=(0,), type_variety="x", mode_format="y",
                            tx_osnr_db=36, min_spacing_hz=125e9)
    m = e["mode"][0]
    assert (e["type_variety"], m["format"], m["bit_rate"], m["baud_rate"]) == ("x", "y", 800e9, 118.2e9)
    assert m["tx_osnr"] == 36 and m["min_spacing"] == 125e9
    assert g.transceiver_entry("800zr")["mode"][0]["min_spacing"] == 150e9  # 118.2 GBd x 1.2 -> 150 GHz
    with pytest.raises(ValueError, match="bit_rate_bps is required for preset 'coherent-b2b'"):
        g.transceiver_entry("coherent-b2b")
    assert g.transceiver_entry("coherent-b2b", bit_rate_bps=200e9, m=4)["mode"][0]["format"].startswith(
        "coherent-b2b DP-4QAM")
    with pytest.raises(ValueError, match="cd_ps_nm is set by transceiver_entry"):
        g.transceiver_entry("400zr", cd_ps_nm=100)
    with pytest.raises(ValueError, match="cd_values_ps_nm must be strictly increasing"):
        g.transceiver_entry("400zr", cd_values_ps_nm=(0, 2400, 1200))
    with pytest.raises(ValueError, match="dgd_values_ps must be >= 0"):
        g.transceiver_entry("400zr", dgd_values_ps=(-1, 0))
    with pytest.raises(ValueError, match="min_spacing_hz must be >= the baud rate"):
        g.transceiver_entry("400zr", min_spacing_hz=50e9)
    with pytest.raises(ValueError, match="target_ber must be a number in"):
        g.transceiver_entry("400zr", target_ber=0.7)
    with pytest.raises(ValueError, match="frequency_range must be finite with 0 < min < max"):
        g.transceiver_entry("400zr", frequency_range=(196e12, 191e12))
    with pytest.raises(ValueError, match="coherent preset"):
        g.transceiver_entry("400g-dr4")


def test_validate_and_write_equipment(tmp_path):
    entry = load(ENTRY)  # the simulated 400ZR entry the GNPy runs used
    g.validate_transceiver_entry(entry)
    bad = json.loads(json.dumps(entry))
    del bad["mode"][0]["OSNR"]
    with pytest.raises(ValueError, match=r"mode\[0\]: field 'OSNR' missing"):
        g.validate_transceiver_entry(bad)
    bad = json.loads(json.dumps(entry))
    bad["mode"][0]["min_spacing"] = 50e9
    with pytest.raises(ValueError, match="exceeds min_spacing"):
        g.validate_transceiver_entry(bad)
    bad = json.loads(json.dumps(entry))
    bad["mode"][0]["penalties"].append({"cd": 1, "penalty_value": 0})
    with pytest.raises(ValueError, match=r"penalties\[6\] must be"):
        g.validate_transceiver_entry(bad)
    out = tmp_path / "extra.json"
    lib = g.write_equipment(out, entry)
    assert load(out) == lib == {"Transceiver": [entry]}
    other = dict(entry, type_variety="other")
    g.write_equipment(out, [other])  # adds to the existing file
    assert [t["type_variety"] for t in load(out)["Transceiver"]] == ["dci-dsp 400zr", "other"]
    base = {"SI": [{"f_min": 1}], "Transceiver": [dict(entry, mode=[])]}
    lib = g.write_equipment(tmp_path / "full.json", entry, base=base)  # replaces the same type_variety
    assert lib["Transceiver"] == [entry] and lib["SI"] == base["SI"] and base["Transceiver"][0]["mode"] == []
    with pytest.raises(ValueError, match="repeat a type_variety"):
        g.write_equipment(out, [entry, entry])
    with pytest.raises(ValueError, match="base: cannot read equipment file"):
        g.write_equipment(out, entry, base=tmp_path / "nope.json")


# ------------------------------------------------------------------------------------------ simulation
def test_evaluate_gnpy_path_runs_the_emulator():
    """Real simulation, small counts: the captured path (GSNR 28.86 dB) is far above the 400ZR requirement."""
    out = g.evaluate_gnpy_path(TRANSMISSION, "400zr", target_errors=100, max_bits=1e6, margin=True)
    assert out["conditions"] == {"osnr_db": 28.86, "tx_osnr_db": math.inf, "cd_ps_nm": 167.0, "dgd_ps": 0.13,
                                 "pdl_db": 0.0}
    assert out["gnpy"]["gsnr_01nm_db"] == 28.86 and out["threshold_ber"] == 1.25e-2
    assert out["ber_low"] <= out["ber"] <= out["ber_high"] < out["threshold_ber"] and out["below_threshold"]
    assert out["bits"] >= 1e5 and out["post_fec_ber"] is not None  # 400zr runs CFEC
    # the margin is the GNPy GSNR minus the simulated requirement, which sits above the AWGN bound
    from dsp.channel.noise import osnr_to_snr_db
    from dsp.metrics import ber_awgn_qam

    req = out["required_osnr_db"]
    assert out["margin_db"] == pytest.approx(28.86 - req)
    assert out["margin_low_db"] <= out["margin_db"] <= out["margin_high_db"]
    assert ber_awgn_qam(16, osnr_to_snr_db(req, 59.84375e9)) < 1.25e-2 < ber_awgn_qam(16, osnr_to_snr_db(
        req - 1.0, 59.84375e9))  # within 1 dB of the ideal-transceiver requirement
    json.dumps(out)


# ------------------------------------------------------------------------------------------ with GNPy itself
def _gnpy_plan(tmp_path):
    gnpy = pytest.importorskip("gnpy")
    from gnpy.tools.json_io import load_equipment, load_json, load_network
    from gnpy.tools.worker_utils import designed_network, planning

    examples = Path(gnpy.__file__).parent / "example-data"
    eqpt = tmp_path / "eqpt.json"
    g.write_equipment(eqpt, load(ENTRY), base=examples / "eqpt_config.json")
    equipment = load_equipment(eqpt)
    network = load_network(examples / "meshTopologyExampleV2.json", equipment)
    network, _, _ = designed_network(equipment, network)
    _, propagated, _, requests, _, results = planning(network, equipment, load_json(SERVICES))
    return equipment, propagated, requests, results


def test_gnpy_loads_and_plans_with_our_transceiver(tmp_path):
    equipment, propagated, requests, results = _gnpy_plan(tmp_path)
    entry = load(ENTRY)
    mode = entry["mode"][0]
    trx = equipment["Transceiver"]["dci-dsp 400zr"]
    assert [m["format"] for m in trx.mode] == [mode["format"]]
    assert trx.mode[0]["penalties"]["chromatic_dispersion"]["up_to_boundary"] == [0.0, 1200.0, 2400.0]
    by_id = {r.request_id: (r, p, res) for r, p, res in zip(requests, propagated, results)}
    sys_margin = equipment["SI"]["default"].sys_margins
    # dci-1: feasible with our mode; GNPy's margin is its GSNR minus penalties, system margin and our OSNR
    rq, path, res = by_id["dci-1"]
    assert rq.blocking_reason is None and (rq.tsp, rq.tsp_mode) == (entry["type_variety"], mode["format"])
    assert rq.required_osnr_db_01nm == mode["OSNR"]
    rx = path[-1]
    read = g.read_gnpy_path(res)
    assert read.gsnr_01nm_db == pytest.approx(float(np.mean(rx.snr_01nm)))
    assert read.gsnr_01nm_db - sys_margin > mode["OSNR"]
    np.testing.assert_allclose(rx.remaining_margin, rx.snr_01nm - rx.total_penalty - sys_margin - mode["OSNR"])
    for imp, value in (("chromatic_dispersion", read.cd_ps_nm), ("pmd", read.pmd_ps)):
        assert read.penalties_db[imp] == pytest.approx(gnpy_penalty(mode, imp, value), abs=1e-9)
    # the objects and GNPy's own JSON of the same result give the same conditions (JSON rounds to 0.01)
    from gnpy.tools.json_io import results_to_json

    c_obj = g.from_gnpy_path(res)
    c_json = g.from_gnpy_path(results_to_json(results), response_id="dci-1", cd_ps_nm=c_obj["cd_ps_nm"],
                              dgd_ps=c_obj["dgd_ps"])
    assert c_json["osnr_db"] == pytest.approx(c_obj["osnr_db"], abs=0.005)
    assert c_obj["cd_ps_nm"] == pytest.approx(167.0) and c_obj["dgd_ps"] == pytest.approx(0.13, abs=0.005)
    # dci-2: beyond the largest CD we simulated, GNPy counts an infinite penalty and refuses the mode
    rq, path, res = by_id["dci-2"]
    read = g.read_gnpy_path(res)
    assert rq.blocking_reason == "MODE_NOT_FEASIBLE" and read.blocking_reason == "MODE_NOT_FEASIBLE"
    assert read.cd_ps_nm > mode["penalties"][2]["chromatic_dispersion"]
    assert read.penalties_db["chromatic_dispersion"] == math.inf
    assert read.gsnr_01nm_db - sys_margin > mode["OSNR"]  # the OSNR alone would have passed


def test_gnpy_objects_match_captured_json(tmp_path):
    """The captured fixture is what this GNPy computes now (catches a changed GNPy format or model)."""
    _, propagated, requests, results = _gnpy_plan(tmp_path)
    from gnpy.tools.json_io import results_to_json

    now = results_to_json(results)
    captured = load(PATH_REQUEST)["gnpy-path-computation:responses"]
    for rid in ("dci-1", "dci-2"):
        a, b = g.read_gnpy_path(now, response_id=rid), g.read_gnpy_path(captured, response_id=rid)
        for f in ("gsnr_01nm_db", "gsnr_bw_db", "osnr_ase_01nm_db", "osnr_ase_bw_db"):
            assert getattr(a, f) == pytest.approx(getattr(b, f), abs=0.011), (rid, f)
        assert (a.transponder_type, a.transponder_mode, a.blocking_reason) == (
            b.transponder_type, b.transponder_mode, b.blocking_reason)

"""Interoperability with GNPy, the open-source optical link-budget tool (``pip install "dci-dsp[gnpy]"``).

Both ways:

- **GNPy -> dci-dsp.** :func:`read_gnpy_path` reads what GNPy computed for a path (a parsed JSON
  response, a JSON file, or GNPy's own result objects) into plain numbers (:class:`GnpyPath`);
  :func:`from_gnpy_path` turns them into the conditions of one of our coherent presets, and
  :func:`evaluate_gnpy_path` runs the emulator there (pre-FEC BER with its interval, post-FEC BER,
  OSNR margin) through :mod:`dsp.api`.
- **dci-dsp -> GNPy.** :func:`transceiver_entry` writes a GNPy equipment-library ``Transceiver``
  entry whose mode carries the *simulated* required OSNR at the FEC threshold and simulated CD and
  DGD penalty tables; :func:`write_equipment` adds entries to an equipment JSON file.

Nothing here imports GNPy: the JSON formats are plain dicts and GNPy's objects are read by their
attributes. GNPy is needed only to *use* the files (and by the GNPy-dependent tests).

GNPy formats (checked against GNPy 3.0.1)
------------------------------------------
Path results, ``{"gnpy-path-computation:responses": {"response": [...]}}``, one response per
request, each with ``"response-id"`` and ``"path-properties"`` (or ``"no-path"`` with a blocking
reason, and the properties when GNPy found a path but no feasible mode):

- ``path-properties.path-metric``: a list of ``{"metric-type", "accumulative-value"}`` (written
  by ``gnpy-path-request -o``; scalar, the mean over the channel's carriers) or
  ``{"metric-type", "per-label-accumulative-value": [{"label", "accumulative-value"}]}`` (written
  by ``gnpy-transmission-example -o``; one value per spectrum label). Metric types: ``SNR-0.1nm``
  and ``SNR-bandwidth`` (the GSNR: ASE, nonlinear interference, transceiver ``tx_osnr`` and ROADM
  add/drop OSNR, in 0.1 nm = 12.5 GHz or in the symbol-rate bandwidth), ``OSNR-0.1nm`` and
  ``OSNR-bandwidth`` (the same without nonlinear interference), ``CD_penalty``, ``PMD_penalty``,
  ``PDL_penalty`` (dB, ``"Infinity"`` outside the transceiver's table, ``null`` without one).
  Numbers may be JSON strings (``"27.09"``).
- ``path-properties.path-route-objects``: the hops. In the transmission-example output each hop
  has ``num-unnum-hop.details``; the receiving ``Transceiver``'s details carry the accumulated
  ``cd-ps-per-nm`` (ps/nm), ``pmd-ps`` (ps) and ``pdl-db`` (dB), per label (``[{"label",
  "average"}]``). The path-request output has no impairment values, only the penalties above, so
  CD and DGD must then be given explicitly (``cd_ps_nm=...``, ``dgd_ps=...``). A ``transponder``
  hop names ``transponder-type`` and ``transponder-mode``.

GNPy's ``pmd`` is the accumulated PMD, sqrt(sum PMD_coef^2 L): the *mean* DGD, in ps. Our link
applies a fixed first-order DGD (``dgd_ps``) under random states of polarization per frame, so
``dgd_ps = pmd_to_dgd * pmd_ps`` with ``pmd_to_dgd = 1`` by default (the mean DGD); a design for
an outage probability of about 4e-5 would use about 3 (the Maxwellian tail).

Equipment library, ``{"Transceiver": [{"type_variety", "frequency": {"min", "max"} (Hz),
"mode": [{"format", "baud_rate" (Hz), "OSNR" (dB, 0.1 nm: the GSNR the receiver needs at the
FEC threshold, without penalties), "bit_rate" (bit/s), "roll_off", "tx_osnr" (dB, 0.1 nm),
"min_spacing" (Hz, >= baud_rate), "cost", "penalties": [{"chromatic_dispersion": ps/nm,
"penalty_value": dB}, {"pmd": ps, "penalty_value": dB}, {"pdl": dB, "penalty_value": dB}]}]}]}``.
GNPy interpolates each penalty linearly between the listed impairment values, counts an
*infinite* penalty outside them (so the largest listed value is the tolerance limit), assumes 0 dB
at 0 when every listed value is positive, adds the penalties of CD, PMD and PDL, and declares a
path feasible when ``GSNR(0.1 nm) - penalties - SI sys_margins >= OSNR``.

Conventions of the mapping
--------------------------
- ``osnr_db`` is GNPy's **GSNR in 0.1 nm** by default (``noise="gsnr"``): our link models
  additive noise only as ASE at ``osnr_db``, so feeding the GSNR treats GNPy's nonlinear
  interference as additional Gaussian noise (the GN model's own assumption). ``noise="osnr_ase"``
  uses the ASE-only OSNR (0.1 nm) instead, leaving nonlinear interference out.
- Both GNPy figures already include the transceiver's ``tx_osnr`` (and ROADM add/drop noise), so
  the conditions set ``tx_osnr_db = inf`` so that our link does not add transmitter noise twice.
- PDL: our coherent link has no PDL model yet; a non-zero GNPy PDL is logged as a warning and
  ignored (``strict=True``: raise instead). A preset with a ``pdl_db`` parameter receives it.
"""
from __future__ import annotations

import json
import logging
import math
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

_logger = logging.getLogger(__name__)

NOISE_SOURCES = ("gsnr", "osnr_ase")
"""What becomes ``osnr_db``: GNPy's GSNR (with nonlinear interference) or its ASE-only OSNR, both in 0.1 nm."""

KNOWN_BIT_RATES_BPS = {"400zr": 400e9, "openzr-400g": 400e9, "800zr": 800e9}
"""Client (net) bit rates of the shipped coherent presets, the ``bit_rate`` GNPy plans capacity with."""

DEFAULT_FREQUENCY_RANGE_HZ = (191.3e12, 196.1e12)
"""C-band tuning range written into a transceiver entry by default (the 400ZR range; GNPy's examples use 191.35 THz)."""

GRID_HZ = 12.5e9
"""Flex-grid slot granularity; the default ``min_spacing`` is the signal bandwidth rounded up to it."""

TRANSCEIVER_KEYS = ("type_variety", "frequency", "mode")
MODE_KEYS = ("format", "baud_rate", "OSNR", "bit_rate", "roll_off", "tx_osnr", "min_spacing", "cost", "penalties")
"""Keys of a GNPy ``Transceiver`` entry and of each of its modes (GNPy's example library has them all)."""

_RESPONSES_KEY = "gnpy-path-computation:responses"


class GnpyFormatError(ValueError):
    """A GNPy result lacks a field we need, or has one we cannot read; the message names it and where."""


@dataclass(frozen=True)
class GnpyPath:
    """What GNPy computed for one path, as plain numbers (None where the source does not carry it).

    Attributes
    ----------
    gsnr_01nm_db, gsnr_bw_db : float or None
        GSNR in 0.1 nm (12.5 GHz) and in the signal bandwidth (dB): ASE + nonlinear interference +
        transceiver ``tx_osnr`` + ROADM add/drop noise.
    osnr_ase_01nm_db, osnr_ase_bw_db : float or None
        The same without nonlinear interference (dB).
    cd_ps_nm : float or None
        Accumulated chromatic dispersion at the receiver (ps/nm).
    pmd_ps : float or None
        Accumulated PMD, the mean DGD (ps).
    pdl_db : float or None
        Accumulated polarization-dependent loss (dB).
    penalties_db : dict
        GNPy's own penalties at the receiver, ``{"chromatic_dispersion", "pmd", "pdl"}`` in dB
        (``inf`` outside the transceiver's table); only those GNPy reported.
    transponder_type, transponder_mode : str or None
        The transceiver ``type_variety`` and mode ``format`` GNPy used.
    response_id, label : str or None
        Which response and which spectrum label the numbers come from.
    blocking_reason : str or None
        GNPy's reason for rejecting the request (e.g. ``"NO_FEASIBLE_MODE"``), None if it did not.
    source : str
        ``"path-request json"``, ``"transmission json"`` or ``"gnpy objects"``.
    """

    gsnr_01nm_db: float | None = None
    gsnr_bw_db: float | None = None
    osnr_ase_01nm_db: float | None = None
    osnr_ase_bw_db: float | None = None
    cd_ps_nm: float | None = None
    pmd_ps: float | None = None
    pdl_db: float | None = None
    penalties_db: dict = field(default_factory=dict)
    transponder_type: str | None = None
    transponder_mode: str | None = None
    response_id: str | None = None
    label: str | None = None
    blocking_reason: str | None = None
    source: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


# ---------------------------------------------------------------------------------------------- reading
def _number(value, what: str) -> float | None:
    """GNPy writes numbers as JSON numbers or strings ("27.09", "Infinity"); None / [None] stay None."""
    if isinstance(value, list):
        vals = [v for v in value if v is not None]
        if not vals:
            return None
        if len(vals) != 1:
            raise GnpyFormatError(f"{what}: expected one value, got the list {value!r}")
        value = vals[0]
    if value is None:
        return None
    if isinstance(value, bool):
        raise GnpyFormatError(f"{what}: expected a number, got {value!r}")
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise GnpyFormatError(f"{what}: expected a number, got {value!r}") from None
    if math.isnan(out):
        raise GnpyFormatError(f"{what}: expected a number, got {value!r}")
    return out


def _pick_label(entries, label, what: str, value_key: str) -> tuple[float | None, str | None]:
    """One value out of GNPy's per-label list ``[{"label": ..., value_key: ...}, ...]``."""
    if not isinstance(entries, list) or not all(isinstance(e, dict) and "label" in e for e in entries):
        raise GnpyFormatError(f"{what}: expected a list of {{'label', '{value_key}'}} objects, got {entries!r}")
    labels = [str(e["label"]) for e in entries]
    if label is None:
        if len(entries) != 1:
            raise GnpyFormatError(f"{what}: the spectrum has several labels {labels}; choose one with label=...")
        chosen = entries[0]
    else:
        matches = [e for e in entries if str(e["label"]) == str(label)]
        if not matches:
            raise GnpyFormatError(f"{what}: no label {label!r} (labels: {labels})")
        chosen = matches[0]
    if value_key not in chosen:
        raise GnpyFormatError(f"{what}: label {chosen['label']!r} has no '{value_key}' field")
    return _number(chosen[value_key], f"{what} (label {chosen['label']!r})"), str(chosen["label"])


def _responses(doc: dict) -> list:
    if _RESPONSES_KEY in doc:
        inner = doc[_RESPONSES_KEY]
        if not isinstance(inner, dict) or "response" not in inner:
            raise GnpyFormatError(f"field 'response' missing in '{_RESPONSES_KEY}' of the GNPy result")
        return inner["response"]
    if "response" in doc:
        return doc["response"]
    if "response-id" in doc or "path-properties" in doc or "no-path" in doc:
        return [doc]
    raise GnpyFormatError(f"not a GNPy path result: expected a '{_RESPONSES_KEY}' or 'response' field at the "
                          f"top level, or a single response with 'response-id' (found keys {sorted(doc)[:8]})")


def _read_json(doc: dict, response_id, label) -> GnpyPath:
    responses = _responses(doc)
    if not isinstance(responses, list) or not responses:
        raise GnpyFormatError("the GNPy result's 'response' list is empty or not a list")
    ids = [str(r.get("response-id")) for r in responses if isinstance(r, dict)]
    if response_id is None:
        if len(responses) != 1:
            raise GnpyFormatError(f"the GNPy result has {len(responses)} responses {ids}; choose one with "
                                  "response_id=...")
        resp = responses[0]
    else:
        matches = [r for r in responses if isinstance(r, dict) and str(r.get("response-id")) == str(response_id)]
        if not matches:
            raise GnpyFormatError(f"no response with response-id {str(response_id)!r} in the GNPy result (ids: {ids})")
        resp = matches[0]
    rid = resp.get("response-id")
    rid = None if rid is None else str(rid)
    where = f"response {rid!r}"
    blocking = None
    props = resp.get("path-properties")
    if "no-path" in resp:
        nopath = resp["no-path"]
        blocking = str(nopath.get("no-path")) if isinstance(nopath, dict) else str(nopath)
        props = nopath.get("path-properties") if isinstance(nopath, dict) else None
        if props is None:
            raise GnpyFormatError(f"GNPy found no path for {where} (no-path: {blocking}); there is nothing to evaluate")
    if not isinstance(props, dict):
        raise GnpyFormatError(f"field 'path-properties' missing in {where} of the GNPy result")
    if "path-metric" not in props:
        raise GnpyFormatError(f"field 'path-metric' missing in {where}.path-properties of the GNPy result")
    metrics = {}
    for m in props["path-metric"]:
        if isinstance(m, dict) and "metric-type" in m:
            metrics[m["metric-type"]] = m
    chosen_label = [label]

    def metric(name):
        m = metrics.get(name)
        if m is None:
            return None
        what = f"{where}.path-properties.path-metric '{name}'"
        if "per-label-accumulative-value" in m:
            v, lab = _pick_label(m["per-label-accumulative-value"], chosen_label[0], what, "accumulative-value")
            chosen_label[0] = lab
            return v
        if "accumulative-value" in m:
            return _number(m["accumulative-value"], what)
        raise GnpyFormatError(f"{what}: neither 'accumulative-value' nor 'per-label-accumulative-value'")

    values = {k: metric(n) for k, n in (("gsnr_01nm_db", "SNR-0.1nm"), ("gsnr_bw_db", "SNR-bandwidth"),
                                        ("osnr_ase_01nm_db", "OSNR-0.1nm"), ("osnr_ase_bw_db", "OSNR-bandwidth"))}
    penalties = {}
    for key, name in (("chromatic_dispersion", "CD_penalty"), ("pmd", "PMD_penalty"), ("pdl", "PDL_penalty")):
        v = metric(name)
        if v is not None:
            penalties[key] = v
    # hops: the transponder, and the receiving transceiver's details (transmission-example output)
    ttype = tmode = None
    details = None
    hops = props.get("path-route-objects", [])
    for hop in hops if isinstance(hops, list) else []:
        pro = hop.get("path-route-object", hop) if isinstance(hop, dict) else {}
        if not isinstance(pro, dict):
            continue
        if isinstance(pro.get("transponder"), dict):
            ttype = pro["transponder"].get("transponder-type", ttype)
            tmode = pro["transponder"].get("transponder-mode", tmode)
        d = pro.get("num-unnum-hop", {}).get("details") if isinstance(pro.get("num-unnum-hop"), dict) else None
        if isinstance(d, dict) and d.get("type") == "Transceiver":
            details = d  # the last one is the receiver
            ttype = d.get("transponder-type", ttype)
            tmode = d.get("transponder-mode", tmode)
    source = "path-request json"
    if details is not None:
        source = "transmission json"
        dwhere = f"{where}: details of the receiving Transceiver hop"

        def detail(key):
            if key not in details:
                return None
            v, lab = _pick_label(details[key], chosen_label[0], f"{dwhere} '{key}'", "average")
            chosen_label[0] = lab
            return v

        values.update(cd_ps_nm=detail("cd-ps-per-nm"), pmd_ps=detail("pmd-ps"), pdl_db=detail("pdl-db"))
        for key, name in (("chromatic_dispersion", "cd-penalty-db"), ("pmd", "pmd-penalty-db"),
                          ("pdl", "pdl-penalty-db")):
            v = detail(name)
            if v is not None:
                penalties[key] = v
        for key, name in (("gsnr_01nm_db", "gsnr-0.1nm-db"), ("gsnr_bw_db", "gnsr-signal-bw-db"),
                          ("osnr_ase_01nm_db", "osnr-ase-0.1nm-db"), ("osnr_ase_bw_db", "osnr-ase-signal-bw-db")):
            if values[key] is None:
                values[key] = detail(name)
    return GnpyPath(**values, penalties_db=penalties, transponder_type=ttype, transponder_mode=tmode,
                    response_id=rid, label=chosen_label[0], blocking_reason=blocking, source=source)


def _mean_db(values) -> float:
    """GNPy's summaries average dB values over carriers; so do we (to match its JSON)."""
    vals = [float(v) for v in values]
    return sum(vals) / len(vals)


def _read_objects(obj, carrier, label) -> GnpyPath:
    """GNPy objects: a receiving ``gnpy.core.elements.Transceiver``, a propagated path (its last
    element), or a ``gnpy.topology.request.ResultElement`` (its computed path)."""
    blocking = ttype = tmode = rid = None
    if hasattr(obj, "computed_path") and hasattr(obj, "path_request"):
        req = obj.path_request
        blocking = getattr(req, "blocking_reason", None)
        ttype, tmode = getattr(req, "tsp", None), getattr(req, "tsp_mode", None)
        rid = getattr(req, "request_id", None)
        obj = obj.computed_path
    if isinstance(obj, (list, tuple)):
        if not obj:
            raise GnpyFormatError("the GNPy path is empty")
        obj = obj[-1]
    needed = ("snr_01nm", "osnr_ase_01nm", "chromatic_dispersion", "pmd", "pdl")
    missing = [a for a in needed if not hasattr(obj, a)]
    if missing:
        raise GnpyFormatError(f"expected a GNPy receiving Transceiver (attributes {', '.join(needed)}); "
                              f"{type(obj).__name__} lacks {', '.join(missing)}")
    if getattr(obj, "snr_01nm", None) is None:
        raise GnpyFormatError(f"the GNPy Transceiver {getattr(obj, 'uid', '?')!r} has no computed GSNR "
                              "(attribute snr_01nm is None): propagate the path first")
    n = len(obj.snr_01nm)
    labels = getattr(obj, "propagated_labels", None)
    labels = [] if labels is None else list(labels)
    if carrier is not None:
        if isinstance(carrier, bool) or not isinstance(carrier, int) or not -n <= carrier < n:
            raise ValueError(f"carrier must be an integer index in [{-n}, {n - 1}] (got {carrier!r})")
        idx = [carrier % n]
    elif label is not None:
        if len(labels) != n:
            raise GnpyFormatError("the GNPy Transceiver carries no per-carrier labels (propagated_labels)")
        idx = [i for i, lab in enumerate(labels) if str(lab) == str(label)]
        if not idx:
            raise ValueError(f"label must be one of {sorted(set(map(str, labels)))} (got {label!r})")
    else:
        idx = list(range(n))

    def avg(attr, scale=1.0):
        arr = getattr(obj, attr, None)
        if arr is None:
            return None
        try:
            vals = [float(arr[i]) * scale for i in idx]
        except TypeError:  # a scalar
            vals = [float(arr) * scale]
        return _mean_db(vals)

    # Transceiver attributes (after propagation): snr/osnr in dB; chromatic_dispersion in ps/nm,
    # pmd in ps and pdl in dB (gnpy.core.elements.Transceiver._calc_cd/_calc_pmd/_calc_pdl).
    penalties = {}
    for key, vals in (getattr(obj, "penalties", None) or {}).items():
        if key in ("chromatic_dispersion", "pmd", "pdl") and vals is not None:
            try:
                penalties[key] = _mean_db([vals[i] for i in idx])
            except (TypeError, IndexError):
                penalties[key] = float(vals)
    used_label = None
    if labels and len(labels) == n and len({str(labels[i]) for i in idx}) == 1:
        used_label = str(labels[idx[0]])
    return GnpyPath(gsnr_01nm_db=avg("snr_01nm"), gsnr_bw_db=avg("snr"), osnr_ase_01nm_db=avg("osnr_ase_01nm"),
                    osnr_ase_bw_db=avg("osnr_ase"), cd_ps_nm=avg("chromatic_dispersion"), pmd_ps=avg("pmd"),
                    pdl_db=avg("pdl"), penalties_db=penalties, transponder_type=ttype, transponder_mode=tmode,
                    response_id=None if rid is None else str(rid), label=used_label,
                    blocking_reason=None if blocking is None else str(blocking), source="gnpy objects")


def read_gnpy_path(result, *, response_id=None, label=None, carrier=None) -> GnpyPath:
    """Read what GNPy computed for one path into plain numbers.

    Parameters
    ----------
    result : dict, str or os.PathLike, or GNPy objects
        - a parsed GNPy path-result JSON (``gnpy-path-request -o out.json`` or
          ``gnpy-transmission-example -o out.json``; the whole document, its ``"response"`` list's
          parent, or one response), or the path of such a file;
        - a receiving ``gnpy.core.elements.Transceiver`` after propagation, a propagated path (list
          of elements, the receiver last), or a ``gnpy.topology.request.ResultElement``.
    response_id : str, optional
        Which response of a multi-request result (required when there are several).
    label : str, optional
        Which spectrum label (per-label results with several labels; GNPy labels carriers by
        partition and baud rate, e.g. ``"32.00G"``).
    carrier : int, optional
        GNPy objects only: one carrier's values instead of the mean over the selected carriers.

    Returns
    -------
    GnpyPath
        Missing impairments are None (the path-request JSON carries no CD, PMD or PDL values).

    Raises
    ------
    GnpyFormatError (a ValueError)
        A field is missing or unreadable; the message names it and where it was expected.
    """
    if isinstance(result, (str, os.PathLike)):
        p = Path(result)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise ValueError(f"result: cannot read GNPy result file {str(p)!r} ({exc.strerror})") from None
        try:
            result = json.loads(text)
        except json.JSONDecodeError as exc:
            raise GnpyFormatError(f"result: {str(p)!r} is not valid JSON ({exc})") from None
    if isinstance(result, dict):
        if carrier is not None:
            raise ValueError("carrier selects a carrier of GNPy objects; a JSON result holds per-label means "
                             "(use label=...)")
        return _read_json(result, response_id, label)
    if response_id is not None:
        raise ValueError("response_id selects a response of a JSON result; GNPy objects hold one path")
    return _read_objects(result, carrier, label)


# ---------------------------------------------------------------------------------------------- GNPy -> dsp
def _load_preset(preset):
    from dsp.sim.presets import load_preset

    p = load_preset(preset)
    if p.link != "coherent":
        raise ValueError(f"preset must be a coherent preset for GNPy interoperability (got {p.name!r}, a "
                         f"{p.link!r} link)")
    return p


def from_gnpy_path(result, preset="400zr", *, noise: str = "gsnr", pmd_to_dgd: float = 1.0, strict: bool = False,
                   response_id=None, label=None, carrier=None, **overrides) -> dict:
    """Conditions of ``preset`` for the path GNPy computed: feed them to ``dsp.api.ber(preset, **conditions)``.

    Parameters
    ----------
    result : see :func:`read_gnpy_path` (also accepts a :class:`GnpyPath`).
    preset : str or Preset
        A coherent preset (``400zr``, ``openzr-400g``, ``800zr``, ``coherent-b2b`` or a TOML path).
    noise : {"gsnr", "osnr_ase"}
        ``"gsnr"`` (default): ``osnr_db`` = GNPy's GSNR in 0.1 nm, so its nonlinear interference
        counts as Gaussian noise (our link models additive noise as ASE at ``osnr_db``).
        ``"osnr_ase"``: GNPy's ASE-only OSNR in 0.1 nm (nonlinear interference left out).
    pdl_values_db : sequence of float, dB, or None
        PDL values simulated (>= 0, strictly increasing), written as GNPy ``pdl`` penalties; None
        or a preset without ``pdl_db``: no PDL penalties.
    pmd_to_dgd : float
        ``dgd_ps = pmd_to_dgd * pmd_ps`` (GNPy's PMD is the mean DGD; 1 = the mean, about 3 for a
        4e-5 outage design). Must be > 0.
    strict : bool
        Raise when GNPy reports a non-zero PDL the preset cannot model (default: log a warning and
        ignore it).
    response_id, label, carrier : see :func:`read_gnpy_path`.
    **overrides
        Preset parameters that replace or complete what GNPy gives (e.g. ``cd_ps_nm=...``,
        ``dgd_ps=...`` for a path-request JSON, which carries no CD or PMD values; or
        ``linewidth_hz=...``).

    Returns
    -------
    dict
        ``{"osnr_db": dB (0.1 nm), "tx_osnr_db": inf, "cd_ps_nm": ps/nm, "dgd_ps": ps, **overrides}``
        (``tx_osnr_db`` is inf because GNPy's figures already include the transceiver's
        ``tx_osnr``); validated against the preset.

    Raises
    ------
    GnpyFormatError
        A needed field is missing from the result (named, with where it was expected).
    ValueError
        Bad arguments, or conditions outside what the preset allows.
    """
    if noise not in NOISE_SOURCES:
        raise ValueError(f"noise must be one of {', '.join(NOISE_SOURCES)} (got {noise!r})")
    if isinstance(pmd_to_dgd, bool) or not isinstance(pmd_to_dgd, (int, float)) or not (
            math.isfinite(pmd_to_dgd) and pmd_to_dgd > 0):
        raise ValueError(f"pmd_to_dgd must be a finite number > 0 (got {pmd_to_dgd!r})")
    if not isinstance(strict, bool):
        raise ValueError(f"strict must be true or false (got {strict!r})")
    p = _load_preset(preset)
    path = result if isinstance(result, GnpyPath) else read_gnpy_path(result, response_id=response_id,
                                                                      label=label, carrier=carrier)
    where = {"path-request json": "the GNPy path-request response",
             "transmission json": "the GNPy transmission response",
             "gnpy objects": "the GNPy Transceiver"}.get(path.source, "the GNPy result")
    conditions = {}
    if "osnr_db" not in overrides:
        attr, field_name = (("gsnr_01nm_db", "path-metric 'SNR-0.1nm'") if noise == "gsnr"
                            else ("osnr_ase_01nm_db", "path-metric 'OSNR-0.1nm'"))
        value = getattr(path, attr)
        if value is None:
            raise GnpyFormatError(f"field {field_name} missing in path-properties of {where} "
                                  f"(response {path.response_id!r}); needed for osnr_db with noise={noise!r}")
        conditions["osnr_db"] = value
    if "tx_osnr_db" in p.parameter_names:
        conditions["tx_osnr_db"] = math.inf
    if "cd_ps_nm" not in overrides:
        if path.cd_ps_nm is None:
            raise GnpyFormatError(
                f"field 'cd-ps-per-nm' missing: expected in the details of the receiving Transceiver hop "
                f"(path-properties.path-route-objects) of {where} (response {path.response_id!r}); "
                "gnpy-path-request responses carry no CD value, so pass cd_ps_nm=... or use the "
                "gnpy-transmission-example output")
        conditions["cd_ps_nm"] = path.cd_ps_nm
    if "dgd_ps" not in overrides:
        if path.pmd_ps is None:
            raise GnpyFormatError(
                f"field 'pmd-ps' missing: expected in the details of the receiving Transceiver hop "
                f"(path-properties.path-route-objects) of {where} (response {path.response_id!r}); "
                "gnpy-path-request responses carry no PMD value, so pass dgd_ps=... or use the "
                "gnpy-transmission-example output")
        conditions["dgd_ps"] = pmd_to_dgd * path.pmd_ps
    if path.pdl_db is not None and "pdl_db" not in overrides:
        if "pdl_db" in p.parameter_names:
            conditions["pdl_db"] = path.pdl_db
        elif path.pdl_db != 0:
            msg = (f"GNPy reports PDL = {path.pdl_db:g} dB on this path, but preset {p.name!r} has no PDL model; "
                   "the PDL is ignored")
            if strict:
                raise ValueError(msg.replace("the PDL is ignored", "strict=True refuses to ignore it"))
            _logger.warning(msg)
    conditions.update(overrides)
    p.resolve(conditions)  # raises PresetError (a ValueError) naming a bad parameter or value
    return conditions


def _plain(v):
    """JSON-friendly plain numbers (inf stays a float; numpy scalars become Python ones)."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(x) for x in v]
    if hasattr(v, "item") and callable(v.item):
        try:
            return v.item()
        except (TypeError, ValueError):
            return v
    return v


def evaluate_gnpy_path(result, preset="400zr", *, target_errors: int = 1000, max_bits: float = 2e8, seed: int = 0,
                       backend: str = "auto", margin: bool = True, tolerance_db: float = 0.05, noise: str = "gsnr",
                       pmd_to_dgd: float = 1.0,
                       strict: bool = False, response_id=None, label=None, carrier=None, **overrides) -> dict:
    """Run the emulator on the path GNPy computed: pre-FEC BER with its interval, post-FEC BER, margin.

    Parameters
    ----------
    result, preset, noise, pmd_to_dgd, strict, response_id, label, carrier, **overrides
        As :func:`from_gnpy_path`.
    target_errors, max_bits, seed, backend
        Passed to :func:`dsp.api.ber` (and :func:`dsp.api.margin`).
    margin : bool
        Also search the required OSNR and report the OSNR margin (:func:`dsp.api.margin`, which
        costs a required-OSNR search); False skips it.
    tolerance_db : float
        The required-OSNR search's tolerance (dB).

    Returns
    -------
    dict of plain numbers and strings
        ``preset``, ``conditions`` (what was simulated), ``gnpy`` (:meth:`GnpyPath.to_dict`),
        ``ber``, ``ber_low``, ``ber_high`` (confidence interval), ``bit_errors``, ``bits``,
        ``threshold_ber``, ``post_fec_ber``, ``post_fec_ber_low``, ``post_fec_ber_high``, ``fer``
        (None when the preset runs no FEC), ``below_threshold`` (``ber_high < threshold_ber``), and
        with ``margin``: ``required_osnr_db``, ``available_osnr_db``, ``margin_db``,
        ``margin_low_db``, ``margin_high_db``, ``q_margin_db``.
    """
    from dsp import api

    path = result if isinstance(result, GnpyPath) else read_gnpy_path(result, response_id=response_id,
                                                                      label=label, carrier=carrier)
    conditions = from_gnpy_path(path, preset, noise=noise, pmd_to_dgd=pmd_to_dgd, strict=strict, **overrides)
    point = api.ber(preset, target_errors=target_errors, max_bits=max_bits, seed=seed, backend=backend,
                    **conditions)
    out = {"preset": point.preset if isinstance(point.preset, str) else _load_preset(preset).name,
           "conditions": _plain(conditions), "gnpy": path.to_dict()}
    for key in ("ber", "ber_low", "ber_high", "bit_errors", "bits", "threshold_ber", "post_fec_ber",
                "post_fec_ber_low", "post_fec_ber_high", "fer"):
        out[key] = _plain(getattr(point, key, None))
    thr, hi = out["threshold_ber"], out["ber_high"]
    out["below_threshold"] = None if thr is None or hi is None else bool(hi < thr)
    if margin:
        m = api.margin(preset, target_errors=target_errors, max_bits=max_bits, seed=seed, backend=backend,
                       tolerance_db=tolerance_db, **conditions)
        out.update(required_osnr_db=float(m.required.value), available_osnr_db=_plain(m.available),
                   margin_db=_plain(m.margin_db), margin_low_db=_plain(m.margin_low_db),
                   margin_high_db=_plain(m.margin_high_db), q_margin_db=_plain(m.q_margin_db))
    return out


# ---------------------------------------------------------------------------------------------- dsp -> GNPy
def _values(name, values, lo):
    try:
        vals = [float(v) for v in values]
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a sequence of numbers (got {values!r})") from None
    if not vals:
        raise ValueError(f"{name} must not be empty")
    if any(isinstance(v, bool) for v in values) or any(not math.isfinite(v) for v in vals):
        raise ValueError(f"{name} must hold finite numbers (got {values!r})")
    if lo is not None and min(vals) < lo:
        raise ValueError(f"{name} must be >= {lo} (got {values!r})")
    if any(b <= a for a, b in zip(vals, vals[1:])):
        raise ValueError(f"{name} must be strictly increasing (got {values!r})")
    return tuple(vals)


def _positive(name, v, allow_none=False):
    if v is None and allow_none:
        return None
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or v <= 0:
        raise ValueError(f"{name} must be a finite number > 0 (got {v!r})")
    return float(v)


def _penalty_rows(table, reference_db: float, values) -> list:
    """``(value, penalty_db)`` from a :class:`dsp.api.PenaltyTable`'s rows against ``reference_db``."""
    rows = list(table.rows)
    if len(rows) != len(values):
        raise RuntimeError(f"dsp.api.penalty_table returned {len(rows)} rows for {len(values)} values")
    out = []
    for value, row in zip(values, rows):
        required = float(row[1])
        if not math.isfinite(required):
            raise RuntimeError(f"no required OSNR found at {table.parameter} = {value:g}: the receiver does not "
                               f"reach the threshold there; leave that value out of the table")
        # below 0 only by Monte-Carlo noise within the search tolerance: GNPy gets 0, not a bonus
        out.append((value, round(max(required - reference_db, 0.0), 2)))
    return out


def transceiver_entry(preset="400zr", *, type_variety: str | None = None, mode_format: str | None = None,
                      cd_values_ps_nm=(0.0, 1200.0, 2400.0), dgd_values_ps=(0.0, 10.0, 20.0),
                      pdl_values_db=(0.0, 1.0, 2.0), target_ber: float | None = None, bit_rate_bps: float | None = None,
                      tx_osnr_db: float | None = None, cost: float = 1, min_spacing_hz: float | None = None,
                      frequency_range=DEFAULT_FREQUENCY_RANGE_HZ, pmd_to_dgd: float = 1.0,
                      tolerance_db: float = 0.05, target_errors: int = 1000, max_bits: float = 2e8, seed: int = 0,
                      backend: str = "auto", **conditions) -> dict:
    """A GNPy equipment-library ``Transceiver`` entry for ``preset``, from simulation.

    The mode's ``OSNR`` is the simulated required OSNR (0.1 nm) at the pre-FEC threshold
    (:func:`dsp.api.required_osnr`) back to back: ``cd_ps_nm = 0``, ``dgd_ps = 0`` and
    ``tx_osnr_db = inf`` (GNPy adds the ``tx_osnr`` written here itself), other parameters at the
    preset's defaults updated by ``conditions``. ``penalties`` are the simulated OSNR penalties
    (:func:`dsp.api.penalty_table`) at each CD value (DGD 0), each DGD value (CD 0) and, for a
    preset with a ``pdl_db`` parameter, each PDL value (CD 0, DGD 0), in dB above that
    requirement, rounded to 0.01 dB and floored at 0.

    Parameters
    ----------
    preset : str or Preset
        A coherent preset.
    type_variety : str, optional
        GNPy's name for the transceiver (default ``"dci-dsp <preset>"``).
    mode_format : str, optional
        The mode's ``format`` name, which path requests select (default e.g.
        ``"400zr DP-16QAM 59.84 GBd"``).
    cd_values_ps_nm : sequence of float, ps/nm
        CD values of the penalty table, strictly increasing. GNPy counts an infinite penalty
        beyond the largest (the CD tolerance) and below the smallest; it assumes 0 dB at 0 when all
        are positive. Negative values are allowed (GNPy's examples start at -1000).
    dgd_values_ps : sequence of float, ps
        DGD values simulated (>= 0, strictly increasing). Written as GNPy ``pmd`` boundaries
        ``dgd / pmd_to_dgd`` (GNPy's PMD is the mean DGD; see :func:`from_gnpy_path`).
    target_ber : float, optional
        Pre-FEC BER the requirement is found at (default: the preset's ``threshold_ber``).
    bit_rate_bps : float, optional
        The client bit rate GNPy plans capacity with (default: 400e9 for ``400zr`` and
        ``openzr-400g``, 800e9 for ``800zr``; required for other presets).
    tx_osnr_db : float, optional
        The transmitter OSNR GNPy adds (dB, 0.1 nm; default: the preset's ``tx_osnr_db`` if finite,
        else 40 dB as in GNPy's example transceivers).
    cost : float
        GNPy's relative cost of the mode (> 0).
    min_spacing_hz : float, optional
        Smallest channel spacing (default: ``baud_rate * (1 + roll_off)`` rounded up to 12.5 GHz,
        e.g. 75 GHz for 400ZR, 150 GHz for 800ZR); must be >= the baud rate (GNPy checks it).
    frequency_range : (float, float), Hz
        Tuning range ``(min, max)``.
    pmd_to_dgd : float
        The factor of :func:`from_gnpy_path` (> 0).
    tolerance_db, target_errors, max_bits, seed, backend
        Settings of the searches (:func:`dsp.api.required`); the evaluations are cached, so the
        back-to-back requirement and the tables' first rows share them.
    **conditions
        Preset parameters held for every simulation (e.g. ``linewidth_hz=...``,
        ``freq_offset_hz=...``); ``osnr_db``, ``cd_ps_nm``, ``dgd_ps`` and ``tx_osnr_db`` are set here.

    Returns
    -------
    dict
        ``{"type_variety", "frequency": {"min", "max"}, "mode": [{"format", "baud_rate", "OSNR",
        "bit_rate", "roll_off", "tx_osnr", "min_spacing", "cost", "penalties"}]}``, JSON-ready.
    """
    from dsp import api

    p = _load_preset(preset)
    for k in ("osnr_db", "cd_ps_nm", "dgd_ps", "pdl_db", "tx_osnr_db"):
        if k in conditions:
            raise ValueError(f"{k} is set by transceiver_entry (the requirement is found back to back and the "
                             f"penalties over cd_values_ps_nm / dgd_values_ps); do not pass it as a condition")
    cds = _values("cd_values_ps_nm", cd_values_ps_nm, None)
    dgds = _values("dgd_values_ps", dgd_values_ps, 0.0)
    with_pdl = pdl_values_db is not None and "pdl_db" in p.parameter_names
    pdls = _values("pdl_values_db", pdl_values_db, 0.0) if with_pdl else ()
    if target_ber is not None:
        if isinstance(target_ber, bool) or not isinstance(target_ber, (int, float)) or not 0 < target_ber < 0.5:
            raise ValueError(f"target_ber must be a number in (0, 0.5) (got {target_ber!r})")
    elif p.threshold_ber is None:
        raise ValueError(f"preset {p.name!r} has no threshold_ber; pass target_ber=...")
    pmd_to_dgd = _positive("pmd_to_dgd", pmd_to_dgd)
    cost = _positive("cost", cost)
    try:
        f_min, f_max = (float(f) for f in frequency_range)
    except (TypeError, ValueError):
        raise ValueError(f"frequency_range must be (min_hz, max_hz) (got {frequency_range!r})") from None
    if not (math.isfinite(f_min) and math.isfinite(f_max) and 0 < f_min < f_max):
        raise ValueError(f"frequency_range must be finite with 0 < min < max, in Hz (got {frequency_range!r})")
    values = p.resolve(conditions)  # raises naming a bad condition
    values.update(p.fixed)
    baud = float(values["symbol_rate_gbd"]) * 1e9
    roll_off = float(values["rolloff"])
    m = int(values["m"])
    if bit_rate_bps is None:
        if p.name not in KNOWN_BIT_RATES_BPS:
            raise ValueError(f"bit_rate_bps is required for preset {p.name!r} (known defaults: "
                             f"{', '.join(f'{k}={v:g}' for k, v in KNOWN_BIT_RATES_BPS.items())})")
        bit_rate_bps = KNOWN_BIT_RATES_BPS[p.name]
    bit_rate_bps = _positive("bit_rate_bps", bit_rate_bps)
    if tx_osnr_db is None:
        t = float(values.get("tx_osnr_db", math.inf))
        tx_osnr_db = t if math.isfinite(t) else 40.0
    elif isinstance(tx_osnr_db, bool) or not isinstance(tx_osnr_db, (int, float)) or not math.isfinite(tx_osnr_db):
        raise ValueError(f"tx_osnr_db must be a finite number, dB in 0.1 nm (got {tx_osnr_db!r})")
    if min_spacing_hz is None:
        min_spacing_hz = math.ceil(baud * (1 + roll_off) / GRID_HZ - 1e-9) * GRID_HZ
    min_spacing_hz = _positive("min_spacing_hz", min_spacing_hz)
    if min_spacing_hz < baud:
        raise ValueError(f"min_spacing_hz must be >= the baud rate {baud:g} Hz (GNPy rejects it otherwise; "
                         f"got {min_spacing_hz!r})")
    name = p.name
    type_variety = f"dci-dsp {name}" if type_variety is None else type_variety
    mode_format = f"{name} DP-{m}QAM {baud / 1e9:.2f} GBd" if mode_format is None else mode_format
    for arg, v in (("type_variety", type_variety), ("mode_format", mode_format)):
        if not isinstance(v, str) or not v.strip():
            raise ValueError(f"{arg} must be a non-empty string (got {v!r})")

    b2b = {**conditions, "tx_osnr_db": math.inf} if "tx_osnr_db" in p.parameter_names else dict(conditions)
    search = dict(tolerance_db=tolerance_db, target_errors=target_errors, max_bits=max_bits, seed=seed,
                  backend=backend)
    req = api.required_osnr(preset, target_ber, **search, **b2b, cd_ps_nm=0.0, dgd_ps=0.0)
    reference = float(req.value)
    if not math.isfinite(reference):
        raise RuntimeError(f"no required OSNR found for preset {name!r} back to back")
    cd_table = api.penalty_table(preset, "cd_ps_nm", cds, target_ber=target_ber, **search, **b2b, dgd_ps=0.0)
    dgd_table = api.penalty_table(preset, "dgd_ps", dgds, target_ber=target_ber, **search, **b2b, cd_ps_nm=0.0)
    penalties = [{"chromatic_dispersion": v, "penalty_value": pen}
                 for v, pen in _penalty_rows(cd_table, reference, cds)]
    penalties += [{"pmd": round(v / pmd_to_dgd, 6), "penalty_value": pen}
                  for v, pen in _penalty_rows(dgd_table, reference, dgds)]
    if with_pdl:
        pdl_table = api.penalty_table(preset, "pdl_db", pdls, target_ber=target_ber, **search, **b2b, cd_ps_nm=0.0,
                                      dgd_ps=0.0)
        penalties += [{"pdl": v, "penalty_value": pen} for v, pen in _penalty_rows(pdl_table, reference, pdls)]
    mode = {"format": mode_format, "baud_rate": baud, "OSNR": round(reference, 2), "bit_rate": bit_rate_bps,
            "roll_off": roll_off, "tx_osnr": float(tx_osnr_db), "min_spacing": min_spacing_hz, "cost": cost,
            "penalties": penalties}
    return {"type_variety": type_variety, "frequency": {"min": f_min, "max": f_max}, "mode": [mode]}


def validate_transceiver_entry(entry: dict) -> None:
    """Check ``entry`` has the structure GNPy's equipment loader needs; raise ValueError naming what is wrong.

    Checks the keys of :data:`TRANSCEIVER_KEYS` and :data:`MODE_KEYS`, numeric fields, ``baud_rate
    <= min_spacing`` (GNPy's own check), unique mode formats, and each penalty naming exactly one of
    ``chromatic_dispersion``, ``pmd``, ``pdl`` with a ``penalty_value``.
    """
    if not isinstance(entry, dict):
        raise ValueError(f"a Transceiver entry must be a dict (got {type(entry).__name__})")
    for k in TRANSCEIVER_KEYS:
        if k not in entry:
            raise ValueError(f"Transceiver entry: field '{k}' missing")
    tv = entry["type_variety"]
    if not isinstance(tv, str) or not tv:
        raise ValueError(f"Transceiver entry: 'type_variety' must be a non-empty string (got {tv!r})")
    freq = entry["frequency"]
    if not isinstance(freq, dict) or not all(k in freq for k in ("min", "max")):
        raise ValueError(f"Transceiver {tv!r}: 'frequency' must be {{'min': Hz, 'max': Hz}} (got {freq!r})")
    if not all(isinstance(freq[k], (int, float)) for k in ("min", "max")) or not 0 < freq["min"] < freq["max"]:
        raise ValueError(f"Transceiver {tv!r}: 'frequency' needs numbers 0 < min < max (got {freq!r})")
    modes = entry["mode"]
    if not isinstance(modes, list) or not modes:
        raise ValueError(f"Transceiver {tv!r}: 'mode' must be a non-empty list")
    formats = set()
    for i, mode in enumerate(modes):
        where = f"Transceiver {tv!r} mode[{i}]"
        if not isinstance(mode, dict):
            raise ValueError(f"{where} must be a dict")
        for k in MODE_KEYS:
            if k not in mode:
                raise ValueError(f"{where}: field '{k}' missing")
        if not isinstance(mode["format"], str) or mode["format"] in formats:
            raise ValueError(f"{where}: 'format' must be a string unique in the transceiver (got {mode['format']!r})")
        formats.add(mode["format"])
        for k in ("baud_rate", "OSNR", "bit_rate", "roll_off", "tx_osnr", "min_spacing", "cost"):
            v = mode[k]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                raise ValueError(f"{where}: '{k}' must be a finite number (got {v!r})")
        if mode["baud_rate"] > mode["min_spacing"]:
            raise ValueError(f"{where}: baud_rate {mode['baud_rate']:g} Hz exceeds min_spacing "
                             f"{mode['min_spacing']:g} Hz")
        pens = mode["penalties"]
        if not isinstance(pens, list):
            raise ValueError(f"{where}: 'penalties' must be a list")
        for j, pen in enumerate(pens):
            kinds = [k for k in ("chromatic_dispersion", "pmd", "pdl") if isinstance(pen, dict) and k in pen]
            if len(kinds) != 1 or "penalty_value" not in pen or set(pen) != {kinds[0], "penalty_value"}:
                raise ValueError(f"{where}: penalties[{j}] must be {{<chromatic_dispersion|pmd|pdl>: value, "
                                 f"'penalty_value': dB}} (got {pen!r})")
            for k in (kinds[0], "penalty_value"):
                if isinstance(pen[k], bool) or not isinstance(pen[k], (int, float)) or not math.isfinite(pen[k]):
                    raise ValueError(f"{where}: penalties[{j}]['{k}'] must be a finite number (got {pen[k]!r})")


def write_equipment(path, entries, base=None) -> dict:
    """Add Transceiver ``entries`` to a GNPy equipment JSON and write it to ``path``.

    Parameters
    ----------
    path : str or os.PathLike
        The file written (UTF-8 JSON, indent 2, written to a temporary file and renamed).
    entries : dict or sequence of dict
        Transceiver entries (:func:`transceiver_entry`), checked by :func:`validate_transceiver_entry`.
        An entry whose ``type_variety`` is already in the library replaces it.
    base : dict, str or os.PathLike, optional
        The library to add to (a parsed equipment JSON or a file, e.g. GNPy's
        ``example-data/eqpt_config.json``). Default: ``path`` itself if it exists, else an empty
        library, so the file holds only ``{"Transceiver": [...]}``: use it as GNPy's
        ``--extra-equipment`` next to a full library.

    Returns
    -------
    dict
        The library written.
    """
    if isinstance(entries, dict):
        entries = [entries]
    entries = list(entries)
    if not entries:
        raise ValueError("entries must hold at least one Transceiver entry")
    for e in entries:
        validate_transceiver_entry(e)
    names = [e["type_variety"] for e in entries]
    if len(set(names)) != len(names):
        raise ValueError(f"entries repeat a type_variety ({names})")
    path = Path(path)
    if base is None and path.exists():
        base = path
    if base is None:
        lib = {}
    elif isinstance(base, dict):
        lib = json.loads(json.dumps(base))  # a deep copy; the caller's dict is not modified
    elif isinstance(base, (str, os.PathLike)):
        try:
            lib = json.loads(Path(base).read_text(encoding="utf-8"))
        except OSError as exc:
            raise ValueError(f"base: cannot read equipment file {str(base)!r} ({exc.strerror})") from None
        except json.JSONDecodeError as exc:
            raise ValueError(f"base: {str(base)!r} is not valid JSON ({exc})") from None
    else:
        raise ValueError(f"base must be None, a dict or a path to an equipment JSON (got {type(base).__name__})")
    if not isinstance(lib, dict):
        raise ValueError("base must be a JSON object (GNPy's equipment library)")
    trx = lib.setdefault("Transceiver", [])
    if not isinstance(trx, list):
        raise ValueError("base: 'Transceiver' must be a list")
    trx[:] = [t for t in trx if not (isinstance(t, dict) and t.get("type_variety") in names)] + entries
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(lib, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    return lib

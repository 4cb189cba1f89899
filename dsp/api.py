"""The stable face of dci-dsp for link-budget tools: plain numbers in, plain numbers out.

Everything here takes a preset name (``dci-dsp presets`` lists them; a preset TOML path or a
:class:`dsp.sim.presets.Preset` works too) and the link's parameters as keyword arguments
("conditions": ``osnr_db=22.0, cd_ps_nm=2400`` ...), and returns frozen dataclasses whose fields are
Python ``float`` / ``int`` / ``str`` / ``bool`` / ``None``, or ``dict`` / ``tuple`` of those: never a
NumPy or CuPy object. Each result has ``to_dict()`` (JSON-able).

- :func:`ber`: the simulated pre-FEC BER of one operating point, with its confidence interval,
  the post-FEC numbers where the link has an FEC, and the link's other metrics
  (:class:`BerPoint`).
- :func:`required_osnr`, :func:`required_rop`, :func:`required`: the value of a parameter at which
  the simulated BER reaches a target (by default the preset's ``threshold_ber``), with an
  interval from the BER confidence intervals (:class:`Requirement`).
- :func:`penalty_table`: the required OSNR / ROP at each value of an impairment, and the penalty
  against the first value (:class:`PenaltyTable`).
- :func:`margin`: how far the conditions' OSNR / ROP is above the required one, and the Q margin
  (:class:`Margin`).

Versioning
----------
``API_VERSION`` (``"MAJOR.MINOR"``) versions the names, signatures and result fields of this
module. A minor bump only adds (new optional arguments, new fields with defaults, new metric
keys); a major bump is needed to remove or change anything. Numbers may change between package
versions (``dsp.__version__``) when a model improves: the result cache is keyed by both.

Units and conventions
---------------------
``osnr_db``: OSNR in dB in 0.1 nm (12.5 GHz), signal and ASE in both polarizations.
``rop_dbm``: received average optical power, dBm. ``snr_db`` (AWGN presets): Es/N0 for QAM, the
electrical SNR E[x^2]/sigma^2 for PAM. Margins and penalties are in the unit of the searched
parameter (dB for OSNR and SNR, dB for ROP since it is in dBm). BER intervals are two-sided 95 %
Clopper-Pearson.

The result cache
----------------
Each BER evaluation is cached, keyed by a hash of the resolved link (the link dataclass's fields
after the preset is applied, so ``ber("awgn-qam", snr_db=10)`` and
``ber("awgn-qam", m=16, snr_db="10")`` share an entry, and so do two presets that resolve to the
same link), ``seed``, ``target_errors``, ``max_bits``, the backend actually used (``"cpu"`` or
``"gpu"``), ``dsp.__version__`` and ``API_VERSION``. The cache lives in memory (LRU, the last
``CACHE_SIZE`` evaluations) and, when a directory is set (:func:`set_cache_dir` or the
``DSP_CACHE_DIR`` environment variable), also on disk as one JSON file per evaluation, written
atomically (temporary file, then rename), so that several processes (a link-budget tool's
workers) reuse each other's results. :func:`clear_cache` empties it. Searches
(:func:`required` ...) are deterministic sequences of cached evaluations, so repeating one costs
almost nothing.

``import dsp.api`` is cheap (standard library only); NumPy, SciPy and the simulator load on the
first call.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass

API_VERSION = "1.0"
"""Version of this module's names, signatures and result fields (see the module docstring)."""

CACHE_SIZE = 4096
"""Evaluations kept in the in-memory LRU cache."""

SEARCH_PARAMETER = {"coherent": "osnr_db", "imdd": "rop_dbm", "awgn": "snr_db"}
"""The parameter :func:`penalty_table` and :func:`margin` search by default, by link type."""

SEARCH_BITS_FACTOR = 10.0
"""A search's BER evaluations stop at ``min(max_bits, SEARCH_BITS_FACTOR * target_errors / target_ber)``
bits: a point at the target still reaches ``target_errors``."""

MAX_EVALUATIONS = 40
"""Most BER evaluations one search may run before it gives up (ValueError)."""

__all__ = ["API_VERSION", "BerPoint", "Requirement", "PenaltyTable", "Margin", "ber", "required",
           "required_osnr", "required_rop", "penalty_table", "margin", "set_cache_dir", "get_cache_dir",
           "clear_cache", "cache_info"]

# Point fields pulled out of the link's metrics into BerPoint's own fields.
_POST_FEC = ("post_fec_ber", "post_fec_ber_low", "post_fec_ber_high", "fer")


# ----------------------------------------------------------------------------- plain values

def _plain(v):
    """``v`` as Python scalars / dicts / tuples (NumPy and CuPy scalars and 0-d arrays converted)."""
    if v is None or isinstance(v, (bool, str)):
        return v
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return float(v)
    if isinstance(v, dict):
        return {str(k): _plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return tuple(_plain(x) for x in v)
    if hasattr(v, "get") and type(v).__module__.startswith("cupy"):  # a CuPy scalar or array
        v = v.get()
    if hasattr(v, "item") and getattr(v, "ndim", 0) == 0:  # NumPy scalar or 0-d array
        return _plain(v.item())
    if hasattr(v, "tolist"):
        return _plain(v.tolist())
    raise TypeError(f"not a plain value: {type(v).__name__}")


def _jsonable(v):
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return v.to_dict()
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _to_dict(obj) -> dict:
    return {f.name: _jsonable(getattr(obj, f.name)) for f in dataclasses.fields(obj)}


# ----------------------------------------------------------------------------- results

@dataclass(frozen=True)
class BerPoint:
    """The simulated BER of one operating point.

    Attributes
    ----------
    preset : str
        The preset's name.
    conditions : dict
        The parameters the caller set (typed by the preset: float, int, str or bool); the others
        are the preset's defaults.
    ber, ber_low, ber_high : float
        Pre-FEC bit error ratio and its 95 % Clopper-Pearson interval.
    bit_errors, bits : int
        The counts behind them.
    threshold_ber : float or None
        The preset's pre-FEC BER threshold (the FEC limit), if it has one.
    post_fec_ber, post_fec_ber_low, post_fec_ber_high, fer : float or None
        Post-FEC BER (with interval) and frame (codeword) error rate, where the link evaluates an
        FEC (IM/DD ``fec="kp4"``, coherent ``fec="cfec"`` ...); else None.
    metrics : dict {str: float or int}
        Every other number of the point: ``ser``, ``symbol_errors``, ``symbols``, ``theory_ber``
        (closed form, where the link has one), and the link's own, e.g. ``snr_db``, ``evm_pct``,
        ``q_db``, ``gmi``, ``ngmi``, ``osnr_line_db``, ``cycle_slips`` (coherent); ``fer_low``,
        ``fer_high``, ``post_fec_ber_est``, ``codewords`` (FEC).
    stop : str
        Why the count stopped: ``"target_errors"`` or ``"max_bits"``.
    backend : str
        ``"cpu"`` or ``"gpu"``.
    seed : int
        The root seed.
    """

    preset: str
    conditions: dict
    ber: float
    ber_low: float
    ber_high: float
    bit_errors: int
    bits: int
    threshold_ber: float | None
    post_fec_ber: float | None
    post_fec_ber_low: float | None
    post_fec_ber_high: float | None
    fer: float | None
    metrics: dict
    stop: str = ""
    backend: str = ""
    seed: int = 0

    def to_dict(self) -> dict:
        """A JSON-able dict of every field."""
        return _to_dict(self)


@dataclass(frozen=True)
class Requirement:
    """The value of ``parameter`` at which the simulated BER equals ``target_ber``.

    Attributes
    ----------
    preset, parameter : str
    value : float
        The crossing: log10 BER interpolated linearly between the two evaluated points that
        bracket the target.
    low, high : float
        Where the lower and the upper 95 % confidence bounds of the BER cross the target
        (:func:`dsp.metrics.threshold_crossing`), so ``low <= value <= high``.
    target_ber : float
    conditions : dict
        The other parameters set (typed by the preset).
    points : tuple of (x, ber, ber_low, ber_high)
        Every evaluated point with errors counted, sorted by x.
    theory : float or None
        The same requirement for the link's closed form (``theory_ber``: ideal transceiver), where it
        has one; the search started from it.
    unconverged : tuple of float
        Values of x where the receiver DSP did not converge (counted as "BER above the target").
    """

    preset: str
    parameter: str
    value: float
    low: float
    high: float
    target_ber: float
    conditions: dict
    points: tuple
    theory: float | None = None
    unconverged: tuple = ()

    def to_dict(self) -> dict:
        """A JSON-able dict; ``points`` as a list of ``[x, ber, ber_low, ber_high]``."""
        return _to_dict(self)


@dataclass(frozen=True)
class PenaltyTable:
    """Required OSNR / ROP (``search``) against the values of one impairment ``parameter``.

    Attributes
    ----------
    preset, parameter : str
    search : str
        The searched parameter (``"osnr_db"``, ``"rop_dbm"`` or ``"snr_db"``).
    reference : float
        The requirement at the first value (the baseline).
    rows : tuple of (value, required, required_low, required_high, penalty_db)
        One per value, in the order given; ``penalty_db = required - reference`` (positive when
        the impairment costs OSNR / ROP).
    target_ber : float
    conditions : dict
        The other parameters set.
    requirements : tuple of Requirement
        The full search results, one per row.
    """

    preset: str
    parameter: str
    reference: float
    rows: tuple
    target_ber: float
    conditions: dict
    search: str = ""
    requirements: tuple = ()

    def to_dict(self) -> dict:
        """A JSON-able dict; rows as lists."""
        return _to_dict(self)


@dataclass(frozen=True)
class Margin:
    """How much the link has in hand at ``conditions``.

    Attributes
    ----------
    preset : str
    conditions : dict
        All parameters set (including the available OSNR / ROP).
    required : Requirement
        The search at the other conditions.
    available : float
        The conditions' value of the searched parameter (``osnr_db``, ``rop_dbm`` or ``snr_db``;
        the preset's default when not set).
    margin_db : float
        ``available - required.value`` (positive: the BER is below the target).
    margin_low_db, margin_high_db : float
        From the requirement's interval: ``available - required.high``, ``available - required.low``.
    q_margin_db : float or None
        Q-factor of the BER measured at the conditions minus the Q-factor of the target BER
        (``Q = 20 log10(sqrt(2) erfcinv(2 BER))``); None when no error was counted there.
    point : BerPoint or None
        The BER evaluation at the conditions.
    """

    preset: str
    conditions: dict
    required: Requirement
    available: float
    margin_db: float
    margin_low_db: float
    margin_high_db: float
    q_margin_db: float | None
    point: BerPoint | None = None

    def to_dict(self) -> dict:
        """A JSON-able dict (``required`` and ``point`` nested as dicts)."""
        return _to_dict(self)


# ----------------------------------------------------------------------------- the cache

_lock = threading.Lock()
_memory: "OrderedDict[str, dict]" = OrderedDict()
_UNSET = object()
_cache_dir = _UNSET
_stats = {"hits": 0, "disk_hits": 0, "misses": 0}


def set_cache_dir(path) -> None:
    """Keep BER evaluations also on disk, in the directory ``path`` (created when needed).

    ``False`` turns the disk cache off (whatever ``DSP_CACHE_DIR`` says); ``None`` restores the
    default: ``$DSP_CACHE_DIR`` when set, else no disk cache. Files are JSON, one per evaluation,
    named ``ber-<hash>.json`` after the hash of what determines it, written atomically.
    """
    global _cache_dir
    if path is None:
        _cache_dir = _UNSET
    elif path is False:
        _cache_dir = None
    elif isinstance(path, (str, os.PathLike)) and not isinstance(path, bool):
        _cache_dir = os.fspath(path)
    else:
        raise TypeError(f"path must be a str, an os.PathLike, None or False (got {path!r})")


def get_cache_dir() -> str | None:
    """The disk cache directory in use: :func:`set_cache_dir`'s, else ``$DSP_CACHE_DIR``, else None."""
    if _cache_dir is not _UNSET:
        return _cache_dir
    return os.environ.get("DSP_CACHE_DIR") or None


def clear_cache(disk: bool = False) -> None:
    """Empty the in-memory cache; with ``disk=True`` also delete this module's files in the disk
    cache directory (``*.json`` files written by :func:`ber`)."""
    with _lock:
        _memory.clear()
        for k in _stats:
            _stats[k] = 0
    d = get_cache_dir()
    if disk and d and os.path.isdir(d):
        for name in os.listdir(d):
            if name.startswith("ber-") and name.endswith(".json"):
                try:
                    os.remove(os.path.join(d, name))
                except FileNotFoundError:
                    pass


def cache_info() -> dict:
    """``{"hits", "disk_hits", "misses", "size", "dir"}`` of the result cache since the last clear."""
    with _lock:
        return {**_stats, "size": len(_memory), "dir": get_cache_dir()}


def _normalise(v):
    """Cache-key form of a link field: numeric strings ("2400", "2400.0") as floats."""
    if isinstance(v, str):
        try:
            f = float(v)
        except ValueError:
            return v
        return f if math.isfinite(f) else v
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    return v


def _cache_key(link, seed, target_errors, max_bits, backend) -> str:
    from dsp import __version__

    fields = {f.name: _normalise(getattr(link, f.name)) for f in dataclasses.fields(link)}
    blob = json.dumps({"link": type(link).__module__ + "." + type(link).__qualname__, "fields": fields,
                       "seed": seed, "target_errors": target_errors, "max_bits": max_bits, "backend": backend,
                       "dsp": __version__, "api": API_VERSION}, sort_keys=True, default=repr)
    return hashlib.sha256(blob.encode()).hexdigest()[:32]


def _cache_get(key):
    with _lock:
        rec = _memory.get(key)
        if rec is not None:
            _memory.move_to_end(key)
            _stats["hits"] += 1
            return rec
    d = get_cache_dir()
    if d:
        try:
            with open(os.path.join(d, f"ber-{key}.json")) as f:
                rec = json.load(f)
        except (OSError, ValueError):
            rec = None
        if isinstance(rec, dict) and rec.get("key") == key:
            with _lock:
                _stats["disk_hits"] += 1
            _cache_put(key, rec, disk=False)
            return rec
    with _lock:
        _stats["misses"] += 1
    return None


def _cache_put(key, rec, disk=True):
    with _lock:
        _memory[key] = rec
        _memory.move_to_end(key)
        while len(_memory) > CACHE_SIZE:
            _memory.popitem(last=False)
    d = get_cache_dir()
    if disk and d:
        os.makedirs(d, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".ber-", suffix=".tmp", dir=d)
        try:
            with os.fdopen(fd, "w") as f:
                json.dump(rec, f, sort_keys=True)
            os.replace(tmp, os.path.join(d, f"ber-{key}.json"))
        except BaseException:
            try:
                os.remove(tmp)
            except OSError:
                pass
            raise


# ----------------------------------------------------------------------------- ber

def _preset(preset):
    from dsp.sim.presets import Preset, load_preset

    if isinstance(preset, Preset):
        return preset
    if not isinstance(preset, (str, os.PathLike)):
        raise TypeError(f"preset must be a preset name, a TOML path or a Preset (got {type(preset).__name__})")
    return load_preset(preset)


def _target(p, target_ber) -> float:
    if target_ber is None:
        if p.threshold_ber is None:
            raise ValueError(f"target_ber must be given: preset {p.name!r} has no threshold_ber")
        return float(p.threshold_ber)
    if isinstance(target_ber, bool) or not isinstance(target_ber, (int, float)) or \
            not (0.0 < float(target_ber) < 0.5):
        raise ValueError(f"target_ber must be a number in (0, 0.5) (got {target_ber!r})")
    return float(target_ber)


def _count(name, v, lo=1):
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or \
            float(v) != int(v) or v < lo:
        raise ValueError(f"{name} must be an integer >= {lo} (got {v!r})")
    return int(v)


def _settings(target_errors, max_bits, seed, backend):
    from dsp.backend import get_backend

    return (_count("target_errors", target_errors), _count("max_bits", max_bits),
            _count("seed", seed, 0), get_backend(backend).name)


def _evaluate(p, conditions: dict, settings) -> dict:
    """The cached record of one BER evaluation: a dict of plain numbers, or ``{"error": ...}`` when
    the receiver did not converge."""
    target_errors, max_bits, seed, backend = settings
    link = p.build(**conditions)  # unknown or out-of-range parameters raise PresetError here
    key = _cache_key(link, seed, target_errors, max_bits, backend)
    rec = _cache_get(key)
    if rec is not None:
        return rec
    from dsp.sim.engine import simulate_ber

    try:
        res = simulate_ber(p, params=conditions, target_errors=target_errors, max_bits=max_bits, seed=seed,
                           backend=backend)
    except Exception as exc:
        from dsp.sim.coherent import ConvergenceError

        if not isinstance(exc, ConvergenceError):
            raise
        rec = {"key": key, "error": "convergence", "message": str(exc)}
    else:
        pt = res.points[0]
        metrics = {}
        for k, v in {"ser": pt.ser, "symbol_errors": pt.symbol_errors, "symbols": pt.symbols,
                     "theory_ber": pt.theory_ber, **pt.metrics}.items():
            v = _plain(v) if v is not None and not isinstance(v, str) else None
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                metrics[k] = v
        rec = {"key": key, "ber": float(pt.ber), "ber_low": float(pt.ber_low), "ber_high": float(pt.ber_high),
               "bit_errors": int(pt.bit_errors), "bits": int(pt.bits), "stop": str(pt.stop),
               "backend": str(pt.backend), "metrics": metrics}
    _cache_put(key, rec)
    return rec


def _typed_conditions(p, conditions: dict) -> dict:
    values = p.resolve(conditions)
    return {k: _plain(values[k]) for k in conditions}


def _point(p, conditions, rec, seed) -> BerPoint:
    if "error" in rec:
        from dsp.sim.coherent import ConvergenceError

        raise ConvergenceError(rec["message"])
    m = dict(rec["metrics"])
    post = {k: m.pop(k, None) for k in _POST_FEC}
    return BerPoint(p.name, _typed_conditions(p, conditions), rec["ber"], rec["ber_low"], rec["ber_high"],
                    rec["bit_errors"], rec["bits"], None if p.threshold_ber is None else float(p.threshold_ber),
                    post["post_fec_ber"], post["post_fec_ber_low"], post["post_fec_ber_high"], post["fer"], m,
                    rec["stop"], rec["backend"], seed)


def ber(preset, *, target_errors=1000, max_bits=2e8, seed=0, backend="auto", **conditions) -> BerPoint:
    """Simulated BER of ``preset`` at ``conditions``.

    Parameters
    ----------
    preset : str, path or Preset
        A preset name (``dci-dsp presets``), a preset TOML path, or a Preset.
    target_errors : int >= 1
        The count stops once this many bit errors are seen (1000: a +-6 % interval)...
    max_bits : int >= 1
        ... or once this many bits are simulated (the point's BER can then be 0).
    seed : int >= 0
        Root seed of the Monte Carlo (same seed, same counts).
    backend : "auto", "cpu" or "gpu"
    **conditions
        The preset's parameters (``osnr_db=20.0``, ``rop_dbm=-10.0``, ``cd_ps_nm=2400`` ...);
        unset ones take the preset's defaults. A name the preset does not have, or a value outside
        its range, raises :class:`dsp.sim.presets.PresetError` (a ValueError) listing what is allowed.

    Returns
    -------
    BerPoint

    Raises
    ------
    dsp.sim.coherent.ConvergenceError
        When the receiver DSP of a coherent link does not converge (e.g. far below its OSNR
        tolerance): no BER is defined there.

    Results are cached (see the module docstring): the same evaluation twice costs a dictionary
    look-up.
    """
    p = _preset(preset)
    settings = _settings(target_errors, max_bits, seed, backend)
    return _point(p, conditions, _evaluate(p, conditions, settings), settings[2])


# ----------------------------------------------------------------------------- the search

class _Search:
    """Bracketing search on simulated BER along one parameter; see :func:`required`."""

    def __init__(self, p, parameter, target, increasing, conditions, settings, step, tolerance, max_evaluations):
        self.p, self.parameter, self.target = p, parameter, target
        self.d = 1.0 if increasing else -1.0  # the direction in which the BER falls
        self.conditions, self.settings = conditions, settings
        # A point at the target reaches target_errors within 10 target_errors / target bits; points
        # far below the target only need to show that they are below it.
        te, mb, seed, be = settings
        self.settings_eval = (te, min(mb, max(1, int(math.ceil(SEARCH_BITS_FACTOR * te / target)))), seed, be)
        self.step, self.tolerance, self.max_evaluations = step, tolerance, max_evaluations
        par = p.parameter(parameter)
        self.lo = -math.inf if par.min is None else float(par.min)
        self.hi = math.inf if par.max is None else float(par.max)
        self.default = par.default
        self.evaluated: dict[float, dict] = {}
        self.best = None

    def link_at(self, x):
        return self.p.build(**self.conditions, **{self.parameter: x})

    def evaluate(self, x) -> dict:
        x = round(float(x), 6)
        if x in self.evaluated:
            return self.evaluated[x]
        if len(self.evaluated) >= self.max_evaluations:
            raise ValueError(f"the search for {self.parameter} at target_ber={self.target:g} did not converge in "
                             f"{self.max_evaluations} BER evaluations (evaluated: {sorted(self.evaluated)}); "
                             f"raise tolerance or target_errors")
        rec = _evaluate(self.p, {**self.conditions, self.parameter: x}, self.settings_eval)
        self.evaluated[x] = rec
        if "error" not in rec and (self.best is None or rec["ber"] < self.best[1]):
            self.best = (x, rec["ber"])
        return rec

    def good(self, rec) -> bool:
        """The BER meets the target (a receiver that did not converge does not)."""
        return "error" not in rec and rec["ber"] <= self.target

    @staticmethod
    def measured(rec) -> bool:
        return "error" not in rec and rec["bit_errors"] > 0

    def theory(self):
        """The closed-form requirement (the link's theory_ber, inverted numerically) or None."""
        try:
            link = self.link_at(self.default if isinstance(self.default, (int, float)) else 0.0)
        except Exception:
            return None
        if link.theory_ber() is None:
            return None

        def f(x):
            try:
                b = self.link_at(float(x)).theory_ber()
            except Exception:
                return None
            if b is None or not math.isfinite(b):
                return None
            return math.log10(max(b, 1e-300)) - math.log10(self.target)

        lo = self.lo if math.isfinite(self.lo) else -100.0
        hi = self.hi if math.isfinite(self.hi) else 100.0
        n = max(2, int(math.ceil((hi - lo) / max(self.step, 1e-9))) + 1)
        xs = [lo + (hi - lo) * i / (n - 1) for i in range(n)]
        if self.d < 0:
            xs = xs[::-1]
        prev = None
        for x in xs:  # scan in the direction in which the BER falls; the first crossing
            v = f(x)
            if v is None:
                continue
            if prev is not None and prev[1] > 0 >= v:
                from scipy.optimize import brentq

                a, b = sorted((prev[0], x))
                return float(brentq(lambda t: f(t) if f(t) is not None else 0.0, a, b, xtol=1e-6))
            prev = (x, v)
        return None

    def run(self):
        theory = self.theory()
        if theory is not None:
            x0 = theory
        elif isinstance(self.default, (int, float)) and not isinstance(self.default, bool) and \
                math.isfinite(self.default):
            x0 = float(self.default)
        else:
            x0 = min(max(0.0, self.lo), self.hi)
        x0 = round(min(max(x0, self.lo), self.hi), 6)
        rec = self.evaluate(x0)
        # 1. Bracket: fixed steps (growing geometrically after 4) until the BER crosses the target.
        direction = self.d if not self.good(rec) else -self.d  # toward the other side
        x, step, n = x0, self.step, 0
        while True:
            nx = round(min(max(x + direction * step, self.lo), self.hi), 6)
            if nx == x:
                self.out_of_range(direction, x)
            r = self.evaluate(nx)
            if self.good(r) != self.good(rec):
                break
            x, rec, n = nx, r, n + 1
            if n >= 4:
                step *= 2.0
        pair = sorted([(x, rec), (nx, r)], key=lambda t: self.good(t[1]))  # [bad, good]
        (xb, rb), (xg, rg) = pair
        # 2. Refine: interpolate log10 BER between the bracket's ends (bisect where an end has no
        #    measured BER), evaluate there, re-bracket; stop when the bracket or the move is small.
        est = None
        while abs(xg - xb) > self.tolerance and len(self.evaluated) < self.max_evaluations:
            if self.measured(rb) and self.measured(rg):
                yb, yg, t = math.log10(rb["ber"]), math.log10(rg["ber"]), math.log10(self.target)
                xm = xb + (t - yb) * (xg - xb) / (yg - yb) if yg != yb else 0.5 * (xb + xg)
                interpolated = True
            else:
                xm, interpolated = 0.5 * (xb + xg), False
            xm = round(xm, 6)
            if interpolated and est is not None and abs(xm - est) <= self.tolerance:
                break
            if xm in self.evaluated or not (min(xb, xg) < xm < max(xb, xg)):
                break
            est = xm if interpolated else None
            rm = self.evaluate(xm)
            if self.good(rm):
                xg, rg = xm, rm
            else:
                xb, rb = xm, rm
        return theory, (xb, rb), (xg, rg)

    def out_of_range(self, direction, x):
        name, p = self.parameter, self.p.name
        way = "up to the upper" if direction > 0 else "down to the lower"
        if direction == self.d:
            best = "" if self.best is None else f"; best BER seen {self.best[1]:.3g} at {name}={self.best[0]:g}"
            raise ValueError(f"preset {p!r} cannot reach target_ber={self.target:g}: the BER stays above it {way} "
                             f"bound {name}={x:g} (a BER floor, or a receiver that does not converge){best}")
        raise ValueError(f"the BER of preset {p!r} stays at or below target_ber={self.target:g} {way} bound "
                         f"{name}={x:g}: the requirement lies outside the parameter's range")


def required(preset, parameter, target_ber=None, *, increasing=True, tolerance=0.05, step=1.0, target_errors=1000,
             max_bits=2e8, seed=0, backend="auto", max_evaluations=MAX_EVALUATIONS, **conditions) -> Requirement:
    """The value of ``parameter`` at which the simulated BER of ``preset`` equals ``target_ber``.

    The search (a bracketing search on simulated BER):

    1. Start from the closed form where the link has one (``theory_ber`` at the conditions, inverted
       numerically: scanned over the parameter's range in ``step`` increments, then Brent's method),
       else from the parameter's default.
    2. Step by ``step`` (the fourth and later steps doubling) in the direction that crosses the
       target until the simulated BER brackets it: one evaluated point with BER above the target,
       one at or below.
    3. Interpolate log10 BER linearly between the bracket's ends, evaluate there and re-bracket
       (regula falsi; bisection while an end has no error counted or did not converge), until the
       bracket is narrower than ``tolerance`` or the interpolated estimate moves by less than it.
    4. ``value``, ``low``, ``high``: :func:`dsp.metrics.threshold_crossing` over every evaluated
       point (where the BER and its 95 % bounds cross the target). Since every evaluated point on
       one side of the bracket has BER above the target and every point on the other side at or
       below, the crossing is the bracket's.

    All evaluations use the same ``seed`` (common random numbers: the noise of neighbouring
    points is correlated, which smooths the curve the search interpolates) and are cached. A
    coherent link whose receiver DSP does not converge (far below its OSNR tolerance:
    :class:`dsp.sim.coherent.ConvergenceError`) counts as "BER above the target" and the search
    moves on; such points are listed in ``unconverged``.

    Parameters
    ----------
    preset : str, path or Preset
    parameter : str
        A continuous (float) parameter of the preset, e.g. ``"osnr_db"``, ``"rop_dbm"``,
        ``"snr_db"``, ``"length_km"``.
    target_ber : float in (0, 0.5), optional
        Default: the preset's ``threshold_ber``.
    increasing : bool
        True (default) when the BER falls as the parameter grows (OSNR, ROP, SNR): the result is
        the least value meeting the target. False for an impairment (length, dispersion, DGD):
        the largest value tolerated.
    tolerance : float > 0
        Width of the bracket (in the parameter's unit) or move of the estimate at which the
        refinement stops.
    step : float > 0
        Bracketing step, in the parameter's unit (1 dB for OSNR / ROP).
    target_errors, max_bits, seed, backend
        Per BER evaluation, as in :func:`ber`. ``target_errors`` sets the interval's width.
    max_evaluations : int
        Give up (ValueError) after this many BER evaluations.
    **conditions
        The other parameters of the preset (not ``parameter`` itself).

    Returns
    -------
    Requirement

    Raises
    ------
    ValueError
        ``target_ber`` outside (0, 0.5); ``parameter`` unknown, not continuous, or also given as a
        condition; an unknown condition (:class:`dsp.sim.presets.PresetError`); the target
        cannot be reached within the parameter's range (the message gives the best BER seen);
        or the search did not converge in ``max_evaluations``.
    """
    p = _preset(preset)
    target = _target(p, target_ber)
    if not isinstance(parameter, str):
        raise TypeError(f"parameter must be a parameter name (got {parameter!r})")
    par = p.parameter(parameter)  # PresetError listing the valid names
    if par.kind is not float:
        raise ValueError(f"parameter must be a continuous (float) parameter of preset {p.name!r}; "
                         f"{parameter!r} is {par.kind.__name__}-valued ({par.allowed()})")
    if parameter in conditions:
        raise ValueError(f"{parameter!r} is the searched parameter: do not also set it as a condition")
    for name, v in (("tolerance", tolerance), ("step", step)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not (math.isfinite(v) and v > 0):
            raise ValueError(f"{name} must be a finite number > 0 (got {v!r})")
    if not isinstance(increasing, bool):
        raise TypeError(f"increasing must be True or False (got {increasing!r})")
    max_evaluations = _count("max_evaluations", max_evaluations, 2)
    typed = _typed_conditions(p, conditions)  # unknown conditions fail here, before any simulation
    settings = _settings(target_errors, max_bits, seed, backend)

    s = _Search(p, parameter, target, increasing, dict(conditions), settings, float(step), float(tolerance),
                max_evaluations)
    theory, (xb, rb), (xg, rg) = s.run()
    pts = sorted((x, r["ber"], r["ber_low"], r["ber_high"]) for x, r in s.evaluated.items() if s.measured(r))
    unconverged = tuple(sorted(x for x, r in s.evaluated.items() if "error" in r))
    cross = _crossing(pts, target, float(step)) if pts else None
    if cross is None:  # an end of the bracket has no measured BER: the bracket itself
        value, low, high = 0.5 * (xb + xg), min(xb, xg), max(xb, xg)
    else:
        value, low, high = cross
    return Requirement(p.name, parameter, float(value), float(low), float(high), target, typed,
                       tuple(tuple(float(v) for v in q) for q in pts), theory, unconverged)


def _crossing(pts, target, step):
    """``(value, low, high)`` where the BER of ``pts`` ((x, ber, ber_low, ber_high), sorted by x)
    and its confidence bounds cross ``target``, or None when the BER does not cross it.

    ``value`` and the bounds' crossings are those of :func:`dsp.metrics.threshold_crossing` (log10
    BER interpolated linearly between adjacent points). A bound whose crossing lies beyond the
    evaluated points (the search placed them close to the target, inside the interval) is
    extrapolated from ``value`` along the local slope of log10 BER (least squares over the
    measured points within ``2 step`` of ``value``): ``x = value + (t - log10 bound(value)) / slope``.
    """
    from dsp.metrics import threshold_crossing

    xs = [q[0] for q in pts]
    c = threshold_crossing(xs, [q[1] for q in pts], [q[2] for q in pts], [q[3] for q in pts], target)
    if c is None:
        return None
    value = c[0]
    t = math.log10(target)
    near = [(x, math.log10(b)) for x, b, _, _ in pts if abs(x - value) <= 2.0 * step]
    if len({x for x, _ in near}) < 2:
        near = [(x, math.log10(b)) for x, b, _, _ in pts]
    mx = sum(x for x, _ in near) / len(near)
    my = sum(y for _, y in near) / len(near)
    sxx = sum((x - mx) ** 2 for x, _ in near)
    slope = sum((x - mx) * (y - my) for x, y in near) / sxx if sxx > 0 else 0.0

    def bound(col):
        curve = [(q[0], math.log10(q[col])) for q in pts if q[col] > 0]
        for (x0, y0), (x1, y1) in zip(curve, curve[1:]):  # the first crossing, as threshold_crossing
            if (y0 - t) * (y1 - t) <= 0 and y0 != y1:
                return x0 + (t - y0) * (x1 - x0) / (y1 - y0)
        for (x0, y0), (x1, y1) in zip(curve, curve[1:]):  # the bound's value at `value`, extrapolated
            if x0 <= value <= x1 and slope != 0.0:
                yv = y0 + (y1 - y0) * (value - x0) / (x1 - x0) if x1 != x0 else y0
                return value + (t - yv) / slope
        return None

    ends = [v for v in (bound(2), bound(3)) if v is not None and math.isfinite(v)]
    return value, min(ends + [value]), max(ends + [value])


def _require_parameter(p, name, other):
    if name not in p.parameter_names:
        hint = f" (a {p.link} link: use {other})" if other else ""
        raise ValueError(f"preset {p.name!r} has no parameter {name!r}{hint}")


def required_osnr(preset, target_ber=None, *, tolerance_db=0.05, step_db=1.0, target_errors=1000, max_bits=2e8,
                  seed=0, backend="auto", **conditions) -> Requirement:
    """Required OSNR (dB in 0.1 nm) of a coherent preset at ``target_ber`` (default: its threshold).

    :func:`required` along ``osnr_db`` (the OSNR loaded at the receiver), starting from the
    closed form ``ber_awgn_qam(m, osnr_to_snr_db(line OSNR, Rs))`` of an ideal transceiver, so
    ``value - theory`` is the implementation penalty of the simulated transceiver.
    """
    p = _preset(preset)
    _require_parameter(p, "osnr_db", "required_rop" if p.link == "imdd" else None)
    return required(p, "osnr_db", target_ber, increasing=True, tolerance=tolerance_db, step=step_db,
                    target_errors=target_errors, max_bits=max_bits, seed=seed, backend=backend, **conditions)


def required_rop(preset, target_ber=None, *, tolerance_db=0.05, step_db=1.0, target_errors=1000, max_bits=2e8,
                 seed=0, backend="auto", **conditions) -> Requirement:
    """Receiver sensitivity: required ROP (dBm) of an IM/DD preset at ``target_ber`` (default: its
    threshold, 2.4e-4 for KP4). :func:`required` along ``rop_dbm``, starting from the preset's default
    ROP (or from the closed form when the link is ideal apart from thermal noise)."""
    p = _preset(preset)
    _require_parameter(p, "rop_dbm", "required_osnr" if p.link == "coherent" else None)
    return required(p, "rop_dbm", target_ber, increasing=True, tolerance=tolerance_db, step=step_db,
                    target_errors=target_errors, max_bits=max_bits, seed=seed, backend=backend, **conditions)


def _search_parameter(p, search):
    if search is None:
        search = SEARCH_PARAMETER.get(p.link)
        if search is None or search not in p.parameter_names:
            raise ValueError(f"search must be given for preset {p.name!r} (link type {p.link!r})")
    _require_parameter(p, search, None)
    return search


def penalty_table(preset, parameter, values, *, target_ber=None, search=None, tolerance_db=0.05, step_db=1.0,
                  target_errors=1000, max_bits=2e8, seed=0, backend="auto", **conditions) -> PenaltyTable:
    """Required OSNR / ROP at each value of ``parameter`` and the penalty against the first value.

    Parameters
    ----------
    preset : str, path or Preset
    parameter : str
        The impairment varied, e.g. ``"cd_ps_nm"``, ``"dgd_ps"``, ``"linewidth_hz"``,
        ``"length_km"``, ``"extinction_ratio_db"``.
    values : sequence
        Its values, the first being the baseline (e.g. ``[0, 2400]``).
    target_ber : float in (0, 0.5), optional
        Default: the preset's threshold.
    search : str, optional
        The parameter searched at each value: default ``"osnr_db"`` for coherent presets,
        ``"rop_dbm"`` for IM/DD, ``"snr_db"`` for AWGN.
    tolerance_db, step_db, target_errors, max_bits, seed, backend
        As in :func:`required`.
    **conditions
        The other parameters (neither ``parameter`` nor ``search``).

    Returns
    -------
    PenaltyTable
        ``rows[i] = (values[i], required, required_low, required_high, penalty_db)``.
    """
    p = _preset(preset)
    search = _search_parameter(p, search)
    p.parameter(parameter)
    if parameter == search:
        raise ValueError(f"parameter must differ from the searched parameter {search!r}")
    if parameter in conditions:
        raise ValueError(f"{parameter!r} is the tabulated parameter: give its values in values, not as a condition")
    if isinstance(values, (str, bytes)) or not hasattr(values, "__iter__"):
        raise ValueError(f"values must be a sequence of values of {parameter!r} (got {values!r})")
    values = list(values)
    if not values:
        raise ValueError("values must not be empty")
    target = _target(p, target_ber)
    reqs = [required(p, search, target, increasing=True, tolerance=tolerance_db, step=step_db,
                     target_errors=target_errors, max_bits=max_bits, seed=seed, backend=backend,
                     **conditions, **{parameter: v}) for v in values]
    ref = reqs[0].value
    rows = tuple((_plain(v), r.value, r.low, r.high, r.value - ref) for v, r in zip(values, reqs))
    return PenaltyTable(p.name, parameter, ref, rows, target, _typed_conditions(p, conditions), search, tuple(reqs))


def margin(preset, *, target_ber=None, search=None, tolerance_db=0.05, step_db=1.0, target_errors=1000,
           max_bits=2e8, seed=0, backend="auto", **conditions) -> Margin:
    """Margin of ``preset`` at ``conditions`` against ``target_ber`` (default: its threshold).

    The requirement of the searched parameter (``search``; default ``osnr_db`` for coherent,
    ``rop_dbm`` for IM/DD, ``snr_db`` for AWGN presets) at the other conditions, and the value the
    conditions give it (``available``; the preset default when not set). ``margin_db`` =
    available - required: how far the OSNR / ROP can fall before the BER reaches the target. The
    Q margin compares the BER simulated at the conditions (one more evaluation; with a large
    margin the BER is small and the count runs to ``max_bits``) with the target.
    """
    from dsp.metrics import q_factor_db

    p = _preset(preset)
    search = _search_parameter(p, search)
    target = _target(p, target_ber)
    typed = _typed_conditions(p, conditions)
    available = float(p.resolve(conditions)[search])
    others = {k: v for k, v in conditions.items() if k != search}
    req = required(p, search, target, increasing=True, tolerance=tolerance_db, step=step_db,
                   target_errors=target_errors, max_bits=max_bits, seed=seed, backend=backend, **others)
    try:
        point = ber(p, target_errors=target_errors, max_bits=max_bits, seed=seed, backend=backend, **conditions)
    except Exception as exc:
        from dsp.sim.coherent import ConvergenceError

        if not isinstance(exc, ConvergenceError):
            raise
        point = None
    q_margin = None
    if point is not None and point.bit_errors > 0 and 0.0 < point.ber < 0.5:
        q_margin = float(q_factor_db(point.ber)) - float(q_factor_db(target))
    return Margin(p.name, typed, req, available, available - req.value, available - req.high,
                  available - req.low, q_margin, point)

"""The Monte-Carlo BER engine: :func:`simulate_ber`.

How a point is simulated
------------------------
A point (one set of link parameters) runs in batches b = 0, 1, 2, ... of
``min(first_batch * 2^b, max_batch)`` symbols, the last one trimmed so that no more than
``max_bits`` bits are planned. Batch b of point p draws all its randomness from
``SeedSequence(seed, spawn_key=(p, b))``. The point stops after the shortest prefix of batches
0..B whose summed bit errors reach ``target_errors`` (reason ``target_errors``), or whose bits
reach ``max_bits`` (reason ``max_bits``). Batches are computed in parallel and may finish in any
order; the decision only ever looks at the unbroken prefix, and batches beyond it are discarded,
so the counts depend on the seed and the batch plan, never on the executor or the worker count.

A sweep stops early once a point's BER falls below ``ber_floor``: the later points of the
innermost swept key (all later points, for a one-key sweep) are skipped. That too is decided
in point order.

BER = bit_errors / bits with a two-sided ``confidence`` interval (Clopper-Pearson by default).
"""
from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import math
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from dsp.backend import cpu_count, get_backend
from dsp.metrics import INTERVALS, ber_interval
from dsp.sim.links import ZERO, Counts, Link
from dsp.sim.presets import Preset, PresetError, load_preset

log = logging.getLogger(__name__)

FIRST_BATCH = 1 << 14
MAX_BATCH = 1 << 22


# ----------------------------------------------------------------------------- results

@dataclass(frozen=True)
class PointResult:
    """The outcome of one operating point. BER, interval bounds and SER are float64; counts int."""

    point: int
    swept: dict
    params: dict
    bit_errors: int
    bits: int
    symbol_errors: int
    symbols: int
    batches: int
    ber: float
    ber_low: float
    ber_high: float
    ser: float
    theory_ber: float | None
    stop: str
    backend: str
    seed: int
    elapsed_s: float
    key: str = ""
    histograms: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        """Plain JSON-able dict: the swept keys at top level, then the counts and BER, then the
        link's extra metrics (e.g. ``post_fec_ber``, ``fer``) at top level too."""
        d = {**self.swept}
        for f in dataclasses.fields(self):
            if f.name not in ("swept", "metrics"):
                d[f.name] = getattr(self, f.name)
        d.update(self.metrics)
        return d

    def to_row(self) -> dict:
        row = self.to_dict()
        row["params"] = json.dumps(self.params, sort_keys=True)
        row["swept"] = json.dumps(self.swept, sort_keys=True)
        row["histograms"] = json.dumps(self.histograms, sort_keys=True)
        row["metrics"] = json.dumps(self.metrics, sort_keys=True)
        for k in self.metrics:
            row.pop(k, None)
        row["theory_ber"] = "" if self.theory_ber is None else repr(self.theory_ber)
        for k in ("ber", "ber_low", "ber_high", "ser"):
            row[k] = repr(row[k])
        return row

    @classmethod
    def from_row(cls, row: dict) -> "PointResult":
        ints = ("point", "bit_errors", "bits", "symbol_errors", "symbols", "batches", "seed")
        floats = ("ber", "ber_low", "ber_high", "ser", "elapsed_s")
        kw = {f.name: row.get(f.name) for f in dataclasses.fields(cls)}
        kw.update({k: int(row[k]) for k in ints})
        kw.update({k: float(row[k]) for k in floats})
        kw["swept"] = json.loads(row["swept"])
        kw["params"] = json.loads(row["params"])
        kw["histograms"] = json.loads(row.get("histograms") or "{}")
        kw["metrics"] = json.loads(row.get("metrics") or "{}")
        kw["theory_ber"] = float(row["theory_ber"]) if row["theory_ber"] not in ("", None) else None
        return cls(**kw)


ROW_COLUMNS = ["point", "ber", "ber_low", "ber_high", "bit_errors", "bits", "symbol_errors", "symbols", "ser",
               "theory_ber", "batches", "stop", "backend", "seed", "elapsed_s", "swept", "params", "key", "histograms", "metrics"]


@dataclass(frozen=True)
class BERResult:
    """The points of a sweep, in sweep order, and the points skipped below the BER floor."""

    preset: str
    swept_keys: tuple
    points: tuple
    skipped: tuple = ()
    settings: dict = field(default_factory=dict)

    def to_dicts(self) -> list[dict]:
        return [p.to_dict() for p in self.points]

    def to_json(self) -> str:
        return json.dumps(self.to_dicts(), indent=1)

    def column(self, name: str) -> np.ndarray:
        return np.array([p.to_dict()[name] for p in self.points], dtype=float)

    def threshold_crossing(self, threshold: float | None = None):
        """Where BER crosses ``threshold`` (default: the preset's ``threshold_ber``) along the swept key.

        Needs exactly one swept key. Interpolates log10(BER) linearly between the bracketing points
        (:func:`dsp.metrics.threshold_crossing`); the interval is where the upper and lower
        confidence bounds cross it. Returns ``(value, low, high)``, or None when no pair of
        adjacent points brackets the threshold.
        """
        from dsp.metrics import threshold_crossing

        threshold = self.settings.get("threshold_ber") if threshold is None else threshold
        if threshold is None:
            raise ValueError("threshold must be given: the preset has no threshold_ber")
        if len(self.swept_keys) != 1:
            raise ValueError(f"a threshold crossing needs exactly one swept key (got {list(self.swept_keys)})")
        key = self.swept_keys[0]
        pts = [p for p in self.points if isinstance(p.swept[key], (int, float))]
        return threshold_crossing([p.swept[key] for p in pts], [p.ber for p in pts], [p.ber_low for p in pts],
                                  [p.ber_high for p in pts], threshold)

    def table(self) -> str:
        """A readable fixed-width table."""
        head = [*self.swept_keys, "BER", "95% low" if self.settings.get("confidence", 0.95) == 0.95 else "low",
                "high", "bit errors", "bits", "theory", "stop"]
        rows = []
        for p in self.points:
            th = "" if p.theory_ber is None else f"{p.theory_ber:.3e}"
            rows.append([*(f"{p.swept[k]:g}" if isinstance(p.swept[k], float) else str(p.swept[k])
                           for k in self.swept_keys),
                         f"{p.ber:.3e}", f"{p.ber_low:.3e}", f"{p.ber_high:.3e}", str(p.bit_errors), f"{p.bits:.3e}",
                         th, p.stop])
        widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(head)]
        lines = ["  ".join(h.rjust(w) for h, w in zip(head, widths))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths)) for r in rows]
        if self.skipped:
            lines.append(f"({len(self.skipped)} point(s) skipped: BER below the floor {self.settings.get('ber_floor')})")
        return "\n".join(lines)

    def write_csv(self, path) -> None:
        from dsp.sim.store import atomic_write_text, rows_to_csv

        atomic_write_text(Path(path), rows_to_csv([p.to_row() for p in self.points], [*self.swept_keys, *ROW_COLUMNS]))

    def plot(self, path=None, ax=None):
        """BER vs the (first) swept key, with intervals and the closed form where the link has one."""
        from dsp.sim.plot import plot_ber

        return plot_ber(self, path, ax)


# ----------------------------------------------------------------------------- batches

@dataclass(frozen=True)
class BatchTask:
    """One batch, complete enough to run anywhere (pickled to workers)."""

    link: Link
    backend: str
    seed: int
    point: int
    batch: int
    n_symbols: int
    threads: int | None = None


def run_batch_task(task: BatchTask) -> Counts:
    """Run one batch: the function executors call (top level, so that it pickles)."""
    be = get_backend(task.backend)
    ss = np.random.SeedSequence(task.seed, spawn_key=(task.point, task.batch))
    return task.link.run_batch(be, ss, task.n_symbols, task.threads)


class _Point:
    """Book-keeping of one point while it runs."""

    def __init__(self, index, link, swept, params, key, group):
        self.index, self.link, self.swept, self.params, self.key, self.group = index, link, swept, params, key, group
        self.next_batch = 0
        self.planned_bits = 0
        self.finished: dict[int, Counts] = {}
        self.prefix = 0
        self.total = ZERO
        self.stop = None
        self.result: PointResult | None = None
        self.skipped = False
        self.started = None

    @property
    def active(self):
        return self.result is None and not self.skipped


def _batch_size(b, bps, planned_bits, cfg) -> int:
    size = min(cfg["first_batch"] << min(b, 62), cfg["max_batch"])
    remaining = -(-(cfg["max_bits"] - planned_bits) // bps)
    return max(0, min(size, remaining))


# ----------------------------------------------------------------------------- the engine

def _check_int(name, value, lo):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer, float)) or \
            (isinstance(value, float) and (not math.isfinite(value) or not value.is_integer())) or value < lo:
        raise ValueError(f"{name} must be an integer >= {lo} (got {value!r})")
    return int(value)


def _grid(preset: Preset | None, link: Link | None, params: dict, sweep: dict | None):
    """(swept keys, [(swept dict, params dict, link)]) for every point, in sweep order."""
    sweep = dict(sweep or {})
    for k, vals in sweep.items():
        if isinstance(vals, (str, bytes)) or not hasattr(vals, "__iter__"):
            raise ValueError(f"sweep[{k!r}] must be a sequence of values (got {vals!r})")
        if len(list(vals)) == 0:
            raise ValueError(f"sweep[{k!r}] has no values")
        if k in params:
            raise ValueError(f"{k!r} is both a fixed parameter and a swept one")
    keys = tuple(sweep)
    out = []
    for combo in itertools.product(*(list(sweep[k]) for k in keys)):
        over = {**params, **dict(zip(keys, combo))}
        if preset is not None:
            values = preset.resolve(over)
            lk = preset.build(**over)
        else:
            names = {f.name for f in dataclasses.fields(link)}
            unknown = set(over) - names
            if unknown:
                raise PresetError(f"unknown parameter(s) {sorted(unknown)} for {type(link).__name__}; "
                                  f"valid: {', '.join(sorted(names))}")
            lk = dataclasses.replace(link, **over)
            values = dataclasses.asdict(lk)
        swept = {k: values[k] for k in keys}
        out.append((swept, values, lk))
    return keys, out


def _point_key(identity: dict) -> str:
    from dsp import __version__

    blob = json.dumps({**identity, "version": __version__}, sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:20]


def simulate_ber(link, sweep: dict | None = None, *, params: dict | None = None, target_errors: int = 100,
                 max_bits: int = 10**9, ber_floor: float | None = None, seed: int = 0, backend="auto",
                 workers: int | None = None, client=None, out=None, resume: bool = False,
                 confidence: float = 0.95, interval: str = "clopper-pearson", first_batch: int = FIRST_BATCH,
                 max_batch: int = MAX_BATCH, progress=None) -> BERResult:
    """Bit error ratio of a link, by Monte Carlo, at one point or over a sweep.

    Parameters
    ----------
    link : str, path, Preset or Link
        A preset name (``dci-dsp presets`` lists them), a preset TOML path, a Preset, or a Link
        instance (its dataclass fields are then the parameters).
    sweep : dict {name: sequence}, optional
        Swept parameters; several keys make a grid (the last key varies fastest).
    params : dict, optional
        Fixed parameter overrides, e.g. ``{"m": 64}``.
    target_errors : int >= 1
        A point stops once its counted bit errors reach this.
    max_bits : int >= 1
        ... or once this many bits are simulated.
    ber_floor : float in (0, 1), optional
        Skip the rest of the (innermost) sweep after a point whose BER is below this.
    seed : int >= 0
        Root seed; batch b of point p draws from ``SeedSequence(seed, spawn_key=(p, b))``.
    backend : "auto", "cpu" or "gpu"
    workers : int, optional
        Local worker processes. Default: a pool of one process per core for multi-point sweeps on
        the CPU; on the GPU, one process per device when CuPy sees several
        (:class:`dsp.sim.executors.GpuPoolExecutor`); in-process otherwise. ``1`` runs in-process.
    client : dask.distributed.Client or scheduler address, optional
        Run the batches on a Dask cluster (needs the ``dask`` extra).
    out : path, optional
        CSV file written atomically each time a point finishes (the store of the sweep).
    resume : bool
        Reuse the points of ``out`` that an earlier run with the same settings finished.
    confidence : float in (0, 1); interval : "clopper-pearson" or "wilson".
    first_batch, max_batch : int
        The batch plan (symbols): ``min(first_batch * 2^b, max_batch)``.
    progress : callable, optional
        Called as ``progress(points_done, points_total, bits_simulated)``.

    Returns
    -------
    BERResult
    """
    target_errors = _check_int("target_errors", target_errors, 1)
    max_bits = _check_int("max_bits", max_bits, 1)
    seed = _check_int("seed", seed, 0)
    first_batch = _check_int("first_batch", first_batch, 1)
    max_batch = _check_int("max_batch", max_batch, first_batch)
    if workers is not None:
        workers = _check_int("workers", workers, 1)
    if ber_floor is not None and not (0.0 < float(ber_floor) < 1.0):
        raise ValueError(f"ber_floor must be in (0, 1) (got {ber_floor})")
    if not (0.0 < confidence < 1.0):
        raise ValueError(f"confidence must be in (0, 1) (got {confidence})")
    if interval not in INTERVALS:
        raise ValueError(f"interval must be one of {', '.join(INTERVALS)} (got {interval!r})")
    if resume and out is None:
        raise ValueError("resume=True needs out= (the results file to resume)")

    if isinstance(link, Link):
        preset, base, name = None, link, type(link).__name__
    else:
        preset = load_preset(link)
        base, name = None, preset.name
    swept_keys, grid = _grid(preset, base, dict(params or {}), sweep)
    be = get_backend(backend)
    cfg = dict(target_errors=target_errors, max_bits=max_bits, first_batch=first_batch, max_batch=max_batch)

    points = []
    for i, (swept, values, lk) in enumerate(grid):
        identity = dict(link=name, kind=type(lk).__name__, fixed=getattr(preset, "fixed", {}), params=values,
                        point=i, seed=seed, **cfg)
        group = tuple(swept[k] for k in swept_keys[:-1])
        points.append(_Point(i, lk, swept, values, _point_key(identity), group))

    columns = [*swept_keys, *ROW_COLUMNS]
    settings = dict(seed=seed, backend=be.name, ber_floor=ber_floor, confidence=confidence, interval=interval, **cfg)
    if preset is not None and preset.threshold_ber is not None:
        settings["threshold_ber"] = preset.threshold_ber
    store = None
    if out is not None:
        from dsp.sim.store import ResultStore

        store = ResultStore(out, resume=resume)
        for p in points:
            row = store.get(p.key)
            if row is not None:
                p.result = PointResult.from_row(row)
        reused = sum(p.result is not None for p in points)
        if resume:
            log.info("resume: %d of %d points already in %s", reused, len(points), out)

    n_gpus = 0
    if client is None and be.name == "gpu" and workers is None:
        from dsp.sim.executors import gpu_count

        n_gpus = gpu_count()
    if client is not None:
        from dsp.sim.executors import DaskExecutor

        executor = DaskExecutor(client)
    elif n_gpus > 1 and sum(p.active for p in points) >= 1:
        from dsp.sim.executors import GpuPoolExecutor

        executor = GpuPoolExecutor(n_gpus)
    elif (workers or 1) > 1 or (workers is None and be.name == "cpu" and
                                 sum(p.active for p in points) > 1 and cpu_count() > 1):
        from dsp.sim.executors import PoolExecutor

        executor = PoolExecutor(workers or cpu_count())
    else:
        from dsp.sim.executors import InProcessExecutor

        executor = InProcessExecutor()
    log.info("simulate_ber: %s, %d point(s), backend %s, executor %s", name, len(points), be.name, executor.name)

    def finish(p: _Point):
        t = p.total
        low, high = ber_interval(t.bit_errors, t.bits, confidence, interval)
        theory = p.link.theory_ber()
        p.result = PointResult(p.index, p.swept, p.params, t.bit_errors, t.bits, t.symbol_errors, t.symbols, p.prefix,
                               t.bit_errors / t.bits, low, high, t.symbol_errors / t.symbols,
                               None if theory is None else float(theory), p.stop, be.name, seed,
                               round(time.perf_counter() - p.started, 6), p.key, t.histograms,
                               p.link.point_metrics(t, confidence))
        if store is not None:
            store.put(p.key, p.result.to_row(), [q.key for q in points if not q.skipped], columns)

    def apply_floor():
        if ber_floor is None:
            return
        for i, p in enumerate(points):
            if p.skipped:
                continue
            if p.result is None:
                return
            if p.result.ber < ber_floor:
                for q in points[i + 1:]:
                    if q.group == p.group and not q.skipped:
                        q.skipped = True
                        if q.result is not None and store is not None:
                            store.rows.pop(q.key, None)
                if store is not None:
                    store.write([q.key for q in points if not q.skipped], columns)

    bits_done = 0
    inflight: dict = {}
    apply_floor()
    try:
        while True:
            for p in points:
                while p.active and len(inflight) < executor.limit:
                    bps = p.link.bits_per_symbol
                    n = _batch_size(p.next_batch, bps, p.planned_bits, cfg)
                    if n == 0:
                        break
                    if p.started is None:
                        p.started = time.perf_counter()
                    task = BatchTask(p.link, be.name, seed, p.index, p.next_batch, n, executor.threads)
                    inflight[executor.submit(run_batch_task, task)] = (p, p.next_batch)
                    p.next_batch += 1
                    p.planned_bits += n * bps
            if not inflight:
                break
            for h in executor.wait_any(list(inflight)):
                if h not in inflight:  # cancelled meanwhile: its point finished or was skipped
                    continue
                p, b = inflight.pop(h)
                if not p.active:
                    continue
                counts = executor.result(h)
                bits_done += counts.bits
                p.finished[b] = counts
                while p.prefix in p.finished and p.stop is None:
                    p.total = p.total + p.finished.pop(p.prefix)
                    p.prefix += 1
                    if p.total.bit_errors >= target_errors:
                        p.stop = "target_errors"
                    elif p.total.bits >= max_bits:
                        p.stop = "max_bits"
                if p.stop is not None:
                    for h2, (q, _) in list(inflight.items()):
                        if q is p:
                            executor.cancel(h2)
                            del inflight[h2]
                    finish(p)
                    apply_floor()
                    for h2, (q, _) in list(inflight.items()):
                        if q.skipped:
                            executor.cancel(h2)
                            del inflight[h2]
                if progress is not None:
                    progress(sum(q.result is not None or q.skipped for q in points), len(points), bits_done)
    except BaseException:
        executor.close(cancel=True)
        raise
    executor.close()
    done = tuple(p.result for p in points if not p.skipped)
    skipped = tuple(p.swept for p in points if p.skipped)
    return BERResult(name, swept_keys, done, skipped, settings)

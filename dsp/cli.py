"""The ``dci-dsp`` command.

    dci-dsp presets
    dci-dsp ber PRESET [--set KEY=VALUE]... [--sweep KEY=START:STOP:STEP | KEY=V1,V2,...]...
                [--target-errors N] [--max-bits N] [--ber-floor X] [--seed S]
                [--backend auto|cpu|gpu] [--workers N] [--dask ADDRESS]
                [--out FILE.csv] [--plot FILE.png] [--resume] [--json]

Bad input prints one line ``dci-dsp: error: ...`` and exits with status 2; Ctrl-C keeps the
finished points (in --out) and exits with status 130.
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import sys


class CliError(Exception):
    pass


def _number(text: str):
    try:
        v = float(text)
    except ValueError:
        raise CliError(f"not a number: {text!r}") from None
    return int(v) if v.is_integer() and "." not in text and "e" not in text.lower() else v


def _count(name):
    def parse(text):
        try:
            v = float(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{name} must be a positive integer (got {text!r})") from None
        if not (math.isfinite(v) and v.is_integer() and v >= 1):
            raise argparse.ArgumentTypeError(f"{name} must be a positive integer (got {text!r})")
        return int(v)
    return parse


def _prob(text):
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1) (got {text!r})") from None
    if not 0 < v < 1:
        raise argparse.ArgumentTypeError(f"must be a number in (0, 1) (got {text!r})")
    return v


def parse_assignment(text: str, option: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key or not value:
        raise CliError(f"{option} expects KEY=VALUE (got {text!r})")
    return key.strip(), value.strip()


def parse_sweep(text: str) -> tuple[str, list]:
    """``KEY=START:STOP:STEP`` (STOP included when on the grid) or ``KEY=V1,V2,...``."""
    key, spec = parse_assignment(text, "--sweep")
    if ":" in spec:
        parts = spec.split(":")
        if len(parts) != 3:
            raise CliError(f"--sweep {key}: expected START:STOP:STEP (got {spec!r})")
        start, stop, step = (float(_number(p)) for p in parts)
        if not all(map(math.isfinite, (start, stop, step))):
            raise CliError(f"--sweep {key}: START, STOP and STEP must be finite (got {spec!r})")
        if step == 0 or (stop - start) / step < 0:
            raise CliError(f"--sweep {key}: STEP must be non-zero and go from START towards STOP (got {spec!r})")
        n = int(math.floor((stop - start) / step + 1e-9)) + 1
        if n > 100_000:
            raise CliError(f"--sweep {key}: {n} points is too many (at most 100000)")
        return key, [round(start + i * step, 12) for i in range(n)]
    values = [v.strip() for v in spec.split(",") if v.strip()]
    if not values:
        raise CliError(f"--sweep {key}: no values")
    return key, values


def build_parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="dci-dsp", description="Emulate optical DCI links and measure their BER.")
    ap.add_argument("-v", "--verbose", action="count", default=0, help="log progress (-vv: debug)")
    sub = ap.add_subparsers(dest="command", required=True)
    sub.add_parser("presets", help="list the link presets and their parameters")
    b = sub.add_parser("ber", help="Monte-Carlo BER of a preset, at one point or over a sweep")
    b.add_argument("preset", help="preset name (see 'dci-dsp presets') or a preset .toml file")
    b.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="set a parameter (repeatable)")
    b.add_argument("--sweep", dest="sweeps", action="append", default=[], metavar="KEY=START:STOP:STEP",
                   help="sweep a parameter, STOP included; or KEY=V1,V2,... (repeat for a grid)")
    b.add_argument("--target-errors", type=_count("--target-errors"), default=100,
                   help="bit errors to count per point (default 100)")
    b.add_argument("--max-bits", type=_count("--max-bits"), default=10**9,
                   help="most bits to simulate per point (default 1e9)")
    b.add_argument("--ber-floor", type=_prob, default=None, help="stop the sweep after a point below this BER")
    b.add_argument("--seed", type=int, default=0, help="root seed, a non-negative integer (default 0)")
    b.add_argument("--backend", choices=("auto", "cpu", "gpu"), default="auto")
    b.add_argument("--workers", type=_count("--workers"), default=None,
                   help="local worker processes (default: one per core for sweeps on the CPU)")
    b.add_argument("--dask", metavar="ADDRESS", default=None, help="run batches on this Dask scheduler")
    b.add_argument("--out", metavar="FILE.csv", default=None,
                   help="write each point here as it finishes (.csv; .parquet with the 'parquet' extra)")
    b.add_argument("--plot", metavar="FILE.png", default=None, help="plot BER vs the swept key")
    b.add_argument("--resume", action="store_true", help="reuse the finished points of --out")
    b.add_argument("--json", action="store_true", help="print one JSON array of points to stdout")
    e = sub.add_parser("eye", help="eye diagrams and level histograms of an IM/DD preset (one frame)")
    e.add_argument("preset", help="an IM/DD preset name or .toml file")
    e.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="set a parameter (repeatable)")
    e.add_argument("--seed", type=int, default=0, help="seed, a non-negative integer (default 0)")
    e.add_argument("--out", metavar="FILE.png", required=True, help="image file to write")
    c = sub.add_parser("constellation", help="constellations after each DSP stage, MIMO taps and CPR phase "
                                             "of a coherent preset (one frame)")
    c.add_argument("preset", help="a coherent preset name or .toml file")
    c.add_argument("--set", dest="sets", action="append", default=[], metavar="KEY=VALUE",
                   help="set a parameter (repeatable)")
    c.add_argument("--seed", type=int, default=0, help="seed, a non-negative integer (default 0)")
    c.add_argument("--out", metavar="FILE.png", required=True, help="image file to write")
    return ap


def cmd_presets(out) -> int:
    from dsp.sim.presets import list_presets

    for p in list_presets():
        print(f"{p.name}: {p.description}", file=out)
        for q in p.parameters:
            print(f"    {q.describe()}", file=out)
    return 0


def _progress_bar():
    if not sys.stderr.isatty():
        return None, None
    from tqdm import tqdm

    bar = tqdm(total=0, unit="pt", file=sys.stderr, leave=False)

    def update(done, total, bits):
        bar.total = total
        bar.n = done
        bar.set_postfix_str(f"{bits:.3g} bits", refresh=False)
        bar.refresh()

    return update, bar


def cmd_ber(args, out) -> int:
    from dsp.sim.engine import simulate_ber
    from dsp.sim.presets import load_preset

    preset = load_preset(args.preset)
    params = dict(parse_assignment(s, "--set") for s in args.sets)
    for k in params:
        preset.parameter(k)
    sweep = {}
    for s in args.sweeps:
        k, vals = parse_sweep(s)
        par = preset.parameter(k)
        if k in sweep:
            raise CliError(f"--sweep {k} given twice")
        if k in params:
            raise CliError(f"{k} is both --set and --sweep")
        sweep[k] = [par.coerce(v) for v in vals]
    if args.plot and not sweep:
        raise CliError("--plot needs a --sweep")
    if args.resume and not args.out:
        raise CliError("--resume needs --out FILE.csv (the file to resume)")
    if args.seed < 0:
        raise CliError(f"--seed must be a non-negative integer (got {args.seed})")
    update, bar = _progress_bar()
    try:
        result = simulate_ber(preset, sweep, params=params, target_errors=args.target_errors, max_bits=args.max_bits,
                              ber_floor=args.ber_floor, seed=args.seed, backend=args.backend, workers=args.workers,
                              client=args.dask, out=args.out, resume=args.resume, progress=update)
    finally:
        if bar is not None:
            bar.close()
    if args.plot:
        result.plot(args.plot)
    if args.json:
        print(json.dumps(result.to_dicts()), file=out)
    else:
        print(result.table(), file=out)
        threshold = result.settings.get("threshold_ber")
        if threshold is not None and len(result.swept_keys) == 1:
            key = result.swept_keys[0]
            cross = result.threshold_crossing()
            if cross is None:
                print(f"BER threshold {threshold:g}: not crossed within the swept {key} range", file=out)
            else:
                conf = result.settings.get("confidence", 0.95)
                print(f"BER threshold {threshold:g} crossed at {key} = {cross[0]:.3f} "
                      f"({conf:.0%} interval {cross[1]:.3f} .. {cross[2]:.3f})", file=out)
        for what, path in (("results", args.out), ("plot", args.plot)):
            if path:
                print(f"{what}: {path}", file=out)
    return 0


def cmd_trace_plot(args, out) -> int:
    """``eye`` (IM/DD presets) and ``constellation`` (coherent presets): plots of one traced frame."""
    from dsp.sim import plot
    from dsp.sim.presets import load_preset

    preset = load_preset(args.preset)
    params = dict(parse_assignment(s, "--set") for s in args.sets)
    if args.seed < 0:
        raise CliError(f"--seed must be a non-negative integer (got {args.seed})")
    kind, draw = {"eye": ("imdd", plot.plot_eye), "constellation": ("coherent", plot.plot_constellations)}[args.command]
    if preset.link != kind:
        what = "an IM/DD" if kind == "imdd" else "a coherent"
        raise CliError(f"preset {preset.name!r} is not {what} link (link type {preset.link!r}); "
                       f"{args.command} needs one")
    draw(preset.build(**params).trace(1, args.seed), args.out)
    print(f"{args.command}: {args.out}", file=out)
    return 0


def main(argv=None) -> int:
    ap = build_parser()
    args = ap.parse_args(argv)
    logging.basicConfig(level=(logging.WARNING, logging.INFO, logging.DEBUG)[min(args.verbose, 2)],
                        format="%(levelname)s %(name)s: %(message)s")
    from dsp.backend import BackendError
    from dsp.sim.presets import PresetError

    try:
        if args.command == "presets":
            return cmd_presets(sys.stdout)
        if args.command in ("eye", "constellation"):
            return cmd_trace_plot(args, sys.stdout)
        return cmd_ber(args, sys.stdout)
    except (CliError, PresetError, BackendError, ValueError, RuntimeError, OSError) as exc:
        print(f"dci-dsp: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        where = f"; finished points are in {args.out}, rerun with --resume to continue" if getattr(args, "out", None) else ""
        print(f"dci-dsp: interrupted{where}", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

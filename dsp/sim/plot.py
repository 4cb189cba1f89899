"""Plots of sweep results (needs the ``plot`` extra: matplotlib)."""
from __future__ import annotations

import numpy as np


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg", force=False)
        import matplotlib.pyplot as plt
    except ImportError:
        raise RuntimeError("plotting needs matplotlib: pip install 'dci-dsp[plot]'") from None
    return plt


def _theory_curve(preset_name, params, x_key, x, at_points):
    """The link's closed form on a dense grid over x when the preset can be rebuilt, else at x."""
    from dsp.sim.presets import PresetError, load_preset

    try:
        preset = load_preset(preset_name)
        if preset.parameter(x_key).kind is not float:
            return x, at_points
        xs = np.linspace(x.min(), x.max(), 200)
        return xs, [preset.build(**{**params, x_key: float(v)}).theory_ber() for v in xs]
    except PresetError:
        return x, at_points


def plot_ber(result, path=None, ax=None):
    """BER vs the first swept key (log scale) with confidence bars and closed-form curve if known.

    With several swept keys, one curve per value of the other keys. Returns the Axes; writes
    ``path`` (PNG, SVG, PDF by suffix) when given.
    """
    plt = _pyplot()
    if not result.swept_keys:
        raise ValueError("plot needs a sweep (one point has nothing to plot against)")
    x_key = result.swept_keys[0]
    own = ax is None
    if own:
        fig, ax = plt.subplots(figsize=(6.4, 4.4), layout="constrained")
    groups: dict = {}
    for p in result.points:
        label = ", ".join(f"{k}={p.swept[k]}" for k in result.swept_keys[1:])
        groups.setdefault(label, []).append(p)
    for label, pts in groups.items():
        x = np.array([p.swept[x_key] for p in pts], dtype=float)
        ber = np.array([p.ber for p in pts])
        lo = np.array([p.ber_low for p in pts])
        hi = np.array([p.ber_high for p in pts])
        shown = ber > 0
        line = ax.errorbar(x[shown], ber[shown], yerr=[ber[shown] - lo[shown], hi[shown] - ber[shown]], fmt="o",
                           capsize=3, label=f"simulated {label}".strip())
        if not shown.all():
            ax.plot(x[~shown], hi[~shown], "v", color=line[0].get_color(), label="upper bound (0 errors)")
        if all(p.theory_ber is not None for p in pts):
            xs, th = _theory_curve(result.preset, pts[0].params, x_key, x, [p.theory_ber for p in pts])
            ax.plot(xs, th, "-", color=line[0].get_color(), alpha=0.6, label=f"theory {label}".strip())
    ax.set_yscale("log")
    ax.set_xlabel(x_key)
    ax.set_ylabel("BER")
    conf = result.settings.get("confidence", 0.95)
    ax.set_title(f"{result.preset}: BER ({conf:.0%} intervals), backend {result.settings.get('backend', '?')}")
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize="small")
    if path is not None:
        ax.figure.savefig(path, dpi=120)
    if own and path is not None:
        plt.close(ax.figure)
    return ax

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
    threshold = result.settings.get("threshold_ber")
    if threshold is not None:
        ax.axhline(threshold, color="k", ls="--", lw=1, label=f"threshold {threshold:g}")
        if len(result.swept_keys) == 1:
            cross = result.threshold_crossing()
            if cross is not None:
                ax.axvline(cross[0], color="k", ls=":", lw=1, label=f"{x_key} = {cross[0]:.2f} at threshold")
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


def _oversample(y, factor):
    """Band-limited (FFT) interpolation of periodic rows by an integer factor."""
    n = y.shape[-1]
    spec = np.fft.rfft(y, axis=-1)
    out = np.zeros((*y.shape[:-1], n * factor // 2 + 1), dtype=complex)
    out[..., :spec.shape[-1]] = spec
    return np.fft.irfft(out, n=n * factor, axis=-1) * factor


def _eye(ax, wave, per_symbol, title, levels):
    """2-UI eye of a periodic waveform sampled ``per_symbol`` times per symbol, as a density image."""
    n_ui = 2
    span = n_ui * per_symbol
    w = np.roll(wave, per_symbol // 2, axis=-1)  # put the sampling instant in the middle of each UI
    w = w[..., : w.shape[-1] // span * span].reshape(-1, span)
    t = np.tile(np.arange(span) / per_symbol, w.shape[0])
    lim = 1.6 * np.max(np.abs(levels))
    h, xe, ye = np.histogram2d(t, w.ravel(), bins=(span, 200), range=((0, n_ui), (-lim, lim)))
    ax.imshow(np.log1p(h.T), origin="lower", aspect="auto", extent=(0, n_ui, -lim, lim), cmap="magma")
    for v in levels:
        ax.axhline(v, color="w", lw=0.5, alpha=0.5)
    ax.set_xlabel("time (UI)")
    ax.set_title(title, fontsize="small")


def plot_eye(trace: dict, path=None, max_symbols: int = 20000):
    """Eye diagrams before and after equalization and level histograms of an IM/DD trace.

    ``trace`` comes from :meth:`dsp.sim.imdd.ImddLink.trace`. Panels: the eye of the received,
    normalised waveform (band-limited interpolation to 32 samples per symbol); the eye after the
    FFE (its taps applied to that waveform; the DFE's feedback is not shown), when the equalizer
    has one; and histograms of the decision variable per transmitted level (after training).
    Returns the Figure; writes ``path`` when given.
    """
    plt = _pyplot()
    link = trace["link"]
    levels = link._levels()
    per = 32
    nt = link.n_train
    xin = np.asarray(trace["eq_input"], dtype=float)[:1]
    in_sps = xin.shape[-1] // trace["ref"].shape[-1]
    n_sym = min(max_symbols, trace["ref"].shape[-1] - nt)
    wave = _oversample(xin, per // in_sps)
    has_ffe = trace.get("weights") is not None
    fig, axes = plt.subplots(1, 3 if has_ffe else 2, figsize=(13 if has_ffe else 9, 4), layout="constrained")
    seg = slice(nt * per, (nt + n_sym) * per)
    _eye(axes[0], wave[0, seg], per, f"received ({link.rx_filter} filter, normalised)", levels)
    if has_ffe:
        w = np.asarray(trace["weights"], dtype=float)[0]
        c, step = len(w) // 2, per // link.ffe_sps
        eq = sum(w[j] * np.roll(wave[0], -(c - j) * step) for j in range(len(w)))
        _eye(axes[1], eq[seg], per, f"after {link.equalizer.upper()} ({len(w)} taps)", levels)
    ax = axes[-1]
    z = np.asarray(trace["z"], dtype=float)[:, nt:].ravel()
    lab = np.asarray(trace["labels"])[:, nt:].ravel()
    lim = 1.6 * np.max(np.abs(levels))
    for k in range(len(levels)):
        ax.hist(z[lab == k], bins=150, range=(-lim, lim), histtype="step", label=f"level {k}")
    ax.set_yscale("log")
    ax.set_xlabel("decision variable")
    ax.set_title("level histograms" + (" (FFE output)" if has_ffe else ""), fontsize="small")
    ax.legend(fontsize="x-small")
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig


COHERENT_STAGES = (("received", "received (2 sps)"), ("cd_compensated", "after CD compensation"),
                   ("matched", "matched filter + timing"), ("mimo", "after 2x2 MIMO (blind)"),
                   ("foe", "after frequency offset removal"),
                   ("mimo_dd", "after FOE + DD-LMS MIMO pass"), ("cpr", "after carrier phase recovery"))


def plot_constellations(trace: dict, path=None, max_symbols: int = 20000):
    """Constellations after each DSP stage, MIMO tap magnitudes and the CPR phase of a coherent trace.

    ``trace`` comes from :meth:`dsp.sim.coherent.CoherentLink.trace`. Constellations are 2-D
    histograms (log colour) of polarization X of the first frame after the skipped head, at the
    symbol instants; taps are ``|w[out, in, k]|`` of the first frame; the phase panel is the
    unwrapped carrier-phase estimate of both polarizations. Returns the Figure; writes ``path``.
    """
    plt = _pyplot()
    link = trace["link"]
    stages = [(k, t) for k, t in COHERENT_STAGES if k in trace]
    fig, axes = plt.subplots(2, 4, figsize=(16, 8), layout="constrained")
    flat = axes.ravel()
    skip = link.n_skip
    for ax, (key, title) in zip(flat, stages):
        y = np.asarray(trace[key])[0, 0]
        step = link.sps if y.shape[-1] > trace["symbols"].shape[-1] else 1
        pts = y[skip * step::step][:max_symbols]
        pts = pts / np.sqrt(np.mean(np.abs(pts) ** 2))
        lim = 1.6
        h, _, _ = np.histogram2d(pts.real, pts.imag, bins=160, range=((-lim, lim), (-lim, lim)))
        ax.imshow(np.log1p(h.T), origin="lower", extent=(-lim, lim, -lim, lim), cmap="magma")
        ax.set_title(title, fontsize="small")
        ax.set_xticks([])
        ax.set_yticks([])
    ax = flat[len(stages)]
    if "mimo_weights" in trace:
        w = np.abs(np.asarray(trace["mimo_weights"])[0])
        for o in range(2):
            for i in range(2):
                ax.plot(w[o, i], "o-", ms=3, label=f"h_{'xy'[o]}{'xy'[i]}")
        ax.set_xlabel("tap")
        ax.set_title("MIMO tap magnitudes", fontsize="small")
        ax.legend(fontsize="x-small")
    ax = flat[len(stages) + 1]
    if "phase" in trace:
        ph = np.asarray(trace["phase"])[0]
        for p in range(ph.shape[0]):
            ax.plot(ph[p], lw=0.6, label=f"pol {'XY'[p]}")
        ax.axvline(skip, color="k", lw=0.5, ls="--")
        ax.set_xlabel("symbol")
        ax.set_ylabel("rad")
        ax.set_title(f"carrier phase estimate ({link.cpr.upper()})", fontsize="small")
        ax.legend(fontsize="x-small")
    for ax in flat[len(stages) + 2:]:
        ax.axis("off")
    if path is not None:
        fig.savefig(path, dpi=110)
        plt.close(fig)
    return fig

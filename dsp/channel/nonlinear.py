"""Nonlinear fiber propagation: split-step Fourier on the Manakov equation; amplified multi-span links.

Array level (NumPy or CuPy), fields ``(..., pol, n)`` complex in sqrt(W) (power = mean |E|^2 summed
over the polarizations), time last, frames periodic. Single precision (complex64) runs in
complex64 throughout (operators included); complex128 in float64.

The equation (DOMAIN.md conventions: E(t) = Re{A exp(+j w0 t)}, NumPy's FFT sign)
--------------------------------------------------------------------------------
Averaged over fast random birefringence, two polarizations obey the Manakov equation, in this
convention

    dA/dz = -alpha/2 A + j beta2/2 d^2A/dt^2 - j (8/9) gamma (|A_x|^2 + |A_y|^2) A,

the complex conjugate of the physics-convention form (Agrawal). Its linear part is the operator
``exp(-j beta2 h w^2 / 2 - alpha h / 2)`` of :mod:`dsp.channel.fiber` over a step h; the Kerr part
multiplies by ``exp(-j (8/9) gamma P h)``: the phase of an intense field *decreases* (in the physics
convention it increases by the same amount; the two describe the same real field). With anomalous
dispersion (D > 0, beta2 < 0) this sign pair supports bright solitons (tested). A single
polarization, ``(..., 1, n)``, propagates by the scalar NLSE (factor 1 instead of 8/9).

Split step
----------
Symmetric (Strang) splitting, second order in the step: half a linear step, the Kerr step, half a
linear step, with the half steps of neighbouring steps merged into one (one FFT pair per step).
Loss sits in the linear step (exact); the Kerr step of a step h, taken where the power has decayed
to that of the step's middle, uses the effective length ``h_eff = 2 sinh(alpha h / 2) / alpha``
(= h when alpha = 0), so that ``P_mid h_eff`` equals the exact integral of the decaying power over
the step: a CW field then gets exactly the SPM phase ``(8/9) gamma P L_eff``.

Step rule (:func:`ssfm_steps_km`): with ``step_km`` given, fixed steps (the last one shorter);
otherwise the nonlinear-phase rule: each step is the longest one over which the peak power,
decaying by loss only, accumulates the nonlinear phase ``max_phase_rad``:
``g P_peak exp(-alpha z) (1 - exp(-alpha h)) / alpha = phi_max`` (``h = phi_max / (g P_peak)``
without loss), ``P_peak`` = the launch field's largest |A_x|^2 + |A_y|^2 (over the whole batch) and
``g`` = (8/9) gamma; capped by ``max_step_km``. The schedule is fixed before propagating (one
reduction, no device synchronisation per step). With gamma = 0 the fiber is one linear step.
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from dsp._validate import number
from dsp.backend import array_module, cpu_count, fft_module
from dsp.channel.amplifiers import (REF_BW_HZ, add_ase_noise, ase_psd_w_hz, carrier_frequency_hz,
                                    osnr_db_from_spans)
from dsp.channel.fiber import beta2_s2_m

MANAKOV_FACTOR = 8.0 / 9.0


def _num(name, v, lo=None, lo_open=False):
    return float(number(name, v, lo, lo_open=lo_open))


def _check_field(field, pols=(1, 2)):
    if not hasattr(field, "dtype") or field.dtype.kind != "c" or field.ndim < 2 or field.shape[-2] not in pols:
        allowed = " or ".join(str(p) for p in pols)
        raise ValueError(f"field must be a complex array (..., pol, n) with pol = {allowed} on axis -2 "
                         f"(got {getattr(field, 'dtype', type(field).__name__)}, shape {getattr(field, 'shape', None)})")
    if field.shape[-1] < 1:
        raise ValueError(f"field must have at least one sample (got shape {field.shape})")


def alpha_np_m(alpha_db_km: float) -> float:
    """Power attenuation coefficient (1/m) from ``alpha_db_km`` (dB/km)."""
    return _num("alpha_db_km", alpha_db_km, 0) * math.log(10.0) / 10.0 / 1e3


def effective_length_km(length_km: float, alpha_db_km: float) -> float:
    """``L_eff = (1 - exp(-alpha L)) / alpha`` (km; = L without loss)."""
    length = _num("length_km", length_km, 0)
    a = alpha_np_m(alpha_db_km) * 1e3
    return length if a == 0 else -math.expm1(-a * length) / a


def ssfm_steps_km(length_km: float, *, peak_power_w: float = 0.0, alpha_db_km: float = 0.2,
                  gamma_w_km: float = 1.3, step_km: float | None = None, max_phase_rad: float = 0.005,
                  max_step_km: float | None = None, manakov: bool = True) -> np.ndarray:
    """The step lengths (km, float64, summing to ``length_km``) :func:`ssfm_manakov` takes.

    See the module doc for the rule. ``peak_power_w``: the launch field's peak of
    |A_x|^2 + |A_y|^2 (W); ``manakov``: use (8/9) gamma (dual polarization) or gamma.
    """
    length = _num("length_km", length_km, 0)
    peak = _num("peak_power_w", peak_power_w, 0)
    gamma = _num("gamma_w_km", gamma_w_km, 0)
    a = alpha_np_m(alpha_db_km) * 1e3  # 1/km
    cap = length if max_step_km is None else _num("max_step_km", max_step_km, 0, True)
    if length == 0:
        return np.zeros(0)
    if step_km is not None:
        h = _num("step_km", step_km, 0, True)
        k = int(math.floor(length / h * (1 + 1e-12)))
        if k > 10_000_000:
            raise ValueError(f"step_km = {step_km!r} gives more than 1e7 steps over {length} km")
        steps = [h] * k
        rest = length - h * k
        if rest > 1e-9 * length:
            steps.append(rest)
        elif steps:
            steps[-1] += rest
        return np.asarray(steps if steps else [length], dtype=float)
    phi = _num("max_phase_rad", max_phase_rad, 0, True)
    g = gamma * (MANAKOV_FACTOR if manakov else 1.0) * peak  # rad/km at the input peak
    if g == 0:
        steps = [cap] * int(math.floor(length / cap)) if cap < length else []
        rest = length - cap * len(steps)
        if rest > 1e-9 * length or not steps:
            steps.append(rest)
        return np.asarray(steps, dtype=float)
    if g * effective_length_km(length, alpha_db_km) / phi > 10_000_000:
        raise ValueError(f"max_phase_rad = {max_phase_rad!r} needs more than 1e7 steps at peak power {peak_power_w!r} W")
    steps, z = [], 0.0
    while z < length * (1 - 1e-12):
        if a == 0:
            h = phi / g
        else:
            arg = phi * a * math.exp(a * z) / g
            h = math.inf if arg >= 1 else -math.log1p(-arg) / a
        h = min(h, cap, length - z)
        steps.append(h)
        z += h
    steps[-1] += length - sum(steps)
    return np.asarray(steps, dtype=float)


@lru_cache(maxsize=16)
def _w2(n: int, fs: float) -> np.ndarray:
    w = 2.0 * math.pi * np.fft.fftfreq(n, 1.0 / fs)
    out = w * w
    out.setflags(write=False)
    return out


def ssfm_manakov(field, fs_hz: float, length_km: float, *, alpha_db_km: float = 0.2,
                 dispersion_ps_nm_km: float = 17.0, wavelength_nm: float = 1550.0, gamma_w_km: float = 1.3,
                 step_km: float | None = None, max_phase_rad: float = 0.005, max_step_km: float | None = None,
                 workers: int | None = None):
    """``field`` after ``length_km`` of fiber: loss, dispersion and Kerr effect (Manakov, split step).

    Parameters
    ----------
    field : complex64 or complex128 array ``(..., pol, n)``, pol = 2 (Manakov, (8/9) gamma) or 1
        (scalar NLSE, gamma), in sqrt(W), sampled at ``fs_hz``; NumPy or CuPy; not modified.
    fs_hz : float > 0, sample rate (Hz).
    length_km : float >= 0.
    alpha_db_km : float >= 0, power loss (dB/km).
    dispersion_ps_nm_km : float, D (> 0 anomalous); beta2 = -D lambda^2 / (2 pi c).
    wavelength_nm : float > 0.
    gamma_w_km : float >= 0, the nonlinear coefficient (1/W/km).
    step_km : fixed step (km), or None for the nonlinear-phase rule (module doc).
    max_phase_rad : float > 0, the largest nonlinear phase per step of the rule (rad).
    max_step_km : cap on the rule's step (km); None: no cap.
    workers : CPU FFT threads (``scipy.fft`` workers); None: every core this process may use.

    Returns
    -------
    Array of ``field``'s shape and dtype.
    """
    _check_field(field)
    fs = _num("fs_hz", fs_hz, 0, True)
    length = _num("length_km", length_km, 0)
    a = alpha_np_m(alpha_db_km)
    beta2 = beta2_s2_m(dispersion_ps_nm_km, wavelength_nm)
    gamma = _num("gamma_w_km", gamma_w_km, 0)
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, (int, np.integer)) or workers < 1):
        raise ValueError(f"workers must be an integer >= 1 or None (got {workers!r})")
    xp, fft = array_module(field), fft_module(field)
    manakov = field.shape[-2] == 2
    g = gamma * (MANAKOV_FACTOR if manakov else 1.0) / 1e3  # 1/W/m
    if length == 0:
        return field.copy()
    peak = 0.0
    if gamma > 0 and step_km is None:
        p = field.real * field.real
        p += field.imag * field.imag
        peak = float(p.sum(axis=-2).max())
        del p
    steps = ssfm_steps_km(length, peak_power_w=peak, alpha_db_km=alpha_db_km, gamma_w_km=gamma, step_km=step_km,
                          max_phase_rad=max_phase_rad, max_step_km=max_step_km, manakov=manakov) * 1e3  # m

    rdt = np.float32 if field.dtype == np.complex64 else np.float64
    cdt = field.dtype
    n = field.shape[-1]
    kw = {"workers": int(workers or cpu_count())} if xp is np else {}
    phase_per_m = xp.asarray((-0.5 * beta2) * _w2(n, fs), dtype=rdt)  # H = exp(j phase_per_m h - a h/2)
    ops = {}

    def linear_op(h):
        key = round(h, 9)
        op = ops.get(key)
        if op is None:
            ph = phase_per_m * rdt(h)
            amp = rdt(math.exp(-0.5 * a * h))
            if xp is np:  # real sin/cos are vectorised in NumPy, the complex exp is not
                op = np.cos(ph).astype(cdt)
                op.imag = np.sin(ph)
                op *= amp
            else:
                op = xp.empty(ph.shape, dtype=cdt)
                _gpu_op_kernel(xp)(ph, amp, op)
            if len(ops) < 8:
                ops[key] = op
        return op

    if g == 0:  # one linear step, merged
        spec = fft.fft(field, axis=-1, **kw)
        spec *= linear_op(float(steps.sum()))
        return fft.ifft(spec, axis=-1, overwrite_x=True, **kw).astype(cdt, copy=False)

    spec = fft.fft(field, axis=-1, **kw)
    prev_half = 0.0
    for h in steps:
        spec *= linear_op(prev_half + 0.5 * h)
        u = fft.ifft(spec, axis=-1, overwrite_x=True, **kw)
        h_eff = h if a == 0 else 2.0 * math.sinh(0.5 * a * h) / a
        _kerr(u, g * h_eff, xp, rdt)
        spec = fft.fft(u, axis=-1, overwrite_x=True, **kw)
        prev_half = 0.5 * h
    spec *= linear_op(prev_half)
    return fft.ifft(spec, axis=-1, overwrite_x=True, **kw).astype(cdt, copy=False)


def _kerr(u, coef, xp, rdt):
    """In place: ``u *= exp(-j coef (|u_x|^2 + |u_y|^2))`` (coef = g h_eff, rad/W)."""
    p = u.real * u.real
    p += u.imag * u.imag
    if u.shape[-2] > 1:
        p = p.sum(axis=-2, keepdims=True)
    if xp is np:
        p *= rdt(-coef)
        rot = np.cos(p).astype(u.dtype)
        rot.imag = np.sin(p)
        u *= rot
    else:  # one fused pass: p (..., 1, n) broadcasts against u (..., pol, n)
        _gpu_kerr_kernel(xp)(p, rdt(coef), u)


_GPU_KERNEL = None
_GPU_OP_KERNEL = None


def _gpu_op_kernel(cp):
    global _GPU_OP_KERNEL
    if _GPU_OP_KERNEL is None:
        _GPU_OP_KERNEL = cp.ElementwiseKernel(
            "R ph, R amp", "T op", "op = T(amp * cos(ph), amp * sin(ph));", "dsp_ssfm_linear_op")
    return _GPU_OP_KERNEL


def _gpu_kerr_kernel(cp):
    global _GPU_KERNEL
    if _GPU_KERNEL is None:
        _GPU_KERNEL = cp.ElementwiseKernel(
            "R p, R coef", "T u",
            "const R a = -coef * p; u = u * T(cos(a), sin(a));",
            "dsp_manakov_kerr")
    return _GPU_KERNEL


def propagate_link(field, fs_hz: float, *, n_spans: int, span_km: float, launch_dbm: float, nf_db: float, rng,
                   alpha_db_km: float = 0.2, dispersion_ps_nm_km: float = 17.0, wavelength_nm: float = 1550.0,
                   gamma_w_km: float = 1.3, step_km: float | None = None, max_phase_rad: float = 0.005,
                   max_step_km: float | None = None, ase: bool = True, ref_bw_hz: float = REF_BW_HZ,
                   workers: int | None = None):
    """A chain of ``n_spans`` identical amplified spans: (SSFM span, EDFA) repeated.

    Each frame (leading index of ``field``) is scaled to the launch power ``launch_dbm`` (total of
    both polarizations), then each span propagates by :func:`ssfm_manakov` and is followed by an
    EDFA of gain = the span loss (``alpha_db_km * span_km``) and noise figure ``nf_db``, adding ASE
    of :func:`dsp.channel.amplifiers.ase_psd_w_hz` per polarization, white over ``fs_hz``. The output
    is at the launch power level (plus ASE). Dispersion is not compensated.

    Parameters
    ----------
    field : complex (..., 2, n) (any power: rescaled), NumPy or CuPy; not modified.
    fs_hz : float > 0.
    n_spans : int >= 1.
    span_km : float > 0.
    launch_dbm : float, launch power per channel (dBm, both polarizations).
    nf_db : float >= 0, each EDFA's noise figure.
    rng : anything with ``standard_normal(shape, dtype)`` on the field's device (NumPy Generator,
        CuPy generator, :class:`dsp.channel.noise.NormalStream`); unused (may be None) if not ``ase``.
    ase : add the EDFAs' ASE (False: a noiseless reference run).
    others : as in :func:`ssfm_manakov`; ``ref_bw_hz`` for the OSNR.

    Returns
    -------
    (field, osnr_db) : the received field (``field``'s shape and dtype) and the link OSNR (dB in
        ``ref_bw_hz``) of :func:`dsp.channel.amplifiers.osnr_db_from_spans` (the 58 dB rule).
    """
    _check_field(field, pols=(2,))
    if isinstance(n_spans, bool) or not isinstance(n_spans, (int, np.integer)) or n_spans < 1:
        raise ValueError(f"n_spans must be an integer >= 1 (got {n_spans!r})")
    span = _num("span_km", span_km, 0, True)
    launch_w = 1e-3 * 10.0 ** (_num("launch_dbm", launch_dbm) / 10.0)
    loss_db = _num("alpha_db_km", alpha_db_km, 0) * span
    osnr = osnr_db_from_spans(launch_dbm, loss_db, nf_db, int(n_spans), wavelength_nm, ref_bw_hz)
    psd = ase_psd_w_hz(loss_db, nf_db, carrier_frequency_hz(wavelength_nm))
    if ase and not hasattr(rng, "standard_normal"):
        raise TypeError(f"rng must have a standard_normal(shape, dtype) method when ase is True (got {type(rng).__name__})")
    xp = array_module(field)
    rdt = np.float32 if field.dtype == np.complex64 else np.float64
    p = (field.real * field.real + field.imag * field.imag).mean(axis=-1).sum(axis=-1)  # (...)
    if bool(xp.any(p <= 0)):
        raise ValueError("field must have nonzero power in every frame to be scaled to launch_dbm")
    x = field * xp.sqrt(rdt(launch_w) / p.astype(rdt))[..., None, None]
    gain = rdt(10.0 ** (loss_db / 20.0))
    for _ in range(int(n_spans)):
        x = ssfm_manakov(x, fs_hz, span, alpha_db_km=alpha_db_km, dispersion_ps_nm_km=dispersion_ps_nm_km,
                         wavelength_nm=wavelength_nm, gamma_w_km=gamma_w_km, step_km=step_km,
                         max_phase_rad=max_phase_rad, max_step_km=max_step_km, workers=workers)
        x *= gain
        if ase:
            x = add_ase_noise(x, psd, fs_hz, rng)
    return x, osnr

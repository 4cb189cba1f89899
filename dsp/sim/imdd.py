"""The IM/DD PAM link: transmitter, fiber, photodetection and receiver DSP, one batch at a time.

Signal path of one batch (every stage is a documented function of :mod:`dsp.channel`,
:mod:`dsp.modulation` or :mod:`dsp.rx`; this module only wires them)::

    random Gray labels ─▶ drive levels (middle-eye ratio) ─▶ NRZ at `sps` samples/symbol ─▶ DAC
    ─▶ driver low-pass ─▶ modulator (ideal / MZM / EML) ─▶ RIN ─▶ fiber (CD on the field, loss)
    ─▶ PIN photodiode ─▶ shot + thermal noise ─▶ receiver filter (TIA / matched) ─▶ ADC
    ─▶ sampling phase + frame sync ─▶ equalizer (none / FFE / DFE / FFE + MLSE) ─▶ error counts

The batch is split into rows ("frames") of ``frame_symbols`` symbols that are simulated side by
side as a ``(rows, samples)`` array. Frames are periodic: filters and dispersion act by circular
convolution, so there are no edge transients. The first ``n_train`` symbols of each frame train the
equalizer (and the gain/offset of the slicer); errors are counted on the rest.

Besides the bit and symbol errors, every batch returns two histograms:

- ``kp4_symbol_errors``: the number of erroneous 10-bit RS symbols per RS(544,514) codeword, bin i
  = i errors (last bin: that many or more), after mapping each frame's counted bits to 10-bit
  symbols (2 bits per PAM4 symbol, MSB first) dealt round-robin to ``kp4_ways`` codewords (2 for
  400G, 4 for 800G);
- ``error_bursts``: runs of consecutive symbol errors, bin i = runs of length i + 1 (last bin:
  that long or longer). DFE error propagation shows as long runs.

Noise model and the ROP: the received average optical power is ``rop_dbm`` (the launch power is
``rop_dbm`` plus the fiber loss). Thermal noise is an input-referred current density
``thermal_pa_rthz``; with ``rx_filter="matched"`` (integrate and dump over a symbol, noise
bandwidth Rs/2) and an otherwise ideal link, the electrical SNR is closed-form
(:meth:`ImddLink.theory_ber`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from dsp._validate import choice, integer, number, number_or_auto
from dsp.backend import array_module
from dsp.sim.links import FEC_BATCH_BITS, ZERO, Counts, Link, fec_counts, fec_point_metrics, link_fec_chain
from dsp.sim.links import POPCOUNT8 as _POPCOUNT8

EQUALIZERS = ("none", "ffe", "dfe", "mlse")
RX_FILTERS = ("bessel", "matched", "none")
KP4_N, KP4_M, KP4_BINS = 544, 10, 41
CHUNK_SAMPLES = 1 << 21
FRONT_BLOCK_SAMPLES = 1 << 18
BURST_BINS = 32


_num, _int, _choice = number, integer, choice


@dataclass(frozen=True)
class ImddLink(Link):
    """An IM/DD PAM-``m`` link; see the module docstring for the signal path.

    Zero disables an optional impairment: ``dac_bits``, ``adc_bits``, ``driver_bandwidth_ghz``,
    ``rin_db_hz`` (a RIN level is negative), ``tia_bandwidth_ghz`` (with ``rx_filter="bessel"``).
    ``dispersion_ps_nm_km="auto"`` takes D = 17 ps/nm/km at and above 1500 nm and the ITU-T G.652
    formula with ``lambda0_nm`` and slope 0.092 ps/nm^2/km below (``lambda0_nm = 1324`` gives the
    most negative D of a compliant fiber for the short CWDM lanes).
    """

    # signal
    symbol_rate_gbd: float = 53.125
    m: int = 4
    sps: int = 2
    # transmitter
    extinction_ratio_db: float = 5.0
    middle_eye_ratio: float = 1.0
    dac_bits: int = 0
    driver_bandwidth_ghz: float = 0.0
    modulator: str = "ideal"
    mzm_bias: float = 0.5
    mzm_swing: float = 0.6
    eml_alpha: float = 0.0
    rin_db_hz: float = 0.0
    # fiber
    rop_dbm: float = -8.0
    length_km: float = 2.0
    wavelength_nm: float = 1311.0
    dispersion_ps_nm_km: float | str = "auto"
    lambda0_nm: float = 1310.0
    attenuation_db_km: float = 0.4
    # receiver
    responsivity_a_w: float = 0.8
    dark_current_na: float = 0.0
    thermal_pa_rthz: float = 15.0
    shot_noise: bool = True
    rx_filter: str = "bessel"
    tia_bandwidth_ghz: float = 40.0
    adc_bits: int = 0
    adc_clip: float = 2.5
    # DSP
    equalizer: str = "ffe"
    ffe_taps: int = 15
    ffe_sps: int = 1
    dfe_taps: int = 1
    mlse_memory: int = 2
    mlse_alpha: float | str = "auto"
    eq_method: str = "lms"
    mu: float = 0.0
    n_train: int = 4096
    # FEC view
    fec: str = "kp4"
    # simulation
    frame_symbols: int = 32768
    kp4_ways: int = 2
    precision: str = "single"

    def __post_init__(self):
        _num("symbol_rate_gbd", self.symbol_rate_gbd, 0, lo_open=True)
        m = _int("m", self.m, 2, 16)
        if m & (m - 1):
            raise ValueError(f"m must be a power of two in 2..16 (got {m})")
        _int("sps", self.sps, 1, 16)
        _num("extinction_ratio_db", self.extinction_ratio_db, 0, 40, lo_open=True)
        from dsp.channel.modulators import MODULATORS, pam_drive_levels

        pam_drive_levels(m, self.middle_eye_ratio)
        if self.dac_bits != 0:
            _int("dac_bits", self.dac_bits, 1, 16)
        _num("driver_bandwidth_ghz", self.driver_bandwidth_ghz, 0)
        _choice("modulator", self.modulator, MODULATORS)
        _num("eml_alpha", self.eml_alpha)
        _num("rin_db_hz", self.rin_db_hz, None, 0)
        if self.rin_db_hz != 0 and self.rin_db_hz > -80:
            raise ValueError(f"rin_db_hz must be <= -80 dB/Hz, or 0 for no RIN (got {self.rin_db_hz!r})")
        _num("rop_dbm", self.rop_dbm, -60, 30)
        _num("length_km", self.length_km, 0)
        _num("wavelength_nm", self.wavelength_nm, 800, 2000)
        _num("lambda0_nm", self.lambda0_nm, 1200, 1400)
        _num("attenuation_db_km", self.attenuation_db_km, 0)
        _ = self.dispersion  # validates dispersion_ps_nm_km
        _num("responsivity_a_w", self.responsivity_a_w, 0, 2, lo_open=True)
        _num("dark_current_na", self.dark_current_na, 0)
        _num("thermal_pa_rthz", self.thermal_pa_rthz, 0)
        _choice("rx_filter", self.rx_filter, RX_FILTERS)
        _num("tia_bandwidth_ghz", self.tia_bandwidth_ghz, 0)
        if self.rx_filter == "bessel" and self.tia_bandwidth_ghz == 0:
            raise ValueError("tia_bandwidth_ghz must be > 0 with rx_filter='bessel' (use rx_filter='none' for no filter)")
        if self.adc_bits != 0:
            _int("adc_bits", self.adc_bits, 1, 16)
        _num("adc_clip", self.adc_clip, 0.5, 20)
        _choice("equalizer", self.equalizer, EQUALIZERS)
        _int("ffe_taps", self.ffe_taps, 1, 64)
        _int("ffe_sps", self.ffe_sps, 1, 2)
        if self.ffe_sps > self.sps or self.sps % self.ffe_sps:
            raise ValueError(f"ffe_sps ({self.ffe_sps}) must divide sps ({self.sps})")
        _int("dfe_taps", self.dfe_taps, 1, 3)
        _int("mlse_memory", self.mlse_memory, 1, 2)
        if not (isinstance(self.mlse_alpha, str) and self.mlse_alpha.strip().lower() == "auto"):
            try:
                a = float(self.mlse_alpha)
            except (TypeError, ValueError):
                raise ValueError(f"mlse_alpha must be 'auto' or a number in [0, 1] (got {self.mlse_alpha!r})") from None
            _num("mlse_alpha", a, 0, 1)
        _choice("eq_method", self.eq_method, ("lms", "ls"))
        _num("mu", self.mu, 0, 1)
        _int("frame_symbols", self.frame_symbols, 256, 1 << 22)
        _int("n_train", self.n_train, 16, self.frame_symbols // 2)
        _int("kp4_ways", self.kp4_ways, 1, 8)
        link_fec_chain(self.fec)  # raises a ValueError listing the allowed specs
        _choice("precision", self.precision, ("single", "double"))

    # ------------------------------------------------------------------ derived quantities
    @property
    def bits_per_symbol(self) -> int:
        return int(self.m).bit_length() - 1

    @property
    def symbol_rate_hz(self) -> float:
        return self.symbol_rate_gbd * 1e9

    @property
    def fs_hz(self) -> float:
        """Simulation sample rate (Hz)."""
        return self.symbol_rate_hz * self.sps

    @property
    def dispersion(self) -> float:
        """Fiber dispersion D (ps/nm/km) in use."""
        d = number_or_auto("dispersion_ps_nm_km", self.dispersion_ps_nm_km)
        if d is None:
            if self.wavelength_nm >= 1500:
                return 17.0
            from dsp.channel.fiber import dispersion_g652

            return dispersion_g652(self.wavelength_nm, self.lambda0_nm)
        return float(_num("dispersion_ps_nm_km", d, -100, 100))

    @property
    def cd_ps_nm(self) -> float:
        """Accumulated dispersion D * L (ps/nm)."""
        return self.dispersion * self.length_km

    @property
    def launch_dbm(self) -> float:
        return self.rop_dbm + self.attenuation_db_km * self.length_km

    @property
    def payload_symbols(self) -> int:
        """Symbols counted per frame (after training)."""
        return self.frame_symbols - self.n_train

    def _rtype(self):
        return np.float32 if self.precision == "single" else np.float64

    # ------------------------------------------------------------------ closed form
    def theory_ber(self) -> float | None:
        """Closed-form BER when the link is ideal apart from thermal noise, else None.

        Ideal: no dispersion (or zero length), ideal modulator, no DAC/driver/RIN/shot noise/ADC,
        matched receiver filter, no equalizer, equal level spacing. Then the photocurrent levels
        are R P_k with half spacing d = R k_er P_avg / (M - 1), k_er = (ER - 1)/(ER + 1), and the
        thermal noise after the integrate-and-dump filter has sigma^2 = i_th^2 Rs / 2.
        """
        ideal = (self.cd_ps_nm == 0 and self.modulator == "ideal" and self.dac_bits == 0 and
                 self.driver_bandwidth_ghz == 0 and self.rin_db_hz == 0 and not self.shot_noise and
                 self.rx_filter == "matched" and self.adc_bits == 0 and self.equalizer == "none" and
                 self.middle_eye_ratio == 1.0 and self.thermal_pa_rthz > 0)
        if not ideal:
            return None
        from dsp.metrics import ber_gray_pam

        return float(ber_gray_pam(self.m, self.d_over_sigma()))

    def d_over_sigma(self) -> float:
        """Half level spacing over the thermal noise sigma at the decision, for the ideal link."""
        er = 10.0 ** (self.extinction_ratio_db / 10.0)
        k = (er - 1.0) / (er + 1.0)
        p_avg = 1e-3 * 10.0 ** (self.rop_dbm / 10.0)
        d = self.responsivity_a_w * k * p_avg / (self.m - 1)
        sigma = self.thermal_pa_rthz * 1e-12 * math.sqrt(self.symbol_rate_hz / 2.0)
        return d / sigma

    def point_metrics(self, total: Counts, confidence: float = 0.95) -> dict:
        """Post-FEC results of KP4 RS(544,514) (t = 15) from the codeword histogram, when ``fec="kp4"``.

        Bounded-distance decoding corrects a codeword exactly when it has at most t erroneous
        10-bit symbols (miscorrection, rarer than 1e-12 per failure for KP4, is neglected), so
        the histogram gives the measured codeword error rate ``fer`` (Clopper-Pearson interval).
        ``post_fec_ber``: a failed codeword delivers its erroneous symbols unchanged, each carrying
        beta = measured bit errors per erroneous RS symbol; its interval scales with the FER's
        (with no failure, the upper bound assumes t + 1 symbol errors per failed codeword). The
        last histogram bin holds ``>= 40`` errors and counts as 40.
        ``post_fec_ber_est`` (and ``fer_est``) extrapolate below the Monte-Carlo floor with the model
        named in ``post_fec_model``: a compound-Poisson fit of the measured histogram (error events,
        such as DFE bursts, of the measured sizes, arriving independently per codeword;
        :func:`dsp.fec.post_fec_from_bursts`); ``*_est_iid`` assume independent RS-symbol errors at
        the measured rate (optimistic when errors come in bursts). Other ``fec`` specs
        (``kp4+hamming``, ``cfec``, ``ldpc:<name>``) run a real decoder chain on the link's bits
        (:mod:`dsp.fec.chains`) and report ``post_fec_ber`` / ``fer`` with intervals.
        """
        if self.fec != "kp4":
            return fec_point_metrics(self.fec, total.totals, confidence)
        from dsp.fec.postfec import codeword_error_rate_binomial
        from dsp.metrics import ber_interval

        h = np.asarray(dict(total.hist).get("kp4_symbol_errors", ()), dtype=np.int64)
        codewords = int(h.sum())
        if codewords == 0:
            return {"codewords": 0}
        t, n, m = 15, KP4_N, KP4_M
        e = np.arange(h.size, dtype=np.float64)
        failed = int(h[t + 1:].sum())
        sym_errors = float((h * e).sum())
        beta = total.bit_errors / sym_errors if sym_errors else 1.0
        beta = min(max(beta, 1.0), float(m))
        fer_low, fer_high = ber_interval(failed, codewords, confidence)
        per_fail = float((h[t + 1:] * e[t + 1:]).sum()) / failed if failed else float(t + 1)
        scale = per_fail * beta / (n * m)
        ps = sym_errors / (codewords * n)
        from scipy.stats import binom

        k = np.arange(t + 1, n + 1)
        tail = binom.pmf(k, n, ps) if ps > 0 else np.zeros(k.size)
        out = {
            "codewords": codewords, "fer": failed / codewords, "fer_low": fer_low, "fer_high": fer_high,
            "post_fec_ber": failed / codewords * scale, "post_fec_ber_low": fer_low * scale,
            "post_fec_ber_high": fer_high * scale,
            "fer_est_iid": float(codeword_error_rate_binomial(ps, n, t)) if ps > 0 else 0.0,
            "post_fec_ber_est_iid": float((tail * k).sum() * beta / (n * m)),
        }
        if 0 < h[0] < codewords:
            from dsp.fec.postfec import post_fec_from_bursts

            full = np.zeros(n + 1, dtype=np.int64)
            full[:h.size] = h  # the last bin (>= 40 errors) counts as 40
            fer_est, ber_est, fit = post_fec_from_bursts(full, t, m, bit_errors_per_symbol_error=beta)
            out.update(fer_est=fer_est, post_fec_ber_est=ber_est, post_fec_model=(
                f"compound Poisson: error events per codeword Poisson({fit.rate:.3g}), RS symbols per event "
                f"distributed as measured (mean {float((np.arange(fit.size_pmf.size) * fit.size_pmf).sum()):.3g}); "
                "bursts and interleaving included"))
        else:
            out.update(fer_est=out["fer_est_iid"], post_fec_ber_est=out["post_fec_ber_est_iid"],
                       post_fec_model="independent RS-symbol errors at the measured rate (no errors seen, "
                                      "or errors in every codeword: no burst model fitted)")
        return out

    # ------------------------------------------------------------------ stages
    def transmit(self, labels, rng):
        """Optical field (complex, unit mean power) at ``sps`` samples/symbol for Gray ``labels``.

        ``labels``: (rows, n) uint8 on the backend's device; ``rng``: a normal source (RIN).
        """
        from dsp.channel import adc, filters, lasers, modulators

        xp = array_module(labels)
        by_label = modulators.pam_drive_levels(self.m, self.middle_eye_ratio)[_inverse_gray(self.m)]
        drive = xp.repeat(xp.asarray(by_label.astype(self._rtype()))[labels], self.sps, axis=-1)
        if self.dac_bits:
            drive = adc.quantize(drive, self.dac_bits, 1.0)
        if self.driver_bandwidth_ghz:
            drive = filters.lowpass(drive, self.fs_hz, self.driver_bandwidth_ghz * 1e9)
        if self.modulator == "ideal":
            field = modulators.modulate_intensity(drive, self.extinction_ratio_db)
        elif self.modulator == "mzm":
            field = modulators.modulate_mzm(drive, self.mzm_bias, self.mzm_swing)
        else:
            field = modulators.modulate_eml(drive, self.extinction_ratio_db, self.eml_alpha)
        if self.rin_db_hz:
            field = lasers.add_rin(field, self.rin_db_hz, self.fs_hz, rng)
        return field

    def propagate(self, field):
        """The field at the receiver: dispersion, then scaled to mean power ``rop_dbm`` (W)."""
        from dsp.channel import fiber

        if self.cd_ps_nm != 0:
            field = fiber.apply_cd(field, self.fs_hz, self.cd_ps_nm, self.wavelength_nm)
        # Launch power, then the span loss: one scale factor, sqrt(launch) * 10^(-loss/20).
        launch = 1e-3 * 10.0 ** (self.launch_dbm / 10.0)
        loss_db = self.attenuation_db_km * self.length_km
        return field * field.real.dtype.type(math.sqrt(launch) * 10.0 ** (-loss_db / 20.0))

    def detect(self, field, rng):
        """Received electrical signal (A) after photodiode, noise, receiver filter and ADC."""
        from dsp.channel import filters, photodiode

        i = photodiode.photodetect(field, self.responsivity_a_w, self.dark_current_na * 1e-9)
        i = photodiode.add_receiver_noise(i, self.fs_hz, self.thermal_pa_rthz, self.shot_noise, rng)
        if self.rx_filter == "bessel":
            i = filters.lowpass(i, self.fs_hz, self.tia_bandwidth_ghz * 1e9)
        return self._matched_and_adc(i)

    def _matched_and_adc(self, i):
        """The integrate-and-dump receiver filter (``rx_filter="matched"``), then the ADC, of the noisy current."""
        from dsp.channel import adc

        if self.rx_filter == "matched":
            # Integrate and dump over one symbol: the mean of the last `sps` samples (circular).
            xp = array_module(i)
            acc = i.copy()
            for s in range(1, self.sps):
                acc += xp.roll(i, s, axis=-1)
            i = acc / i.dtype.type(self.sps)
        if self.adc_bits:
            # AC-coupled ADC, full scale `adc_clip` times the rms of each frame.
            xp = array_module(i)
            i = i - i.mean(axis=-1, keepdims=True)
            rms = xp.sqrt((i * i).mean(axis=-1, keepdims=True))
            i = adc.quantize(i / rms, self.adc_bits, self.adc_clip) * rms
        return i

    def receive(self, y, ref_levels, trace: dict | None = None):
        """Level indices (uint8, 0..m-1 by increasing level) decided from ``y`` (rows, n*sps).

        ``ref_levels``: the transmitted levels (rows, n) in the constellation's units; the first
        ``n_train`` are the training symbols. A ``trace`` dict, when given, receives the
        intermediate signals: ``aligned`` (rows, n*sps), ``eq_input`` (what the equalizer saw, at
        ``ffe_sps``), ``z`` (the decision variable per symbol) and ``weights`` (FFE taps).
        """
        z, decided = self._receive(y, ref_levels, trace)
        return _nearest(z, array_module(y).asarray(self._levels())) if decided is None else decided

    def _align(self, y, ref_levels, step):
        """Every ``step``-th sample of each row of ``y`` from its symbol-0 sampling instant, (rows, n*sps/step).

        The sampling phase (the one of ``sps`` with the most AC power over the training part, as
        :func:`dsp.rx.sync.sampling_phase`) and the frame delay (:func:`dsp.rx.sync.frame_delay`)
        give each row's start; the aligned row is the circular shift of ``y`` by it, decimated.
        """
        from dsp.rx import sync

        xp = array_module(y)
        sps, n = self.sps, ref_levels.shape[-1]
        nt = self.n_train
        if xp is np:
            # sync.sampling_phase's criterion, phase by phase on contiguous copies (cheaper than
            # its strided reduction): argmax over p of the variance of y[p::sps] over the training part.
            power = np.empty((y.shape[0], sps))
            for p in range(sps):
                v = np.ascontiguousarray(y[:, p:nt * sps:sps])
                v = v - v.mean(axis=-1, keepdims=True)
                power[:, p] = (v * v).mean(axis=-1)
            phase = power.argmax(axis=-1)
        else:
            phase = sync.sampling_phase(y[:, :nt * sps], sps)
        rows = xp.arange(y.shape[0])[:, None]
        y_sym = y[rows, xp.arange(nt)[None, :] * sps + phase[:, None]]
        delay = sync.frame_delay(y_sym, ref_levels[:, :nt], max_lag=nt // 4)
        # aligned sample j is y[j + start], start = delay * sps + phase, so symbol k is at index k * sps
        start = [int(v) for v in (delay * sps + phase) % (n * sps)]
        if step == 1:
            return xp.stack([xp.concatenate([r[s:], r[:s]]) for r, s in zip(y, start)])
        m = (n * sps) // step
        out = xp.empty((y.shape[0], m), dtype=y.dtype)
        for i, s in enumerate(start):
            sub, s2 = y[i, s % step::step], s // step
            out[i, :m - s2] = sub[s2:]
            out[i, m - s2:] = sub[:s2]
        return out

    def _receive(self, y, ref_levels, trace):
        """(z, None) for a linear receiver (decide with :func:`_nearest`), or (None, decided level indices)."""
        xp = array_module(y)
        sps = self.sps
        step = 1 if trace is not None else sps // (1 if self.equalizer == "none" else self.ffe_sps)
        y = self._align(y, ref_levels, step)
        if trace is not None:
            trace["aligned"] = y
        if self.equalizer == "none":
            z = self._agc(y[:, ::sps // step], ref_levels)
            if trace is not None:
                trace.update(z=z, eq_input=self._agc(y, xp.repeat(ref_levels, sps, axis=-1)))
            return z, None
        from dsp.rx import equalizers as eq

        yq = y[:, ::(sps // self.ffe_sps) // step] if self.ffe_sps * step < sps else y
        yq = xp.ascontiguousarray(self._agc_scale(yq, ref_levels, self.ffe_sps))
        ref = xp.ascontiguousarray(ref_levels.astype(yq.dtype))
        mu = self.mu or None
        if trace is not None:
            trace["eq_input"] = yq
        if self.equalizer == "ffe":
            kw = {} if mu is None else {"mu": mu}
            r = eq.ffe(yq, ref, taps=self.ffe_taps, sps=self.ffe_sps, n_train=self.n_train,
                       method=self.eq_method, levels=self.m, **kw)
            if trace is not None:
                trace.update(z=r.z, weights=r.weights)
            return r.z, None
        if self.equalizer == "dfe":
            kw = {} if mu is None else {"mu": mu}
            r = eq.dfe(yq, ref, ff_taps=self.ffe_taps, fb_taps=self.dfe_taps, sps=self.ffe_sps,
                       n_train=self.n_train, levels=self.m, **kw)
            if trace is not None:
                trace.update(z=r.z, weights=r.ff_weights)
            return None, r.decisions
        # MLSE: an FFE shapes the channel into the short partial response 1 + alpha D, then the
        # Viterbi detector learns that response (memory + 1 taps and an offset, by least squares on
        # the training symbols) and decides. alpha "auto": the channel's own first postcursor
        # over its cursor (least squares on the raw training samples), clipped to [0, 1], so the
        # FFE removes the ISI the MLSE is not needed for and keeps the part it handles best.
        alpha = self.mlse_alpha
        if isinstance(alpha, str) and alpha.strip().lower() == "auto":
            h, _ = eq.estimate_channel(xp.ascontiguousarray(yq[:, ::self.ffe_sps]), ref, memory=1,
                                       n_train=self.n_train)
            alpha = float(min(max(float((h[:, 1] / h[:, 0]).mean()), 0.0), 1.0))
        kw = {} if mu is None else {"mu": mu}
        r = eq.ffe(yq, ref, taps=self.ffe_taps, sps=self.ffe_sps, n_train=self.n_train, method=self.eq_method,
                   levels=self.m, target=(1.0, float(alpha)), **kw)
        if trace is not None:
            trace.update(z=r.z, weights=r.weights)
        return None, eq.mlse(xp.ascontiguousarray(r.z), ref, memory=self.mlse_memory, n_train=self.n_train,
                             levels=self.m)

    def _levels(self):
        from dsp.modulation import Constellation

        return np.sort(Constellation("pam", self.m).points.real)

    def _agc(self, y_sym, ref):
        """Gain and offset fitted by least squares on the training symbols: (y - b) / a."""
        nt = self.n_train
        x, v = ref[:, :nt].astype(np.float64), y_sym[:, :nt].astype(np.float64)
        xm, vm = x.mean(axis=1, keepdims=True), v.mean(axis=1, keepdims=True)
        a = ((x - xm) * (v - vm)).sum(axis=1, keepdims=True) / ((x - xm) ** 2).sum(axis=1, keepdims=True)
        b = vm - a * xm
        t = y_sym.dtype.type
        return (y_sym - b.astype(t)) / a.astype(t)

    def _agc_scale(self, y, ref, sps):
        """Remove the mean and scale to the constellation's power (the equalizer adapts the rest)."""
        xp = array_module(y)
        y = y - y.mean(axis=-1, keepdims=True)
        rms = xp.sqrt((y[:, ::sps] ** 2).mean(axis=-1, keepdims=True))
        return y * (xp.sqrt((ref ** 2).mean(axis=-1, keepdims=True)) / rms).astype(y.dtype)

    def trace(self, n_frames: int = 1, seed: int = 0) -> dict:
        """Run ``n_frames`` frames on the CPU and return the signals of every receiver stage.

        Keys: ``labels`` and ``decided`` (level indices), ``ref`` (transmitted levels), ``aligned``,
        ``eq_input``, ``z``, ``weights`` (see :meth:`receive`), and ``link`` (self). For eye
        diagrams and level histograms (:func:`dsp.sim.plot.plot_eye`).
        """
        from dsp.backend import get_backend

        label_rng, normal = self._random_sources(get_backend("cpu"), np.random.SeedSequence(int(seed)), None)
        labels = label_rng.integers(0, self.m, size=(int(n_frames), self.frame_symbols), dtype=np.uint8)
        out: dict = {"link": self, "labels": _inverse_gray(self.m)[labels]}
        out["ref"], out["decided"] = self._simulate(labels, normal, out)
        return out

    # ------------------------------------------------------------------ the batch
    def run_batch(self, backend, seed_seq, n_symbols, threads=None) -> Counts:
        """Simulate ``ceil(n_symbols / payload_symbols)`` frames and count errors after training.

        Labels come from a NumPy Philox generator of ``seed_seq``; noise from the kernels' Philox
        stream keyed by it (:class:`dsp.channel.NormalStream`). On the GPU the signal stays on the
        device and only the error pattern of the counted symbols (one byte per symbol) returns.
        """
        if backend.name == "cpu":
            with backend.fft.set_workers(threads or backend.ops.default_threads()):
                return self._run_batch(backend, seed_seq, n_symbols, threads)
        return self._run_batch(backend, seed_seq, n_symbols, threads)

    # ------------------------------------------------------------------ the CPU front end
    def _fast_front_applies(self, labels, normal) -> bool:
        """Whether :meth:`_front_cpu` runs this link: NumPy labels, a CPU NormalStream, a real field."""
        from dsp.channel import NormalStream

        return (isinstance(labels, np.ndarray) and isinstance(normal, NormalStream) and normal.backend.name == "cpu"
                and self.modulator in ("ideal", "mzm"))

    def _front_cpu(self, labels, normal):
        """:meth:`transmit`, :meth:`propagate` and :meth:`detect` of NumPy ``labels`` (rows, n), fused.

        The same model and the same normals (stream elements) as the three stages, computed
        differently: the drive spectrum comes from the symbol-rate ``rfft`` of the levels (NRZ
        holding is a multiplication by its response); modulator, normalisation and RIN are one
        kernel pass (``ops.imdd_modulate``); the field is real before the fiber, and the dispersion
        response is even in frequency, so the dispersed field is ``irfft(F Re H) + j irfft(F Im H)``
        from one ``rfft`` (three real transforms instead of two complex ones); photodetection and
        receiver noise are one pass (``ops.imdd_detect``). Frames are processed a few rows at a
        time by a pool of ``threads`` Python threads (FFTs and kernels single-threaded in each),
        so that the working set stays in cache and both the NumPy and the FFT parts use every core.
        Stream positions are fixed per row, so the result does not depend on the thread count.
        """
        from concurrent.futures import ThreadPoolExecutor

        from scipy import fft

        from dsp.channel import lasers, photodiode

        ops = normal.backend.ops
        threads = int(normal.threads or ops.default_threads())
        rows, n = labels.shape
        sps, big_n = self.sps, labels.shape[1] * self.sps
        rt = self._rtype()
        tab = _front_tables(self, n)
        key = normal.key
        rin = lasers.rin_sigma(self.rin_db_hz, self.fs_hz) if self.rin_db_hz else 0.0
        # The generic chain's stream use: RIN (one normal per sample) first, then the receiver noise.
        rin_first = normal._advance(rows * big_n) if rin else 0
        rx_first = normal._advance(rows * big_n)
        if self.modulator == "ideal":
            er = 10.0 ** (self.extinction_ratio_db / 10.0)
            mode, p1, p2 = 0, (er - 1.0) / (er + 1.0), 0.0
        else:
            mode, p1, p2 = 1, self.mzm_bias, self.mzm_swing / 2.0
        launch = 1e-3 * 10.0 ** (self.launch_dbm / 10.0)
        scale2 = launch * 10.0 ** (-self.attenuation_db_km * self.length_km / 10.0)
        gain = self.responsivity_a_w * scale2
        dark = self.dark_current_na * 1e-9
        var_th = (self.thermal_pa_rthz * 1e-12) ** 2 * self.fs_hz / 2.0
        var_shot = photodiode.Q_E * self.fs_hz if self.shot_noise else 0.0
        out = np.empty((rows, big_n), dtype=rt)

        def block(r0, r1):
            sym = tab.levels[labels[r0:r1]]
            if tab.drive is not None:
                s = fft.rfft(sym, axis=-1, workers=1)
                d = s[:, tab.fold]
                if tab.conj is not None:
                    np.conjugate(d, out=d, where=tab.conj)
                d *= tab.drive
                x = fft.irfft(d, n=big_n, axis=-1, workers=1)
            else:
                x = np.repeat(sym, sps, axis=-1)
            ops.imdd_modulate(x, mode, p1, p2, rin, rin_first, r0 * big_n, key, 1)
            if tab.cd_re is not None:
                f = fft.rfft(x, axis=-1, workers=1)
                re = fft.irfft(f * tab.cd_re, n=big_n, axis=-1, workers=1)
                im = fft.irfft(f * tab.cd_im, n=big_n, axis=-1, workers=1)
            else:
                re, im = x, None
            ops.imdd_detect(re, im, gain, dark, var_th, var_shot, rx_first, r0 * big_n, key, 1)
            if tab.rx is not None:
                f = fft.rfft(re, axis=-1, workers=1)
                f *= tab.rx
                re = fft.irfft(f, n=big_n, axis=-1, workers=1)
            out[r0:r1] = re

        per = max(1, FRONT_BLOCK_SAMPLES // big_n)
        spans = [(r0, min(rows, r0 + per)) for r0 in range(0, rows, per)]
        if threads > 1 and len(spans) > 1:
            with ThreadPoolExecutor(min(threads, len(spans))) as pool:
                for f in [pool.submit(block, a, b) for a, b in spans]:
                    f.result()
        else:
            for a, b in spans:
                block(a, b)
        return self._matched_and_adc(out)

    @staticmethod
    def _random_sources(backend, seed_seq, threads):
        """(NumPy generator of the labels, NormalStream of the noise), both keyed by ``seed_seq``."""
        from dsp.channel import NormalStream

        key = seed_seq.generate_state(4, np.uint32)
        label_rng = np.random.Generator(np.random.Philox(key=int(key[2]) | int(key[3]) << 32))
        return label_rng, NormalStream(backend, key[:2], threads)

    def _simulate(self, labels, normal, trace=None):
        """(transmitted levels, decided level indices) of Gray ``labels`` (rows, frame) through the chain."""
        ref, z, decided = self._simulate_z(labels, normal, trace)
        return ref, _nearest(z, array_module(z).asarray(self._levels())) if decided is None else decided

    def _simulate_z(self, labels, normal, trace=None):
        """(transmitted levels, z, None) for a linear receiver, else (levels, None, decided level indices)."""
        xp = array_module(labels)
        if self._fast_front_applies(labels, normal):
            y = self._front_cpu(labels, normal)
        else:
            y = self.detect(self.propagate(self.transmit(labels, normal)), normal)
        ref = xp.asarray(self._levels()[_inverse_gray(self.m)].astype(self._rtype()))[labels]
        return (ref, *self._receive(y, ref, trace))

    @property
    def _chain(self):
        """The FEC chain evaluated on the link's bits, or None (``"none"``, and ``"kp4"``, which takes
        the faster codeword-histogram path)."""
        if self.fec in ("none", "kp4"):
            return None
        return link_fec_chain(self.fec)

    def _run_batch(self, backend, seed_seq, n_symbols, threads) -> Counts:
        rows = max(1, -(-int(n_symbols) // self.payload_symbols))
        chain = self._chain
        fec_inputs = None
        if chain is not None:
            bits_per_row = self.payload_symbols * self.bits_per_symbol
            rows = max(rows, -(-max(chain.min_bits, FEC_BATCH_BITS.get(chain.name, 0)) // bits_per_row))
            fec_inputs = []
        label_rng, normal = self._random_sources(backend, seed_seq, threads)
        # Frames go through the chain CHUNK_SAMPLES at a time: large enough to amortise the
        # per-call overhead, small enough that the working set stays in cache (measured fastest).
        per_chunk = max(1, CHUNK_SAMPLES // (self.frame_symbols * self.sps))
        total = ZERO
        for first in range(0, rows, per_chunk):
            labels = label_rng.integers(0, self.m, size=(min(per_chunk, rows - first), self.frame_symbols),
                                        dtype=np.uint8)
            total = total + self._run_frames(backend, backend.xp.asarray(labels), normal, fec_inputs)
        if chain is not None:
            xp = backend.xp
            tx = xp.concatenate([t for t, _ in fec_inputs], axis=0)
            rx = xp.concatenate([r for _, r in fec_inputs], axis=0)
            total = total + fec_counts(chain.count(tx, llr=rx, threads=threads) if chain.soft
                                       else chain.count(tx, hard=rx, threads=threads))
        return total

    def _fec_inputs(self, labels, ref, z, decided, soft: bool):
        """(transmitted bits, LLRs or decided bits) of the counted symbols, for a FEC chain.

        Linear receivers give exact Gray-PAM LLRs of the equalizer output with the noise variance
        measured per frame (:func:`dsp.modulation.demap_llr`). Hard-output receivers (DFE, MLSE)
        give decisions; a soft chain then gets the LLRs of a binary symmetric channel at the
        chunk's measured bit error ratio, ``+-log((1 - p) / p)``.
        """
        from dsp.modulation import demap_llr, labels_to_bits, pam

        xp = array_module(labels)
        nt, b = self.n_train, self.bits_per_symbol
        tx = labels_to_bits(labels[:, nt:], b)
        if z is not None:
            zc, rc = z[:, nt:], ref[:, nt:]
            if soft:
                var = xp.maximum(((zc - rc) ** 2).mean(axis=1, keepdims=True), zc.dtype.type(1e-12))
                return tx, demap_llr(zc, pam(self.m), var, method="exact")
            decided = _nearest(z, xp.asarray(self._levels()))
        gray = xp.asarray(np.array([k ^ (k >> 1) for k in range(self.m)], dtype=np.uint8))
        hard = labels_to_bits(gray[decided[:, nt:]], b)
        if not soft:
            return tx, hard
        p = min(max(float(xp.count_nonzero(hard != tx)) / hard.size, 1e-9), 0.499)
        reliability = np.float32(math.log((1 - p) / p))
        return tx, xp.where(hard.astype(bool), -reliability, reliability).astype(xp.float32)

    def _run_frames(self, backend, labels, normal, fec_inputs=None) -> Counts:
        xp = backend.xp
        ref, z, decided = self._simulate_z(labels, normal)
        if fec_inputs is not None:
            fec_inputs.append(self._fec_inputs(labels, ref, z, decided, self._chain.soft))
        gray = np.array([k ^ (k >> 1) for k in range(self.m)], dtype=np.uint8)
        if decided is None and backend.name == "cpu":
            # decisions, Gray labels and the XOR with the sent labels in one kernel pass
            lv = self._levels()
            errors = backend.ops.imdd_slice_errors(np.ascontiguousarray(z), labels, self.n_train, float(lv[0]),
                                                   float(lv[1] - lv[0]), gray)
        else:
            if decided is None:
                decided = _nearest(z, xp.asarray(self._levels()))
            errors = xp.bitwise_xor(labels[:, self.n_train:], xp.asarray(gray)[decided[:, self.n_train:]])
        return count_imdd_errors(backend.to_host(errors), self.bits_per_symbol, self.kp4_ways)


@dataclass(frozen=True)
class _FrontTables:
    """Per-link constants of :meth:`ImddLink._front_cpu` (read-only arrays)."""

    levels: np.ndarray            # drive level of each Gray label (after the DAC), real
    drive: np.ndarray | None      # driver response times the NRZ hold response on the rfft grid
    fold: np.ndarray | None       # rfft bin of the symbol-rate spectrum feeding each sample-rate bin
    conj: np.ndarray | None       # where that bin is conjugated (Hermitian fold), or None
    cd_re: np.ndarray | None      # Re and Im of the dispersion response on the rfft grid (even in f)
    cd_im: np.ndarray | None
    rx: np.ndarray | None         # receiver (TIA) response on the rfft grid, for rx_filter="bessel"


_FRONT_CACHE: dict = {}


def _front_tables(link: "ImddLink", n: int) -> _FrontTables:
    """The constants of the CPU front end for frames of ``n`` symbols (cached by the parameters used)."""
    from dsp.channel import adc, fiber, filters
    from dsp.channel.modulators import pam_drive_levels

    sps, big_n, fs = link.sps, n * link.sps, link.fs_hz
    key = (n, sps, fs, link.m, link.middle_eye_ratio, link.dac_bits, link.driver_bandwidth_ghz, link.cd_ps_nm,
           link.wavelength_nm, link.rx_filter, link.tia_bandwidth_ghz, link.precision)
    tab = _FRONT_CACHE.get(key)
    if tab is not None:
        return tab
    rt = link._rtype()
    ct = np.complex64 if rt == np.float32 else np.complex128
    levels = pam_drive_levels(link.m, link.middle_eye_ratio)[_inverse_gray(link.m)]
    if link.dac_bits:  # the DAC acts sample by sample on the held levels: quantize the levels
        levels = adc.quantize(levels, link.dac_bits, 1.0)
    drive = fold = conj = None
    k = np.arange(big_n // 2 + 1)
    if link.driver_bandwidth_ghz:
        # NRZ: drive[k sps + q] = level[k], q < sps, so DFT_N(drive)[k] = S[k mod n] sum_q exp(-j 2 pi k q / N),
        # S the n-point DFT of the levels; S[m] for m > n/2 is conj(S[n - m]) (real levels).
        hold = np.exp(-2j * np.pi * np.outer(k, np.arange(sps)) / big_n).sum(axis=1)
        drive = (filters.grid_response(big_n, fs, link.driver_bandwidth_ghz * 1e9) * hold).astype(ct)
        mm = k % n
        upper = mm > n // 2
        fold = np.where(upper, n - mm, mm)
        conj = upper[None, :] if upper.any() else None
    cd_re = cd_im = None
    if link.cd_ps_nm != 0:
        h = fiber.cd_response(big_n, fs, link.cd_ps_nm, link.wavelength_nm)[:big_n // 2 + 1]
        cd_re, cd_im = h.real.astype(rt), h.imag.astype(rt)
    rx = None
    if link.rx_filter == "bessel":
        rx = filters.grid_response(big_n, fs, link.tia_bandwidth_ghz * 1e9).astype(ct)
    arrays = [levels.astype(rt), drive, fold, conj, cd_re, cd_im, rx]
    for a in arrays:
        if a is not None:
            a.setflags(write=False)
    tab = _FrontTables(*arrays)
    if len(_FRONT_CACHE) > 32:
        _FRONT_CACHE.clear()
    _FRONT_CACHE[key] = tab
    return tab


def _inverse_gray(m: int) -> np.ndarray:
    """Level index (0..m-1, increasing level) of each Gray label."""
    inv = np.empty(m, dtype=np.intp)
    inv[[k ^ (k >> 1) for k in range(m)]] = np.arange(m)
    return inv


def _nearest(z, levels):
    """Index of the nearest of the increasing, equally spaced ``levels`` (uint8)."""
    xp = array_module(z)
    t = z.dtype.type
    spacing = float(levels[1] - levels[0])
    k = xp.floor((z - t(float(levels[0]))) * t(1.0 / spacing) + t(0.5))
    return xp.clip(k, 0, len(levels) - 1).astype(xp.uint8)


def burst_histogram(sym_err, bins: int = BURST_BINS) -> np.ndarray:
    """Histogram of runs of consecutive symbol errors in each row of boolean ``sym_err`` (rows, n).

    Bin i counts runs of length i + 1; the last bin counts runs of length >= ``bins``.
    """
    e = np.asarray(sym_err, dtype=np.int8)
    pad = np.zeros((e.shape[0], 1), dtype=np.int8)
    d = np.diff(np.concatenate([pad, e, pad], axis=1), axis=1)
    starts = np.nonzero(d.ravel() == 1)[0]
    ends = np.nonzero(d.ravel() == -1)[0]
    lengths = ends - starts  # rows are padded, so starts and ends pair up row by row
    return np.bincount(np.minimum(lengths, bins) - 1, minlength=bins)[:bins].astype(np.int64)


def count_imdd_errors(errors, bits_per_symbol: int, kp4_ways: int) -> Counts:
    """Counts, with the KP4 and burst histograms, of an error pattern ``errors`` (rows, n) uint8.

    ``errors`` is transmitted XOR received Gray label per symbol (NumPy). Line bits are the label
    bits MSB first, symbol after symbol; they map to 10-bit RS symbols dealt to ``kp4_ways``
    codewords as :func:`dsp.fec.symbol_errors_per_codeword` does (groups of ``ways * 544`` RS
    symbols, line symbol j of a group to codeword j % ways; bits past the last whole group of a
    row are not in any codeword). Computed from the positions of the erroneous symbols only
    (errors are sparse at useful BERs), so it costs one scan of ``errors``.
    """
    x = np.ascontiguousarray(errors, dtype=np.uint8)
    rows, n = x.shape
    flat = x.reshape(-1)
    pos = np.flatnonzero(flat)
    val = flat[pos]
    bit_errors = int(_POPCOUNT8[val].sum(dtype=np.int64))
    # bursts: runs of consecutive positions within a row
    r = pos // n if n else pos
    brk = np.ones(pos.size, dtype=bool)
    if pos.size > 1:
        brk[1:] = (np.diff(pos) != 1) | (np.diff(r) != 0)
    starts = np.flatnonzero(brk)
    lengths = np.diff(np.append(starts, pos.size))
    bursts = np.bincount(np.minimum(lengths, BURST_BINS) - 1, minlength=BURST_BINS)[:BURST_BINS].astype(np.int64)
    # KP4: erroneous RS symbols per codeword
    b = bits_per_symbol
    per_group = KP4_M * KP4_N * kp4_ways
    groups = (n * b) // per_group
    cw_per_row = groups * kp4_ways
    shifts = np.arange(b - 1, -1, -1, dtype=np.uint8)
    hit = ((val[:, None] >> shifts) & 1).astype(bool)               # (errors, b) erroneous line bits
    bit = (pos % n)[:, None] * b + np.arange(b)[None, :]
    rr = np.broadcast_to(r[:, None], bit.shape)[hit]
    sym = bit[hit] // KP4_M                                          # RS symbol index in the row
    keep = sym < groups * KP4_N * kp4_ways
    rr, sym = rr[keep], sym[keep]
    row_syms = groups * KP4_N * kp4_ways
    uniq = np.unique(rr * row_syms + sym)                            # distinct erroneous RS symbols
    if uniq.size:
        ur, us = uniq // row_syms, uniq % row_syms
        cwid = ur * cw_per_row + (us // (KP4_N * kp4_ways)) * kp4_ways + us % kp4_ways
        _, per_cw = np.unique(cwid, return_counts=True)
    else:
        per_cw = np.zeros(0, dtype=np.int64)
    kp4 = np.bincount(np.minimum(per_cw, KP4_BINS - 1), minlength=KP4_BINS).astype(np.int64)
    kp4[0] += rows * cw_per_row - per_cw.size
    hist = (("kp4_symbol_errors", tuple(int(v) for v in kp4)),
            ("error_bursts", tuple(int(v) for v in bursts)))
    return Counts(bit_errors, int(x.size) * b, int(pos.size), int(x.size), hist)

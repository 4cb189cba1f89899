"""The coherent DP-QAM link: transmitter, amplified fiber, coherent receiver and its DSP chain.

Signal path of one batch (every stage is a documented function of :mod:`dsp.modulation`,
:mod:`dsp.channel` or :mod:`dsp.rx`; this module only wires them)::

    random Gray labels (2 pols) ─▶ QAM symbols ─▶ RRC shaping (sps) ─▶ IQ modulator (ideal / MZM)
    ─▶ IQ imbalance, skew ─▶ Tx laser phase noise ─▶ Tx OSNR
    ─▶ fiber: CD + first-order PMD under a random SOP (linear) or n_spans of SSFM (Manakov) + EDFAs
    ─▶ ASE at osnr_db ─▶ LO: phase noise + carrier frequency offset ─▶ sampling-time offset
    ─▶ hybrid + balanced detection + ADC
    ─▶ CD compensation ─▶ RRC matched filter ─▶ timing recovery ─▶ 2x2 MIMO (CMA/RDE, then DD-LMS)
    ─▶ frequency-offset estimation (4th power) ─▶ carrier phase (BPS or Viterbi-Viterbi)
    ─▶ frame alignment + pilot-aided cycle-slip correction ─▶ decisions, LLRs ─▶ counts

CD compensation: ``cdc="frame"`` (default) compensates CD, applies the RRC matched filter and
removes the estimated timing offset on one FFT of the periodic frame (the same response as the
overlap-save compensator, which on the counted symbols it equals, at a third of the FFT work);
``"fd"`` runs the streaming overlap-save compensator of :mod:`dsp.rx.cdc`, ``"td"`` Savory's FIR.

Frames: each batch is split into frames of ``frame_symbols`` symbols per polarization, simulated
side by side as ``(frames, 2, samples)``. Transmitter and linear fiber act by circular
convolution (the frame is periodic); the receiver DSP runs on the frame as a stream. The 2x2
equalizer acquires on the frame's head (``ACQUISITION_SYMBOLS``: blind CMA passes, FOE, a DD-LMS
pass), then equalizes the whole frame once, decision-directed from those taps; its first
``n_skip`` symbols (PLL re-acquisition) and its last ``tail_symbols`` are not counted.
Every ``pilot_period``-th symbol is a pilot known to the receiver (400ZR carries one pilot per
64 symbols): pilots resolve the pi/2 ambiguity of blind carrier recovery and are not counted.

Per point (``point_metrics``): ``snr_db`` and ``evm_pct`` after DSP (data-aided), ``q_db`` from the
BER, ``gmi`` (bits per 2-D symbol of one polarization, from exact LLRs at the measured noise
variance, estimated on the first ``GMI_SYMBOLS`` counted symbols per polarization of each frame) and ``ngmi``
(= gmi / bits per symbol), ``cycle_slips`` corrected by the pilots, the OSNR the channel delivers
(``osnr_line_db``) and, with ``fec``, the post-FEC results of :func:`dsp.sim.links.fec_point_metrics`.

A frame whose equalizer fails to converge (output far from the constellation) makes the batch
raise :class:`ConvergenceError` instead of returning a BER.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from dsp._validate import choice, integer, number, number_or_auto
from dsp.backend import array_module, fft_module
from dsp.channel.iq import IQ_MODULATORS
from dsp.sim.links import FEC_BATCH_BITS, Counts, Link, fec_counts, fec_point_metrics, link_fec_chain
from dsp.sim.links import POPCOUNT8 as _POPCOUNT8

CDC_METHODS = ("frame", "fd", "td", "none")
MIMO_METHODS = ("cma", "rde")
CPR_METHODS = ("bps", "vv", "none")
FORMATS = (4, 16, 64)
ALIGN_SYMBOLS = 1024
"""Symbols per polarization correlated for frame alignment."""
FOE_SYMBOLS = 8192
"""Symbols per polarization of each frame that the frequency offset is estimated from."""
GMI_SYMBOLS = 8192
"""Counted symbols per polarization of each frame that the GMI is estimated from (the first ones)."""
ACQUISITION_STEPS = (10.0, 3.0)
"""Step-size multiples of the MIMO acquisition passes over the head of each frame."""
ACQUISITION_SYMBOLS = 8192
"""Symbols per polarization at the head of each frame that the MIMO acquisition passes run over."""
GROUP_SAMPLES = 1 << 19
"""Samples per polarization of a frame group, the unit of work (and of the noise streams) of a batch."""
DD_SWITCH_SYMBOLS = 2048
"""Blind symbols of the DD-LMS head pass before decision-directed adaptation and its PLL take over."""


class ConvergenceError(RuntimeError):
    """The receiver DSP did not converge on a frame; no BER is reported for the point."""


_num, _int, _choice = number, integer, choice


@dataclass(frozen=True)
class CoherentLink(Link):
    """A dual-polarization Gray square-QAM coherent link; see the module docstring for the path.

    ``inf`` disables an OSNR (``osnr_db``, ``tx_osnr_db``); 0 disables the other optional
    impairments (``linewidth_hz``, ``freq_offset_hz``, ``dgd_ps``, ``n_spans``, ``adc_bits``, IQ
    imbalance and skew). ``cd_ps_nm="auto"`` is ``dispersion_ps_nm_km * length_km`` (with
    ``n_spans`` > 0: times ``span_km * n_spans``).
    """

    # signal
    m: int = 16
    symbol_rate_gbd: float = 59.84375
    rolloff: float = 0.2
    sps: int = 2
    wavelength_nm: float = 1550.0
    # transmitter
    iq_modulator: str = "ideal"
    drive_rms_vpi: float = 0.3
    iq_gain_imbalance_db: float = 0.0
    iq_phase_error_deg: float = 0.0
    iq_skew_ps: float = 0.0
    linewidth_hz: float = 0.0
    tx_osnr_db: float = math.inf
    # channel
    osnr_db: float = 25.0
    cd_ps_nm: float | str = "auto"
    length_km: float = 0.0
    dispersion_ps_nm_km: float = 17.0
    dgd_ps: float = 0.0
    pdl_db: float = 0.0
    random_sop: bool = True
    n_spans: int = 0
    span_km: float = 80.0
    launch_dbm: float = 0.0
    nf_db: float = 5.0
    attenuation_db_km: float = 0.2
    gamma_w_km: float = 1.3
    # receiver
    freq_offset_hz: float = 0.0
    timing_offset_sym: float = 0.0
    adc_bits: int = 0
    adc_clip: float = 3.0
    # DSP
    cdc: str = "frame"
    timing_recovery: bool = True
    mimo_taps: int = 15
    mimo_method: str = "cma"
    mimo_mu: float = 3e-4
    mimo_dd_mu: float = 1e-4
    foe: bool = True
    cpr: str = "bps"
    cpr_phases: int = 32
    cpr_window: int = 64
    pilot_period: int = 64
    # simulation
    frame_symbols: int = 65536
    n_skip: int = 2048
    tail_symbols: int = 256
    fec: str = "none"
    precision: str = "single"

    def __post_init__(self):
        _choice("m", self.m, FORMATS)
        _num("symbol_rate_gbd", self.symbol_rate_gbd, 0, 1000, lo_open=True)
        _num("rolloff", self.rolloff, 0, 1)
        _int("sps", self.sps, 2, 2)
        _num("wavelength_nm", self.wavelength_nm, 1200, 1700)
        _choice("iq_modulator", self.iq_modulator, IQ_MODULATORS)
        _num("drive_rms_vpi", self.drive_rms_vpi, 0, 1, lo_open=True)
        _num("iq_gain_imbalance_db", self.iq_gain_imbalance_db, -6, 6)
        _num("iq_phase_error_deg", self.iq_phase_error_deg, -45, 45)
        _num("iq_skew_ps", self.iq_skew_ps, -100, 100)
        _num("linewidth_hz", self.linewidth_hz, 0, 1e8)
        _num("tx_osnr_db", self.tx_osnr_db, -10, allow_inf=True)
        _num("osnr_db", self.osnr_db, -10, allow_inf=True)
        _num("cd_ps_nm", self.total_cd_ps_nm, -200000, 200000)
        _num("length_km", self.length_km, 0, 10000)
        _num("dispersion_ps_nm_km", self.dispersion_ps_nm_km, -50, 50)
        _num("dgd_ps", self.dgd_ps, 0, 1000)
        _num("pdl_db", self.pdl_db, 0, 20)
        _int("n_spans", self.n_spans, 0, 100)
        _num("span_km", self.span_km, 0, 300, lo_open=True)
        _num("launch_dbm", self.launch_dbm, -30, 30)
        _num("nf_db", self.nf_db, 0, 20)
        _num("attenuation_db_km", self.attenuation_db_km, 0, 2)
        _num("gamma_w_km", self.gamma_w_km, 0, 100)
        _num("freq_offset_hz", self.freq_offset_hz, -20e9, 20e9)
        fs_limit = self.symbol_rate_gbd * 1e9 / 8
        if abs(self.freq_offset_hz) >= fs_limit and self.foe:
            raise ValueError(f"freq_offset_hz must be within +-Rs/8 = +-{fs_limit:.4g} Hz, the range of the "
                             f"4th-power estimator at one sample per symbol (got {self.freq_offset_hz!r})")
        _num("timing_offset_sym", self.timing_offset_sym, -0.5, 0.5)
        _int("adc_bits", self.adc_bits, 0, 16)
        _num("adc_clip", self.adc_clip, 0, 10, lo_open=True)
        _choice("cdc", self.cdc, CDC_METHODS)
        if not isinstance(self.timing_recovery, bool):
            raise ValueError(f"timing_recovery must be true or false (got {self.timing_recovery!r})")
        if not isinstance(self.random_sop, bool):
            raise ValueError(f"random_sop must be true or false (got {self.random_sop!r})")
        if not isinstance(self.foe, bool):
            raise ValueError(f"foe must be true or false (got {self.foe!r})")
        t = _int("mimo_taps", self.mimo_taps, 1, 63)
        if t % 2 == 0:
            raise ValueError(f"mimo_taps must be odd (got {t})")
        _choice("mimo_method", self.mimo_method, MIMO_METHODS)
        _num("mimo_mu", self.mimo_mu, 0, 1, lo_open=True)
        _num("mimo_dd_mu", self.mimo_dd_mu, 0, 1)
        _choice("cpr", self.cpr, CPR_METHODS)
        if self.cpr == "vv" and self.m != 4:
            raise ValueError(f"cpr='vv' (Viterbi-Viterbi) needs QPSK, m=4 (got m={self.m}); use cpr='bps'")
        _int("cpr_phases", self.cpr_phases, 2, 256)
        _int("cpr_window", self.cpr_window, 0, 1024)
        _int("pilot_period", self.pilot_period, 0, 1 << 20)
        if self.pilot_period == 1:
            raise ValueError("pilot_period must be 0 (no pilots) or >= 2 (got 1)")
        f = _int("frame_symbols", self.frame_symbols, 1024, 1 << 22)
        _int("n_skip", self.n_skip, 0)
        _int("tail_symbols", self.tail_symbols, 0)
        if self.n_skip + self.tail_symbols >= f // 2:
            raise ValueError(f"n_skip + tail_symbols must be below frame_symbols / 2 = {f // 2} "
                             f"(got {self.n_skip} + {self.tail_symbols})")
        link_fec_chain(self.fec)  # raises a ValueError listing the allowed specs
        _choice("precision", self.precision, ("single", "double"))

    # ------------------------------------------------------------------ derived numbers
    @property
    def constellation(self):
        from dsp.modulation import qam

        return qam(self.m)

    @property
    def bits_per_symbol(self) -> int:
        """Bits per symbol of one polarization (the BER counts both polarizations' bits)."""
        return self.constellation.bits_per_symbol

    @property
    def symbol_rate_hz(self) -> float:
        return self.symbol_rate_gbd * 1e9

    @property
    def fs_hz(self) -> float:
        return self.symbol_rate_hz * self.sps

    @property
    def total_cd_ps_nm(self) -> float:
        """Accumulated dispersion of the link (ps/nm), which the receiver compensates."""
        d = number_or_auto("cd_ps_nm", self.cd_ps_nm)
        if d is not None:
            return float(d)
        length = self.span_km * self.n_spans if self.n_spans else self.length_km
        return self.dispersion_ps_nm_km * length

    @property
    def line_osnr_db(self) -> float:
        """OSNR (dB in 0.1 nm) delivered to the receiver: Tx, amplified spans and loading, in series."""
        from dsp.channel.noise import combine_osnr_db

        parts = [self.tx_osnr_db, self.osnr_db]
        if self.n_spans:
            from dsp.channel.amplifiers import osnr_db_from_spans

            parts.append(osnr_db_from_spans(self.launch_dbm, self.attenuation_db_km * self.span_km, self.nf_db,
                                            self.n_spans, self.wavelength_nm))
        return combine_osnr_db(*parts)

    @property
    def counted_per_frame(self) -> int:
        """Symbols per polarization counted in a frame (after skip and tail, pilots excluded)."""
        k = np.arange(self.n_skip, self.frame_symbols - self.tail_symbols)
        if self.pilot_period:
            k = k[k % self.pilot_period != 0]
        return int(k.size)

    @property
    def frames_per_group(self) -> int:
        """Frames simulated together (one group: arrays of ``(frames, 2, samples)``; ``GROUP_SAMPLES``)."""
        return max(1, GROUP_SAMPLES // (self.frame_symbols * self.sps))

    def _ctype(self):
        return np.complex64 if self.precision == "single" else np.complex128

    def theory_ber(self) -> float | None:
        """AWGN BER of Gray square QAM at the Es/N0 the line OSNR implies (ideal transceiver)."""
        from dsp.channel.noise import osnr_to_snr_db
        from dsp.metrics import ber_awgn_qam

        osnr = self.line_osnr_db
        if not math.isfinite(osnr):
            return None
        return float(ber_awgn_qam(self.m, osnr_to_snr_db(osnr, self.symbol_rate_hz)))

    # ------------------------------------------------------------------ transmitter and channel
    def transmit(self, symbols, normal):
        """Optical field (frames, 2, n * sps) at unit power per polarization for ``symbols`` (frames, 2, n).

        ``normal``: a :class:`dsp.channel.NormalStream` (phase noise, Tx ASE). Returns the field
        after the Tx laser and Tx OSNR, before the fiber.
        """
        from dsp.channel import iq, lasers, noise
        from dsp.modulation.shaping import shape_rrc

        field = shape_rrc(symbols, self.sps, self.rolloff)
        if self.iq_modulator != "ideal":
            field = iq.modulate_iq(field, self.iq_modulator, self.drive_rms_vpi)
        if self.iq_gain_imbalance_db or self.iq_phase_error_deg:
            field = iq.apply_iq_imbalance(field, self.iq_gain_imbalance_db, self.iq_phase_error_deg)
        if self.iq_skew_ps:
            field = iq.apply_skew(field, self.iq_skew_ps, self.fs_hz)
        if self.linewidth_hz:
            field = lasers.apply_phase_noise(field, self.linewidth_hz, self.fs_hz, normal)
        if math.isfinite(self.tx_osnr_db):
            field = noise.add_ase(field, self.tx_osnr_db, self.fs_hz, normal, signal_power=2.0)
        return field

    def _linear_response(self, n: int, dtype) -> np.ndarray | None:
        """Circular frequency response (2, n) of ``dtype`` per polarization (read-only, cached): CD of
        the linear channel, the sampling-time offset and the DGD between the principal states
        (exp(-+j w tau/2)); None when there is none of them."""
        cd = 0.0 if self.n_spans else self.total_cd_ps_nm
        if not cd and not self.timing_offset_sym and not self.dgd_ps:
            return None
        return _linear_response(n, self.fs_hz, cd, self.wavelength_nm, self.timing_offset_sym / self.symbol_rate_hz,
                                self.dgd_ps * 1e-12, np.dtype(dtype))

    def propagate(self, field, normal, jones):
        """Fiber (linear CD + PMD, or SSFM spans), ASE at ``osnr_db``, LO phase noise and offset.

        ``jones``: (frames, 2 or 3, 2, 2) per frame the output SOP rotation R, the principal states
        J of the PMD and, with ``pdl_db``, the PDL axes P; the channel is
        ``R P^H diag(1, 10^(-PDL/20)) P J^H diag(exp(-j w tau/2), exp(+j w tau/2)) J`` (the PMD
        matrix of :func:`dsp.channel.polarization.pmd_response`, applied as two time-domain
        2x2 products around a diagonal frequency response), times the common response.
        """
        from dsp.channel import lasers, noise

        xp, fft = array_module(field), fft_module(field)
        n, ct = field.shape[-1], field.dtype
        if self.n_spans:
            from dsp.channel.nonlinear import propagate_link

            field, _ = propagate_link(field, self.fs_hz, n_spans=self.n_spans, span_km=self.span_km,
                                      launch_dbm=self.launch_dbm, nf_db=self.nf_db, rng=normal,
                                      alpha_db_km=self.attenuation_db_km,
                                      dispersion_ps_nm_km=self.dispersion_ps_nm_km,
                                      wavelength_nm=self.wavelength_nm, gamma_w_km=self.gamma_w_km)
        hh = self._linear_response(n, ct)
        out_rot = None
        if jones is not None:
            rot, psp = jones[:, 0], jones[:, 1]
            if self.pdl_db:  # lumped PDL after the PMD: J^H diag(1, 10^(-PDL/20)) J, J random per frame
                j = jones[:, 2]
                loss = np.array([1.0, 10.0 ** (-self.pdl_db / 20.0)])[:, None]
                rot = rot @ np.conj(np.swapaxes(j, -1, -2)) @ (loss * j)
            if self.dgd_ps:
                field = _rotate(xp.asarray(psp.astype(ct)), field)
                out_rot = rot @ np.conj(np.swapaxes(psp, -1, -2))
            else:
                out_rot = rot
        if hh is not None:
            field = fft.ifft(fft.fft(field, axis=-1) * xp.asarray(hh), axis=-1)
        if out_rot is not None:
            field = _rotate(xp.asarray(out_rot.astype(ct)), field)
        if math.isfinite(self.osnr_db):
            field = noise.add_ase(field, self.osnr_db, self.fs_hz, normal)
        if self.linewidth_hz:
            field = lasers.apply_phase_noise(field, self.linewidth_hz, self.fs_hz, normal)
        if self.freq_offset_hz:
            field = lasers.apply_frequency_offset(field, self.freq_offset_hz, self.fs_hz)
        return field

    # ------------------------------------------------------------------ the fused CPU front end
    def _fast_front_applies(self, symbols, normal) -> bool:
        """Whether :meth:`_front_cpu` runs this link: NumPy ``symbols`` (frames, 2, n) of the link's
        precision, a CPU :class:`dsp.channel.NormalStream`, an ideal IQ modulator without IQ
        imbalance or skew, and the linear channel (``n_spans`` = 0)."""
        from dsp.channel import NormalStream

        return (isinstance(symbols, np.ndarray) and symbols.ndim == 3 and symbols.shape[1] == 2
                and symbols.dtype == self._ctype() and isinstance(normal, NormalStream)
                and normal.backend.name == "cpu" and self.iq_modulator == "ideal" and not self.n_spans
                and not (self.iq_gain_imbalance_db or self.iq_phase_error_deg or self.iq_skew_ps))

    def _front_cpu(self, symbols, normal, jones):
        """``coherent_detect(propagate(transmit(symbols)))`` for NumPy ``symbols``, fused (CPU).

        The same model and the same normals (stream elements, drawn in the generic order: Tx phase
        noise, Tx ASE, line ASE, LO phase noise) as the three stages, computed in fewer passes:
        RRC shaping by FFT (as :func:`dsp.modulation.shaping.shape_rrc`); one kernel pass
        (``ops.coherent_tx_pass``) for the Tx laser phase, the Tx ASE and, with DGD, the PMD
        principal states J; the circular channel response (CD, timing offset, DGD) by FFT; one
        kernel (``ops.coherent_rx_pass``) for the output rotation, the ASE, the LO phase noise
        times the frequency offset and the unit power per polarization; with ``adc_bits`` the ADC
        of :func:`dsp.channel.iq.coherent_detect` after it. The ASE power refers to the mean signal
        power of the whole group (as :func:`dsp.channel.noise.add_ase` measures it): the Tx pass
        returns each frame's 2x2 power sums, which CD, the timing offset and DGD (all-pass per
        polarization) and the unitary rotations preserve; with PDL the output rotation is not
        unitary and the power is its quadratic form in those sums (taken after the channel FFT
        when DGD makes the two polarizations' responses differ). Frames are transmitted one block
        at a time by a pool of ``threads`` Python threads (FFTs and kernels single-threaded in
        each), so that the working set stays in cache; the receiver pass then runs over all frames.
        Stream positions are fixed per frame, so the result does not depend on the thread count.
        Returns complex ``(frames, 2, n * sps)`` of the symbols' dtype.
        """
        from scipy import fft

        from dsp.channel.noise import ase_sigma

        ops = normal.backend.ops
        threads = int(normal.threads or ops.default_threads())
        frames, _, n = symbols.shape
        sps, big, fs, ct = self.sps, symbols.shape[2] * self.sps, self.fs_hz, symbols.dtype
        key = normal.key
        pn_sigma = math.sqrt(2.0 * math.pi * self.linewidth_hz / fs) if self.linewidth_hz else 0.0
        # The generic chain's stream use, in its order.
        tx_pn = normal._advance(frames * big) if pn_sigma else 0
        tx_ase = normal._advance(frames * 2 * big * 2) if math.isfinite(self.tx_osnr_db) else 0
        tx_sigma = ase_sigma(self.tx_osnr_db, 2.0, fs) if math.isfinite(self.tx_osnr_db) else 0.0
        line_ase = normal._advance(frames * 2 * big * 2) if math.isfinite(self.osnr_db) else 0
        lo_pn = normal._advance(frames * big) if pn_sigma else 0
        psp = out_rot = None
        if jones is not None:  # the matrices of propagate, computed by the same expressions
            rot, j_psp = jones[:, 0], jones[:, 1]
            if self.pdl_db:
                j = jones[:, 2]
                loss = np.array([1.0, 10.0 ** (-self.pdl_db / 20.0)])[:, None]
                rot = rot @ np.conj(np.swapaxes(j, -1, -2)) @ (loss * j)
            if self.dgd_ps:
                psp, out_rot = j_psp, rot @ np.conj(np.swapaxes(j_psp, -1, -2))
            else:
                out_rot = rot
        hh = self._linear_response(big, ct)
        h_rrc = _shaping_response(big, sps, float(self.rolloff), np.dtype(ct))
        gram_after_channel = bool(self.pdl_db and self.dgd_ps and hh is not None)
        # Without Tx phase noise and Tx ASE the transmitter is linear and time-invariant up to the
        # channel: shaping, J and the channel response act on one spectrum (two transforms fewer).
        spectral_tx = not pn_sigma and not tx_sigma
        out = np.empty((frames, 2, big), dtype=ct)
        gram = np.zeros((frames, 4), dtype=np.float64)

        def inplace(res, blk):
            if res is not blk and not np.shares_memory(res, blk):
                blk[...] = res

        def transmit(r0, r1, workers):
            blk = out[r0:r1]
            spec = fft.fft(symbols[r0:r1], axis=-1, workers=workers)
            for q in range(sps):  # zero-stuffing by sps tiles the spectrum sps times
                np.multiply(spec, h_rrc[q * n:(q + 1) * n], out=blk[..., q * n:(q + 1) * n])
            kt = 1 if workers == 1 else threads
            m = None if psp is None else psp[r0:r1]
            if hh is not None and not spectral_tx:
                inplace(fft.ifft(blk, axis=-1, workers=workers, overwrite_x=True), blk)
                gram[r0:r1] = ops.coherent_tx_pass(blk, pn_sigma, tx_pn, tx_sigma, tx_ase, m, r0, key, kt)
                blk = fft.fft(blk, axis=-1, workers=workers, overwrite_x=True)
            elif hh is not None:  # J and the power sums on the spectrum (Parseval: sums / big)
                gram[r0:r1] = ops.coherent_tx_pass(blk, 0.0, 0, 0.0, 0, m, r0, key, kt) / big
            if hh is not None:
                blk *= hh
                inplace(fft.ifft(blk, axis=-1, workers=workers, overwrite_x=True), out[r0:r1])
            else:
                inplace(fft.ifft(blk, axis=-1, workers=workers, overwrite_x=True), blk)
                gram[r0:r1] = ops.coherent_tx_pass(blk, pn_sigma, tx_pn, tx_sigma, tx_ase, m, r0, key, kt)
            if gram_after_channel:
                for i in range(r0, r1):
                    x0, x1 = out[i, 0], out[i, 1]
                    s01 = complex(np.vdot(x1, x0))
                    gram[i] = (float(np.vdot(x0, x0).real), float(np.vdot(x1, x1).real), s01.real, s01.imag)

        # Blocks of at least two frames: pocketfft vectorizes over 4 or more rows (one frame alone is
        # 2.5x slower per row); pool of blocks, single-threaded each, measured faster than whole-group
        # transforms with workers=threads.
        per = max(2, FRONT_BLOCK_SAMPLES // big)
        spans = [(r0, min(frames, r0 + per)) for r0 in range(0, frames, per)]
        if threads > 1 and len(spans) > 1:
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(min(threads, len(spans))) as pool:
                for f in [pool.submit(transmit, a, b, 1) for a, b in spans]:
                    f.result()
        else:
            transmit(0, frames, threads)
        sigma = 0.0
        if math.isfinite(self.osnr_db):
            if out_rot is None or not self.pdl_db:  # unitary: the power is the sum of the two polarizations'
                power = gram[:, 0].sum() + gram[:, 1].sum()
            else:  # sum_i |(M x)_i|^2 = sum_pq G_pq S_pq, G_pq = sum_i M_ip conj(M_iq), S_pq = sum x_p conj(x_q)
                g = np.einsum("rip,riq->rpq", out_rot, np.conj(out_rot))
                s01 = gram[:, 2] + 1j * gram[:, 3]
                power = float((g[:, 0, 0] * gram[:, 0] + g[:, 1, 1] * gram[:, 1] + g[:, 0, 1] * s01
                               + g[:, 1, 0] * np.conj(s01)).real.sum())
            sigma = ase_sigma(self.osnr_db, float(power) / (frames * big), fs)
        ops.coherent_rx_pass(out, out_rot, sigma, line_ase, pn_sigma, lo_pn, self.freq_offset_hz / fs, 0, key, threads)
        if self.adc_bits:  # the ADC of coherent_detect, on the unit-power field
            from dsp.channel.adc import quantize

            full = self.adc_clip / math.sqrt(2.0)
            out = (quantize(out.real, self.adc_bits, full) + 1j * quantize(out.imag, self.adc_bits, full)).astype(ct)
        return out

    # ------------------------------------------------------------------ receiver DSP
    def receive(self, field, trace: dict | None = None, detected: bool = False):
        """Receiver front end and DSP up to carrier recovery: (symbols (frames, 2, n), phase, converged).

        ``detected``: ``field`` is already the output of the coherent front end
        (:func:`dsp.channel.iq.coherent_detect`), as the fused CPU path returns it.

        ``phase`` is the carrier-phase estimate of the CPR (None when ``cpr="none"``); ``converged``
        the per-frame flag of the MIMO equalizer. With ``trace`` (a dict), the signal after every
        stage is stored in it (NumPy arrays).
        """
        from dsp.channel.iq import coherent_detect
        from dsp.modulation.shaping import matched_filter_rrc
        from dsp.rx import carrier, mimo

        def keep(name, v):
            if trace is not None:
                trace[name] = _host(v)

        const = self.constellation
        y = field if detected else coherent_detect(field, self.adc_bits, self.adc_clip)
        keep("received", y)
        if self.cdc == "frame":
            # CD compensation, matched filter and timing recovery on one FFT of the periodic frame.
            from dsp.rx.timing import recover_timing_spectrum

            fft = fft_module(y)
            spec = fft.fft(y, axis=-1, overwrite_x=trace is None)  # y is this function's own array
            spec *= array_module(y).asarray(_frame_filter(y.shape[-1], self.fs_hz, self.total_cd_ps_nm,
                                                          self.wavelength_nm, self.sps, self.rolloff, y.dtype))
            y = recover_timing_spectrum(spec, self.sps) if self.timing_recovery else fft.ifft(spec, axis=-1)
        else:
            if self.cdc != "none" and self.total_cd_ps_nm:
                from dsp.rx.cdc import compensate_cd

                y = compensate_cd(y, self.total_cd_ps_nm, self.fs_hz, wavelength_nm=self.wavelength_nm,
                                  method=self.cdc)
                keep("cd_compensated", y)
            y = matched_filter_rrc(y, self.sps, self.rolloff)
            if self.timing_recovery:
                from dsp.rx.timing import recover_timing

                y = recover_timing(y, self.sps)
        keep("matched", y)
        # Acquisition: CMA passes over the frame's head (ACQUISITION_SYMBOLS) with larger steps
        # (ACQUISITION_STEPS) converge from the centre spike; the whole frame then runs once from those
        # taps with the tracking step, so its head is equalized too and only the DD/PLL start is skipped.
        head = y[..., :min(ACQUISITION_SYMBOLS, y.shape[-1] // self.sps) * self.sps]
        w = None
        for i, scale in enumerate(ACQUISITION_STEPS):
            # The first pass adapts output X alone for half the head, then derives Y's taps from X's
            # by the orthogonality of a unitary channel: both outputs cannot lock to one polarization.
            single = head.shape[-1] // (2 * self.sps) if i == 0 else 0
            acq = mimo.mimo_equalize(head, taps=self.mimo_taps, sps=self.sps, method="cma",
                                     mu=scale * self.mimo_mu, constellation=const, weights=w, n_single=single)
            w = acq.weights
            if not bool(array_module(w).isfinite(w).all()):
                raise ConvergenceError(f"the MIMO equalizer diverged during acquisition (step {scale:g} x "
                                       f"mimo_mu = {scale * self.mimo_mu:g}); no BER is reported. Lower mimo_mu.")
        if self.mimo_dd_mu:
            # The carrier offset is estimated on the last acquisition pass's output (the taps converged
            # over the first pass) and removed from the input. A DD-LMS pass over the head (blind for
            # DD_SWITCH_SYMBOLS, then decision-directed with a PLL) moves the taps to the DD solution,
            # and the single full pass runs decision-directed from its first symbol with those taps:
            # only the PLL's re-acquisition at the frame start (n_skip) is left uncounted.
            keep("mimo", acq.y)
            seg = acq.y[..., max(0, acq.y.shape[-1] - FOE_SYMBOLS):]
            f = carrier.estimate_frequency_offset(seg, self.symbol_rate_hz) if self.foe else 0.0
            y = carrier.remove_frequency_offset(y, f, self.fs_hz, out=y if trace is None else None)
            dd = dict(taps=self.mimo_taps, sps=self.sps, method=self.mimo_method, mu=self.mimo_mu,
                      mu_dd=self.mimo_dd_mu, pll_mu=1e-2, constellation=const)
            switch = min(DD_SWITCH_SYMBOLS, head.shape[-1] // (2 * self.sps))
            w = mimo.mimo_equalize(y[..., :head.shape[-1]], n_blind=switch, weights=w, **dd).weights
            res = mimo.mimo_equalize(y, n_blind=0, weights=w, **dd)
            z = res.y
            keep("mimo_dd", z)
            if trace is not None:
                trace["freq_offset_hz"] = np.asarray(f)
                trace["mimo_weights"] = _host(res.weights)
        else:
            res = mimo.mimo_equalize(y, taps=self.mimo_taps, sps=self.sps, method=self.mimo_method,
                                     mu=self.mimo_mu, constellation=const, weights=w)
            z = res.y
            keep("mimo", z)
            if trace is not None:
                trace["mimo_weights"] = _host(res.weights)
            if self.foe:
                # Estimated on FOE_SYMBOLS symbols after the skipped head (resolution Rs / FOE_SYMBOLS / 4
                # before interpolation; the CPR tracks what is left).
                seg = z[..., self.n_skip:self.n_skip + FOE_SYMBOLS]
                f = carrier.estimate_frequency_offset(seg, self.symbol_rate_hz)
                z = carrier.remove_frequency_offset(z, f, self.symbol_rate_hz)
                keep("foe", z)
                if trace is not None:
                    trace["freq_offset_hz"] = np.asarray(f)
        phase = None
        if self.cpr == "bps":
            r = carrier.bps(z, const, n_phases=self.cpr_phases, window=self.cpr_window)
            z, phase = r.symbols, r.phase
        elif self.cpr == "vv":
            r = carrier.viterbi_viterbi(z, window=self.cpr_window)
            z, phase = r.symbols, r.phase
        keep("cpr", z)
        if trace is not None and phase is not None:
            trace["phase"] = _host(phase)
        return z, phase, res.converged

    def align(self, z, symbols, labels, *, gather: bool = True):
        """Frame alignment of the DSP output ``z`` to the transmitted ``symbols`` / ``labels``.

        Per frame: the polarization assignment (identity or swap) and the delay (within
        +-``mimo_taps`` symbols) that maximise the magnitude of the cross-correlation of
        ``ALIGN_SYMBOLS`` symbols after the skipped head (blind to the constant phase and to the
        pi/2 ambiguity). Returns the transmitted symbols and labels rearranged (circularly: the
        frame is periodic) so that index k matches ``z[..., k]``; with ``gather=False`` only the
        alignment, as host int64 arrays ``(source, lag)`` of shape (frames, 2): output polarization
        p of frame r matches transmitted polarization ``source[r, p]`` delayed by ``lag[r, p]``
        symbols, ``z[r, p, k] ~ symbols[r, source[r, p], (k - lag[r, p]) % n]``.
        """
        xp = array_module(z)
        n = z.shape[-1]
        start = min(self.n_skip, n - self.tail_symbols - ALIGN_SYMBOLS) if n > ALIGN_SYMBOLS else 0
        seg = z[..., start:start + ALIGN_SYMBOLS]
        lmax, K, R = self.mimo_taps, seg.shape[-1], z.shape[0]
        # one gather of the (lag, k) reference table, one batched product: corr[r, p, q, lag]
        idx = (np.arange(start, start + K)[None, :] - np.arange(-lmax, lmax + 1)[:, None]) % n
        ref = symbols[:, :, xp.asarray(idx)].reshape(R, -1, K)               # (r, q * lags, K)
        corr = xp.abs(xp.einsum("rpk,rjk->rpj", seg, xp.conj(ref))).reshape(R, seg.shape[1], 2, -1)
        peak = _host(corr.max(axis=-1))
        lags = _host(corr.argmax(axis=-1)).astype(np.int64) - lmax
        swap = (peak[:, 0, 1] + peak[:, 1, 0]) > (peak[:, 0, 0] + peak[:, 1, 1])
        src = np.where(swap[:, None], np.array([[1, 0]]), np.array([[0, 1]])).astype(np.int64)
        lag = lags[np.arange(R)[:, None], np.arange(2)[None, :], src]
        if not gather:
            return src, lag
        return _aligned(symbols, src, lag), _aligned(labels, src, lag)

    def counted_mask(self, n: int):
        """Boolean (n,): the symbols of a frame that are counted (not skipped, tail or pilot)."""
        mask = np.zeros(n, dtype=bool)
        mask[self.n_skip:n - self.tail_symbols] = True
        if self.pilot_period:
            mask[::self.pilot_period] = False
        return mask

    # ------------------------------------------------------------------ the batch
    @staticmethod
    def _random_sources(backend, seed_seq, threads):
        """(labels generator and NormalStream of frame group 0, SOP generator), keyed by ``seed_seq``."""
        key = seed_seq.generate_state(6, np.uint32)
        sop_rng = np.random.Generator(np.random.Philox(key=int(key[4]) | int(key[5]) << 32))
        return (*CoherentLink._group_sources(backend, seed_seq, 0, threads), sop_rng)

    @staticmethod
    def _group_sources(backend, seed_seq, group: int, threads):
        """(labels generator, NormalStream) of frame group ``group``: keyed by the child
        ``(seed_seq, group)`` of ``seed_seq``, so that groups draw independent labels and noise
        whichever thread runs them."""
        from dsp.channel import NormalStream

        child = np.random.SeedSequence(seed_seq.entropy, spawn_key=tuple(seed_seq.spawn_key) + (int(group),),
                                       pool_size=seed_seq.pool_size)
        key = child.generate_state(4, np.uint32)
        label_rng = np.random.Generator(np.random.Philox(key=int(key[2]) | int(key[3]) << 32))
        return label_rng, NormalStream(backend, key[:2], threads)

    def _jones(self, sop_rng, frames: int):
        """Per frame (frames, 2 or 3, 2, 2): the output SOP rotation, the PMD principal states and
        (with PDL) the PDL axes, or None when the channel has no polarization effects."""
        from dsp.channel.polarization import random_sop

        if not (self.random_sop or self.dgd_ps or self.pdl_db):
            return None
        return random_sop(sop_rng, (frames, 3 if self.pdl_db else 2))

    def _simulate(self, backend, labels, normal, jones, trace=None):
        """(DSP output, CPR phase, converged, transmitted symbols) of ``labels`` (frames, 2, n)
        with the per-frame polarization matrices ``jones`` (:meth:`_jones`)."""
        from dsp.modulation import map_labels

        symbols = map_labels(labels, self.constellation, self._ctype())
        if self._fast_front_applies(symbols, normal):
            z, phase, converged = self.receive(self._front_cpu(symbols, normal, jones), trace, detected=True)
        else:
            field = self.propagate(self.transmit(symbols, normal), normal, jones)
            z, phase, converged = self.receive(field, trace)
        return z, phase, converged, symbols

    def count(self, z, phase, converged, symbols, labels, fec_inputs: list | None = None) -> Counts:
        """Align, resolve cycle slips with the pilots, decide and count one group of frames.

        With ``fec_inputs`` (a list), the transmitted bits of the counted symbols and their LLRs
        (soft FEC) or decided bits (hard FEC) are appended to it, (frames, 2, bits) each.

        Per frame and polarization: two decision-directed gain passes (``g = sum(zc conj(d)) /
        sum(|d|^2)`` with ``d`` the hard decisions of ``zc``, then ``zc = zc / g``), the hard
        decisions, bit and symbol errors against the aligned transmitted labels, ``err_power`` =
        sum |zc - ref|^2, ``ref_power`` = sum |ref|^2, and the GMI sum (exact LLRs at that noise
        variance) of the first ``GMI_SYMBOLS`` counted symbols. NumPy input: one kernel pass per
        row (:func:`dsp._ops.cpu.qam_count_rows`, :func:`dsp._ops.cpu.qam_gmi_rows`) that reads the
        transmitted row at the alignment's (source, lag), with the gain sums in float64; the other
        path (CuPy) evaluates the same definition as array expressions, so both give the same counts
        but for a symbol within float rounding of a decision threshold, and sums equal to rounding.
        """
        from dsp.metrics import gmi_sum
        from dsp.modulation import demap_hard, demap_llr, labels_to_bits
        from dsp.rx.carrier import correct_cycle_slips

        xp = array_module(z)
        const = self.constellation
        n, R, bps = z.shape[-1], z.shape[0], const.bits_per_symbol
        cpu = xp is np  # CPU: one kernel pass per row reads the transmitted row at (source, lag)
        src, lag = self.align(z, symbols, labels, gather=False)
        ref_sym = None if cpu else _aligned(symbols, src, lag)
        slips = 0
        if self.pilot_period and phase is not None:
            pos = np.arange(0, n, self.pilot_period)
            pilots = (ref_sym[..., pos] if ref_sym is not None else
                      symbols[np.arange(R)[:, None, None], src[:, :, None], (pos - lag[:, :, None]) % n])
            sc = correct_cycle_slips(z, phase, pilots, pos)
            z, slips = sc.symbols, int(sc.slips.sum())
        else:  # no pilots: the constant pi/2 ambiguity is resolved with the known data
            ref_sym = _aligned(symbols, src, lag) if ref_sym is None else ref_sym
            c = (z * xp.conj(ref_sym)).sum(axis=-1, keepdims=True)
            q = xp.round(xp.angle(c) / (np.pi / 2))
            z = z * xp.exp(-1j * q * (np.pi / 2)).astype(z.dtype)
        mask = self.counted_mask(n)
        cap = GMI_SYMBOLS  # exact LLRs are costly: a sample of each frame suffices
        soft = fec_inputs is not None and self._chain.soft
        if cpu:  # the same decision-directed gain, decisions and counts, fused per row (dsp._ops.cpu)
            from dsp.backend import get_backend
            from dsp.modulation.demapping import LLR_MAX

            ops = get_backend("cpu").ops
            cols = np.flatnonzero(mask)
            C = cols.size
            be, se, ep, rp, zc, lc, dec = ops.qam_count_rows(
                z.reshape(2 * R, n), symbols.reshape(2 * R, n), labels.reshape(2 * R, n),
                (2 * np.arange(R)[:, None] + src).reshape(-1), lag.reshape(-1), cols, const.levels,
                const.bits_per_axis, 1.0 / (2 * const.d), const.points, C if soft else cap,
                C if fec_inputs is not None else cap, fec_inputs is not None and not soft)
            bit_err_frame = be.reshape(R, 2).sum(axis=1)
            bits_frame = 2 * C * bps
        else:
            ref_lab = _aligned(labels, src, lag)
            mask = xp.asarray(mask)
            zc, rc, lc = z[..., mask], ref_sym[..., mask], ref_lab[..., mask]
            for _ in range(2):  # decision-directed gain (blind AGC) per frame and polarization
                d = xp.asarray(const.points.astype(z.dtype))[demap_hard(zc, const).astype(xp.intp)]
                g = (zc * xp.conj(d)).sum(axis=-1, keepdims=True) / (xp.abs(d) ** 2).sum(axis=-1, keepdims=True)
                zc = zc / g
            dec = demap_hard(zc, const)
            err = xp.bitwise_xor(dec, lc)
            pop = xp.asarray(_POPCOUNT8)[err]
            bit_err_frame = backend_sum(pop.reshape(pop.shape[0], -1), xp)
            bits_frame = 2 * lc.shape[-1] * bps
        conv = np.asarray(_host(converged)).reshape(-1)
        bad = (~conv) | (bit_err_frame > 0.25 * bits_frame)
        if bad.any():
            raise ConvergenceError(
                f"the receiver DSP did not converge on {int(bad.sum())} of {bad.size} frames "
                f"(MIMO converged: {conv.tolist()}, frame BER: {(bit_err_frame / bits_frame).round(3).tolist()}); "
                f"no BER is reported. Check osnr_db ({self.osnr_db}), mimo_mu ({self.mimo_mu}), mimo_taps "
                f"({self.mimo_taps}) against the channel memory (dgd_ps {self.dgd_ps}, cd_ps_nm {self.total_cd_ps_nm}).")
        if cpu:
            rdt = np.float32 if z.dtype == np.complex64 else np.float64
            nv = np.maximum(ep / C, 1e-12)                                   # per row: E|zc - ref|^2
            noise_var = nv.astype(rdt).reshape(R, 2, 1)
            k = min(cap, C)
            inv = np.minimum(1.0 / (0.5 * nv), float(np.finfo(rdt).max))  # per-axis 1 / variance
            total = float(ops.qam_gmi_rows(zc[:, :k], lc[:, :k], inv, const.levels, const.bits_per_axis, const.d,
                                           LLR_MAX).sum()) / math.log(2.0)
            sums = {"err_power": float(ep.sum()), "ref_power": float(rp.sum()), "cycle_slips": float(slips),
                    "frames": float(R), "gmi_sum": total, "gmi_bits": float(2 * R * k * bps)}
            counts = Counts(int(be.sum()), int(bits_frame * R), int(se.sum()), int(2 * R * C), (),
                            tuple(sums.items()))
            zc, lc = zc.reshape(R, 2, -1), lc.reshape(R, 2, -1)
            dec = dec.reshape(R, 2, -1) if dec is not None else None
        else:
            e2 = xp.abs(zc - rc) ** 2
            noise_var = e2.mean(axis=-1, keepdims=True)
            sums = {"err_power": float(e2.sum()), "ref_power": float((xp.abs(rc) ** 2).sum()),
                    "cycle_slips": float(slips), "frames": float(R)}
            llr = demap_llr(zc[..., :cap], const, xp.maximum(noise_var, noise_var.dtype.type(1e-12)),
                            method="exact")
            total, count = gmi_sum(llr, labels_to_bits(lc[..., :cap], bps))
            sums["gmi_sum"], sums["gmi_bits"] = float(total), float(count)
            counts = Counts(int(bit_err_frame.sum()), int(bits_frame * R), int(xp.count_nonzero(err)),
                            int(err.size), (), tuple(sums.items()))
        if fec_inputs is not None:  # the transmitted bits and the receiver's LLRs (or decisions), for the FEC
            tx = labels_to_bits(lc, bps)
            if soft:
                fec_inputs.append((tx, demap_llr(zc, const, xp.maximum(noise_var, noise_var.dtype.type(1e-12)),
                                                 method="exact")))
            else:
                fec_inputs.append((tx, labels_to_bits(dec, bps)))
        return counts

    def run_batch(self, backend, seed_seq, n_symbols, threads=None) -> Counts:
        """Simulate ``ceil(n_symbols / counted_per_frame)`` frames (both polarizations) and count errors.

        ``n_symbols`` counts symbols of one polarization (each frame counts ``counted_per_frame``
        symbols in each of the two).
        """
        if backend.name == "cpu":
            with backend.fft.set_workers(threads or backend.ops.default_threads()):
                return self._run_batch(backend, seed_seq, n_symbols, threads)
        return self._run_batch(backend, seed_seq, n_symbols, threads)

    @property
    def _chain(self):
        return link_fec_chain(self.fec)

    def _run_batch(self, backend, seed_seq, n_symbols, threads) -> Counts:
        rows = max(1, -(-int(n_symbols) // (2 * self.counted_per_frame)))
        chain = self._chain
        fec_inputs = None
        if chain is not None:
            # Enough frames that the FEC frames fit (staircase streams: many blocks, see dsp.fec.chains).
            bits_per_row = 2 * self.counted_per_frame * self.bits_per_symbol
            rows = max(rows, -(-max(chain.min_bits, FEC_BATCH_BITS.get(chain.name, 0)) // bits_per_row))
            fec_inputs = []
        _, _, sop_rng = self._random_sources(backend, seed_seq, threads)
        # Frame groups: the SOPs are drawn here in group order, labels and noise by each group from its
        # own generators, so the counts do not depend on the backend, the thread count or the scheduling.
        per = self.frames_per_group
        groups = [(g, min(per, rows - first), self._jones(sop_rng, min(per, rows - first)))
                  for g, first in enumerate(range(0, rows, per))]
        workers = int(threads or backend.ops.default_threads()) if backend.name == "cpu" else 1

        def run(group):
            g, frames, jones = group
            label_rng, normal = self._group_sources(backend, seed_seq, g, 1 if workers > 1 else threads)
            labels = label_rng.integers(0, self.m, size=(frames, 2, self.frame_symbols), dtype=np.uint8)
            labels = backend.xp.asarray(labels)
            z, phase, converged, symbols = self._simulate(backend, labels, normal, jones)
            inputs = [] if fec_inputs is not None else None
            return self.count(z, phase, converged, symbols, labels, inputs), inputs

        def run_single_threaded(group):
            with backend.ops.kernel_threads(1), backend.fft.set_workers(1):
                return run(group)

        if workers > 1 and len(groups) > 1:
            # Groups on a pool of threads, each single-threaded: kernels, FFTs and NumPy all run
            # in parallel, on a working set of one group (cache-sized) per thread.
            from concurrent.futures import ThreadPoolExecutor

            with ThreadPoolExecutor(min(workers, len(groups))) as pool:
                results = list(pool.map(run_single_threaded, groups))
        else:
            results = [run(gr) for gr in groups]
        total = None
        for c, inputs in results:
            total = c if total is None else total + c
            if fec_inputs is not None:
                fec_inputs.extend(inputs)
        if chain is not None:
            xp = backend.xp
            tx = xp.concatenate([t for t, _ in fec_inputs], axis=0)
            rx = xp.concatenate([r for _, r in fec_inputs], axis=0)
            f = chain.count(tx, llr=rx, threads=threads) if chain.soft else chain.count(tx, hard=rx, threads=threads)
            total = total + fec_counts(f)
        return total

    def trace(self, n_frames: int = 1, seed: int = 0) -> dict:
        """Run ``n_frames`` frames on the CPU and return the signal after every receiver stage.

        Keys: ``received``, ``cd_compensated``, ``matched``, ``mimo`` (and ``mimo_dd``), ``foe``,
        ``cpr`` (complex NumPy arrays), ``mimo_weights``, ``phase``, ``freq_offset_hz``, ``symbols``
        (transmitted), ``link``. For constellation, tap and phase plots (:mod:`dsp.sim.plot`).
        """
        from dsp.backend import get_backend

        be = get_backend("cpu")
        label_rng, normal, sop_rng = self._random_sources(be, np.random.SeedSequence(int(seed)), None)
        labels = label_rng.integers(0, self.m, size=(int(n_frames), 2, self.frame_symbols), dtype=np.uint8)
        out: dict = {"link": self}
        _, _, _, out["symbols"] = self._simulate(be, labels, normal, self._jones(sop_rng, int(n_frames)), out)
        return out

    def point_metrics(self, total: Counts, confidence: float = 0.95) -> dict:
        """SNR, EVM, Q, GMI/NGMI and cycle slips of a finished point, and the line OSNR."""
        from dsp.metrics import gmi_from_sum, q_factor_db

        s = total.totals
        out = {"osnr_line_db": self.line_osnr_db}
        if s.get("err_power", 0) > 0 and s.get("ref_power", 0) > 0:
            ratio = s["err_power"] / s["ref_power"]
            out["snr_db"] = -10.0 * math.log10(ratio)
            out["evm_pct"] = 100.0 * math.sqrt(ratio)
        if total.bits and 0 < total.bit_errors < total.bits / 2:
            out["q_db"] = float(q_factor_db(total.bit_errors / total.bits))
        if s.get("gmi_bits", 0) > 0:
            gmi = float(gmi_from_sum(s["gmi_sum"], int(s["gmi_bits"]), self.bits_per_symbol))
            out["gmi"] = gmi
            out["ngmi"] = gmi / self.bits_per_symbol
        if "cycle_slips" in s:
            out["cycle_slips"] = int(s["cycle_slips"])
            out["frames"] = int(s["frames"])
        out.update(fec_point_metrics(self.fec, s, confidence))
        return out


@lru_cache(maxsize=16)
def _linear_response(n: int, fs_hz: float, cd_ps_nm: float, wavelength_nm: float, delay_s: float, dgd_s: float,
                     dtype):
    """CD ``cd_ps_nm``, a delay of ``delay_s`` and +-dgd_s/2 on the two principal states, on the FFT
    grid of an n-sample frame: (2, n) of ``dtype``, computed in complex128 (read-only)."""
    from dsp.channel.fiber import cd_response

    h = np.ones(n, dtype=np.complex128)
    if cd_ps_nm:
        h = h * cd_response(n, fs_hz, cd_ps_nm, wavelength_nm)
    w = 2 * np.pi * np.fft.fftfreq(n, 1.0 / fs_hz)
    if delay_s:
        h = h * np.exp(-1j * w * delay_s)
    hh = np.stack([h * np.exp(-0.5j * w * dgd_s), h * np.exp(+0.5j * w * dgd_s)]).astype(dtype)
    hh.setflags(write=False)
    return hh


@lru_cache(maxsize=16)
def _frame_filter(n: int, fs_hz: float, cd_ps_nm: float, wavelength_nm: float, sps: int, rolloff: float, dtype):
    """CD compensation times the RRC matched filter on the FFT grid of an n-sample periodic frame."""
    from dsp.modulation.shaping import rrc_response
    from dsp.rx.cdc import cd_compensation_response

    h = rrc_response(np.fft.fftfreq(n, 1.0 / sps), rolloff).astype(np.complex128)
    if cd_ps_nm:
        h = h * cd_compensation_response(n, cd_ps_nm, fs_hz, wavelength_nm)
    h = h.astype(dtype)
    h.setflags(write=False)
    return h


FRONT_BLOCK_SAMPLES = 1 << 18
"""Samples per polarization of a block of frames that :meth:`CoherentLink._front_cpu` transmits per pool task."""


@lru_cache(maxsize=16)
def _shaping_response(n: int, sps: int, rolloff: float, dtype):
    """``sps`` times the RRC response on the FFT grid of an n-sample frame, as
    :func:`dsp.modulation.shaping.shape_rrc` applies it (read-only)."""
    from dsp.modulation.shaping import _grid

    h = (sps * _grid(n, sps, rolloff)).astype(dtype)
    h.setflags(write=False)
    return h


def _rotate(m, x):
    """Per-frame 2x2 matrices ``m`` (frames, 2, 2) applied to ``x`` (frames, 2, n)."""
    y = array_module(x).empty_like(x)
    m = m[:, :, :, None]
    y[:, 0] = m[:, 0, 0] * x[:, 0] + m[:, 0, 1] * x[:, 1]
    y[:, 1] = m[:, 1, 0] * x[:, 0] + m[:, 1, 1] * x[:, 1]
    return y


def backend_sum(a, xp):
    """Row sums of ``a`` (rows, n) as a NumPy int64 array."""
    return np.asarray(_host(a.sum(axis=-1, dtype=xp.int64)), dtype=np.int64)


def _host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else np.asarray(a)


def _aligned(x, src, lag):
    """``x`` (frames, 2, n) rearranged by an alignment: ``out[r, p, k] = x[r, src[r, p], (k - lag[r, p]) % n]``."""
    xp = array_module(x)
    n = x.shape[-1]
    src, lag = xp.asarray(src), xp.asarray(lag)
    idx = (xp.arange(n)[None, None, :] - lag[:, :, None]) % n
    return x[xp.arange(x.shape[0])[:, None, None], src[:, :, None], idx]

"""Channel models (array level, NumPy or CuPy).

- :mod:`~dsp.channel.noise`: AWGN at an SNR, ASE at an OSNR; :class:`~dsp.channel.noise.NormalStream` (fast Philox normals);
- :mod:`~dsp.channel.filters`: analog low-pass responses (driver, TIA) applied by FFT;
- :mod:`~dsp.channel.modulators`: ideal intensity, Mach-Zehnder and chirped EML modulators, PAM drive levels;
- :mod:`~dsp.channel.lasers`: laser RIN; Wiener phase noise and carrier frequency offset;
- :mod:`~dsp.channel.polarization`: random SOPs (Haar), Jones rotation, first-order PMD, PDL;
- :mod:`~dsp.channel.amplifiers`: EDFA gain and ASE, the 58 dB OSNR rule;
- :mod:`~dsp.channel.nonlinear`: split-step Fourier Manakov fiber, amplified multi-span links;
- :mod:`~dsp.channel.fiber`: attenuation and chromatic dispersion on the field, G.652 dispersion, power fading;
- :mod:`~dsp.channel.photodiode`: square-law detection, shot and thermal noise;
- :mod:`~dsp.channel.adc`: DAC/ADC quantization.
"""
from dsp.channel.noise import (NormalStream, add_ase, add_awgn, noise_std, osnr_to_snr_db, snr_to_osnr_db)

__all__ = ["add_awgn", "noise_std", "NormalStream", "add_ase", "osnr_to_snr_db", "snr_to_osnr_db"]
from dsp.channel.amplifiers import add_ase_noise, amplify, ase_psd_w_hz, osnr_db_from_spans  # noqa: E402
from dsp.channel.lasers import apply_frequency_offset, apply_phase_noise, phase_noise  # noqa: E402
from dsp.channel.nonlinear import propagate_link, ssfm_manakov  # noqa: E402
from dsp.channel.polarization import apply_pdl, apply_pmd, pmd_response, random_sop, rotate  # noqa: E402

__all__ += ["phase_noise", "apply_phase_noise", "apply_frequency_offset", "random_sop", "rotate", "apply_pmd",
            "pmd_response", "apply_pdl", "ase_psd_w_hz", "osnr_db_from_spans", "add_ase_noise", "amplify",
            "ssfm_manakov", "propagate_link"]

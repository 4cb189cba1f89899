"""Channel models (array level, NumPy or CuPy).

- :mod:`~dsp.channel.noise`: AWGN at an SNR; :class:`~dsp.channel.noise.NormalStream` (fast Philox normals);
- :mod:`~dsp.channel.filters`: analog low-pass responses (driver, TIA) applied by FFT;
- :mod:`~dsp.channel.modulators`: ideal intensity, Mach-Zehnder and chirped EML modulators, PAM drive levels;
- :mod:`~dsp.channel.lasers`: laser RIN;
- :mod:`~dsp.channel.fiber`: attenuation and chromatic dispersion on the field, G.652 dispersion, power fading;
- :mod:`~dsp.channel.photodiode`: square-law detection, shot and thermal noise;
- :mod:`~dsp.channel.adc`: DAC/ADC quantization.
"""
from dsp.channel.noise import NormalStream, add_awgn, noise_std

__all__ = ["add_awgn", "noise_std", "NormalStream"]

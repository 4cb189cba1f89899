"""Channel models (array level, NumPy or CuPy). This issue lays down additive white Gaussian noise;
fiber, lasers, modulators, photodiodes and ADCs arrive with the PAM4 and coherent links."""
from dsp.channel.noise import add_awgn, noise_std

__all__ = ["add_awgn", "noise_std"]

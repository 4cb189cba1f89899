"""Constellations, Gray labelling, mapping and hard demapping (array level, NumPy or CuPy).

Conventions
-----------
- PAM-M: levels ``(2k - M + 1) d``, k = 0..M-1, mean energy ``E[x^2] = 1``.
- Square QAM-M: PAM-sqrt(M) on I and on Q, mean energy ``E|x|^2 = 1``.
- Labels: binary-reflected Gray code per axis, ``g(k) = k ^ (k >> 1)``; a QAM label is
  ``(g(k_I) << b) | g(k_Q)`` with ``b = log2 sqrt(M)``. Bits of a label are MSB first.
"""
from dsp.modulation.constellations import (
    Constellation,
    pam,
    qam,
    bits_to_labels,
    labels_to_bits,
    map_labels,
    demap_hard,
)

__all__ = ["Constellation", "pam", "qam", "bits_to_labels", "labels_to_bits", "map_labels", "demap_hard"]

# soft demapping (bit LLRs, log P(b=0)/P(b=1)): dsp.modulation.demapping
from dsp.modulation.demapping import LLR_MAX, demap_llr  # noqa: E402

__all__ += ["demap_llr", "LLR_MAX"]

"""Gray-labelled PAM and square QAM constellations; see :mod:`dsp.modulation` for conventions."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

_PAM_ORDERS = (2, 4, 8, 16)
_QAM_ORDERS = (4, 16, 64, 256)


@dataclass(frozen=True)
class Constellation:
    """A Gray-labelled PAM (``kind="pam"``) or square QAM (``kind="qam"``) constellation.

    Attributes derived from ``kind`` and ``m``: ``axes`` (1 or 2 real dimensions),
    ``levels`` (per axis), ``bits_per_axis``, ``bits_per_symbol``, ``d`` (half the level
    spacing at unit mean energy) and ``points`` (indexed by label; float64 or complex128).
    """

    kind: str
    m: int

    def __post_init__(self):
        orders = {"pam": _PAM_ORDERS, "qam": _QAM_ORDERS}
        if self.kind not in orders:
            raise ValueError(f"kind must be 'pam' or 'qam' (got {self.kind!r})")
        if self.m not in orders[self.kind]:
            allowed = ", ".join(map(str, orders[self.kind]))
            raise ValueError(f"m must be one of {allowed} for {self.kind.upper()} (got {self.m!r})")

    @property
    def axes(self) -> int:
        return 2 if self.kind == "qam" else 1

    @property
    def levels(self) -> int:
        return int(round(np.sqrt(self.m))) if self.kind == "qam" else self.m

    @property
    def bits_per_axis(self) -> int:
        return self.levels.bit_length() - 1

    @property
    def bits_per_symbol(self) -> int:
        return self.bits_per_axis * self.axes

    @property
    def d(self) -> float:
        """Half the spacing between neighbouring levels, for unit mean symbol energy."""
        L = self.levels
        return float(np.sqrt(3.0 / (self.axes * (L * L - 1))))

    @cached_property
    def _axis_levels_by_label(self) -> np.ndarray:
        """Level of each per-axis Gray label."""
        k = np.arange(self.levels)
        out = np.empty(self.levels)
        out[k ^ (k >> 1)] = (2 * k - self.levels + 1) * self.d
        return out

    @cached_property
    def points(self) -> np.ndarray:
        lv = self._axis_levels_by_label
        if self.axes == 1:
            return lv.copy()
        b = self.bits_per_axis
        lab = np.arange(self.m)
        return lv[lab >> b] + 1j * lv[lab & (self.levels - 1)]

    def __str__(self) -> str:
        return f"{self.m}-{self.kind.upper()}"


def pam(m: int) -> Constellation:
    """Gray PAM-``m`` (m in 2, 4, 8, 16), unit mean energy."""
    return Constellation("pam", m)


def qam(m: int) -> Constellation:
    """Gray square QAM-``m`` (m in 4, 16, 64, 256), unit mean energy."""
    return Constellation("qam", m)


def _xp(a):
    return np if isinstance(a, np.ndarray) or np.isscalar(a) else __import__("cupy")


def bits_to_labels(bits, bits_per_symbol: int):
    """Labels from bits ``(..., n * bits_per_symbol)`` (MSB first): uint8 or uint16 ``(..., n)``."""
    xp = _xp(bits)
    bits = xp.asarray(bits)
    if bits.shape[-1] % bits_per_symbol:
        raise ValueError(f"bits: last axis ({bits.shape[-1]}) must be a multiple of bits_per_symbol ({bits_per_symbol})")
    grouped = bits.reshape(*bits.shape[:-1], -1, bits_per_symbol).astype(xp.uint16)
    weights = (1 << xp.arange(bits_per_symbol - 1, -1, -1)).astype(xp.uint16)
    labels = (grouped * weights).sum(axis=-1, dtype=xp.uint16)
    return labels.astype(xp.uint8) if bits_per_symbol <= 8 else labels


def labels_to_bits(labels, bits_per_symbol: int):
    """Bits (uint8, MSB first) ``(..., n * bits_per_symbol)`` from labels ``(..., n)``."""
    xp = _xp(labels)
    labels = xp.asarray(labels)
    if labels.size and not (int(labels.min()) >= 0 and int(labels.max()) < (1 << bits_per_symbol)):
        raise ValueError(f"labels must be in [0, 2^{bits_per_symbol}) for bits_per_symbol={bits_per_symbol}")
    labels = labels.astype(xp.uint16)
    shifts = xp.arange(bits_per_symbol - 1, -1, -1).astype(xp.uint16)
    bits = (labels[..., None] >> shifts) & 1
    return bits.reshape(*labels.shape[:-1], -1).astype(xp.uint8)


def map_labels(labels, const: Constellation, dtype=None):
    """Symbols for Gray labels: float (PAM) or complex (QAM); complex64 / float32 unless ``dtype``."""
    xp = _xp(labels)
    labels = xp.asarray(labels)
    if labels.size and not (int(labels.min()) >= 0 and int(labels.max()) < const.m):
        raise ValueError(f"labels must be in [0, {const.m}) (got {int(labels.min())}..{int(labels.max())})")
    if dtype is None:
        dtype = xp.complex64 if const.axes == 2 else xp.float32
    return xp.asarray(const.points.astype(dtype))[labels.astype(xp.intp)]


def demap_hard(y, const: Constellation):
    """Nearest-point Gray labels (uint8 or uint16) of received symbols ``y`` (any shape).

    Decisions per axis with thresholds midway between levels; outer regions extend to infinity.
    """
    xp = _xp(y)
    y = xp.asarray(y)
    L, b = const.levels, const.bits_per_axis
    scale = 1.0 / (2 * const.d)  # the kernels' arithmetic, so that ties decide identically

    def axis(v):
        k = xp.clip(xp.floor(v * v.dtype.type(scale) + v.dtype.type(L / 2)), 0, L - 1).astype(xp.uint16)
        return k ^ (k >> 1)

    if const.axes == 1:
        lab = axis(y.real if xp.iscomplexobj(y) else y)
    else:
        lab = (axis(y.real) << b) | axis(y.imag)
    return lab.astype(xp.uint8) if const.bits_per_symbol <= 8 else lab

"""Links: what the Monte-Carlo engine runs, one batch of symbols at a time.

A :class:`Link` is a picklable description (sent to worker processes and Dask workers) with

- ``bits_per_symbol``;
- ``run_batch(backend, seed_seq, n_symbols, threads)`` -> :class:`Counts`: simulate ``n_symbols``
  symbols from the random stream of ``seed_seq`` (a ``numpy.random.SeedSequence``) and count
  errors. On the GPU only the counts cross to the host;
- ``theory_ber()``: a closed-form reference BER, or None;
- ``point_metrics(total, confidence)``: extra numbers of a finished point (post-FEC BER, ...).

Link types are registered in ``LINKS`` by the name a preset's ``link`` field uses.
"""
from __future__ import annotations

import dataclasses
import math
from functools import lru_cache
from dataclasses import dataclass

import numpy as np

from dsp.modulation import Constellation


@dataclass(frozen=True)
class Counts:
    """Error counts of one batch (or a sum of batches).

    ``hist``: optional named histograms of fixed length, as ``((name, (count, ...)), ...)``, summed
    bin by bin (a link returns the same names and lengths for every batch).
    ``sums``: optional named float sums, as ``((name, value), ...)``, added across batches (the
    summable parts of SNR, EVM, GMI, ...; a link's ``point_metrics`` turns them into numbers).
    """

    bit_errors: int
    bits: int
    symbol_errors: int
    symbols: int
    hist: tuple = ()
    sums: tuple = ()

    def __add__(self, other: "Counts") -> "Counts":
        merged = dict(self.hist)
        for name, h in other.hist:
            mine = merged.get(name)
            if mine is None:
                merged[name] = tuple(h)
            elif len(mine) != len(h):
                raise ValueError(f"histogram {name!r} has {len(h)} bins in one batch and {len(mine)} in another")
            else:
                merged[name] = tuple(a + b for a, b in zip(mine, h))
        sums = dict(self.sums)
        for name, v in other.sums:
            sums[name] = sums.get(name, 0.0) + float(v)
        return Counts(self.bit_errors + other.bit_errors, self.bits + other.bits,
                      self.symbol_errors + other.symbol_errors, self.symbols + other.symbols,
                      tuple(merged.items()), tuple(sums.items()))

    @property
    def histograms(self) -> dict:
        """``{name: [count, ...]}``."""
        return {k: list(v) for k, v in self.hist}

    @property
    def totals(self) -> dict:
        """``{name: sum}`` of the named float sums."""
        return dict(self.sums)


ZERO = Counts(0, 0, 0, 0)


POPCOUNT8 = np.array([bin(i).count("1") for i in range(256)], dtype=np.uint8)
"""Set bits of each byte value (bit errors of an XOR of labels)."""

FEC_FIELDS = ("info_bit_errors", "info_bits", "frame_errors", "frames", "inner_bit_errors", "inner_bits")
FEC_BATCH_BITS = {"cfec": 8_000_000}
"""Channel bits per batch a chain needs to count efficiently (staircase: about 30 blocks per stream)."""


def link_fec_chain(spec):
    """The :class:`dsp.fec.FecChain` of a link's ``fec`` spec (None for ``"none"``), built once per
    process; an unknown spec raises a ValueError listing the allowed ones."""
    if not isinstance(spec, str):
        from dsp.fec.chains import fec_chain

        return fec_chain(spec)  # raises, naming the bad value
    return _cached_chain(spec)


@lru_cache(maxsize=32)
def _cached_chain(spec: str):
    from dsp.fec.chains import fec_chain

    return fec_chain(spec)


def fec_counts(f) -> Counts:
    """A :class:`dsp.fec.FecCounts` as the ``fec_*`` sums of a :class:`Counts` (merged across batches)."""
    return Counts(0, 0, 0, 0, (), tuple((f"fec_{k}", float(getattr(f, k))) for k in FEC_FIELDS))


def fec_point_metrics(spec: str, sums: dict, confidence: float) -> dict:
    """``post_fec_ber`` (with its interval), ``fer`` (with its interval) and the chain's counts from the
    ``fec_*`` sums of a finished point; {} without FEC."""
    if spec == "none" or "fec_info_bits" not in sums:
        return {}
    from dsp.metrics import ber_interval

    e, n = int(sums["fec_info_bit_errors"]), int(sums["fec_info_bits"])
    fe, fn = int(sums["fec_frame_errors"]), int(sums["fec_frames"])
    out = {"fec": spec, "fec_threshold_ber": link_fec_chain(spec).threshold_ber, "post_fec_bit_errors": e,
           "post_fec_bits": n, "fec_frames": fn, "fec_frame_errors": fe}
    if n:
        lo, hi = ber_interval(e, n, confidence)
        out.update(post_fec_ber=e / n, post_fec_ber_low=lo, post_fec_ber_high=hi)
    if fn:
        lo, hi = ber_interval(fe, fn, confidence)
        out.update(fer=fe / fn, fer_low=lo, fer_high=hi)
    if sums.get("fec_inner_bits"):
        out["inner_fec_ber"] = sums["fec_inner_bit_errors"] / sums["fec_inner_bits"]
    return out



class Link:
    """Interface of a simulated link; see the module docstring."""

    bits_per_symbol: int

    def run_batch(self, backend, seed_seq: np.random.SeedSequence, n_symbols: int, threads: int | None = None) -> Counts:
        raise NotImplementedError

    def theory_ber(self) -> float | None:
        return None

    def point_metrics(self, total: Counts, confidence: float = 0.95) -> dict:
        """Extra plain-number results of a finished point from its summed counts (e.g. post-FEC)."""
        return {}


@dataclass(frozen=True)
class AwgnLink(Link):
    """Uncoded Gray PAM or square QAM over additive white Gaussian noise.

    ``format="pam"``: ``snr_db`` is the electrical SNR E[x^2]/sigma^2 (real noise).
    ``format="qam"``: ``snr_db`` is Es/N0 = E|x|^2/E|n|^2 (complex circular noise).

    A batch runs the fused generator kernel (``kernels/common/slicer.h``): Philox4x32-10 keyed by
    the batch's SeedSequence draws each symbol's label and noise, the symbol is decided and its
    bit errors counted, without writing any array. Its statistics equal mapping labels with
    :func:`dsp.modulation.map_labels`, adding :func:`dsp.channel.add_awgn` and counting with
    :func:`dsp.metrics.count_errors` (tested in tests/test_links.py).
    """

    format: str
    m: int
    snr_db: float
    precision: str = "single"
    fec: str = "none"

    def __post_init__(self):
        if self.format not in ("pam", "qam"):
            raise ValueError(f"format must be 'pam' or 'qam' (got {self.format!r})")
        if not math.isfinite(self.snr_db):
            raise ValueError(f"snr_db must be finite (got {self.snr_db})")
        if self.precision not in ("single", "double"):
            raise ValueError(f"precision must be 'single' or 'double' (got {self.precision!r})")
        if self.constellation.bits_per_symbol > 32:
            raise ValueError(f"m too large for the fused kernel (got {self.m})")
        link_fec_chain(self.fec)  # raises a ValueError listing the allowed specs

    @property
    def constellation(self) -> Constellation:
        return Constellation(self.format, self.m)

    @property
    def bits_per_symbol(self) -> int:
        return self.constellation.bits_per_symbol

    @property
    def noise_std(self) -> float:
        """Noise standard deviation per real dimension, for unit signal energy."""
        from dsp.channel import noise_std

        return noise_std(self.snr_db, 1.0, complex_noise=self.format == "qam")

    def run_batch(self, backend, seed_seq, n_symbols, threads=None) -> Counts:
        c = self.constellation
        if self.fec != "none":
            return self._run_coded(backend, seed_seq, int(n_symbols), threads)
        k0, k1 = (int(v) for v in seed_seq.generate_state(2, np.uint32))
        s = self.noise_std / (2.0 * c.d)
        bit_err, sym_err = backend.ops.awgn_count(0, int(n_symbols), (k0, k1), c.axes, c.levels,
                                                  c.bits_per_axis, s, self.precision == "double", threads)
        return Counts(bit_err, int(n_symbols) * c.bits_per_symbol, sym_err, int(n_symbols))

    def _run_coded(self, backend, seed_seq, n_symbols, threads) -> Counts:
        """With FEC: labels, symbols and noise as arrays, exact LLRs (:func:`dsp.modulation.demap_llr`)
        at the known noise variance, then the chain (:mod:`dsp.fec.chains`) on the same bits."""
        from dsp.channel import NormalStream
        from dsp.modulation import demap_hard, demap_llr, labels_to_bits, map_labels
        from dsp.metrics import count_errors

        c, xp = self.constellation, backend.xp
        chain = link_fec_chain(self.fec)
        n = max(n_symbols, -(-max(chain.min_bits, FEC_BATCH_BITS.get(chain.name, 0)) // c.bits_per_symbol))
        key = seed_seq.generate_state(4, np.uint32)
        rng = np.random.Generator(np.random.Philox(key=int(key[2]) | int(key[3]) << 32))
        labels = xp.asarray(rng.integers(0, c.m, size=(1, n), dtype=np.uint8 if c.m <= 256 else np.uint16))
        rdt = np.float64 if self.precision == "double" else np.float32
        x = map_labels(labels, c, np.complex128 if (c.axes == 2 and rdt == np.float64) else
                       np.complex64 if c.axes == 2 else rdt)
        z = NormalStream(backend, key[:2], threads).standard_normal((*x.shape, c.axes), rdt) * rdt(self.noise_std)
        y = x + (z.view(x.dtype)[..., 0] if c.axes == 2 else z[..., 0])
        var = self.noise_std ** 2 * c.axes
        tx = labels_to_bits(labels, c.bits_per_symbol)
        f = (chain.count(tx, llr=demap_llr(y, c, var, method="exact"), threads=threads) if chain.soft
             else chain.count(tx, hard=labels_to_bits(demap_hard(y, c), c.bits_per_symbol), threads=threads))
        bit_err, sym_err = count_errors(y, labels, c, backend, threads)
        return Counts(int(bit_err), n * c.bits_per_symbol, int(sym_err), n) + fec_counts(f)

    def point_metrics(self, total: Counts, confidence: float = 0.95) -> dict:
        return fec_point_metrics(self.fec, total.totals, confidence)

    def theory_ber(self) -> float:
        from dsp.metrics import ber_awgn_pam, ber_awgn_qam

        return ber_awgn_qam(self.m, self.snr_db) if self.format == "qam" else ber_awgn_pam(self.m, self.snr_db)


#: link type name -> class, or "module:Class" imported on first use (keeps ``import dsp`` light)
LINKS = {"awgn": AwgnLink, "imdd": "dsp.sim.imdd:ImddLink", "coherent": "dsp.sim.coherent:CoherentLink"}


def link_class(kind: str) -> type:
    """The class registered in ``LINKS`` as ``kind``."""
    if kind not in LINKS:
        raise ValueError(f"unknown link type {kind!r}; known: {', '.join(sorted(LINKS))}")
    cls = LINKS[kind]
    if isinstance(cls, str):
        from importlib import import_module

        module, name = cls.split(":")
        cls = getattr(import_module(module), name)
    return cls


def build_link(kind: str, **kwargs) -> Link:
    """Construct the link type ``kind`` (a key of ``LINKS``) from keyword arguments."""
    cls = link_class(kind)
    names = {f.name for f in dataclasses.fields(cls)}
    unknown = sorted(set(kwargs) - names)
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown} for link type {kind!r}")
    return cls(**kwargs)

"""Polarization effects on the dual-polarization field: SOP rotation, first-order PMD, PDL.

Array level (NumPy or CuPy), signals ``(..., 2, n)`` complex with the polarizations X, Y on axis
-2 and time last; frames are periodic (delays are circular). Jones matrices act on the column
``[E_x, E_y]``: ``E_out = J @ E_in``; a batch of matrices ``(..., 2, 2)`` broadcasts against the
leading axes of the field (one SOP per frame).

Conventions
-----------
- Fourier: NumPy's, X(f) = sum_n x[n] exp(-j 2 pi f n / fs), w = 2 pi f on ``fftfreq``; a factor
  exp(-j w tau) delays by tau.
- First-order PMD of differential group delay ``tau`` (``dgd_ps``) with principal states given by
  the rows of a unitary ``J`` (``J`` maps the lab X/Y basis into the principal-state basis):
  ``H(w) = J^H diag(exp(-j w tau/2), exp(+j w tau/2)) J``. The first principal state (row 0 of J,
  X itself when ``jones`` is None) is the slow one, delayed by +tau/2; the second is advanced by
  tau/2. The mean delay is zero, so the symbol timing is kept. A negative ``dgd_ps`` swaps the roles
  and exactly inverts a positive one.
- PDL of ``pdl_db``: ``H = J^H diag(1, 10^(-pdl/20)) J``: the second principal axis loses ``pdl_db``
  of power, the first none; max/min power transmission over all input states = ``pdl_db``.

Random SOPs (:func:`random_sop`) are Haar-distributed on U(2): a Haar SU(2) matrix (a uniform
point on the unit 3-sphere, i.e. a uniform rotation of the Poincare sphere) times a uniform global
phase exp(j phi).
"""
from __future__ import annotations

import math

import numpy as np

from dsp.backend import array_module, cpu_count, fft_module


def _finite(name, v):
    if isinstance(v, bool) or not isinstance(v, (int, float, np.integer, np.floating)) or not math.isfinite(v):
        raise ValueError(f"{name} must be a finite number (got {v!r})")
    return float(v)


def _check_field(field):
    if not hasattr(field, "dtype") or field.dtype.kind != "c" or field.ndim < 2 or field.shape[-2] != 2:
        raise ValueError("field must be a complex array (..., 2, n) with polarizations X, Y on axis -2 "
                         f"(got {getattr(field, 'dtype', type(field).__name__)}, shape {getattr(field, 'shape', None)})")


def _check_jones(jones, name="jones", unitary=False):
    j = np.asarray(jones.get() if type(jones).__module__.startswith("cupy") else jones)
    if j.ndim < 2 or j.shape[-2:] != (2, 2) or j.dtype.kind not in "biufc":
        raise ValueError(f"{name} must be a numeric (..., 2, 2) Jones matrix (got shape {j.shape}, dtype {j.dtype})")
    j = j.astype(np.complex128)
    if not np.all(np.isfinite(j)):
        raise ValueError(f"{name} must be finite (got {jones!r})")
    if unitary:
        err = np.abs(np.swapaxes(j.conj(), -1, -2) @ j - np.eye(2)).max()
        if err > 1e-6:
            raise ValueError(f"{name} must be unitary (max |J^H J - I| = {err:.3g}, allowed 1e-6)")
    return j


def random_sop(rng, size=None) -> np.ndarray:
    """Haar-random 2x2 unitary Jones matrices (complex128, NumPy).

    ``J = exp(j phi) [[a, -conj(b)], [b, conj(a)]]`` with ``(Re a, Im a, Re b, Im b)`` uniform on the
    unit 3-sphere (four normals, normalised: Haar measure on SU(2), a uniformly random rotation of
    the Poincare sphere) and ``phi`` uniform in [0, 2 pi) (so Haar on U(2)).

    Parameters
    ----------
    rng : numpy.random.Generator.
    size : None for one matrix ``(2, 2)``, an int or a tuple for ``(*size, 2, 2)``.
    """
    if not hasattr(rng, "standard_normal") or not hasattr(rng, "uniform"):
        raise TypeError(f"rng must be a numpy.random.Generator (got {type(rng).__name__})")
    lead = () if size is None else ((int(size),) if isinstance(size, (int, np.integer)) else tuple(int(s) for s in size))
    if any(s < 0 for s in lead):
        raise ValueError(f"size must not contain negative sizes (got {size!r})")
    q = rng.standard_normal((*lead, 4))
    q /= np.linalg.norm(q, axis=-1, keepdims=True)
    a, b = q[..., 0] + 1j * q[..., 1], q[..., 2] + 1j * q[..., 3]
    ph = np.exp(1j * rng.uniform(0.0, 2.0 * math.pi, lead))
    j = np.empty((*lead, 2, 2), dtype=np.complex128)
    j[..., 0, 0], j[..., 0, 1] = a * ph, -b.conj() * ph
    j[..., 1, 0], j[..., 1, 1] = b * ph, a.conj() * ph
    return j


def rotate(field, jones):
    """``J @ field``: the Jones matrix ``jones`` ((2, 2) or (..., 2, 2), broadcast over the leading
    axes) applied to every sample of ``field`` ((..., 2, n) complex). Any 2x2 (unitary or not).

    Returns the field's dtype (the matrix is cast to it); the input is not modified.
    """
    _check_field(field)
    j = _check_jones(jones)
    xp = array_module(field)
    jj = xp.asarray(j.astype(field.dtype))
    x, y = field[..., 0:1, :], field[..., 1:2, :]
    # two broadcast multiply-adds beat matmul for (2, 2) @ (2, n) and keep the dtype exactly
    return jj[..., :, 0:1] * x + jj[..., :, 1:2] * y


def _omega(n, fs):
    return 2.0 * math.pi * np.fft.fftfreq(int(n), 1.0 / fs)


def pmd_response(n: int, fs_hz: float, dgd_ps: float, jones=None) -> np.ndarray:
    """The first-order PMD transfer matrix ``H(w)`` (complex128, shape (2, 2, n)) on the FFT grid.

    ``H(w) = J^H diag(exp(-j w tau/2), exp(+j w tau/2)) J`` with ``tau = dgd_ps`` ps and ``J`` =
    ``jones`` (unitary (2, 2); identity when None). See the module doc for the conventions.
    """
    n = int(n)
    if n < 1:
        raise ValueError(f"n must be >= 1 (got {n})")
    fs = _finite("fs_hz", fs_hz)
    if fs <= 0:
        raise ValueError(f"fs_hz must be > 0 (got {fs_hz!r})")
    tau = _finite("dgd_ps", dgd_ps) * 1e-12
    j = np.eye(2, dtype=complex) if jones is None else _check_jones(jones, unitary=True)
    if j.shape != (2, 2):
        raise ValueError(f"jones must be a single (2, 2) matrix here (got shape {j.shape})")
    w = _omega(n, fs)
    d = np.stack([np.exp(-0.5j * w * tau), np.exp(0.5j * w * tau)])  # (2, n)
    # H[a, b, k] = sum_p conj(J[p, a]) d[p, k] J[p, b]
    return np.einsum("pa,pk,pb->abk", j.conj(), d, j)


def apply_pmd(field, dgd_ps: float, fs_hz: float, *, jones=None):
    """``field`` (..., 2, n) after first-order PMD: DGD ``dgd_ps`` between the principal states.

    Rotates into the principal states (``J @ field``), delays them by +tau/2 and -tau/2 in the
    frequency domain, and rotates back (``J^H``). Circular; energy is conserved; applying
    ``-dgd_ps`` with the same ``jones`` undoes it.

    Parameters
    ----------
    field : complex (..., 2, n), NumPy or CuPy; not modified.
    dgd_ps : float, the differential group delay (ps); any sign (see module doc).
    fs_hz : float > 0, sample rate.
    jones : unitary (2, 2) or (..., 2, 2) (one per frame, broadcast over the leading axes), or None
        for principal states X (slow) and Y (fast).

    Returns
    -------
    Array of ``field``'s shape and dtype.
    """
    _check_field(field)
    fs = _finite("fs_hz", fs_hz)
    if fs <= 0:
        raise ValueError(f"fs_hz must be > 0 (got {fs_hz!r})")
    tau = _finite("dgd_ps", dgd_ps) * 1e-12
    j = None if jones is None else _check_jones(jones, unitary=True)
    xp, fft = array_module(field), fft_module(field)
    x = field if j is None else rotate(field, j)
    n = field.shape[-1]
    w = _omega(n, fs)
    d = np.stack([np.exp(-0.5j * w * tau), np.exp(0.5j * w * tau)]).astype(field.dtype)
    kw = {"workers": cpu_count()} if xp is np else {}
    spec = fft.fft(x, axis=-1, **kw)
    spec *= xp.asarray(d)
    y = fft.ifft(spec, axis=-1, overwrite_x=True, **kw).astype(field.dtype, copy=False)
    return y if j is None else rotate(y, np.swapaxes(j.conj(), -1, -2))


def apply_pdl(field, pdl_db: float, *, jones=None):
    """``field`` (..., 2, n) after polarization-dependent loss ``pdl_db`` (>= 0 dB).

    ``H = J^H diag(1, 10^(-pdl_db/20)) J``: the second principal axis (row 1 of ``jones``; Y when
    None) loses ``pdl_db`` of power, the first none. Returns the field's dtype.
    """
    _check_field(field)
    pdl = _finite("pdl_db", pdl_db)
    if pdl < 0:
        raise ValueError(f"pdl_db must be >= 0 (got {pdl_db!r})")
    j = np.eye(2, dtype=complex) if jones is None else _check_jones(jones, unitary=True)
    h = np.swapaxes(j.conj(), -1, -2) @ (np.array([1.0, 10.0 ** (-pdl / 20.0)])[:, None] * j)  # rows scaled
    return rotate(field, h)

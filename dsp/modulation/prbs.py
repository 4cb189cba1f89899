"""Pseudo-random binary sequences (PRBS) from Fibonacci LFSRs, and the PAM4 "Q" patterns.

``prbs(order, n)`` returns ``n`` bits (uint8) of PRBS-``order`` from the all-ones seed; the bit
recurrence is b[i] = XOR of b[i - t] over the polynomial's taps t (ITU-T O.150 / IEEE 802.3
polynomials below). A sequence has period 2^order - 1 and 2^(order-1) ones per period.

``prbs_q(order, n_symbols)`` is the PAM4 pattern PRBSxxQ of IEEE 802.3 (e.g. PRBS13Q, PRBS31Q):
consecutive bit pairs of PRBS-``order`` taken MSB first as Gray labels (the package's PAM4
labelling; :func:`dsp.modulation.map_labels` gives the levels).
"""
from __future__ import annotations

import numpy as np

#: order -> feedback taps of the characteristic polynomial x^order + ... + 1
POLYNOMIALS = {
    7: (7, 6),           # x^7 + x^6 + 1
    9: (9, 5),           # x^9 + x^5 + 1
    11: (11, 9),         # x^11 + x^9 + 1
    13: (13, 12, 2, 1),  # x^13 + x^12 + x^2 + x + 1 (IEEE 802.3 PRBS13, used by PRBS13Q)
    15: (15, 14),        # x^15 + x^14 + 1
    23: (23, 18),        # x^23 + x^18 + 1
    31: (31, 28),        # x^31 + x^28 + 1
}


def prbs(order: int, n: int) -> np.ndarray:
    """``n`` bits (uint8 0/1) of PRBS-``order`` (a key of :data:`POLYNOMIALS`), all-ones seed."""
    if order not in POLYNOMIALS:
        raise ValueError(f"order must be one of {sorted(POLYNOMIALS)} (got {order!r})")
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 0:
        raise ValueError(f"n must be a non-negative integer (got {n!r})")
    taps = POLYNOMIALS[order]
    period = (1 << order) - 1
    length = min(int(n), period) + order
    b = np.ones(length, dtype=np.uint8)
    # The recurrence b[i] = xor b[i - t] can be evaluated a block of min(taps) bits at a time.
    step = min(taps)
    i = order
    while i < length:
        j = min(i + step, length)
        acc = b[i - taps[0]:j - taps[0]].copy()
        for t in taps[1:]:
            acc ^= b[i - t:j - t]
        b[i:j] = acc
        i = j
    seq = b[order:]
    if n <= period:
        return seq[:n].copy()
    return np.resize(seq, int(n))


def prbs_q(order: int, n_symbols: int) -> np.ndarray:
    """PAM4 Gray labels (uint8 0..3) of the PRBS-``order`` Q pattern (bit pairs, MSB first)."""
    if isinstance(n_symbols, bool) or not isinstance(n_symbols, (int, np.integer)) or n_symbols < 0:
        raise ValueError(f"n_symbols must be a non-negative integer (got {n_symbols!r})")
    bits = prbs(order, 2 * int(n_symbols)).reshape(-1, 2)
    return (bits[:, 0] << 1 | bits[:, 1]).astype(np.uint8)

"""Links of dsp.sim.links (the AWGN reference link) with FEC chains."""
import pytest

from dsp.sim.links import build_link


def test_awgn_link_with_fec():
    from dsp.metrics import ber_interval
    from dsp.sim.engine import simulate_ber

    r = simulate_ber("awgn-qam", {"snr_db": [4.0, 9.0]}, params={"m": 4, "fec": "ldpc:wifi-1944-r56"},
                     target_errors=300, max_bits=1e6, seed=1, workers=1)
    low, high = r.points
    assert low.metrics["fer"] > 0.5 and high.metrics["post_fec_ber"] == 0 and high.metrics["fec_frames"] > 20
    for p in r.points:  # the coded path's pre-FEC BER is the same Gray QPSK BER
        lo, hi = ber_interval(p.bit_errors, p.bits, 0.999)
        assert lo < p.theory_ber < hi
    with pytest.raises(ValueError, match="ldpc:"):
        build_link("awgn", format="qam", m=4, snr_db=3.0, fec="polar")

"""Links (transmitter -> channel -> receiver -> error counting) and the Monte-Carlo BER engine.

- :mod:`dsp.sim.presets`: TOML link descriptions with checked parameters.
- :mod:`dsp.sim.links`: the :class:`Link` interface and the link types presets name.
- :mod:`dsp.sim.engine`: :func:`simulate_ber`, batches, stopping rules, executors.
- :mod:`dsp.sim.store`: the results table (CSV), written atomically as points finish.
"""

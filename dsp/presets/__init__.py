"""Link presets shipped as TOML files; load them with :func:`dsp.load_preset`."""

"""Shared pytest set-up for tests/ and benchmarks/: GPU items skip without a CUDA device."""
import pytest


def pytest_collection_modifyitems(config, items):
    if not any("gpu" in item.keywords for item in items):
        return
    from dsp.backend import gpu_unavailable_reason

    reason = gpu_unavailable_reason()
    if reason is None:
        return
    skip = pytest.mark.skip(reason=f"no GPU: {reason}")
    for item in items:
        if "gpu" in item.keywords:
            item.add_marker(skip)

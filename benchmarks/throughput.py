"""How every benchmark reports: throughput from the fastest round, stored and printed."""


def report(benchmark, name: str, amount: float, unit: str) -> float:
    """Store ``amount`` per second of the fastest round as ``extra_info[name]`` and print it in M``unit``/s."""
    rate = amount / benchmark.stats.stats.min
    benchmark.extra_info[name] = rate
    print(f"\n{benchmark.name}: {rate / 1e6:.2f} M{unit}/s")
    return rate

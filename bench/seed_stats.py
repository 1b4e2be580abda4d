"""Summary of one figure over seeds, shared by the benchmark scripts."""
import statistics

def seed_summary(values:list, **extra) -> dict:
    "Number of seeds, mean, sample std (None for one seed), min, max and the values (rounded to 2 places), plus `extra`."
    v = list(values)
    return dict(seeds=len(v), **extra, mean=round(statistics.mean(v), 2), std=round(statistics.stdev(v), 2) if len(v) > 1 else None,
                min=min(v), max=max(v), values=v)

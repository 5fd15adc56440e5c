"""Reference for bench/evaluate.sh: the same evaluation as planwatch-eval's level target, in Polars.

generate FILE N   writes N series × 10 years (2020–2029) as series,year,value (seeded)
evaluate FILE     reads FILE (not timed), then times the evaluation step and prints series/s
"""
import sys
import time

import polars as pl

T0, T1, YEAR = 2020, 2030, 2029


def generate(path, n):
    import numpy as np

    rng = np.random.default_rng(2021)
    years = np.arange(2020, 2030)
    base = rng.uniform(50, 5000, n)
    growth = rng.normal(0.04, 0.03, (n, len(years)))
    growth[:, 0] = 0
    values = base[:, None] * np.cumprod(1 + growth, axis=1)
    df = pl.DataFrame(
        {
            "series": np.repeat(np.arange(n), len(years)),
            "year": np.tile(years, n),
            "value": np.round(values.ravel(), 3),
        }
    )
    df.write_csv(path)


def evaluate(path):
    df = pl.read_csv(path)
    n = df["series"].n_unique()
    started = time.perf_counter()
    span = T1 - T0
    per_series = (
        df.filter(pl.col("year") <= YEAR)
        .group_by("series")
        .agg(
            b=pl.col("value").filter(pl.col("year") == T0).first(),
            t=pl.col("year").max(),
            v=pl.col("value").sort_by("year").last(),
        )
        .with_columns(target=pl.col("b") * 1.5)
    )
    b, v, t, target = pl.col("b"), pl.col("v"), pl.col("t"), pl.col("target")
    elapsed = t - T0
    remaining = T1 - t
    a = (v / b).pow(1.0 / elapsed) - 1
    r0 = (target / b).pow(1.0 / span) - 1
    result = per_series.with_columns(
        completion=v / target,
        distance_covered=(v - b) / (target - b),
        time_elapsed=elapsed / span,
        actual_growth=a,
        required_growth=r0,
        required_growth_remaining=(target / v).pow(1.0 / remaining) - 1,
        projection=v * (1 + a).pow(remaining),
        growth_ratio=a / r0,
        milestone_gap=v / (b * (1 + r0).pow(elapsed)) - 1,
    ).with_columns(
        projection_meets_target=pl.col("projection") >= target,
        time_rule_met=pl.col("distance_covered") >= pl.col("time_elapsed"),
        status=pl.when(v >= target)
        .then(pl.lit("achieved"))
        .when(pl.col("growth_ratio") >= 0.95)
        .then(pl.lit("on_track"))
        .when(pl.col("growth_ratio") >= 0.60)
        .then(pl.lit("acceleration_needed"))
        .when(pl.col("growth_ratio") >= 0)
        .then(pl.lit("limited_progress"))
        .otherwise(pl.lit("deterioration")),
    )
    on_track = result.filter(pl.col("status") == "on_track").height
    seconds = time.perf_counter() - started
    print(
        f"polars {pl.__version__}: {n} series in {seconds:.3f} s = {n / seconds:.0f} series/s "
        f"({on_track} on track)"
    )


if __name__ == "__main__":
    if sys.argv[1] == "generate":
        generate(sys.argv[2], int(sys.argv[3]))
    else:
        evaluate(sys.argv[2])

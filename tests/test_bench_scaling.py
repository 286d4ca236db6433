"""bench.scaling: the log-log slopes over the per-scale results, the MIP extrapolation and the markdown table."""

from __future__ import annotations

from bench_fixtures import scale_result

from bench.scaling import extrapolate_mip, fit_scaling, fit_slope, markdown_table


def test_fit_slope_of_an_exact_power_law() -> None:
    sizes = [100.0, 1_000.0, 10_000.0]
    assert fit_slope(sizes, [2 * s**1.5 for s in sizes]) == 1.5
    assert fit_slope(sizes, [None, 3.0, None]) is None  # type: ignore[list-item]


def test_fit_scaling_slopes_and_the_mip_extrapolation() -> None:
    # Time grows as homes (slope 1), memory as sqrt(homes); the MIP 10 s -> 100 s (slope 1) extrapolates to 1000 s.
    results = {
        "city": scale_result(100, 1.0, 100.0, 10.0),
        "province": scale_result(1_000, 10.0, 316.227766, 100.0),
        "national": scale_result(10_000, 100.0, 1000.0, None),
    }
    fitted = fit_scaling(results)
    assert fitted["slope_time_vs_homes"] == 1.0
    assert fitted["slope_memory_vs_homes"] == 0.5
    assert fitted["slope_mip_time_vs_homes"] == 1.0
    assert fitted["stage_slopes"]["drugs"] == 1.0
    assert fitted["mip_extrapolated_seconds"] == {"national": 1000.0}
    assert [row["mip_skipped"] for row in fitted["rows"]] == [None, None, "not run"]
    assert extrapolate_mip(fitted["rows"], None) == {}
    table = markdown_table(results)
    assert table.count("\n") == 4 and "| national | 10,000 |" in table and "not run" in table

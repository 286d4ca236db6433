"""What validate accepts, solve plans: limits on every value, ids unique across places, located warnings."""

from __future__ import annotations

from pathlib import Path

import pytest
from dataset_checks import Frames, WriteTables, problems_of, set_cell

from planner.dataset.crosscheck import FAR_KM, LOCATED_TABLES
from planner.dataset.io import check_dataset, read_dataset
from planner.dataset.problems import Problem
from planner.dataset.schema import TABLES

SAMPLE = Path(__file__).resolve().parent.parent / "data" / "sample"


def test_every_count_and_number_column_has_a_limit() -> None:
    for spec in TABLES.values():
        for column in spec.all_columns():
            if column.kind in ("count", "number"):
                assert column.maximum is not None, f"{spec.name}.{column.name} has no maximum"
                assert spec.entity.startswith(("a ", "an ")), spec.name


@pytest.mark.parametrize(
    ("table", "row", "column", "value", "message"),
    [
        ("care_homes", 0, "residents", "90000000", "residents: 90000000 is above the limit 100,000 for a care home"),
        ("pools", 0, "nurses", "100000000000000000000", "nurses: 100000000000000000000 is above the limit 100,000 "),
        ("hospitals", 0, "daily_use_antiviral", "200000", "daily_use_antiviral: 200000 is above the limit 40,000 "),
        ("depots", 0, "stock_cough", "9e15", "stock_cough: 9e15 is above the limit 100,000,000 for a depot"),
        ("sites", 1, "opening_cost", "1e300", "opening_cost: 1e300 is above the limit 10,000,000 for an observation"),
        (
            "districts",
            1,
            "speed_kmh",
            "0.000001",
            "speed_kmh: 0.000001 is below the limit 1 for a district (0 or empty",
        ),
    ],
)
def test_a_value_beyond_its_limit_is_located_and_names_the_limit(
    table: str,
    row: int,
    column: str,
    value: str,
    message: str,
    tiny_tables: Frames,
    tmp_path: Path,
    write_tables: WriteTables,
) -> None:
    set_cell(tiny_tables, table, row, column, value)
    errors, _ = problems_of(write_tables(tmp_path / "limit", tiny_tables))
    assert [(p.file, p.row, p.column) for p in errors] == [(f"{table}.csv", row + 2, column)]
    assert errors[0].message.startswith(message)


def test_a_speed_of_zero_still_means_the_default(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    set_cell(tiny_tables, "districts", 0, "speed_kmh", "0")
    dataset = read_dataset(write_tables(tmp_path / "zero", tiny_tables))
    assert dataset.districts["speed_kmh"].tolist() == [0.0, 30.0]


def test_travel_minutes_beyond_a_week_are_refused(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    import pandas as pd

    tiny_tables["travel_minutes"] = pd.DataFrame({"from_id": ["H001"], "to_id": ["ST1"], "minutes": ["1e300"]})
    errors, _ = problems_of(write_tables(tmp_path / "minutes", tiny_tables))
    assert errors == [
        Problem("travel_minutes.csv", 2, "minutes", "minutes: 1e300 is above the limit 10,000 for a pair of places")
    ]


def test_the_stock_of_a_drug_class_has_a_limit_over_all_depots(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    depots = tiny_tables["depots"]
    tiny_tables["depots"] = depots.loc[depots.index.repeat(120)].reset_index(drop=True)
    tiny_tables["depots"]["depot_id"] = [f"W{i}" for i in range(120)]
    tiny_tables["depots"]["stock_cough"] = "100000000"
    errors, _ = problems_of(write_tables(tmp_path / "total", tiny_tables))
    assert errors == [
        Problem(
            "depots.csv",
            None,
            "stock_cough",
            "stock_cough: 12,000,000,000 in all rows, above the limit 10,000,000,000 for the whole table",
        )
    ]


# --------------------------------------------------------------------------- ids across tables


@pytest.mark.parametrize(
    ("table", "column", "other", "other_column", "value"),
    [
        ("sites", "site_id", "care_homes.csv", "home_id", "H001"),
        ("pools", "pool_id", "stations.csv", "station_id", "A1"),
        ("depots", "depot_id", "hospitals.csv", "hospital_id", "HP2"),
    ],
)
def test_an_id_shared_by_two_places_names_both(
    table: str,
    column: str,
    other: str,
    other_column: str,
    value: str,
    tiny_tables: Frames,
    tmp_path: Path,
    write_tables: WriteTables,
) -> None:
    set_cell(tiny_tables, table, 0, column, value)
    errors, _ = problems_of(write_tables(tmp_path / "shared", tiny_tables))
    assert [(p.file, p.row, p.column) for p in errors] == [(f"{table}.csv", 2, column)]
    assert errors[0].message.startswith(f"{column} '{value}' is also the {other_column} of {other} row ")


@pytest.mark.parametrize(("table", "column"), [("care_homes", "home_id"), ("sites", "site_id")])
def test_an_id_with_the_inbound_prefix_is_refused(
    table: str, column: str, tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    # epiplan names a street's inbound arrivals "inbound:<street>": a home so named was taken for them and its
    # missing street point crashed the solve
    set_cell(tiny_tables, table, 0, column, "inbound:X1")
    errors, _ = problems_of(write_tables(tmp_path / "reserved", tiny_tables))
    assert [(p.file, p.row, p.column) for p in errors] == [(f"{table}.csv", 2, column)]
    assert errors[0].message == (
        f"{column} 'inbound:X1' starts with 'inbound:', which epiplan keeps for the inbound arrivals of a street: "
        "give the place another id"
    )


def test_every_located_table_shares_the_namespace() -> None:
    assert {name for name, spec in TABLES.items() if "lat" in {c.name for c in spec.columns}} - {"streets"} == set(
        LOCATED_TABLES
    )


# --------------------------------------------------------------------------- warnings


def test_a_travel_pair_given_twice_says_which_row_is_used(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    import pandas as pd

    tiny_tables["travel_minutes"] = pd.DataFrame(
        {"from_id": ["H001", "H002", "H001"], "to_id": ["ST1", "ST1", "ST1"], "minutes": ["5", "7", "500"]}
    )
    dataset, problems = check_dataset(write_tables(tmp_path / "pairs", tiny_tables))
    message = "from H001 to ST1 is given again on row 4 (500 min): the last row is used, this one (5 min) is not"
    assert problems == [Problem("travel_minutes.csv", 2, "from_id", message, "warning")]
    assert dataset is not None and dataset.warnings == (problems[0],)


def test_a_place_far_from_its_street_or_district_is_a_warning(
    tiny_tables: Frames, tmp_path: Path, write_tables: WriteTables
) -> None:
    set_cell(tiny_tables, "care_homes", 2, "lat", "40.6")  # 73 km north of its street S3
    set_cell(tiny_tables, "stations", 1, "lon", "117.0")  # 54 km east of district D2's only street
    dataset, problems = check_dataset(write_tables(tmp_path / "far", tiny_tables))
    assert dataset is not None
    assert [(p.file, p.row, p.column, p.severity) for p in problems] == [
        ("care_homes.csv", 4, "street_id", "warning"),
        ("stations.csv", 3, "district_id", "warning"),
    ]
    assert problems[0].message.startswith("73 km from its street S3 (district D2): check its lat/lon or street_id")
    assert problems[1].message.startswith("54 km outside the area of the streets of its district D2")
    assert FAR_KM == 30


def test_the_sample_city_has_nothing_far_and_no_shared_id() -> None:
    dataset, problems = check_dataset(SAMPLE)
    assert dataset is not None and problems == [] and dataset.warnings == ()


def test_the_readme_states_every_limit() -> None:
    from dataclasses import fields

    from planner.dataset.limits import ENVIRONMENT, ReadLimits

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    rows = {line.split("|")[1].strip(): line for line in readme.splitlines() if line.startswith("| ")}
    for name, spec in TABLES.items():
        for column in spec.all_columns():
            if column.maximum is None:
                continue
            prefix = next((p for p in spec.drug_prefixes if column.name.startswith(p)), None)
            shown = f"{prefix}<drug>" if prefix else column.name
            assert shown in rows[name] and f"{int(column.maximum):,}" in rows[name], (name, column.name)
    defaults = ReadLimits()
    for item in fields(ReadLimits):
        assert f"| `{ENVIRONMENT[item.name]}` | {getattr(defaults, item.name):,} |" in readme, item.name

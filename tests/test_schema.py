"""Table specifications: ids, drug columns, foreign keys."""

from planner.dataset.schema import DRUGS, TABLE_NAMES, TABLES


def test_every_table_with_an_id_declares_it_first() -> None:
    for spec in TABLES.values():
        if spec.id_column is not None:
            assert spec.columns[0].name == spec.id_column
            assert spec.columns[0].kind == "id"


def test_drug_columns_are_generated_per_prefix() -> None:
    names = [c.name for c in TABLES["hospitals"].all_columns()]
    assert [f"daily_use_{d}" for d in DRUGS] == [n for n in names if n.startswith("daily_use_")]
    assert TABLES["hospitals"].column("daily_use_cough").kind == "number"
    assert TABLES["depots"].column("stock_tcm").kind == "count"


def test_foreign_keys_point_to_earlier_tables_or_hospitals() -> None:
    order = {name: i for i, name in enumerate(TABLE_NAMES)}
    for name, spec in TABLES.items():
        for fk in spec.foreign_keys:
            assert fk.table in TABLES
            assert order[fk.table] < order[name] or fk.column == "designated_hospital_id"


def test_required_columns_of_care_homes_match_the_design() -> None:
    assert TABLES["care_homes"].required_columns == (
        "home_id",
        "street_id",
        "name",
        "lat",
        "lon",
        "residents",
        "staff",
        "disabled",
        "partition",
    )

"""Problems: how one reads, what a dataset error says, and the cap on problems of one kind."""

from __future__ import annotations

import numpy as np

from planner.dataset.problems import MAX_PROBLEMS_PER_KIND, DatasetError, Problem, errors_of, report_bad_rows


def test_a_problem_reads_as_a_spreadsheet_user_finds_it() -> None:
    assert str(Problem("care_homes.csv", 7, "disabled", "disabled (45) > residents (40)")) == (
        "error: care_homes.csv row 7, column disabled: disabled (45) > residents (40)"
    )
    assert str(Problem("notes.csv", None, None, "unknown table file", "warning")) == (
        "warning: notes.csv: unknown table file"
    )


def test_dataset_error_counts_the_errors_and_names_the_first() -> None:
    warning = Problem("a.csv", None, None, "odd", "warning")
    error = Problem("b.csv", 2, "x", "bad")
    raised = DatasetError([warning, error])
    assert raised.problems == [warning, error]
    assert str(raised) == "the dataset has 1 error(s); first: error: b.csv row 2, column x: bad"
    assert errors_of([warning, error]) == [error]


def test_bad_rows_are_reported_up_to_the_cap_then_summarised() -> None:
    problems: list[Problem] = []
    bad = np.ones(MAX_PROBLEMS_PER_KIND + 3, dtype=bool)
    rows = np.arange(2, len(bad) + 2)
    report_bad_rows(problems, "pools.csv", "nurses", bad, rows, lambda i: f"entry {i}", "warning")
    assert len(problems) == MAX_PROBLEMS_PER_KIND + 1
    assert problems[0] == Problem("pools.csv", 2, "nurses", "entry 0", "warning")
    assert problems[-1] == Problem("pools.csv", None, "nurses", "... and 3 more rows like this", "warning")
    report_bad_rows(problems, "pools.csv", "nurses", np.zeros(3, dtype=bool), rows[:3], lambda i: "never")
    assert len(problems) == MAX_PROBLEMS_PER_KIND + 1

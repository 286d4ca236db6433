"""``epiplan template``: the dataset template to fill in, blank or with an existing dataset written in.

::

    epiplan template --lang zh --out district.xlsx
    epiplan template --data data/sample --out filled.xlsx

One sheet per table with its column names, a row saying what each column holds (unit, required or not) and an
example row (both skipped when the file is read), drop-down lists of the values the reader accepts, and a
``readme`` sheet (``planner.outputs.template``). With ``--data`` the dataset is checked first: a dataset with
errors is reported (exit 2) and nothing is written.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from planner.cli.main import (
    EXIT_BAD_INPUT,
    EXIT_OK,
    Command,
    add_lang_argument,
    add_mkdir_argument,
    format_problems,
    format_table,
    out_problem,
    register,
)
from planner.dataset.schema import TABLES


def add_template_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``epiplan template``."""
    parser.add_argument("--out", required=True, type=Path, metavar="FILE", help="the workbook to write (.xlsx)")
    parser.add_argument("--data", metavar="PATH", help="a dataset (folder, .xlsx or .zip) to write into the template")
    add_lang_argument(parser, "the template's descriptions and readme")
    add_mkdir_argument(parser)


def run_template(args: argparse.Namespace) -> int:
    """Write the template (with ``--data`` written in)."""
    from planner.dataset.io import check_dataset
    from planner.outputs.template import save_template

    problems = []
    if args.out.suffix.lower() != ".xlsx":
        problems.append(f"--out {args.out}: expected a file ending in .xlsx")
    else:
        problem = out_problem(args.out, args.mkdir)
        if problem:
            problems.append(problem)
    dataset = None
    if args.data is not None:
        dataset, data_problems = check_dataset(args.data)
        if dataset is None:
            print(format_problems(data_problems))
            problems.append(f"--data {args.data}: the dataset has errors")
    if problems:
        for problem in problems:
            print(f"epiplan: {problem}")
        print("no file was written")
        return EXIT_BAD_INPUT
    args.out.parent.mkdir(parents=True, exist_ok=True)  # only reached with --mkdir when it was missing
    save_template(args.out, args.lang, dataset)
    rows = [(table, len(dataset.table(table)) if dataset is not None else 0) for table in TABLES]
    what = f"the dataset {dataset.name!r} in" if dataset is not None else "a blank"
    print(f"Wrote {what} template ({args.lang}) to {args.out}:")
    print(format_table(("sheet", "rows"), rows, right=(1,)))
    return EXIT_OK


register(
    Command(
        "template",
        "write the dataset template to fill in (.xlsx), blank or with a dataset",
        add_template_arguments,
        run_template,
    )
)

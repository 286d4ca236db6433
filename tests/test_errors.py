"""``planner.errors``: every input error holds its problems one message each and joins them as its text."""

from __future__ import annotations

import pytest

from planner.cli.options import OptionError
from planner.dataset.limits import PlanTooLargeError
from planner.errors import ProblemsError
from planner.rules.rules import RulesError
from planner.rules.scenario import ScenarioError
from planner.rules.sources import RegisterError
from planner.ui.whatif import EditError
from planner.yaml_files import YamlFileError


@pytest.mark.parametrize(
    "kind", [OptionError, PlanTooLargeError, RulesError, ScenarioError, RegisterError, EditError, YamlFileError]
)
def test_every_input_error_is_a_list_of_problems(kind: type[ProblemsError]) -> None:
    error = kind(["a: wrong", "b: missing"])
    assert isinstance(error, ProblemsError) and isinstance(error, ValueError)
    assert error.problems == ["a: wrong", "b: missing"] and str(error) == "a: wrong; b: missing"

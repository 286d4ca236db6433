"""The one shape of epiplan's input errors: a list of messages, each naming what is wrong and where.

Rules, scenarios, options, YAML files, what-if edits, the sources register and plans too dense to list each raise
their own subclass of :class:`ProblemsError`, so that a caller catches what it can report and prints
``problems`` one line each.
"""

from __future__ import annotations


class ProblemsError(ValueError):
    """Input that cannot be used; ``problems`` holds one message each (the exception's text joins them)."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


__all__ = ["ProblemsError"]

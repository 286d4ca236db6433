"""The stages of a plan: each builds its model's inputs and turns its result into the plan's tables and reports."""

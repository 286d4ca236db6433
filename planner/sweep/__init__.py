"""Scenario sweeps: many what-ifs of one dataset, solved on Dask, summarised for robustness.

- :mod:`planner.sweep.vocabulary`: the knobs, the scenarios of a sweep, what a worker sends back, the problems;
- :mod:`planner.sweep.sampling`: grid and seeded Monte Carlo generators, distributions, sweep files;
- :mod:`planner.sweep.execution`: one scenario solved (:func:`~planner.sweep.execution.solve_scenario`),
  serially or as Dask tasks;
- :mod:`planner.sweep.results`: the tidy tables of a sweep and their robust summary;
- :mod:`planner.sweep.saving`: the tables as Parquet, CSV or xlsx, and back.
"""

"""Scenario sweeps: many what-ifs of one dataset, solved on Dask, summarised for robustness."""

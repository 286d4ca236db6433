"""Benchmarks: epiplan against the hand method and a general-purpose MIP, at three scales."""

"""The ``epiplan`` command line: validate, solve, sweep, bench, sample."""

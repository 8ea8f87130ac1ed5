"""leolat benchmarks: ``python -m benchmarks SUITE`` (see ``python -m benchmarks --help``)."""

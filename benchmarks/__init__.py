"""Performance runs of the platform, each printed next to a baseline measured in the same run.

Run with ``make bench`` or ``uv run python -m benchmarks [--only NAME] [--quick]``; see
docs/performance.md for what each benchmark measures and how to read the ratios. Benchmarks are
not tests: nothing here is collected by pytest and nothing asserts a speed.
"""

"""Benchmarks (not tests): each module prints its figures. Run with ``python -m bench.<name>``."""

"""Helpers shared by the tests and the benchmarks (not used by kb at run time)."""

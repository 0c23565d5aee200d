"""Rows that are not typed by anyone: the demo shop, and the load for the benchmarks."""

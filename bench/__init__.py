"""Benchmarks for `make bench`: figures are printed, never asserted."""

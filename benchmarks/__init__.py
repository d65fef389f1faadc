"""Benchmark harness: a corpus generator (`generate`) and the runner (`run`). Not part of the app."""

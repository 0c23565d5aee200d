"""Hypothesis fuzzing of every form and every API endpoint: never a 500, refusals change nothing."""

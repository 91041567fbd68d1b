"""Simulated BALI-like cohorts with planted angiogenic effects and a truth table."""

from ._write import demo_definition, simulate_cohort

__all__ = ["demo_definition", "simulate_cohort"]

"""Plots of the workflow's results."""

__all__: list[str] = []

"""The self-contained HTML report."""

from ._html import build_report

__all__ = ["build_report"]

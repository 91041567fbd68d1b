"""Number formatting of the report: p-values never print as ``0``."""

from __future__ import annotations

import math

import numpy as np


def fmt_p(p: float | None, *, floor: float = 1e-4) -> str:
    """Format a p-value or FDR for reading: ``< 1e-4`` below ``floor``, else 2 significant digits.

    Parameters
    ----------
    p
        The value (NaN or None gives ``NA``).
    floor
        Values below it print as ``< floor`` (a p-value is never shown as ``0``).

    Returns
    -------
    str
        e.g. ``0.032``, ``0.0012``, ``< 1e-4``.
    """
    if p is None or not np.isfinite(p):
        return "NA"
    if p < floor:
        return f"< {floor:.0e}".replace("e-0", "e-")
    if p >= 0.1:
        return f"{p:.2f}"
    digits = -int(math.floor(math.log10(p))) + 1
    return f"{p:.{digits}f}"


def fmt_ratio(value: float | None) -> str:
    """Format an odds or hazard ratio (``inf`` for an unbounded interval end)."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "NA"
    if np.isinf(value):
        return "inf" if value > 0 else "0"
    if value >= 1000 or value < 0.001:
        return f"{value:.1e}"
    return f"{value:.3g}"


def fmt_ci(estimate: float, low: float, high: float) -> str:
    """Format ``estimate (low-high)``."""
    return f"{fmt_ratio(estimate)} ({fmt_ratio(low)}-{fmt_ratio(high)})"

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


def plural(n: int, noun: str, plural_form: str | None = None) -> str:
    """Return ``"1 feature"``, ``"2 features"`` (``plural_form`` for an irregular plural)."""
    return f"{n} {noun if n == 1 else (plural_form or noun + 's')}"


ID_WIDTH = 44  # characters of an id kept in a figure title (half-width plots)


def short_id(text: str, width: int = ID_WIDTH) -> str:
    """Shorten a long id in its middle, keeping its start and its end (where ids differ: ``_0``).

    Parameters
    ----------
    text
        e.g. a contrast id of 110 characters.
    width
        Most characters kept (the ellipsis included).

    Returns
    -------
    str
        ``text`` itself when it fits, else its first and last characters around ``…``.
    """
    text = str(text)
    if len(text) <= width:
        return text
    tail = (width - 1) // 2
    head = width - 1 - tail
    return f"{text[:head]}…{text[-tail:]}"

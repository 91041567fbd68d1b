"""Logging to stderr; results go to files."""

from __future__ import annotations

import logging
import sys

LOGGER_NAME = "omics"


def get_logger(name: str | None = None) -> logging.Logger:
    """Return the package logger (or a child of it)."""
    return logging.getLogger(LOGGER_NAME if name is None else f"{LOGGER_NAME}.{name}")


def configure_logging(verbosity: int = 0) -> None:
    """Send package logs to stderr at INFO (or DEBUG with ``verbosity > 0``)."""
    logger = logging.getLogger(LOGGER_NAME)
    level = logging.DEBUG if verbosity > 0 else logging.INFO
    logger.setLevel(level)
    if not any(getattr(h, "_omics", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("[omics %(asctime)s] %(message)s", "%H:%M:%S"))
        handler._omics = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.propagate = False

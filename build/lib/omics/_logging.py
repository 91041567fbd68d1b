"""Logging to stderr; results go to files."""

from __future__ import annotations

import logging
import sys

LOGGER_NAME = "omics"


def get_logger(name: str | None = None) -> logging.Logger:
    """Return the package logger (or a child of it)."""
    return logging.getLogger(LOGGER_NAME if name is None else f"{LOGGER_NAME}.{name}")


class _Formatter(logging.Formatter):
    """``[omics HH:MM:SS] message``, with ``warning:`` before warnings and errors."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.levelno >= logging.WARNING:
            prefix = f"[omics {self.formatTime(record, self.datefmt)}] "
            text = f"{prefix}{record.levelname.lower()}: {text[len(prefix):]}"
        return text


def configure_logging(verbosity: int = 0) -> None:
    """Send package logs to stderr at INFO (or DEBUG with ``verbosity > 0``)."""
    logger = logging.getLogger(LOGGER_NAME)
    level = logging.DEBUG if verbosity > 0 else logging.INFO
    logger.setLevel(level)
    if not any(getattr(h, "_omics", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_Formatter("[omics %(asctime)s] %(message)s", "%H:%M:%S"))
        handler._omics = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.propagate = False

"""Logging to stderr; results go to files."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager

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


#: A logged line: (logger name, level, message with its arguments filled in).
Line = tuple[str, int, str]

# The lines an input check of this ``omics run`` showed (set by the runner around a task).
_SHOWN: frozenset[Line] = frozenset()


class _Collect(logging.Handler):
    """Collects the lines the package logs (see :func:`logged_lines`)."""

    def __init__(self, lines: list[Line], alone: bool) -> None:
        super().__init__()
        self.lines, self.alone = lines, alone

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append((record.name, record.levelno, record.getMessage()))
        # Without this handler no handler would have been found, and Python would have shown
        # the warning on stderr (logging.lastResort): it still is.
        if self.alone and logging.lastResort is not None and record.levelno >= logging.lastResort.level:
            logging.lastResort.handle(record)


def _has_handlers(logger: logging.Logger) -> bool:
    current: logging.Logger | None = logger
    while current is not None:
        if current.handlers:
            return True
        current = current.parent if current.propagate else None
    return False


@contextmanager
def logged_lines() -> Iterator[list[Line]]:
    """Collect the lines the package logs in this block (what a user was shown).

    Yields
    ------
    list
        Filled as the block runs: one ``(logger name, level, message)`` per line, for the
        records the package loggers' levels let through.
    """
    lines: list[Line] = []
    logger = logging.getLogger(LOGGER_NAME)
    handler = _Collect(lines, alone=not _has_handlers(logger))
    logger.addHandler(handler)
    try:
        yield lines
    finally:
        logger.removeHandler(handler)


@contextmanager
def input_check_shown(lines: Iterable[Line]) -> Iterator[None]:
    """Tell the stage code in this block which lines the run's input check already showed.

    ``omics run`` checks every input before the DAG, reading the files the prep tasks read
    again; the blocks of the prep tasks marked with :func:`repeating_input_check` log
    these lines at debug level instead of a second time. Standalone stage commands (and
    Nextflow's tasks) run outside this block and log every line.
    """
    global _SHOWN
    previous, _SHOWN = _SHOWN, frozenset(lines)
    try:
        yield
    finally:
        _SHOWN = previous


@contextmanager
def repeating_input_check() -> Iterator[None]:
    """Log at debug level (``-v``) the lines of this block that this run's input check showed.

    Marks the part of a stage that repeats what ``omics run``'s input check did (reading
    a matrix, matching it to the sample sheet). Only a line equal to one the check showed
    (same logger, level and text) is demoted, so nothing is hidden that the run has not
    shown once, warnings included; outside :func:`input_check_shown` (a stage command,
    a resumed run whose check was skipped) every line is logged as usual.
    """
    shown = _SHOWN
    if not shown:
        yield
        return
    with _demoted(sorted({name for name, _, _ in shown}),
                  lambda record: (record.name, record.levelno, record.getMessage()) in shown):
        yield


@contextmanager
def info_as_debug(name: str) -> Iterator[None]:
    """Log the info lines of the package logger ``name`` in this block at debug level (``-v``).

    For a stage that recomputes what an earlier stage of the run computed and reported
    (the integration's flow scores, after the score stage's); warnings are still shown.
    """
    with _demoted([get_logger(name).name], lambda record: record.levelno == logging.INFO):
        yield


@contextmanager
def _demoted(names: Iterable[str], which: Callable[[logging.LogRecord], bool]) -> Iterator[None]:
    """Log the records of loggers ``names`` for which ``which`` is true at debug level."""

    def demote(record: logging.LogRecord) -> bool:
        if not which(record):
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)

    with filtered([logging.getLogger(name) for name in names], demote):
        yield


@contextmanager
def filtered(loggers: Iterable[logging.Logger],
             record_filter: Callable[[logging.LogRecord], bool]) -> Iterator[None]:
    """Pass the records of ``loggers`` through ``record_filter`` in this block.

    ``record_filter`` may change a record (its message, its level) and returns whether it
    is logged. A logger's filters see only the records logged to it, not its children's.
    """
    loggers = list(loggers)
    for logger in loggers:
        logger.addFilter(record_filter)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(record_filter)


@contextmanager
def labelled(prefix: str, names: Iterable[str]) -> Iterator[None]:
    """Start the lines the package loggers ``names`` log in this block with ``prefix``.

    For a stage's tasks that run side by side (``omics run``): a library line such as
    ``gsea_prerank: ...`` then says which contrast and modality it is about.

    Parameters
    ----------
    prefix
        Put before each message, e.g. ``"rna: "``.
    names
        Loggers below ``omics`` (``"tl.gsea"``); a logger's filters see only its own records.
    """
    escaped = prefix.replace("%", "%%")  # the message is formatted with its arguments later

    def label(record: logging.LogRecord) -> bool:
        record.msg = f"{escaped if record.args else prefix}{record.msg}"
        return True

    with filtered([get_logger(name) for name in names], label):
        yield

"""User-facing errors: one clear message, exit code 2, no traceback."""

from __future__ import annotations

import re
from collections.abc import Callable

#: A parameter named in a message: ``{--rna_counts}``; see :meth:`InputError.render`.
_PARAM = re.compile(r"\{--(\w+)\}")


def one_line(text: str) -> str:
    """Collapse ``text`` onto one line (runs of white space, newlines included, become one space)."""
    return " ".join(str(text).split())


class InputError(Exception):
    """A problem with the user's input files, parameters or output folder.

    The message says what is wrong; ``path`` names the file, ``where`` the row, column or
    key, and ``fix`` what to do. The CLI prints it as a single line,
    ``omics: error: <path>: <where>: <message> <fix>``, and exits with code 2.

    Parameters
    ----------
    message
        What is wrong.
    path
        The file (or folder) at fault.
    where
        Where in it: ``"row 12"``, ``"column 'age'"``, ``"line 3"``, ``"key 'seed'"``.
    fix
        What the user should do.
    param
        The parameter at fault (its :mod:`omics.params` / keyword name), if any.

    Notes
    -----
    The library does not name command-line flags: a parameter is written ``{--name}`` in
    ``message``/``fix``. ``str(error)`` renders it as ``name`` (Python API); the CLI calls
    :meth:`render` with ``flag=lambda name: f"--{name}"``.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: object | None = None, where: str | None = None,
                 fix: str | None = None, param: str | None = None) -> None:
        self.path = None if path is None else str(path)
        self.where = where
        self.fix = fix
        self.message = message
        self.param = param if param is not None else next(
            (m.group(1) for m in _PARAM.finditer(f"{message} {fix or ''}")), None)
        super().__init__(self.render())

    def render(self, flag: Callable[[str], str] = str) -> str:
        """One line: ``<path>: <where>: <message> <fix>``, parameters written by ``flag``."""
        text = one_line(": ".join(p for p in (self.path, self.where, self.message) if p)
                        + (f" {self.fix}" if self.fix else ""))
        return _PARAM.sub(lambda m: flag(m.group(1)), text)

    def __reduce__(self) -> tuple:
        """Pickle with every field (errors raised in worker processes keep path and param)."""
        return (_rebuild, (self.message, self.path, self.where, self.fix, self.param))

    def with_path(self, path: object) -> InputError:
        """Return this error naming ``path`` when it names no file yet (else itself)."""
        if self.path is not None:
            return self
        error = InputError(self.message, path=path, where=self.where, fix=self.fix, param=self.param)
        error.__cause__ = self.__cause__
        return error


def _rebuild(message: str, path: str | None, where: str | None, fix: str | None,
             param: str | None) -> InputError:
    return InputError(message, path=path, where=where, fix=fix, param=param)


class NoEventsError(InputError):
    """No event by the end point among the samples a survival model would fit.

    :func:`omics.tl.survival_model` raises it (the question has no answer in these samples);
    the score stage catches it and fits no survival model for that modality, with a warning
    (another modality's samples may have events).
    """


class Terminated(KeyboardInterrupt):
    """``omics run`` stopped by SIGTERM (``kill``, a scheduler's time limit).

    Handled as Ctrl-C is (finished tasks are kept, the run resumes where it stopped); the
    CLI says which signal stopped it and exits with 143, the shell's code for SIGTERM.
    """

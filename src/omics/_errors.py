"""User-facing errors: one clear message, exit code 2, no traceback."""

from __future__ import annotations


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
    """

    exit_code = 2

    def __init__(self, message: str, *, path: object | None = None, where: str | None = None,
                 fix: str | None = None) -> None:
        self.path = None if path is None else str(path)
        self.where = where
        self.fix = fix
        self.message = message
        super().__init__(one_line(": ".join(p for p in (self.path, where, message) if p)
                                  + (f" {fix}" if fix else "")))

    def with_path(self, path: object) -> InputError:
        """Return this error naming ``path`` when it names no file yet (else itself)."""
        if self.path is not None:
            return self
        error = InputError(self.message, path=path, where=self.where, fix=self.fix)
        error.__cause__ = self.__cause__
        return error

"""User-facing errors: one clear message, exit code 2, no traceback."""

from __future__ import annotations


class InputError(Exception):
    """A problem with the user's input files or parameters.

    The message names the file, the row or column, and the fix. The CLI turns it
    into a single line on stderr and exit code 2.
    """

    exit_code = 2

    def __init__(self, message: str, *, path: object | None = None) -> None:
        self.path = None if path is None else str(path)
        super().__init__(f"{self.path}: {message}" if self.path else message)

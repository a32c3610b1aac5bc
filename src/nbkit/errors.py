"""The one error type nbkit raises for bad input.

Every problem with a user's files or arguments is an :class:`NbkitError` whose message is a single line that names
the file and the reason. The CLI prints it without a traceback; notebooks show it as a normal exception.
"""

from __future__ import annotations

from pathlib import Path


class NbkitError(Exception):
    """Bad input or arguments: a one-line, user-facing message."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.path = None if path is None else str(path)
        text = " ".join(message.split())  # one line, whatever the caller built
        super().__init__(f"{self.path}: {text}" if self.path else text)

"""Errors raised by jtbd: one catalogue, stable codes, each message with a fix.

Every error a user can meet carries a stable code (``E1xx`` for bad data, ``E2xx``
for bad usage, ``E3xx`` for missing models or resources), says what was found and
how to fix it. The CLI prints them as one line; ``--debug`` adds the traceback.

Example:
    >>> from jtbd.errors import DataError
    >>> err = DataError("E101", "file is empty", fix="check the export finished")
    >>> str(err)
    'E101: file is empty. Fix: check the export finished.'
"""

from __future__ import annotations

__all__ = ["JtbdError", "DataError", "UsageError", "ResourceError", "NotFittedError"]


class JtbdError(Exception):
    """Base class of every error jtbd raises on purpose.

    Attributes:
        code: Stable identifier such as ``"E102"``; search the docs for it.
        message: What happened and what was found.
        fix: How to fix it, or ``None``.
        exit_code: Exit status the CLI uses (1 bad data, 2 bad usage).
    """

    exit_code = 1

    def __init__(self, code: str, message: str, *, fix: str | None = None) -> None:
        self.code = code
        self.message = message.rstrip(".")
        self.fix = fix.rstrip(".") if fix else None
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.code}: {self.message}."
        if self.fix:
            text += f" Fix: {self.fix}."
        return text


class DataError(JtbdError, ValueError):
    """The input data cannot be used as it is (exit code 1)."""

    exit_code = 1


class UsageError(JtbdError, ValueError):
    """An option, argument or config value is wrong (exit code 2)."""

    exit_code = 2


class ResourceError(JtbdError, RuntimeError):
    """A model, package or file the run needs is missing (exit code 1)."""

    exit_code = 1


class NotFittedError(JtbdError, RuntimeError):
    """A component was used before ``fit`` (exit code 2)."""

    exit_code = 2

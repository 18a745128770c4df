"""User-facing errors.

Anything a user can cause (bad YAML, a bad row, a missing model, no GPU) is raised as a `UserError`:
the CLI prints its message and hint, without a traceback, and exits with `exit_code`.
"""

from __future__ import annotations


class UserError(Exception):
    """An error the user can fix; `message` says what and where, `hint` says what to do."""

    exit_code: int = 1

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def format(self) -> str:
        text = f"error: {self.message}"
        if self.hint:
            text += f"\nhint: {self.hint}"
        return text


class ConfigUserError(UserError):
    """Invalid configuration (exit code 2, like argparse usage errors)."""

    exit_code = 2

"""Exceptions that carry a message meant for the user.

Every error mdsrs raises about *the user's input* (data, study file, formula) is an
:class:`MdsrsError`. The command line prints its message as one paragraph and exits with
code 2; no traceback is shown. Messages name the file, the column, the rows and the rule.
"""

from __future__ import annotations


class MdsrsError(Exception):
    """Base class of errors about the user's input; ``str(err)`` is the user message."""


class CohortError(MdsrsError):
    """The cohort data break one or more rules; every problem is listed in the message.

    ``problems`` holds one :class:`mdsrs_core.validation.Problem` per broken rule.
    """

    def __init__(self, message: str, problems: list | None = None):
        super().__init__(message)
        self.problems = list(problems or [])


class StudyError(MdsrsError):
    """The study file (TOML) or a command-line option is malformed."""


class FormulaError(MdsrsError):
    """A model formula cannot be used with the data (unknown column, bad syntax...)."""


class ModelError(MdsrsError):
    """A model cannot be fitted to these data (separation, no events, no convergence...)."""

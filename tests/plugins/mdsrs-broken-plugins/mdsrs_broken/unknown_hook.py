"""Implements a hook that does not exist (a typo of mdsrs_derive)."""

from mdsrs_core import hookimpl


@hookimpl
def mdsrs_derrive(cohort):
    pass

"""Registers an endpoint whose analysis raises."""

from mdsrs_core import Endpoint, hookimpl


class Raises(Endpoint):
    name = "raises"
    title = "Always fails"

    def analyze(self, cohort, config):
        raise RuntimeError("division of the cohort by zero")


@hookimpl
def mdsrs_register_endpoints(register):
    register(Raises())

"""Registers an endpoint with an invalid name."""

from mdsrs_core import Endpoint, hookimpl


class Bad(Endpoint):
    name = "Bad Name!"
    title = "Bad"

    def analyze(self, cohort, config):
        return self.new_result()


@hookimpl
def mdsrs_register_endpoints(register):
    register(Bad())

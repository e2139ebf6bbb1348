"""Never returns within a reasonable time."""

import time

from mdsrs_core import Endpoint, hookimpl


class Hangs(Endpoint):
    name = "hangs"
    title = "Never returns"

    def analyze(self, cohort, config):
        time.sleep(3600)


@hookimpl
def mdsrs_register_endpoints(register):
    register(Hangs())

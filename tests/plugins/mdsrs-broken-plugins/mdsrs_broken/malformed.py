"""Returns something that is not an EndpointResult with records."""

from mdsrs_core import Endpoint, hookimpl


class Malformed(Endpoint):
    name = "malformed"
    title = "Returns malformed records"

    def analyze(self, cohort, config):
        result = self.new_result()
        result.analysed(cohort.counts())
        result.records.append({"endpoint": "malformed", "stat": "n", "value": 62})
        return result


@hookimpl
def mdsrs_register_endpoints(register):
    register(Malformed())

"""The names the report gives the parametric survival distributions
(:func:`mdsrs_core.models.survreg`'s ``dist``). No pandas: the figures import this module in
processes that draw only."""

DIST_NAMES = {
    "weibull": "Weibull",
    "exponential": "Exponential",
    "lognormal": "Log-normal",
    "loglogistic": "Log-logistic",
}

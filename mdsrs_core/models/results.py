"""The shared face of fitted models: ``tidy()``, ``glance()``, ``summary()``.

A model class stores its estimates, standard errors and model-level figures; this base
class turns them into broom-style tables (see :mod:`mdsrs_core.models.tidy`) and text.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from mdsrs_core.formula import ModelFrame
from mdsrs_core.models.tidy import wald_table

__all__ = ["ModelResults"]


class ModelResults:
    """Base class of fitted-model results.

    Subclasses set ``terms``, ``estimate`` and ``std_error`` (and ``tidy_df`` when the
    Wald statistic is a t rather than a z), and implement :meth:`glance`.
    """

    #: short model name shown in summaries (``"lm"``, ``"glm"``...)
    model_name: str = "model"
    #: the R call this model mirrors, for summaries and documentation
    r_call: str = ""

    def __init__(
        self,
        model_frame: ModelFrame,
        terms: list[str],
        estimate: np.ndarray,
        std_error: np.ndarray,
        tidy_df: float | None = None,
    ) -> None:
        self.model_frame = model_frame
        self.terms = list(terms)
        self.estimate = np.asarray(estimate, dtype=float)
        self.std_error = np.asarray(std_error, dtype=float)
        self.tidy_df = tidy_df

    # ------------------------------------------------------------------ bookkeeping
    @property
    def formula(self) -> str:
        """The formula as given by the user."""
        return self.model_frame.formula

    @property
    def nobs(self) -> int:
        """Number of rows used in the fit."""
        return self.model_frame.nobs

    @property
    def n_dropped(self) -> int:
        """Number of rows dropped for missing values in the formula's variables."""
        return self.model_frame.n_dropped

    @property
    def params(self) -> pd.Series:
        """Estimates by term (link scale)."""
        return pd.Series(self.estimate, index=self.terms, name="estimate")

    @property
    def bse(self) -> pd.Series:
        """Standard errors by term."""
        return pd.Series(self.std_error, index=self.terms, name="std_error")

    # ------------------------------------------------------------------ tables
    def tidy(self, conf_level: float = 0.95, exponentiate: bool = False) -> pd.DataFrame:
        """Coefficient table ``term, estimate, std_error, statistic, p_value, conf_low,
        conf_high`` with Wald tests and intervals (see :func:`~.tidy.wald_table`)."""
        return wald_table(
            self.terms,
            self.estimate,
            self.std_error,
            conf_level=conf_level,
            exponentiate=exponentiate,
            df=self.tidy_df,
        )

    def glance(self) -> pd.DataFrame:  # pragma: no cover - abstract
        """One-row DataFrame of model-level figures."""
        raise NotImplementedError

    def summary(self) -> str:
        """Readable text: the model, the formula, rows used and dropped, the tidy table."""
        lines = [
            f"{self.model_name}: {self.formula}",
            f"  mirrors R: {self.r_call}" if self.r_call else "",
            f"  n = {self.nobs} rows used, {self.n_dropped} dropped for missing values",
            "",
            self.tidy().to_string(index=False, float_format=lambda v: f"{v:.6g}"),
            "",
        ]
        glance = self.glance().iloc[0]
        lines.append("  " + ", ".join(f"{k} = {_fmt(v)}" for k, v in glance.items()))
        return "\n".join(line for line in lines if line is not None)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.formula!r}, n={self.nobs}>"

    def __str__(self) -> str:
        return self.summary()


def _fmt(value: object) -> str:
    if isinstance(value, (float, np.floating)):
        return f"{value:.6g}"
    return str(value)

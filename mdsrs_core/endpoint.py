"""The endpoint interface: what a plugin implements and what it gives back.

An endpoint declares its ``name``, ``title``, the canonical variables it ``requires`` and its
default ``formulas`` and ``options`` (a study file or the command line may override them).
:meth:`Endpoint.analyze` computes; :meth:`Endpoint.tables` only formats records into tables
(gtsummary 2's split between computing "cards" and formatting them).

This module is import-light (no pandas, statsmodels or matplotlib): ``mdsrs plugins`` loads
every endpoint class without importing the statistics stack.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .records import Record

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

    from .cohort import Cohort

__all__ = ["Endpoint", "EndpointConfig", "EndpointResult", "Exclusion", "SummaryRow"]


@dataclass(frozen=True)
class EndpointConfig:
    """The settings an endpoint runs with: its defaults merged with the study's overrides."""

    formulas: Mapping[str, str]
    options: Mapping[str, Any]
    alpha: float = 0.05
    seed: int | None = None

    @property
    def formula(self) -> str | None:
        """The first (main) formula."""
        return next(iter(self.formulas.values()), None)


@dataclass(frozen=True)
class SummaryRow:
    """One line of the report's summary table (one comparison the study reports).

    Formatting only: built by :meth:`Endpoint.summary` from records. ``per_arm`` maps each
    arm to its figure as text (e.g. ``"12/24 (50.0%)"``); ``effect`` names the between-arm
    effect (e.g. ``"Odds ratio"``) and ``estimate``/``conf_low``/``conf_high`` are its numbers
    (from records), drawn in the forest plot on a log axis when ``ratio`` is true.

    ``p_value`` and ``test`` are the estimate's *own* test (the Wald test of the model term
    whose estimate is shown, or the test the interval comes from). When the endpoint's primary
    test is another one (log-rank beside a Cox hazard ratio, Gray's test beside a Fine-Gray
    ratio, the test gtsummary's rule chose beside a logistic odds ratio), ``primary_test`` and
    ``primary_p_value`` give it; the report shows both, labelled apart.

    ``outcome`` names what the estimate is about, without a time point (the forest plot's
    label: a hazard ratio is not "at 60 months"); ``better`` says which direction of the
    outcome is good for the patient (``"higher"``: response, blood counts; ``"lower"``: death,
    AML, adverse events), so the forest plot can say which side favours which arm.
    """

    endpoint: str
    measure: str
    per_arm: Mapping[str, str]
    effect: str | None = None
    estimate: float | None = None
    conf_low: float | None = None
    conf_high: float | None = None
    ratio: bool = False
    p_value: float | None = None
    test: str | None = None
    primary_test: str | None = None
    primary_p_value: float | None = None
    outcome: str | None = None
    better: str | None = None
    #: a sentence that qualifies the row (the conclusion depends on the test...), shown as
    #: a footnote of the summary table
    caveat: str | None = None


@dataclass(frozen=True)
class Exclusion:
    """A patient left out of an endpoint's analysis and why."""

    patient_id: str
    arm: str | None
    reason: str


@dataclass
class EndpointResult:
    """What :meth:`Endpoint.analyze` returns: records, the patient flow, notes.

    Build records with :meth:`add`; count patients with :meth:`analysed` and
    :meth:`exclude`. ``figures`` holds data for figures (not numbers reported elsewhere).
    """

    endpoint: str
    records: list[Record] = field(default_factory=list)
    exclusions: list[Exclusion] = field(default_factory=list)
    n_analysed: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    figures: dict[str, Any] = field(default_factory=dict)

    def add(
        self,
        variable: str,
        stat: str,
        value: Any,
        *,
        arm: str | None = None,
        level: Any = None,
        label: str | None = None,
        method: str | None = None,
        n: int | None = None,
    ) -> None:
        """Append one record of this endpoint."""
        self.records.append(
            Record(
                self.endpoint,
                arm,
                variable,
                stat,
                value,
                None if level is None else str(level),
                label,
                method,
                None if n is None else int(n),
            )
        )

    def add_stats(self, variable: str, stats: Iterable[tuple[str, Any]], **common: Any) -> None:
        """Append one record per ``(stat, value)`` pair, all with the same ``arm``, ``level``,
        ``label``, ``method`` and ``n`` (keywords as in :meth:`add`)."""
        for stat, value in stats:
            self.add(variable, stat, value, **common)

    def analysed(self, by_arm: Mapping[str, int]) -> None:
        """Set how many patients of each arm were analysed."""
        self.n_analysed = {str(k): int(v) for k, v in by_arm.items()}

    def exclude(self, patient_ids: Iterable[str], arms: Iterable[str | None], reason: str) -> None:
        """Record patients left out of the analysis, each with the reason."""
        for pid, arm in zip(patient_ids, arms, strict=True):
            self.exclusions.append(Exclusion(str(pid), None if arm is None else str(arm), reason))

    def note(self, text: str) -> None:
        """A sentence for the report: a warning, a fallback taken, a rule applied."""
        self.notes.append(text)


class Endpoint:
    """Base class of an endpoint. Subclass it, set the attributes, implement :meth:`analyze`.

    Attributes
    ----------
    name : str
        Used on the command line (``--only name``), in records and in the report.
    title : str
        Section title in the report.
    requires : tuple of str
        Canonical variables that must be present; otherwise the endpoint is skipped with the
        reason. Override :meth:`skip_reason` for anything more elaborate.
    formulas : mapping of str to str
        Default formula(s) by key; the first is the main one (``formula =`` in a study file).
    options : mapping of str to Any
        Default options; a study file may override these keys only.
    """

    name: str = ""
    title: str = ""
    requires: tuple[str, ...] = ()
    formulas: Mapping[str, str] = {}
    options: Mapping[str, Any] = {}
    #: ranges of numeric options (name -> :class:`mdsrs_core.bounds.Range`), checked before
    #: the run; options without one here use :data:`mdsrs_core.bounds.OPTION_RANGES`
    option_ranges: Mapping[str, Any] = {}

    def skip_reason(self, cohort: Cohort, config: EndpointConfig) -> str | None:
        """Why this endpoint cannot run on ``cohort`` with ``config``, or ``None`` when it can.

        The default checks :attr:`requires`; ``config`` lets an override look at options
        (e.g. a file of long-form data given instead of columns).
        """
        missing = cohort.missing(*self.requires)
        if missing:
            return f"needs {', '.join(missing)}, not in the data"
        return None

    def analyze(self, cohort: Cohort, config: EndpointConfig) -> EndpointResult:
        """Compute the endpoint's statistics on ``cohort``; return records and the flow."""
        raise NotImplementedError

    def tables(self, records: list[Record]) -> dict[str, pd.DataFrame]:
        """Format this endpoint's records into display tables (title -> DataFrame of text).

        Only formatting: every number shown comes from a record.
        """
        return {}

    def summary(self, records: list[Record]) -> list[SummaryRow]:
        """The report's summary-table rows for this endpoint, formatted from its records."""
        return []

    def figures(self, records: list[Record], data: Mapping[str, Any]) -> dict[str, Any]:
        """Figures (title -> matplotlib Figure) drawn from records and ``EndpointResult.figures``.

        Import matplotlib inside this method (never at module level); use
        :func:`mdsrs_core.report.style.figure_style` for the publication defaults.
        """
        return {}

    @property
    def draws_figures(self) -> bool:
        """Whether this endpoint overrides :meth:`figures` (the run starts drawing the
        figures of those that do while the others are analysed)."""
        return type(self).figures is not Endpoint.figures

    def new_result(self) -> EndpointResult:
        """An empty :class:`EndpointResult` for this endpoint."""
        return EndpointResult(self.name)

    def __repr__(self) -> str:
        return f"<Endpoint {self.name}>"

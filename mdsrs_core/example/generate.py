"""Deterministic generator of the bundled example cohort -- SYNTHETIC data, no real patient.

The cohort imitates a retrospective two-arm study of refractory MDS with ring sideroblasts
(MDS-RS): 24 patients on lenalidomide and 38 on thalidomide (the reference arm), treated
between December 2010 and December 2019. Every value is drawn from
``numpy.random.default_rng(SEED)`` and then adjusted deterministically so that the
aggregates of the study abstract hold *exactly*:

* responders (CR, PR, mCR or HI): 12/24 vs 9/38 (50.00% vs 23.68%) -- fixed response counts;
* transformation to AML: 6/24 vs 6/38 (25.00% vs 15.79%) -- fixed AML counts;
* 5-year overall survival 18/24 vs 17/38 (75.00% vs 44.74%) -- fixed numbers of deaths
  before 60 months and no censoring before 60 months (data cut-off :data:`CUTOFF`, more than
  60 months after the last treatment start);
* responders have a time to response (``response_months``, drawn from a stream of its own
  so that no other value changed when it was added), before death, follow-up end and AML;
* PLT, HGB and ANC rise in both arms, more with lenalidomide, and each ends higher with
  lenalidomide than with thalidomide (between-arm p < 0.05 on the values after treatment:
  Welch and Student t-tests, Wilcoxon rank-sum, ANCOVA on baseline); the post-treatment IPSS-R is
  lower with lenalidomide; worst adverse-event grades are mostly 1-2 with lenalidomide and
  milder than with thalidomide (fixed grade counts per arm).

The tests in ``tests/test_example_cohort.py`` check all of these on the committed files.

Months are days / (365.25 / 12). Values are written with fixed decimals: hemoglobin and
marrow blasts 1, ANC 2, months 2; platelets, age and ring sideroblasts as integers.

Run ``python -m mdsrs_core.example.generate [OUT_DIR]`` to (re)write ``patients.csv`` and
``adverse_events.csv`` (default: the package's ``example/data`` folder); the output is
byte-identical run to run.
"""

from __future__ import annotations

import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from mdsrs_core.example import DATA_DIR

SEED = 20_101_201
DAYS_PER_MONTH = 365.25 / 12
FIRST_START = date(2010, 12, 1)
LAST_START = date(2019, 12, 31)
#: Data cut-off: every survivor has more than 60 months of follow-up.
CUTOFF = date(2025, 6, 30)

ARMS: dict[str, int] = {"lenalidomide": 24, "thalidomide": 38}
CYTO_LEVELS = ["very good", "good", "intermediate", "poor", "very poor"]
RESPONDER = {"CR", "PR", "mCR", "HI"}

# Response counts per arm: secures the response rates 12/24 and 9/38.
RESPONSE_COUNTS = {
    "lenalidomide": {"CR": 4, "PR": 3, "mCR": 1, "HI": 4, "SD": 9, "PD": 3},
    "thalidomide": {"CR": 2, "PR": 3, "mCR": 1, "HI": 3, "SD": 22, "PD": 7},
}
# Transformations to AML per arm: secures 6/24 and 6/38.
AML_COUNTS = {"lenalidomide": 6, "thalidomide": 6}
# Deaths before 60 months: secures 5-year OS 18/24 and 17/38 (nobody censored before 60).
DEATHS_BY_60 = {"lenalidomide": 6, "thalidomide": 21}
# Deaths after 60 months among the 5-year survivors (do not change the 5-year OS).
LATE_DEATHS = {"lenalidomide": 1, "thalidomide": 2}
# Worst adverse-event grade counts per arm: lenalidomide mostly 1-2 (17/24), few 3-4 (5/24);
# thalidomide 20/38 at grade 3-4. Secures the rank-sum and Fisher tests.
AE_GRADE_COUNTS = {
    "lenalidomide": {0: 2, 1: 8, 2: 9, 3: 4, 4: 1},
    "thalidomide": {0: 1, 1: 5, 2: 12, 3: 15, 4: 5},
}

# Mean change after treatment by arm and response class: hemoglobin (g/dL, additive),
# platelets and ANC (log-ratio). Responders rise most; lenalidomide more than thalidomide.
HGB_RISE = {
    "lenalidomide": {"CR": 3.4, "PR": 2.7, "mCR": 1.4, "HI": 2.2, "SD": 1.0, "PD": -0.2},
    "thalidomide": {"CR": 2.8, "PR": 2.0, "mCR": 0.9, "HI": 1.6, "SD": 0.35, "PD": -0.4},
}
# Lenalidomide's rises are large enough that its PLT and ANC after treatment are higher than
# thalidomide's (between-arm p < 0.05, as the abstract says) despite a lower baseline ANC.
PLT_LOG_RISE = {"lenalidomide": (0.50, 0.38, 0.15), "thalidomide": (0.18, 0.07, -0.10)}
ANC_LOG_RISE = {"lenalidomide": (0.70, 0.60, 0.30), "thalidomide": (0.12, 0.03, -0.15)}
# Multiplicative change of marrow blasts (responder, SD, PD).
BLAST_RATIO = {"lenalidomide": (0.55, 0.75, 1.6), "thalidomide": (0.85, 1.1, 2.0)}

# Post-treatment values are measured after about six cycles: a transformation to AML within
# this many months already shows there (rising blasts, clonal evolution).
POST_VISIBLE_AML = 12.0

# CTCAE v5 terms typical of each drug (relative weights) and the highest grade each term has.
AE_TERMS = {
    "lenalidomide": {
        "Neutrophil count decreased": 4.0,
        "Platelet count decreased": 3.0,
        "Anemia": 2.0,
        "Rash maculo-papular": 3.0,
        "Pruritus": 1.5,
        "Diarrhea": 2.0,
        "Fatigue": 2.0,
        "Constipation": 1.0,
        "Thromboembolic event": 0.7,
    },
    "thalidomide": {
        "Peripheral sensory neuropathy": 4.0,
        "Constipation": 4.0,
        "Somnolence": 3.0,
        "Fatigue": 2.5,
        "Dizziness": 1.5,
        "Edema limbs": 1.0,
        "Rash maculo-papular": 1.0,
        "Thromboembolic event": 1.2,
        "Neutrophil count decreased": 0.8,
    },
}
AE_TERM_MAX_GRADE = {
    "Neutrophil count decreased": 4,
    "Platelet count decreased": 4,
    "Anemia": 4,
    "Rash maculo-papular": 3,
    "Pruritus": 3,
    "Diarrhea": 4,
    "Fatigue": 3,
    "Constipation": 4,
    "Thromboembolic event": 4,
    "Peripheral sensory neuropathy": 3,
    "Somnolence": 4,
    "Dizziness": 3,
    "Edema limbs": 3,
}

PATIENT_COLUMNS = [
    "patient_id",
    "arm",
    "treatment_start",
    "age",
    "sex",
    "ring_sideroblasts_pct",
    "sf3b1",
    "transfusion_dependent",
    "hgb_base",
    "hgb_post",
    "plt_base",
    "plt_post",
    "anc_base",
    "anc_post",
    "bm_blast_base",
    "bm_blast_post",
    "cyto_base",
    "cyto_post",
    "response",
    "response_months",
    "ae_max_grade",
    "aml",
    "aml_months",
    "death",
    "os_months",
]
# Decimals written to the CSV (0 = integer).
DECIMALS = {
    "age": 0,
    "ring_sideroblasts_pct": 0,
    "hgb_base": 1,
    "hgb_post": 1,
    "plt_base": 0,
    "plt_post": 0,
    "anc_base": 2,
    "anc_post": 2,
    "bm_blast_base": 1,
    "bm_blast_post": 1,
    "ae_max_grade": 0,
    "aml": 0,
    "aml_months": 2,
    "death": 0,
    "os_months": 2,
    "response_months": 2,
}
#: Seed of the separate stream that draws the times to response, so that adding them
#: changed no other value of the cohort.
RESPONSE_TIME_SEED = (SEED, 14)


# ------------------------------------------------------------------------------ helpers
def _fixed_counts(rng: np.random.Generator, counts: dict) -> np.ndarray:
    """The labels of ``counts`` repeated as often as given, in random order (exact counts)."""
    labels = [label for label, n in counts.items() for _ in range(n)]
    return rng.permutation(np.array(labels, dtype=object))


def _pick(rng: np.random.Generator, n: int, weights: np.ndarray) -> np.ndarray:
    """Boolean mask choosing exactly ``n`` of ``len(weights)`` items, favouring heavy ones."""
    chosen = rng.choice(len(weights), size=n, replace=False, p=weights / weights.sum())
    mask = np.zeros(len(weights), dtype=bool)
    mask[chosen] = True
    return mask


def _response_class(response: pd.Series) -> np.ndarray:
    """0 for responders, 1 for SD, 2 for PD (index into the (responder, SD, PD) tuples)."""
    return np.where(response.isin(RESPONDER), 0, np.where(response == "SD", 1, 2))


def _months(start: pd.Series, end: date) -> np.ndarray:
    days = (pd.Timestamp(end) - pd.to_datetime(start)).dt.days.to_numpy()
    return days / DAYS_PER_MONTH


# ------------------------------------------------------------------------------ blocks
def make_enrolment(rng: np.random.Generator) -> pd.DataFrame:
    """patient_id, arm, treatment_start: 24 + 38 patients (exact), starts within
    2010-12-01 .. 2019-12-31; ids follow the order of treatment start."""
    arms = rng.permutation(np.array([a for a, n in ARMS.items() for _ in range(n)]))
    span = (LAST_START - FIRST_START).days
    offsets = np.sort(rng.integers(0, span + 1, size=len(arms)))
    starts = [(FIRST_START + timedelta(days=int(d))).isoformat() for d in offsets]
    return pd.DataFrame(
        {
            "patient_id": [f"MDS{i:03d}" for i in range(1, len(arms) + 1)],
            "arm": arms.astype(str),
            "treatment_start": starts,
        }
    )


def make_demographics(rng: np.random.Generator, df: pd.DataFrame) -> None:
    """age, sex, ring sideroblasts (>= 15%: MDS-RS), SF3B1 status (mostly mutated)."""
    n = len(df)
    df["age"] = np.clip(np.round(rng.normal(67, 8.5, n)), 42, 86).astype(int)
    df["sex"] = np.where(rng.random(n) < 0.6, "M", "F")
    df["ring_sideroblasts_pct"] = rng.integers(15, 66, size=n)
    df["sf3b1"] = np.where(rng.random(n) < 0.85, "mutated", "wild-type")


def make_baseline(rng: np.random.Generator, df: pd.DataFrame) -> None:
    """Baseline labs, marrow blasts, cytogenetics and transfusion dependence: anemic
    (hgb 6.2-9.9 g/dL), platelets mostly normal, blasts < 5% for nearly all, mostly good
    karyotype."""
    n = len(df)
    df["hgb_base"] = np.round(np.clip(rng.normal(8.3, 0.8, n), 6.2, 9.9), 1)
    df["plt_base"] = np.round(np.clip(rng.lognormal(np.log(170), 0.45, n), 35, 520)).astype(int)
    df["anc_base"] = np.round(np.clip(rng.lognormal(np.log(1.9), 0.45, n), 0.4, 6.0), 2)
    low_blasts = rng.uniform(0.5, 4.8, n)
    high_blasts = rng.uniform(5.0, 8.0, n)
    df["bm_blast_base"] = np.round(np.where(rng.random(n) < 0.05, high_blasts, low_blasts), 1)
    df["cyto_base"] = rng.choice(CYTO_LEVELS, size=n, p=[0.06, 0.76, 0.12, 0.05, 0.01])
    p_dependent = np.where(df["hgb_base"] < 8, 0.85, 0.45)
    df["transfusion_dependent"] = np.where(rng.random(n) < p_dependent, "yes", "no")


def make_response(rng: np.random.Generator, df: pd.DataFrame) -> None:
    """IWG 2006 best response with the exact counts of RESPONSE_COUNTS (response rates)."""
    df["response"] = ""
    for arm, counts in RESPONSE_COUNTS.items():
        mask = (df["arm"] == arm).to_numpy()
        df.loc[mask, "response"] = _fixed_counts(rng, counts)


def make_outcomes(rng: np.random.Generator, df: pd.DataFrame) -> None:
    """aml, aml_months, death, os_months.

    Exactly AML_COUNTS transformations and DEATHS_BY_60 deaths before 60 months per arm
    (non-responders and transformed patients more likely); nobody is censored before 60
    months, so the 5-year Kaplan-Meier estimate is survivors / patients exactly.
    Censored patients are followed to CUTOFF; death times are distinct.
    """
    n = len(df)
    followup = _months(df["treatment_start"], CUTOFF)
    assert followup.min() > 60, "cut-off must give every survivor > 60 months"
    cls = _response_class(df["response"])
    aml = np.zeros(n, dtype=bool)
    early = np.zeros(n, dtype=bool)
    late = np.zeros(n, dtype=bool)
    for arm in ARMS:
        idx = np.flatnonzero((df["arm"] == arm).to_numpy())
        aml[idx] = _pick(rng, AML_COUNTS[arm], np.array([0.5, 2.0, 6.0])[cls[idx]])
        w_death = np.array([0.6, 1.5, 3.0])[cls[idx]] + 8.0 * aml[idx]
        early[idx] = _pick(rng, DEATHS_BY_60[arm], w_death)
        alive = idx[~early[idx]]
        late[alive] = _pick(rng, LATE_DEATHS[arm], 1.0 + 2.0 * aml[alive])

    os_months = np.round(followup, 2)
    os_months[early] = np.round(rng.uniform(2.5, 59.5, early.sum()), 2)
    os_months[late] = np.round(rng.uniform(61.0, followup[late] - 0.5), 2)
    os_months = _distinct_death_times(os_months, early | late)

    aml_months = os_months.copy()
    dead_aml = aml & (early | late)
    fraction = rng.uniform(0.35, 0.85, dead_aml.sum())
    aml_months[dead_aml] = np.round(os_months[dead_aml] * fraction, 2)
    alive_aml = aml & ~(early | late)
    aml_months[alive_aml] = np.round(rng.uniform(6.0, 54.0, alive_aml.sum()), 2)
    # aml_months < os_months for every transformation, even after rounding.
    aml_months[aml] = np.minimum(aml_months[aml], os_months[aml] - 0.01)

    df["aml"] = aml.astype(int)
    df["aml_months"] = np.round(aml_months, 2)
    df["death"] = (early | late).astype(int)
    df["os_months"] = os_months


def make_response_times(df: pd.DataFrame, seed: tuple[int, int] = RESPONSE_TIME_SEED) -> None:
    """response_months: time from the start of treatment to the best response, for the
    responders (CR, PR, mCR, HI); missing for the others.

    Drawn from its own stream (``numpy.random.default_rng(seed)``), after every other
    column, so that no other value depends on it. Most responses are assessed 2-6 months
    into treatment (a gamma with median about 3.5 months; IWG 2006 asks responses to last at
    least 8 weeks); a response is always before death or last follow-up and before AML:
    at most 90% of the shorter of ``os_months`` and, for a transformation, ``aml_months``.
    """
    rng = np.random.default_rng(list(seed))
    n = len(df)
    draw = 0.5 + rng.gamma(3.0, 1.1, n)  # months; drawn for every row: same stream per row
    limit = df["os_months"].to_numpy(dtype=float)
    aml = df["aml"].to_numpy() == 1
    limit = np.where(aml, np.minimum(limit, df["aml_months"].to_numpy(dtype=float)), limit)
    months = np.round(np.minimum(draw, 0.9 * limit), 2)
    responder = df["response"].isin(RESPONDER).to_numpy()
    df["response_months"] = np.where(responder, months, np.nan)


def _distinct_death_times(times: np.ndarray, dead: np.ndarray) -> np.ndarray:
    """Nudge tied death times by 0.01 month until all are distinct (never across 60)."""
    times = times.copy()
    seen: set[float] = set()
    for i in np.flatnonzero(dead)[np.argsort(times[dead], kind="stable")]:
        t = times[i]
        while t in seen:
            t = round(t + 0.01, 2)
        assert (times[i] < 60) == (t < 60)
        times[i] = t
        seen.add(t)
    return times


def make_post(rng: np.random.Generator, df: pd.DataFrame) -> None:
    """Post-treatment labs, marrow blasts and cytogenetics.

    Hemoglobin rises by HGB_RISE (responders most), platelets and ANC by the log-ratios of
    PLT_LOG_RISE / ANC_LOG_RISE: both arms improve, lenalidomide more (the paired t-tests
    and the ANCOVA on baseline). Blasts fall with response, rise with progression or
    a transformation seen by the post assessment; the karyotype of half of those patients
    worsens by one group. Together these lower the post-treatment IPSS-R with lenalidomide.
    """
    n = len(df)
    arms = df["arm"].to_numpy()
    cls = _response_class(df["response"])
    hgb_rise = np.array([HGB_RISE[a][r] for a, r in zip(arms, df["response"], strict=True)])
    plt_rise = np.array([PLT_LOG_RISE[a][c] for a, c in zip(arms, cls, strict=True)])
    anc_rise = np.array([ANC_LOG_RISE[a][c] for a, c in zip(arms, cls, strict=True)])
    blast_ratio = np.array([BLAST_RATIO[a][c] for a, c in zip(arms, cls, strict=True)])
    # A transformation within POST_VISIBLE_AML months already shows at the post assessment.
    early_aml = ((df["aml"] == 1) & (df["aml_months"] <= POST_VISIBLE_AML)).to_numpy()
    blast_ratio = blast_ratio * np.where(early_aml, 1.8, 1.0)

    hgb = df["hgb_base"] + hgb_rise + rng.normal(0, 0.45, n)
    df["hgb_post"] = np.round(np.clip(hgb, 5.5, 14.5), 1)
    plt = df["plt_base"] * np.exp(plt_rise + rng.normal(0, 0.12, n))
    df["plt_post"] = np.round(np.clip(plt, 10, 700)).astype(int)
    anc = df["anc_base"] * np.exp(anc_rise + rng.normal(0, 0.12, n))
    df["anc_post"] = np.round(np.clip(anc, 0.1, 9.0), 2)
    blasts = df["bm_blast_base"] * blast_ratio * np.exp(rng.normal(0, 0.15, n))
    df["bm_blast_post"] = np.round(np.clip(blasts, 0.2, 19.0), 1)

    worsen = (cls == 2) | early_aml
    worsen &= rng.random(n) < 0.5
    level = np.array([CYTO_LEVELS.index(c) for c in df["cyto_base"]])
    level = np.minimum(level + worsen, len(CYTO_LEVELS) - 1)
    df["cyto_post"] = [CYTO_LEVELS[i] for i in level]


def make_adverse_events(rng: np.random.Generator, df: pd.DataFrame) -> pd.DataFrame:
    """ae_max_grade (exact counts of AE_GRADE_COUNTS per arm) and the long-form table.

    A patient of worst grade g > 0 has one event of grade g -- a term of the arm's profile
    that has grade g in CTCAE v5 -- and 0-2 other distinct terms of grade 1..g; grade-0
    patients have no rows. So each patient's worst grade in the table is ae_max_grade.
    """
    df["ae_max_grade"] = 0
    for arm, counts in AE_GRADE_COUNTS.items():
        mask = (df["arm"] == arm).to_numpy()
        df.loc[mask, "ae_max_grade"] = _fixed_counts(rng, counts).astype(int)

    rows = []
    for pid, arm, worst in zip(df["patient_id"], df["arm"], df["ae_max_grade"], strict=True):
        if worst == 0:
            continue
        terms = np.array(list(AE_TERMS[arm]))
        weights = np.array(list(AE_TERMS[arm].values()))
        caps = np.array([AE_TERM_MAX_GRADE[t] for t in terms])
        possible = weights * (caps >= worst)
        first = rng.choice(len(terms), p=possible / possible.sum())
        rows.append((pid, terms[first], int(worst)))
        others = np.delete(np.arange(len(terms)), first)
        n_other = int(rng.integers(0, 3))
        p_other = weights[others] / weights[others].sum()
        for j in rng.choice(others, size=n_other, replace=False, p=p_other):
            grade = int(rng.integers(1, min(worst, caps[j]) + 1))
            rows.append((pid, terms[j], grade))
    ae = pd.DataFrame(rows, columns=["patient_id", "term", "grade"])
    ae = ae.sort_values(["patient_id", "grade", "term"], ascending=[True, False, True])
    return ae.reset_index(drop=True)


# ------------------------------------------------------------------------------ API
def generate(seed: int = SEED) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(patients, adverse_events) of the synthetic example cohort; deterministic."""
    rng = np.random.default_rng(seed)
    df = make_enrolment(rng)
    make_demographics(rng, df)
    make_baseline(rng, df)
    make_response(rng, df)
    make_outcomes(rng, df)
    make_post(rng, df)
    ae = make_adverse_events(rng, df)
    make_response_times(df)
    return df[PATIENT_COLUMNS].copy(), ae


def to_csv_text(frame: pd.DataFrame) -> str:
    """CSV text with fixed decimals per column (DECIMALS) and '\\n' line endings."""
    out = frame.copy()
    for col in out.columns:
        if col in DECIMALS:
            out[col] = ["" if pd.isna(v) else f"{float(v):.{DECIMALS[col]}f}" for v in out[col]]
    return out.to_csv(index=False, lineterminator="\n")


def write(directory: Path | str = DATA_DIR) -> tuple[Path, Path]:
    """Write patients.csv and adverse_events.csv into ``directory``; return their paths."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    patients, ae = generate()
    paths = directory / "patients.csv", directory / "adverse_events.csv"
    for path, frame in zip(paths, (patients, ae), strict=True):
        path.write_bytes(to_csv_text(frame).encode("utf-8"))
    return paths


def main(argv: list[str] | None = None) -> int:
    """``python -m mdsrs_core.example.generate [OUT_DIR]``."""
    args = sys.argv[1:] if argv is None else argv
    for path in write(args[0] if args else DATA_DIR):
        print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

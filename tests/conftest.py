"""Shared fixtures: a small valid cohort frame, independent of the bundled example."""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest


def small_frame() -> pd.DataFrame:
    """Eight valid patients, four per arm, every canonical variable present."""
    return pd.DataFrame(
        {
            "patient_id": [f"P{i}" for i in range(1, 9)],
            "arm": ["len", "thal"] * 4,
            "age": [70, 65, 72, 80, 59, 77, 68, 74],
            "sex": ["F", "M", "M", "F", "M", "M", "F", "F"],
            "hgb_base": [8.1, 7.9, 8.5, 9.0, 7.2, 8.8, 9.4, 8.0],
            "hgb_post": [10.2, 8.5, 11.0, 9.1, 9.8, 8.9, 11.5, 8.4],
            "plt_base": [120, 90, 60, 200, 150, 80, 45, 110],
            "plt_post": [160, 95, 90, 210, 190, 82, 70, 111],
            "anc_base": [1.2, 0.9, 2.0, 1.5, 0.7, 1.1, 3.0, 1.9],
            "anc_post": [1.8, 1.0, 2.4, 1.6, 1.2, 1.1, 3.3, 2.0],
            "bm_blast_base": [2, 3, 1, 4, 2, 1, 3, 2],
            "bm_blast_post": [1, 3, 1, 4, 1, 2, 2, 2],
            "cyto_base": ["good"] * 6 + ["very good", "intermediate"],
            "cyto_post": ["good"] * 8,
            "response": ["HI", "SD", "PR", "PD", "CR", "SD", "mCR", "SD"],
            "ae_max_grade": [1, 3, 2, 4, 0, 2, 1, 3],
            "aml": [0, 1, 0, 0, 0, 1, 0, 0],
            "aml_months": [60.0, 20.5, 48.0, 30.0, 70.0, 12.0, 65.0, 40.0],
            "death": [0, 1, 0, 1, 0, 1, 0, 1],
            "os_months": [60.0, 25.0, 48.0, 30.0, 70.0, 14.0, 65.0, 40.0],
        }
    )


@pytest.fixture
def frame() -> pd.DataFrame:
    return small_frame()


@pytest.fixture
def make_frame():
    """The :func:`small_frame` factory, for tests that need several copies."""
    return small_frame


def read_reference(path: Path, keys: tuple[str, ...], na: object = None) -> list[tuple]:
    """Rows of an R reference CSV (tests/results/*.csv) as ``(*keys, value)`` tuples, the value
    a float (R's "NA" read as ``na``)."""
    with Path(path).open() as f:
        return [
            (*(row[k] for k in keys), na if row["value"] in ("NA", "") else float(row["value"]))
            for row in csv.DictReader(f)
        ]


@pytest.fixture(autouse=True)
def _own_figure_cache(tmp_path_factory, monkeypatch):
    """Each test its own figure cache (``mdsrs_core.report.figure_cache``): no test reuses
    another's figures, and none writes to the user's ~/.cache."""
    monkeypatch.setenv("MDSRS_CACHE_DIR", str(tmp_path_factory.mktemp("figure-cache")))
    monkeypatch.delenv("MDSRS_NO_CACHE", raising=False)

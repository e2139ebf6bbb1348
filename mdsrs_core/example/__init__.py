"""The bundled example cohort -- SYNTHETIC data, no real patient.

62 invented patients with refractory MDS with ring sideroblasts (MDS-RS), 24 treated with
lenalidomide and 38 with thalidomide (the reference arm), built by the deterministic
generator :mod:`mdsrs_core.example.generate` so that every aggregate reported in the
abstract of the model study is reproduced exactly (response rate 50.00% vs 23.68%, AML
transformation 25.00% vs 15.79%, 5-year overall survival 75.00% vs 44.74%, ...).

Files in :data:`DATA_DIR`: ``patients.csv`` (one row per patient, canonical column names),
``adverse_events.csv`` (long form ``patient_id, term, grade``, CTCAE v5 terms) and
``study.toml`` (the study file tying them together). Regenerate them with
``python -m mdsrs_core.example.generate``.
"""

from pathlib import Path

#: Folder holding ``patients.csv``, ``adverse_events.csv`` and ``study.toml``.
DATA_DIR: Path = Path(__file__).resolve().parent / "data"

"""Baseline characteristics (Table 1) endpoint."""

"""Formatting records for people: the terminal summary and the Markdown report.

Only formatting happens here; every number comes from a record (gtsummary 2's split).
"""

"""Fails to import: a dependency the plugin needs is not installed."""

import mdsrs_missing_dependency  # noqa: F401

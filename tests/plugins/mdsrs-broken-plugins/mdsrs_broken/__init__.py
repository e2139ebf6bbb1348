"""Deliberately broken mdsrs plugins (test fixtures)."""

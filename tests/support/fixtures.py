"""Pytest fixtures built on the stand-ins in :mod:`support` (registered from conftest)."""

from __future__ import annotations

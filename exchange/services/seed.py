"""Load the Shandong demo scenario (see :mod:`exchange.services.demo`)."""

from __future__ import annotations

from .demo import build_demo_rows
from .listings import ImportReport, import_rows


def seed_demo() -> ImportReport:
    """Import the demo listings (idempotent: re-running updates the same refs)."""
    return import_rows(build_demo_rows())

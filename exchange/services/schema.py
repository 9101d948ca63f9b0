"""Create or migrate the database to the latest schema (Alembic via Flask-Migrate)."""

from __future__ import annotations

import logging

from flask import current_app
from flask_migrate import upgrade


def ensure_schema() -> None:
    """Bring the configured database to the head revision; a no-op when it is there."""
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with current_app.app_context():
        upgrade(directory=current_app.extensions["migrate"].directory)

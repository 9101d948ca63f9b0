"""Industrial symbiosis exchange.

Importing this package is cheap and pure: ``exchange.domain`` and
``exchange.matching`` must stay importable without Flask or SQLAlchemy, so the
application factory lives in :mod:`exchange.app` and is loaded on first call.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the Flask app: defaults -> environment -> ``config`` override."""
    from .app import create_app as _create_app

    return _create_app(config)

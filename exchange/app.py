"""The Flask application factory (see :func:`exchange.create_app`)."""

from __future__ import annotations

import os
from typing import Any

from flask import Flask
from flask_migrate import Migrate

from . import config as config_module
from .persistence import db

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")
migrate = Migrate(directory=MIGRATIONS_DIR, render_as_batch=True)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults -> environment -> ``config`` override."""
    app = Flask(__name__, instance_relative_config=True,
                static_folder=os.path.join(os.path.dirname(os.path.dirname(__file__)), "static"))
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config_module.load(app.instance_path, config))
    db.init_app(app)
    migrate.init_app(app, db)

    from .api import init_api
    from .api.errors import register_error_handlers
    from .auth import init_auth
    from .cli import register_cli
    from .web import bp as web_bp

    init_auth(app)                 # Flask-Login, CSRF, login rate limit, /login and /logout
    init_api(app)                  # /api/v1 and /api/v1/openapi.json
    app.register_blueprint(web_bp)  # the pages (registers its own extensions through blueprint hooks)
    register_error_handlers(app)   # last: replaces flask-smorest's error handler with the one error format
    register_cli(app)
    return app

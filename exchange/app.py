"""The Flask application factory (see :func:`exchange.create_app`).

Besides the pages and the API it sets what production needs on every app:

* :func:`exchange.config.check_production` refuses to start in production with
  debug on or without a real ``SECRET_KEY``;
* JSON-line logs with a request id (:mod:`exchange.logs`);
* request bodies above ``MAX_CONTENT_LENGTH`` (25 MB) get 413 before they are read;
* a NUL character in a page's parameters gets 400 (the API's schemas refuse it per field);
* security headers on every response (:func:`security_headers`);
* ``/healthz`` (the process answers) and ``/readyz`` (the database answers and
  its schema is current; 503 otherwise).
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, abort, jsonify, request
from flask_migrate import Migrate
from werkzeug.routing import IntegerConverter

from . import config as config_module
from .persistence import db

MIGRATIONS_DIR = os.path.join(os.path.dirname(__file__), "migrations")
migrate = Migrate(directory=MIGRATIONS_DIR, render_as_batch=True)


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: defaults -> environment -> ``config`` override."""
    app = Flask(__name__, instance_relative_config=True,
                static_folder=os.path.join(os.path.dirname(os.path.dirname(__file__)), "static"))
    app.url_map.converters["int"] = IdConverter
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config_module.load(app.instance_path, config))
    config_module.check_production(app.config, debug=app.debug)

    from .logs import init_logging

    init_logging(app)
    _limit_body_size(app)
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
    _health_routes(app)
    app.after_request(security_headers)
    register_error_handlers(app)   # last: replaces flask-smorest's error handler with the one error format
    register_cli(app)
    return app


class IdConverter(IntegerConverter):
    """``<int:...>`` in every URL takes 0 .. 2**31 - 1 (a 32-bit database id).

    A larger number matches no route (404) instead of reaching the database,
    where it overflows SQLite's and PostgreSQL's integers (found by API
    fuzzing). The OpenAPI document states the bound (``maximum``).
    """

    def __init__(self, map: Any, fixed_digits: int = 0, min: int | None = None, max: int | None = None,
                 signed: bool = False) -> None:
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=2**31 - 1 if max is None else max,
                         signed=signed)


def _limit_body_size(app: Flask) -> None:
    """413 (in the one error format under /api) for a declared body above the limit, before it is read.

    Werkzeug enforces ``MAX_CONTENT_LENGTH`` too when a body without a length
    is read; this check only answers early and says the limit.
    """

    @app.before_request
    def _too_large() -> None:
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit and request.content_length is not None and request.content_length > limit:
            abort(413, description=f"the request body is larger than the limit of {limit / 2**20:g} MB")

    @app.before_request
    def _no_nul_in_parameters() -> None:
        """400 for a NUL character in a page's query or form (PostgreSQL refuses it: a 500 otherwise).

        The API's schemas refuse it per field (422); this guards the pages.
        """
        if request.path.startswith("/api/"):
            return
        values = list(request.args.values())
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values += list(request.form.values())
        if any("\x00" in v for v in values):
            abort(400, description="a parameter contains a NUL (0x00) character")


#: CSP hash of the inline handler text ``return false`` (see :func:`content_security_policy`)
RETURN_FALSE_HANDLER = "sha256-GZIcz60Uwd6wT3vaYke/atSr53TehbYAPepOa3d03Vw="


def content_security_policy(tile_url: str = "") -> str:
    """The CSP sent with every response.

    ``default-src 'self'``: scripts, styles, images, fonts and API calls come
    from this site only, and no inline script runs. Two relaxations, each the
    minimum the pages need:

    * ``style-src-attr 'unsafe-inline'``: the pages colour legend swatches and
      size bars with ``style="..."`` attributes computed from data. This
      allows inline *attributes* only (no ``<style>`` elements, no inline or
      remote script); a browser without CSP level 3 ignores it and only loses
      those colours.
    * ``script-src 'self' 'unsafe-hashes' 'sha256-GZIc...'``: exactly one inline
      event handler may run, the map filter form's ``onsubmit="return false"``
      (the hash is of that text; no other inline script or handler runs).
      Drop it when the template stops using the attribute.
    * the tile server of ``MAP_TILE_URL`` (when one is configured) in ``img-src``.

    >>> content_security_policy().split("; ")[:2]
    ["default-src 'self'", "style-src-attr 'unsafe-inline'"]
    >>> "img-src 'self' https://*.tile.example.org" in content_security_policy("https://{s}.tile.example.org/{z}/{x}/{y}.png")
    True
    """
    parts = ["default-src 'self'", "style-src-attr 'unsafe-inline'",
             f"script-src 'self' 'unsafe-hashes' '{RETURN_FALSE_HANDLER}'"]
    if tile_url:
        u = urlsplit(tile_url)
        host = u.netloc.replace("{s}", "*")
        if u.scheme in ("http", "https") and host and "{" not in host:
            parts.append(f"img-src 'self' {u.scheme}://{host}")
    parts += ["frame-ancestors 'none'", "base-uri 'self'", "form-action 'self'", "object-src 'none'"]
    return "; ".join(parts)


def security_headers(response: Any) -> Any:
    """CSP, no MIME sniffing, no framing, no referrer off the site; HSTS over HTTPS in production."""
    from flask import current_app

    h = response.headers
    h.setdefault("Content-Security-Policy", content_security_policy(current_app.config.get("MAP_TILE_URL") or ""))
    h.setdefault("X-Content-Type-Options", "nosniff")
    h.setdefault("X-Frame-Options", "DENY")
    h.setdefault("Referrer-Policy", "same-origin")
    h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    if current_app.config["EXCHANGE_ENV"] == "production" and request.is_secure:
        h.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def _health_routes(app: Flask) -> None:
    @app.get("/healthz")
    def healthz() -> Any:
        """The process is up and serving (no database call)."""
        resp = jsonify({"status": "ok"})
        resp.cache_control.no_store = True
        return resp

    @app.get("/readyz")
    def readyz() -> Any:
        """200 when the database answers and its schema is current, else 503 in the one error format."""
        from .services.health import readiness

        r = readiness()
        if r.ready:
            resp = jsonify(r.as_dict())
        else:
            app.logger.warning("not ready: %s", r.problems, extra={"checks": r.checks})
            resp = jsonify({"error": {"code": "unavailable", "message": "not ready: " + "; ".join(
                f"{k}: {v[0]}" for k, v in r.problems.items()), "details": r.problems}})
            resp.status_code = 503
        resp.cache_control.no_store = True
        return resp

"""Configuration: safe defaults, then environment variables, then an override mapping.

Environment variables
---------------------
``DATABASE_URL``      SQLAlchemy URL; default ``sqlite:///<instance>/exchange.db``.
                      ``postgresql://...`` is used with the psycopg 3 driver.
``SECRET_KEY``        session signing key (required in production).
``EXCHANGE_ENV``      ``development`` (default) or ``production``.
``MATCH_SOLVER``      ``ortools`` (default) or ``networkx``.
``MATCH_CAP``         candidates kept per listing (default 50; 0 = all).
``MAP_TILE_URL``      optional tile layer URL template for the map (off by default).
``RATELIMIT_STORAGE_URI``  where login rate limits are counted: ``memory://`` (default,
                      one process only) or ``redis://127.0.0.1:6379`` (shared by all
                      gunicorn workers: use it in production).
``LOGIN_RATE_LIMIT``  failed-login limit per client address and per e-mail
                      (default ``10 per minute;50 per hour``, Flask-Limiter syntax).
``SESSION_HOURS``     browser session lifetime in hours (default 12).

Cookies are HttpOnly and SameSite=Lax; ``Secure`` too when ``EXCHANGE_ENV`` is
``production``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any


def normalise_db_url(url: str) -> str:
    """Use the psycopg 3 driver for plain ``postgres://`` / ``postgresql://`` URLs.

    >>> normalise_db_url("postgresql://postgres@127.0.0.1:5432/test")
    'postgresql+psycopg://postgres@127.0.0.1:5432/test'
    >>> normalise_db_url("sqlite:///x.db")
    'sqlite:///x.db'
    """
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def load(instance_path: str, override: dict[str, Any] | None = None) -> dict[str, Any]:
    """Defaults, then environment, then ``override``."""
    cfg: dict[str, Any] = {
        "EXCHANGE_ENV": "development",
        "SECRET_KEY": "dev-only-not-secret",
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(instance_path, "exchange.db"),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "MATCH_SOLVER": "ortools",
        "MATCH_CAP": 50,
        "MAP_TILE_URL": "",
        "MAX_CONTENT_LENGTH": 25 * 1024 * 1024,
        "JSON_SORT_KEYS": False,
        # accounts and sessions
        "SESSION_HOURS": 12,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": False,
        "SESSION_PROTECTION": "basic",
        # CSRF tokens live as long as the session they are bound to
        "WTF_CSRF_TIME_LIMIT": None,
        # login rate limit (Flask-Limiter)
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "RATELIMIT_HEADERS_ENABLED": False,
        "LOGIN_RATE_LIMIT": "10 per minute;50 per hour",
        # OpenAPI (flask-smorest)
        "API_TITLE": "Shandong industrial symbiosis exchange",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
    }
    env = os.environ
    if env.get("DATABASE_URL"):
        cfg["SQLALCHEMY_DATABASE_URI"] = env["DATABASE_URL"]
    for key in ("SECRET_KEY", "EXCHANGE_ENV", "MATCH_SOLVER", "MAP_TILE_URL", "RATELIMIT_STORAGE_URI",
                "LOGIN_RATE_LIMIT"):
        if env.get(key):
            cfg[key] = env[key]
    if env.get("MATCH_CAP"):
        cfg["MATCH_CAP"] = int(env["MATCH_CAP"])
    if env.get("SESSION_HOURS"):
        cfg["SESSION_HOURS"] = float(env["SESSION_HOURS"])
    cfg.update(override or {})
    if cfg["EXCHANGE_ENV"] == "production":
        for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
            if key not in (override or {}):
                cfg[key] = True
    cfg.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=float(cfg["SESSION_HOURS"])))
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_db_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, **cfg["SQLALCHEMY_ENGINE_OPTIONS"]}
    return cfg

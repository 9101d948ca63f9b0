"""Configuration: safe defaults, then environment variables, then an override mapping.

Environment variables
---------------------
``DATABASE_URL``      SQLAlchemy URL; default ``sqlite:///<instance>/exchange.db``.
                      ``postgresql://...`` is used with the psycopg 3 driver.
``SECRET_KEY``        session signing key (required in production).
``EXCHANGE_ENV``      ``development`` (default) or ``production``.
``MATCH_SOLVER``      ``ortools`` (default) or ``networkx``.
``MATCH_CAP``         candidates kept per listing (default 25, see docs/matching.md; 0 = all).
``REDIS_URL``         e.g. ``redis://127.0.0.1:6379/0``: match runs go to an RQ queue
                      (``flask --app wsgi worker`` runs them); unset: a background
                      thread of the web process runs them.
``RQ_QUEUE``          the queue's name (default ``exchange-match-runs``).
``MATCH_JOB_TIMEOUT`` seconds a match run may take before it is stopped (default 1800).
``MATCH_RUN_WAIT``    seconds a request that starts a run waits for it to finish before
                      answering with the run still going (default 10; far below
                      gunicorn's timeout).
``LOG_FORMAT``        ``json`` (one JSON object per line on stdout; the default in
                      production) or ``text`` (Flask's default; the default otherwise).
``LOG_LEVEL``         ``INFO`` by default.
``MAP_TILE_URL``      optional tile layer URL template for the map (off by default).
``RATELIMIT_STORAGE_URI``  where login rate limits are counted: ``memory://`` (default,
                      one process only) or ``redis://127.0.0.1:6379`` (shared by all
                      gunicorn workers: use it in production).
``LOGIN_RATE_LIMIT``  failed-login limit per client address and per e-mail
                      (default ``10 per minute;50 per hour``, Flask-Limiter syntax).
``SESSION_HOURS``     browser session lifetime in hours (default 12).

Cookies are HttpOnly and SameSite=Lax; ``Secure`` too when ``EXCHANGE_ENV`` is
``production``. In production :func:`check_production` refuses debug mode and a
missing, default or short ``SECRET_KEY``.
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

#: the development-only secret (never accepted in production)
DEV_SECRET_KEY = "dev-only-not-secret"
#: shortest SECRET_KEY accepted in production (``secrets.token_hex(32)`` gives 64 characters)
MIN_SECRET_KEY = 32
ENVIRONMENTS = ("development", "production")


class ConfigurationError(RuntimeError):
    """A setting the app refuses to start with (the message says which and how to fix it)."""


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
        "SECRET_KEY": DEV_SECRET_KEY,
        "SQLALCHEMY_DATABASE_URI": "sqlite:///" + os.path.join(instance_path, "exchange.db"),
        "SQLALCHEMY_ENGINE_OPTIONS": {},
        "MATCH_SOLVER": "ortools",
        "MATCH_CAP": 25,
        # match runs: RQ on Redis when REDIS_URL is set, else a thread of the web process
        "REDIS_URL": "",
        "RQ_QUEUE": "exchange-match-runs",
        "MATCH_JOB_TIMEOUT": 1800,
        "MATCH_RUN_WAIT": 10.0,
        # logs
        "LOG_FORMAT": None,  # json in production, text otherwise
        "LOG_LEVEL": "INFO",
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
                "LOGIN_RATE_LIMIT", "REDIS_URL", "RQ_QUEUE", "LOG_FORMAT", "LOG_LEVEL"):
        if env.get(key):
            cfg[key] = env[key]
    for key in ("MATCH_CAP", "MATCH_JOB_TIMEOUT"):
        if env.get(key):
            cfg[key] = int(env[key])
    if env.get("MATCH_RUN_WAIT"):
        cfg["MATCH_RUN_WAIT"] = float(env["MATCH_RUN_WAIT"])
    if env.get("SESSION_HOURS"):
        cfg["SESSION_HOURS"] = float(env["SESSION_HOURS"])
    cfg.update(override or {})
    if cfg["EXCHANGE_ENV"] not in ENVIRONMENTS:
        raise ConfigurationError(f"EXCHANGE_ENV must be one of {', '.join(ENVIRONMENTS)}, not {cfg['EXCHANGE_ENV']!r}")
    if not cfg.get("LOG_FORMAT"):
        cfg["LOG_FORMAT"] = "json" if cfg["EXCHANGE_ENV"] == "production" else "text"
    if cfg["EXCHANGE_ENV"] == "production":
        for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
            if key not in (override or {}):
                cfg[key] = True
    cfg.setdefault("PERMANENT_SESSION_LIFETIME", timedelta(hours=float(cfg["SESSION_HOURS"])))
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_db_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        # pool_pre_ping: a connection the server dropped (restart, failover) is replaced before use;
        # connect_timeout: an unreachable server fails a request (and /readyz) in seconds, not minutes
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, "connect_args": {"connect_timeout": 10},
                                            **cfg["SQLALCHEMY_ENGINE_OPTIONS"]}
    return cfg


def check_production(cfg: dict[str, Any], debug: bool) -> None:
    """Refuse to run in production with debug on or without a real ``SECRET_KEY``.

    >>> check_production({"EXCHANGE_ENV": "development", "SECRET_KEY": DEV_SECRET_KEY}, debug=True)
    >>> check_production({"EXCHANGE_ENV": "production", "SECRET_KEY": "x" * 64}, debug=False)
    >>> check_production({"EXCHANGE_ENV": "production", "SECRET_KEY": DEV_SECRET_KEY}, debug=False)
    Traceback (most recent call last):
    ...
    exchange.config.ConfigurationError: refusing to start with EXCHANGE_ENV=production: SECRET_KEY is missing or the development default; set it to a random value of at least 32 characters, e.g. the output of: python3 -c "import secrets; print(secrets.token_hex(32))"
    """
    if cfg.get("EXCHANGE_ENV") != "production":
        return
    problems = []
    if debug:
        problems.append("debug mode is on (unset FLASK_DEBUG and DEBUG, do not use --debug): the debugger "
                        "runs code for anyone who can reach it")
    key = cfg.get("SECRET_KEY")
    how = ('set it to a random value of at least 32 characters, e.g. the output of: '
           'python3 -c "import secrets; print(secrets.token_hex(32))"')
    if not key or key == DEV_SECRET_KEY:
        problems.append(f"SECRET_KEY is missing or the development default; {how}")
    elif len(str(key)) < MIN_SECRET_KEY:
        problems.append(f"SECRET_KEY is shorter than {MIN_SECRET_KEY} characters; {how}")
    if problems:
        raise ConfigurationError("refusing to start with EXCHANGE_ENV=production: " + "; ".join(problems))

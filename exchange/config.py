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
"""

from __future__ import annotations

import os
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
    }
    env = os.environ
    if env.get("DATABASE_URL"):
        cfg["SQLALCHEMY_DATABASE_URI"] = env["DATABASE_URL"]
    for key in ("SECRET_KEY", "EXCHANGE_ENV", "MATCH_SOLVER", "MAP_TILE_URL"):
        if env.get(key):
            cfg[key] = env[key]
    if env.get("MATCH_CAP"):
        cfg["MATCH_CAP"] = int(env["MATCH_CAP"])
    cfg.update(override or {})
    cfg["SQLALCHEMY_DATABASE_URI"] = normalise_db_url(cfg["SQLALCHEMY_DATABASE_URI"])
    if cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql"):
        cfg["SQLALCHEMY_ENGINE_OPTIONS"] = {"pool_pre_ping": True, **cfg["SQLALCHEMY_ENGINE_OPTIONS"]}
    return cfg

"""Liveness and readiness: does the database answer, is its schema current, is the job queue there.

``/healthz`` only says the process serves requests; ``/readyz`` (and
``flask --app wsgi check-db``) ask the database. A load balancer or
orchestrator sends traffic to a worker only while ``/readyz`` answers 200.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from flask import current_app
from sqlalchemy import inspect, text

from exchange.persistence import db


@dataclass
class Readiness:
    ready: bool
    checks: dict[str, str] = field(default_factory=dict)
    problems: dict[str, list[str]] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {"status": "ready" if self.ready else "unavailable", **self.checks}


def safe_url(url: str) -> str:
    """A database URL without its password.

    >>> safe_url("postgresql+psycopg://exchange:s3cret@db:5432/exchange")
    'postgresql+psycopg://exchange:***@db:5432/exchange'
    >>> safe_url("sqlite:////srv/x.db")
    'sqlite:////srv/x.db'
    """
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:  # noqa: BLE001 - a malformed URL is shown as its scheme only
        return url.split(":", 1)[0] + "://..."


@cache
def _head_revision(directory: str) -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", directory)
    return ScriptDirectory.from_config(cfg).get_current_head()


def head_revision() -> str | None:
    """The newest migration this code knows."""
    return _head_revision(current_app.extensions["migrate"].directory)


def database_revision() -> str | None:
    """The migration the database is at (None: no schema yet). Raises if the database does not answer."""
    with db.engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _error_text(exc: BaseException) -> str:
    first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    return f"{type(getattr(exc, 'orig', None) or exc).__name__}: {first[0] if first else ''}"[:300]


def queue_status() -> str:
    """``off`` (no REDIS_URL: runs use a thread), ``ok`` or ``unreachable``."""
    url = current_app.config.get("REDIS_URL")
    if not url:
        return "off"
    from redis import Redis
    from redis.exceptions import RedisError

    try:
        Redis.from_url(url, socket_connect_timeout=2, socket_timeout=2).ping()
    except (RedisError, OSError):
        return "unreachable"
    return "ok"


def readiness() -> Readiness:
    """Ready when the database answers and its schema is the code's newest migration."""
    r = Readiness(True)
    try:
        have = database_revision()
    except Exception as exc:  # noqa: BLE001 - any failure to reach the database means not ready
        r.ready = False
        r.checks["database"] = "unreachable"
        r.problems["database"] = [_error_text(exc)]
    else:
        want = head_revision()
        r.checks["database"] = "ok"
        r.checks["schema"] = have or "none"
        if have != want:
            r.ready = False
            r.problems["schema"] = [f"the database is at migration {have or 'none'}, this code needs {want}: "
                                    f"run `flask --app wsgi db upgrade -d exchange/migrations`"]
    r.checks["queue"] = queue_status()
    return r

"""Fixtures: ``app``, ``client``, ``runner``, ``db_session`` and factories.

The database is SQLite (a temporary file, WAL) unless ``TEST_DATABASE_URL``
names another, e.g. ``postgresql://postgres@127.0.0.1:5432/test``. The schema
is built once per session through the Alembic migrations (so the migrations
are tested too) and every table is emptied after each test.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import create_engine, text

from exchange import create_app
from exchange.config import normalise_db_url
from exchange.persistence import db

HERE = os.path.dirname(__file__)


def _database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_db_url(url)
    return "sqlite:///" + str(tmp_path_factory.mktemp("db") / "test.db")


def _wipe(url: str) -> None:
    """Drop everything in a server database, so the migrations start from nothing."""
    if not url.startswith("postgresql"):
        return
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    url = _database_url(tmp_path_factory)
    _wipe(url)
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        from exchange.services.schema import ensure_schema

        ensure_schema()
        db.engine.dispose()
    return url


@pytest.fixture()
def app(database_url: str, tmp_path) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                      "SECRET_KEY": "test-secret-key-not-for-production"})
    with app.app_context():
        yield app
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()


@pytest.fixture()
def client(app):  # type: ignore[no-untyped-def]
    return app.test_client()


@pytest.fixture()
def runner(app):  # type: ignore[no-untyped-def]
    return app.test_cli_runner()


def row(**overrides: Any) -> dict[str, Any]:
    """A valid fly-ash source row in the import format; override any field."""
    base: dict[str, Any] = dict(ref="R1", organisation="Org A", role="source", material="fly_ash", lat=36.6,
                                lon=117.0, quantity=1000, unit="t/yr", grade="I")
    base.update(overrides)
    return base


@pytest.fixture()
def make_row():  # type: ignore[no-untyped-def]
    return row


@pytest.fixture()
def make_user(app):  # type: ignore[no-untyped-def]
    """Factory: ``make_user(email, org="Org A", role="member", park=None, password=None) -> (User, api_token)``.

    Passwords are hashed with cheap argon2 parameters here (tests only).
    """
    from exchange.services.accounts import create_user

    app.config.update(ARGON2_TIME_COST=1, ARGON2_MEMORY_KIB=64)

    def make(email: str, org: str = "Org A", role: str = "member", park: str | None = None,
             password: str | None = None):  # type: ignore[no-untyped-def]
        return create_user(email, password, org, role, park)

    return make


@pytest.fixture()
def bearer():  # type: ignore[no-untyped-def]
    """``bearer(token)`` -> the Authorization header for the API."""
    return lambda token: {"Authorization": f"Bearer {token}"}

"""The Alembic migrations build exactly the schema the models declare, on SQLite and PostgreSQL."""

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from exchange.persistence import db


def test_migrations_match_the_models(app):
    with db.engine.connect() as conn:
        diffs = compare_metadata(MigrationContext.configure(conn), db.metadata)
    assert diffs == [], f"models and migrations differ; run `flask --app wsgi db migrate -d exchange/migrations`: {diffs}"


def test_sqlite_runs_in_wal_with_foreign_keys(app):
    if db.engine.dialect.name != "sqlite":
        assert db.engine.dialect.name == "postgresql"
        return
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        # FULL (2): a commit is on disk before it is acknowledged, even across a power cut
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2

"""Listing use cases: import a file or rows atomically."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from exchange.domain.errors import ExchangeError
from exchange.domain.listing import Listing
from exchange.persistence import db
from exchange.persistence import repositories as repo

from .import_formats import parse_file, validate_rows


@dataclass(frozen=True)
class ImportReport:
    created: int
    updated: int

    @property
    def total(self) -> int:
        return self.created + self.updated


class StorageError(ExchangeError):
    status = 503
    code = "storage"


def store(listings: Sequence[Listing]) -> ImportReport:
    """Upsert all listings in one transaction: all are stored, or none."""
    created = updated = 0
    try:
        for d in listings:
            _, new = repo.upsert_listing(d)
            created += new
            updated += not new
        db.session.commit()
    except SQLAlchemyError as exc:
        db.session.rollback()
        raise StorageError(f"nothing was stored: the database refused the import ({type(exc).__name__})") from exc
    except BaseException:
        db.session.rollback()
        raise
    return ImportReport(created, updated)


def import_file(filename: str, data: bytes) -> ImportReport:
    """Parse, validate every row, then store; any bad row rejects the whole file."""
    return store(parse_file(filename, data))


def import_rows(rows: Sequence[Mapping[str, Any]]) -> ImportReport:
    """Same as :func:`import_file` for rows already in memory (demo, forms)."""
    return store(validate_rows([(n, dict(r)) for n, r in enumerate(rows, start=1)]))

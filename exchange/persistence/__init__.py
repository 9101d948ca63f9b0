"""SQLAlchemy models and repositories (the only package that knows the tables)."""

from . import models  # noqa: F401  (registers the tables on the metadata)
from .db import db

__all__ = ["db"]

"""Domain errors: one base class, precise subclasses.

Every error the product raises on purpose derives from :class:`ExchangeError`.
The HTTP status of each class is stated here and mapped in one place (the API
error handler); the CLI prints ``message`` and the details and exits non-zero.

>>> err = ValidationError("bad listing", {"lat": ["must be between -90 and 90"]})
>>> err.status, err.code, err.details["lat"]
(422, 'invalid', ['must be between -90 and 90'])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


class ExchangeError(Exception):
    """Base of every error the product raises on purpose."""

    status: int = 400
    code: str = "error"

    def __init__(self, message: str, details: Mapping[str, object] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details: dict[str, object] = dict(details or {})

    def as_dict(self) -> dict[str, object]:
        """The one error format: ``{"error": {"code", "message", "details"}}``."""
        return {"error": {"code": self.code, "message": self.message, "details": self.details}}


class ValidationError(ExchangeError):
    """Input that breaks a field rule; ``details`` maps field -> list of messages."""

    status = 422
    code = "invalid"


@dataclass(frozen=True)
class RowError:
    """One problem in one row of an imported file (rows count from 1 = first data row)."""

    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


class ImportRejected(ValidationError):
    """A whole import refused; ``errors`` lists every row and field at fault.

    >>> e = ImportRejected([RowError(7, "lat", "must be between -90 and 90")])
    >>> str(e.errors[0])
    'row 7, lat: must be between -90 and 90'
    """

    def __init__(self, errors: Sequence[RowError], message: str | None = None) -> None:
        self.errors = list(errors)
        msg = message or f"import rejected: {len(self.errors)} error(s), nothing was stored"
        super().__init__(msg, {"rows": [{"row": e.row, "field": e.field, "message": e.message} for e in self.errors]})


class FileFormatError(ValidationError):
    """A file that cannot be read at all (undecodable, malformed, wrong type)."""

    code = "bad_file"


class NotFound(ExchangeError):
    status = 404
    code = "not_found"


class Conflict(ExchangeError):
    status = 409
    code = "conflict"


class PermissionDenied(ExchangeError):
    status = 403
    code = "forbidden"

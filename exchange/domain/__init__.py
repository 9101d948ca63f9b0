"""Pure domain: materials catalogue, quality grades, units, listings, errors.

No Flask, no SQLAlchemy: this package is importable on its own.
"""

from .errors import (Conflict, ExchangeError, FileFormatError, ImportRejected, NotFound, PermissionDenied,
                     RowError, ValidationError)
from .factors import FACTORS, Defaults, Factor
from .listing import FIELDS, Listing, Role, parse_listing
from .materials import CATALOGUE, Fit, Material, material

__all__ = ["CATALOGUE", "FACTORS", "FIELDS", "Conflict", "Defaults", "ExchangeError", "Factor", "FileFormatError",
           "Fit", "ImportRejected", "Listing", "Material", "NotFound", "PermissionDenied", "Role", "RowError",
           "ValidationError", "material", "parse_listing"]

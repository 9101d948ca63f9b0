"""Listing use cases: import a file or rows atomically; create, edit, withdraw and
search one organisation's listings as its users (API and forms).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from exchange.domain.errors import (Conflict, ExchangeError, ImportRejected, NotFound, PermissionDenied, RowError,
                                    ValidationError)
from exchange.domain.listing import Listing, parse_listing
from exchange.persistence import db
from exchange.persistence import repositories as repo
from exchange.persistence.models import Listing as ListingRow
from exchange.persistence.models import User

from . import audit
from .import_formats import parse_file, read_rows, validate_rows


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


def import_file(filename: str, data: bytes, user: User | None = None) -> ImportReport:
    """Parse, validate every row, then store; any bad row rejects the whole file.

    With ``user`` (an import through the web or the API) every row belongs to
    the user's organisation: a blank ``organisation`` means it, another one is
    a row error (admins may import for anyone). Without (the command line),
    rows name their organisations.
    """
    if user is None:
        return store(parse_file(filename, data))
    rows = read_rows(filename, data)
    own = user.organisation.name
    problems: list[RowError] = []
    for number, raw in rows:
        org = raw.get("organisation")
        if org is None or (isinstance(org, str) and not org.strip()):
            raw["organisation"] = own
        elif user.role != "admin" and str(org).strip() != own:
            problems.append(RowError(number, "organisation", f"must be your organisation ({own}), not {org!r}"))
    try:
        parsed = validate_rows(rows)
    except ImportRejected as err:
        raise ImportRejected(sorted(problems + err.errors, key=lambda e: (e.row, e.field))) from None
    if problems:
        raise ImportRejected(problems)
    audit.record("listing.import", user, details={"file": filename[:200], "rows": len(parsed)})
    return store(parsed)


def import_rows(rows: Sequence[Mapping[str, Any]]) -> ImportReport:
    """Same as :func:`import_file` for rows already in memory (demo, forms)."""
    return store(validate_rows([(n, dict(r)) for n, r in enumerate(rows, start=1)]))


# --------------------------------------------------------------------------- one listing, owned by the caller

#: body fields a caller may never set: the owner comes from the account, status and park from the workflow
#: and the location
FORBIDDEN_FIELDS = {
    "organisation": "is set from your account: a listing always belongs to your organisation",
    "organisation_id": "is set from your account: a listing always belongs to your organisation",
    "owner": "is set from your account: a listing always belongs to your organisation",
    "owner_id": "is set from your account: a listing always belongs to your organisation",
    "status": "is set by the workflow (DELETE withdraws a listing)",
    "park": "is derived from the location",
    "committed": "is set by the workflow",
    "id": "is assigned by the server",
    "version": "is assigned by the server",
}


def refuse_forbidden(raw: Mapping[str, Any]) -> None:
    """ValidationError naming every field of ``raw`` that a caller may not set."""
    bad = {k: [msg] for k, msg in FORBIDDEN_FIELDS.items() if k in raw}
    if bad:
        raise ValidationError(f"{len(bad)} field(s) may not be set: {', '.join(sorted(bad))}", bad)


def _visibility(value: Any) -> str:
    from .visibility import VISIBILITIES

    v = str(value if value is not None else "public").strip().lower()
    if v not in VISIBILITIES:
        raise ValidationError("invalid visibility", {"visibility": [f"must be one of {', '.join(VISIBILITIES)}"]})
    return v


def raw_of(row: ListingRow) -> dict[str, Any]:
    """A stored listing back in the import format (what the owner typed), for a partial update."""
    out: dict[str, Any] = {
        "ref": row.ref, "organisation": row.organisation.name, "role": row.role, "material": row.material,
        "lat": row.lat, "lon": row.lon, "quantity": row.entered_quantity, "unit": row.entered_unit,
        "site": row.site.name if row.site else None, "use": row.use, "hours_per_year": row.hours_per_year,
        "max_distance_km": row.max_distance_km, "price_rmb_per_unit": row.price_rmb_per_unit,
        "available_months": row.available_months, "return_temperature_c": row.return_temperature_c,
        "description": row.description,
    }
    out.update(row.quality or {})
    return out


def _editable(listing_id: int, user: User, step: str) -> ListingRow:
    from .visibility import listing_access

    row = db.session.get(ListingRow, listing_id)
    access = listing_access(row, user) if row is not None else None
    if row is None or access is None:
        raise NotFound(f"no listing {listing_id}")
    if access != "owner" and user.role != "admin":
        raise PermissionDenied(f"only {'its organisation' if access else 'its owner'} may {step} listing {listing_id}")
    return row


def _save(action: str, row: ListingRow, user: User, details: dict[str, Any]) -> ListingRow:
    try:
        db.session.flush()
        audit.record(action, user, target=("listing", row.id), parks=[row.park], details=details)
        db.session.commit()
    except StaleDataError as exc:
        db.session.rollback()
        raise Conflict("the listing changed meanwhile (an edit or an accepted link); reload and try again") from exc
    except IntegrityError as exc:
        db.session.rollback()
        raise Conflict("your organisation already has a listing with this ref", {"ref": ["is taken"]}) from exc
    except BaseException:
        db.session.rollback()
        raise
    return row


def create_listing(raw: Mapping[str, Any], user: User) -> ListingRow:
    """A new listing of the caller's organisation from import-format fields plus ``visibility``.

    The fields go through :func:`~exchange.domain.listing.parse_listing`, the
    one validator; ``organisation``, ``owner``, ``status`` and ``park`` are
    refused (422 naming the field).
    """
    refuse_forbidden(raw)
    fields = {k: v for k, v in raw.items() if k != "visibility"}
    visibility = _visibility(raw.get("visibility"))
    parsed = parse_listing({**fields, "organisation": user.organisation.name})
    if repo.listing_by_ref(user.organisation_id, parsed.ref) is not None:
        raise Conflict(f"your organisation already has a listing {parsed.ref!r}", {"ref": ["is taken"]})
    row = ListingRow(organisation_id=user.organisation_id, ref=parsed.ref, committed=0.0, visibility=visibility,
                     status="active")
    repo.apply_domain(row, parsed, user.organisation)
    db.session.add(row)
    return _save("listing.create", row, user, {"ref": parsed.ref, "visibility": visibility})


def update_listing(listing_id: int, changes: Mapping[str, Any], user: User) -> ListingRow:
    """Change some fields of a listing of the caller's organisation (validated as a whole again)."""
    refuse_forbidden(changes)
    row = _editable(listing_id, user, "edit")
    if row.status != "active":
        raise Conflict(f"listing {listing_id} is {row.status}")
    merged = raw_of(row)
    if "material" in changes and changes["material"] != row.material:
        for attr in (row.quality or {}):
            merged.pop(attr, None)
    merged.update({k: v for k, v in changes.items() if k != "visibility"})
    parsed = parse_listing(merged, listing_id=row.id)
    if row.committed and (parsed.quantity < row.committed * (1 - repo.SLACK) - repo.SLACK
                          or parsed.material != row.material or parsed.role.value != row.role):
        raise Conflict(f"agreed links hold {row.committed:g} {row.unit} of listing {row.id}; end them before cutting "
                       f"its quantity or changing its material or role",
                       {"quantity": [f"at least {row.committed:g} {row.unit} is held by agreed links"]})
    if parsed.ref != row.ref and repo.listing_by_ref(row.organisation_id, parsed.ref) is not None:
        raise Conflict(f"your organisation already has a listing {parsed.ref!r}", {"ref": ["is taken"]})
    row.ref = parsed.ref
    repo.apply_domain(row, parsed, row.organisation)
    if "visibility" in changes:
        row.visibility = _visibility(changes["visibility"])
    return _save("listing.update", row, user, {"fields": sorted(changes)})


def withdraw_listing(listing_id: int, user: User) -> ListingRow:
    """Withdraw a listing: its open links are declined; refused (409) while agreed links hold some of it."""
    from exchange.persistence.models import utcnow

    row = _editable(listing_id, user, "withdraw")
    if row.status != "active":
        raise Conflict(f"listing {listing_id} is already {row.status}")
    if repo.agreed_links_of(row.id):
        raise Conflict(f"agreed links hold {row.committed:g} {row.unit} of listing {row.id}; end them first")
    now = utcnow()
    for link in repo.open_links_of([row.id]):
        link.status, link.reason, link.decided_at, link.decided_by_id = "declined", "listing withdrawn", now, user.id
        link.version += 1
    row.status = "withdrawn"
    return _save("listing.withdraw", row, user, {"ref": row.ref})


def get_listing(listing_id: int, viewer: Any) -> dict[str, Any]:
    """One listing as ``viewer`` may see it; 404 when it is hidden (an anonymous one is reached by listing only)."""
    from .visibility import listing_access, listing_view

    row = db.session.get(ListingRow, listing_id)
    if row is None or listing_access(row, viewer) in (None, "anonymous"):
        raise NotFound(f"no listing {listing_id}")
    view = listing_view(row, viewer)
    assert view is not None
    return view


# --------------------------------------------------------------------------- searching, as the viewer sees it


@dataclass(frozen=True)
class ListingFilter:
    """Filters on what the viewer sees; geometric ones apply to the *shown* location.

    ``bbox`` is ``(min_lon, min_lat, max_lon, max_lat)`` (GeoJSON order), WGS84
    degrees; ``near`` is ``(lat, lon)`` with ``radius_km``. An anonymous
    listing is filtered on its rounded location, so no query can home in on
    the exact one.
    """

    material: tuple[str, ...] = ()
    role: str | None = None
    park: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float] | None = None
    radius_km: float | None = None
    mine: bool = False
    visibility: str | None = None
    include_withdrawn: bool = False


def visible_listings(viewer: Any, flt: ListingFilter | None = None) -> list[dict[str, Any]]:
    """Every listing the viewer may see that passes ``flt``: exact ones by id, then anonymous ones by key."""
    from geodata.distance import geodesic_km

    from .visibility import GRID_DEG, listing_view, viewer_of

    flt = flt or ListingFilter()
    v = viewer_of(viewer)
    q = select(ListingRow).options(selectinload(ListingRow.organisation), selectinload(ListingRow.site))
    if flt.mine:
        if v.organisation_id is None:
            return []
        q = q.where(ListingRow.organisation_id == v.organisation_id)
        if not flt.include_withdrawn:
            q = q.where(ListingRow.status == "active")
    else:
        q = q.where(ListingRow.status == "active")
    if flt.material:
        q = q.where(ListingRow.material.in_(flt.material))
    if flt.role:
        q = q.where(ListingRow.role == flt.role)
    if flt.park:
        q = q.where(ListingRow.park == flt.park)
    if flt.visibility:
        q = q.where(ListingRow.visibility == flt.visibility)
    margin = GRID_DEG
    box = flt.bbox
    if flt.near is not None and flt.radius_km is not None:
        lat0, lon0 = flt.near
        dlat = flt.radius_km / 110.0
        dlon = flt.radius_km / max(1e-6, 110.0 * math.cos(math.radians(min(89.0, abs(lat0)))))
        near_box = (lon0 - dlon, lat0 - dlat, lon0 + dlon, lat0 + dlat)
        box = near_box if box is None else (max(box[0], near_box[0]), max(box[1], near_box[1]),
                                            min(box[2], near_box[2]), min(box[3], near_box[3]))
    if box is not None:
        q = q.where(ListingRow.lon >= box[0] - margin, ListingRow.lat >= box[1] - margin,
                    ListingRow.lon <= box[2] + margin, ListingRow.lat <= box[3] + margin)
    exact: list[dict[str, Any]] = []
    anonymous: list[dict[str, Any]] = []
    for row in db.session.scalars(q.order_by(ListingRow.id)):
        view = listing_view(row, v)
        if view is None:
            continue
        lat, lon = view["lat"], view["lon"]
        if flt.bbox is not None and not (flt.bbox[0] <= lon <= flt.bbox[2] and flt.bbox[1] <= lat <= flt.bbox[3]):
            continue
        if flt.near is not None and flt.radius_km is not None:
            d = geodesic_km(flt.near[0], flt.near[1], lat, lon)
            if d > flt.radius_km:
                continue
            view = {**view, "distance_km": round(d, 3) if view["access"] != "anonymous" else round(d)}
        (anonymous if view["access"] == "anonymous" else exact).append(view)
    return exact + sorted(anonymous, key=lambda x: x["key"])

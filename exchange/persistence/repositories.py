"""Reading and writing domain objects; no commits here (services commit)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import func, select

from exchange.domain.listing import Listing as DomainListing
from exchange.domain.listing import Role, parse_months
from geodata.parks import park_of

from .db import db
from .models import Link, Listing, MatchRun, Organisation, Site, UnmatchedEntry


def months_text(months: Iterable[int]) -> str:
    return ",".join(str(m) for m in sorted(months))


def to_domain(row: Listing) -> DomainListing:
    """A stored listing as the matcher sees it."""
    (quality,) = row.quality.values()
    return DomainListing(
        ref=row.ref, organisation=row.organisation.name, role=Role(row.role), material=row.material,
        lat=row.lat, lon=row.lon, quantity=row.quantity, unit=row.unit, quality=quality,
        entered_quantity=row.entered_quantity, entered_unit=row.entered_unit,
        site=row.site.name if row.site else None, hours_per_year=row.hours_per_year,
        max_distance_km=row.max_distance_km, price_rmb_per_unit=row.price_rmb_per_unit,
        available_months=parse_months(row.available_months), return_temperature_c=row.return_temperature_c,
        description=row.description, id=row.id,
    )


def organisation(name: str) -> Organisation:
    """The organisation of that name, created (flushed, not committed) if new."""
    org = db.session.scalar(select(Organisation).where(Organisation.name == name))
    if org is None:
        org = Organisation(name=name)
        db.session.add(org)
        db.session.flush()
    return org


def site(org: Organisation, name: str, lat: float, lon: float) -> Site:
    s = db.session.scalar(select(Site).where(Site.organisation_id == org.id, Site.name == name))
    if s is None:
        s = Site(organisation_id=org.id, name=name, lat=lat, lon=lon)
        db.session.add(s)
        db.session.flush()
    return s


def upsert_listing(d: DomainListing) -> tuple[Listing, bool]:
    """Insert or update by (organisation, ref); returns (row, created)."""
    from exchange.domain.materials import CATALOGUE

    org = organisation(d.organisation)
    row = db.session.scalar(select(Listing).where(Listing.organisation_id == org.id, Listing.ref == d.ref))
    the_site = site(org, d.site, d.lat, d.lon) if d.site else None
    created = row is None
    if row is None:
        row = Listing(organisation=org, ref=d.ref)
    row.site = the_site
    row.role = d.role.value
    row.material = d.material
    row.lat, row.lon = d.lat, d.lon
    row.quantity, row.unit = d.quantity, d.unit
    row.entered_quantity, row.entered_unit = d.entered_quantity, d.entered_unit
    row.quality = {CATALOGUE[d.material].quality.attribute: d.quality}
    row.hours_per_year = d.hours_per_year
    row.max_distance_km = d.max_distance_km
    row.price_rmb_per_unit = d.price_rmb_per_unit
    row.available_months = months_text(d.available_months)
    row.return_temperature_c = d.return_temperature_c
    row.description = d.description
    row.status = "active"
    found = park_of(d.lat, d.lon)
    row.park = found.key if found else None
    if created:
        db.session.add(row)
    return row, created


def active_listings() -> Sequence[Listing]:
    return db.session.scalars(select(Listing).where(Listing.status == "active").order_by(Listing.id)).all()


def count_listings() -> int:
    return db.session.scalar(select(func.count()).select_from(Listing)) or 0


def latest_run() -> MatchRun | None:
    return db.session.scalar(select(MatchRun).where(MatchRun.status == "done").order_by(MatchRun.id.desc()).limit(1))


__all__ = ["Link", "Listing", "MatchRun", "Organisation", "Site", "UnmatchedEntry", "active_listings", "latest_run",
           "months_text", "organisation", "to_domain", "upsert_listing"]

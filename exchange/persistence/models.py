"""Tables: organisations, sites, listings, match runs, links and unmatched entries.

Quantities are stored in canonical annual units (``MWh/yr``, ``t/yr``) next to
what the owner typed; coordinates are WGS84 degrees; times are UTC.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    listings: Mapped[list[Listing]] = relationship(back_populates="organisation")


class Site(db.Model):
    __tablename__ = "sites"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)


class Listing(db.Model):
    __tablename__ = "listings"
    __table_args__ = (UniqueConstraint("organisation_id", "ref"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"), nullable=True)
    ref: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(10), index=True)
    material: Mapped[str] = mapped_column(String(40), index=True)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    quantity: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    entered_quantity: Mapped[float] = mapped_column(Float)
    entered_unit: Mapped[str] = mapped_column(String(40))
    quality: Mapped[dict[str, Any]] = mapped_column(JSON)
    hours_per_year: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_distance_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    price_rmb_per_unit: Mapped[float | None] = mapped_column(Float, nullable=True)
    available_months: Mapped[str] = mapped_column(String(40), default="1,2,3,4,5,6,7,8,9,10,11,12")
    return_temperature_c: Mapped[float | None] = mapped_column(Float, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    #: geodata.parks key: a named park or a city exchange zone (None outside Shandong)
    park: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    organisation: Mapped[Organisation] = relationship(back_populates="listings")
    site: Mapped[Site | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


class MatchRun(db.Model):
    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    solver: Mapped[str] = mapped_column(String(20))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    links: Mapped[list[Link]] = relationship(back_populates="match_run", cascade="all, delete-orphan")


class Link(db.Model):
    """A proposed (later agreed) source -> sink exchange."""

    __tablename__ = "links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    match_run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id"), index=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    sink_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    material: Mapped[str] = mapped_column(String(40))
    quantity: Mapped[float] = mapped_column(Float)
    delivered: Mapped[float] = mapped_column(Float)
    unit: Mapped[str] = mapped_column(String(20))
    distance_km: Mapped[float] = mapped_column(Float)
    route_km: Mapped[float] = mapped_column(Float)
    transport: Mapped[str] = mapped_column(String(40))
    requires: Mapped[list[str]] = mapped_column(JSON, default=list)
    transport_cost_rmb_per_yr: Mapped[float] = mapped_column(Float)
    upgrade_cost_rmb_per_yr: Mapped[float] = mapped_column(Float)
    value_rmb_per_yr: Mapped[float] = mapped_column(Float)
    net_benefit_rmb_per_yr: Mapped[float] = mapped_column(Float)
    co2_avoided_t_per_yr: Mapped[float] = mapped_column(Float)
    explanation: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(20), default="proposed", index=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    match_run: Mapped[MatchRun] = relationship(back_populates="links")
    source: Mapped[Listing] = relationship(foreign_keys=[source_id])
    sink: Mapped[Listing] = relationship(foreign_keys=[sink_id])

    @property
    def cost_rmb_per_yr(self) -> float:
        return self.transport_cost_rmb_per_yr + self.upgrade_cost_rmb_per_yr


class UnmatchedEntry(db.Model):
    """A listing a match run left (partly) unmatched, and why."""

    __tablename__ = "unmatched_entries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    match_run_id: Mapped[int] = mapped_column(ForeignKey("match_runs.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    code: Mapped[str] = mapped_column(String(40))
    reason: Mapped[str] = mapped_column(Text)
    matched: Mapped[float] = mapped_column(Float)
    remaining: Mapped[float] = mapped_column(Float)

    listing: Mapped[Listing] = relationship()

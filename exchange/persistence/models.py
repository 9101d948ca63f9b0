"""Tables: organisations, users, sessions, API tokens, sites, listings, match runs,
links, unmatched entries and the audit log.

Quantities are stored in canonical annual units (``MWh/yr``, ``t/yr``) next to
what the owner typed; coordinates are WGS84 degrees; times are UTC.

Capacity bookkeeping: ``Listing.committed`` is the quantity of the listing held
by agreed links (status ``accepted``, ``approved`` or ``active``): source side
in link ``quantity``, sink side in link ``delivered``. It only changes through
a conditional ``UPDATE ... WHERE committed + q <= quantity`` (see
:func:`exchange.persistence.repositories.reserve`), so two accepts of the last
tonnes cannot both succeed, on SQLite or PostgreSQL.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .db import db


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


def iso_utc(t: datetime | None) -> str | None:
    """ISO 8601 in UTC with its offset; SQLite hands back naive datetimes, which are UTC here."""
    if t is None:
        return None
    if t.tzinfo is None:
        t = t.replace(tzinfo=timezone.utc)
    return t.astimezone(timezone.utc).isoformat()


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    listings: Mapped[list[Listing]] = relationship(back_populates="organisation")
    users: Mapped[list[User]] = relationship(back_populates="organisation")


ROLES = ("member", "park_manager", "admin")


class User(db.Model):
    """A person (or a script) acting for one organisation.

    ``role``: ``member`` (its organisation's listings and links),
    ``park_manager`` (everything in ``park``, a :mod:`geodata.parks` key) or
    ``admin``. ``password_hash`` is argon2 (None: API token only). Flask-Login
    sees the user through :class:`exchange.auth.SessionUser`-style attributes
    set here: ``session_token`` is the id of the browser session that loaded it.
    """

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(200), nullable=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="member")
    park: Mapped[str | None] = mapped_column(String(40), nullable=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    organisation: Mapped[Organisation] = relationship(back_populates="users", lazy="joined")

    #: set by the session loader: the browser session this object was loaded for
    session_token = None  # type: str | None

    # Flask-Login's user protocol
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_active(self) -> bool:
        return bool(self.active)

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str | None:
        """The session token (not the user id): logout deletes it, so an old cookie loads nobody."""
        return self.session_token

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email} {self.role}>"


class UserSession(db.Model):
    """One browser login; the cookie carries its token, the table only its SHA-256."""

    __tablename__ = "user_sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship()


class ApiToken(db.Model):
    """A bearer token for scripts; only its SHA-256 is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

    user: Mapped[User] = relationship()


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
    #: what the site is or does (``exchange.domain.listing.USES``); a district heating network's months default
    #: to the heating season
    use: Mapped[str | None] = mapped_column(String(40), nullable=True)
    hours_per_year: Mapped[float | None] = mapped_column(Float, nullable=True)
    max_distance_km: Mapped[float | None] = mapped_column(Float, nullable=True)
    price_rmb_per_unit: Mapped[float | None] = mapped_column(Float, nullable=True)
    available_months: Mapped[str] = mapped_column(String(40), default="1,2,3,4,5,6,7,8,9,10,11,12")
    return_temperature_c: Mapped[float | None] = mapped_column(Float, nullable=True)
    description: Mapped[str | None] = mapped_column(Text, nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="active", index=True)
    #: geodata.parks key: a named park or a city exchange zone (None outside Shandong)
    park: Mapped[str | None] = mapped_column(String(40), nullable=True, index=True)
    #: "public" (exact), "anonymous" (no organisation, ~5 km, quantity band) or "private"
    visibility: Mapped[str] = mapped_column(String(12), default="public", server_default="public")
    #: quantity held by agreed links (see the module docstring); never above ``quantity``
    committed: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)

    organisation: Mapped[Organisation] = relationship(back_populates="listings")
    site: Mapped[Site | None] = relationship()

    __mapper_args__ = {"version_id_col": version}


#: match-run statuses: waiting for a worker, working, finished, stopped by an error
RUN_STATUSES = ("queued", "running", "done", "failed")
#: statuses of a run that holds its park (one run per park at a time)
RUN_ACTIVE = ("queued", "running")
#: what a run is doing, in order (``progress`` is the fraction of the whole run done)
RUN_STAGES = ("queued", "loading", "matching", "candidates", "solving", "storing", "done", "failed")


class MatchRun(db.Model):
    """One run of the matcher over the active listings (of ``park``, or all).

    ``status``: queued -> running -> done | failed. While it runs, ``stage``
    and ``progress`` (0..1) say how far it is and ``updated_at`` is its
    heartbeat; ``job`` says where it runs (``rq:<job id>``,
    ``thread:<host>:<pid>`` or ``inline:<host>:<pid>``), so a run whose worker
    died can be recognised and released (see :mod:`exchange.services.jobs`).
    """

    __tablename__ = "match_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    status: Mapped[str] = mapped_column(String(20), default="running")
    stage: Mapped[str | None] = mapped_column(String(20), nullable=True)
    progress: Mapped[float | None] = mapped_column(Float, nullable=True)
    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    job: Mapped[str | None] = mapped_column(String(120), nullable=True)
    solver: Mapped[str] = mapped_column(String(20))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    summary: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
    #: the park the run was limited to (None: every listing)
    park: Mapped[str | None] = mapped_column(String(40), nullable=True)
    started_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)

    links: Mapped[list[Link]] = relationship(back_populates="match_run", cascade="all, delete-orphan")


LINK_STATUSES = ("proposed", "interest", "accepted", "approved", "active", "ended", "declined", "rejected",
                 "superseded")
#: statuses whose quantity is held on both listings (``Listing.committed``)
AGREED = ("accepted", "approved", "active")
#: statuses still open to the parties' answers
OPEN = ("proposed", "interest")


class Link(db.Model):
    """A proposed (later agreed) source -> sink exchange.

    Workflow: proposed -> interest (either side) -> accepted (both sides) ->
    approved (by the manager of every park it touches that requires approval)
    -> active -> ended; or declined (by a side, with reason) / rejected (by a
    park manager, with comment); ``superseded`` when a later match run
    re-planned an open link. ``version`` guards every transition (conditional
    UPDATE), so concurrent answers cannot both apply.
    """

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
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    source_interest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sink_interest_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    source_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    source_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                             nullable=True)
    sink_accepted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    sink_accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"),
                                                           nullable=True)
    #: park key -> {"by": user id, "at": ISO time, "comment": text}
    approvals: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict, server_default="{}")
    decided_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True)
    #: why it was declined, rejected or ended (the decision's reason or comment)
    reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    started_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), nullable=True)

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


class AuditEntry(db.Model):
    """Who did what, when (UTC), in which organisation and park.

    ``action`` e.g. ``login``, ``login_failed``, ``logout``, ``denied``,
    ``read_private``, ``link.interest``, ``link.accept``, ``listing.create``.
    """

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), nullable=True,
                                                index=True)
    #: kept as text too, so the entry survives the user's deletion
    actor: Mapped[str | None] = mapped_column(String(254), nullable=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id", ondelete="SET NULL"),
                                                        nullable=True, index=True)
    #: the parks the action touched, as ",key1,key2," (so a manager's filter is one LIKE)
    parks: Mapped[str | None] = mapped_column(String(120), nullable=True)
    action: Mapped[str] = mapped_column(String(40), index=True)
    target_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    target_id: Mapped[int | None] = mapped_column(Integer, nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(String(45), nullable=True)

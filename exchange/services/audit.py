"""The audit log: who did what, when (UTC), in which organisation and parks.

Recorded: logins (and failed logins), logouts, denials (every 401/403 the API
or a page answers), reads of private listings by anyone but their owner, every
workflow step on a link, and listing and account changes.

:func:`record` adds an entry to the caller's transaction (it is committed with
the change it describes); :func:`record_now` writes at once in its own
transaction, for events whose request otherwise changes nothing (a denial, a
failed login, a read).

Readers: admins see everything; a park manager sees the entries that touched
their park (:func:`entries`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import g, has_request_context, request
from sqlalchemy import select

from exchange.persistence import db
from exchange.persistence.models import AuditEntry, User

__all__ = ["entries", "entry_view", "flush_private_reads", "note_private_read", "record", "record_now"]


def _parks_text(parks: Iterable[str | None]) -> str | None:
    keys = sorted({p for p in parks if p})
    return "," + ",".join(keys) + "," if keys else None


def _client_ip() -> str | None:
    if not has_request_context():
        return None
    return (request.remote_addr or "")[:45] or None


def _entry(action: str, user: Any, *, target: tuple[str, int] | None, parks: Iterable[str | None],
           details: dict[str, Any] | None, actor: str | None) -> AuditEntry:
    real = user if isinstance(user, User) else None
    return AuditEntry(
        user_id=real.id if real else None,
        actor=actor or (real.email if real else None),
        organisation_id=real.organisation_id if real else None,
        parks=_parks_text(parks),
        action=action,
        target_type=target[0] if target else None,
        target_id=target[1] if target else None,
        details=dict(details or {}),
        ip=_client_ip(),
    )


def record(action: str, user: Any = None, *, target: tuple[str, int] | None = None,
           parks: Iterable[str | None] = (), details: dict[str, Any] | None = None,
           actor: str | None = None) -> AuditEntry:
    """Add an entry to the current transaction (committed by the calling service)."""
    entry = _entry(action, user, target=target, parks=parks, details=details, actor=actor)
    db.session.add(entry)
    return entry


def record_now(action: str, user: Any = None, *, target: tuple[str, int] | None = None,
               parks: Iterable[str | None] = (), details: dict[str, Any] | None = None,
               actor: str | None = None) -> None:
    """Write an entry in a transaction of its own.

    Whatever the session held is rolled back first: this is called when the
    request failed (a denial, a failed login) or changed nothing (a read).
    """
    db.session.rollback()
    db.session.add(_entry(action, user, target=target, parks=parks, details=details, actor=actor))
    db.session.commit()


# --------------------------------------------------------------------------- reads of private listings


def note_private_read(listing_id: int, park: str | None) -> None:
    """Remember, for this request, that a private listing was shown in full to a non-owner."""
    if not has_request_context():
        return
    reads: dict[int, str | None] = g.setdefault("_private_reads", {})
    reads[listing_id] = park


def flush_private_reads(user: Any) -> None:
    """One ``read_private`` entry per request that showed private listings (called after the request)."""
    reads: dict[int, str | None] | None = g.pop("_private_reads", None) if has_request_context() else None
    if not reads:
        return
    ids = sorted(reads)
    record_now("read_private", user, target=("listing", ids[0]) if len(ids) == 1 else None,
               parks=reads.values(), details={"listings": ids[:1000], "count": len(ids),
                                              "path": request.path if has_request_context() else None})


# --------------------------------------------------------------------------- reading the log


def entries(viewer: User, *, action: str | None = None, park: str | None = None, limit: int = 200,
            before_id: int | None = None) -> Sequence[AuditEntry]:
    """The entries ``viewer`` may read, newest first (admins: all; park managers: their park)."""
    from exchange.domain.errors import PermissionDenied

    q = select(AuditEntry).order_by(AuditEntry.id.desc()).limit(max(1, min(limit, 1000)))
    if viewer.role == "admin":
        if park:
            q = q.where(AuditEntry.parks.contains(f",{park},", autoescape=True))
    elif viewer.role == "park_manager" and viewer.park:
        if park and park != viewer.park:
            raise PermissionDenied("a park manager reads the audit log of their own park only",
                                   {"park": [f"you manage {viewer.park}"]})
        q = q.where(AuditEntry.parks.contains(f",{viewer.park},", autoescape=True))
    else:
        raise PermissionDenied("the audit log is for admins and park managers")
    if action:
        q = q.where(AuditEntry.action == action)
    if before_id:
        q = q.where(AuditEntry.id < before_id)
    return db.session.scalars(q).all()


def entry_view(e: AuditEntry) -> dict[str, Any]:
    from exchange.persistence.models import Organisation

    org = db.session.get(Organisation, e.organisation_id) if e.organisation_id else None
    from exchange.persistence.models import iso_utc

    return {"id": e.id, "at": iso_utc(e.at), "user_id": e.user_id, "actor": e.actor,
            "organisation_id": e.organisation_id, "organisation": org.name if org else None,
            "parks": [p for p in (e.parks or "").split(",") if p], "action": e.action,
            "target_type": e.target_type, "target_id": e.target_id, "details": e.details or {}, "ip": e.ip}

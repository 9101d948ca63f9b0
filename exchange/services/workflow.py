"""The exchange workflow on a link: interest, accept, decline, approve, reject, start, end.

::

    proposed -> interest (either side) -> accepted (both sides) -> approved -> active -> ended
                     \\-> declined (a side, with a reason)          (by the manager of every park
                     \\-> rejected (a park manager, with a comment)   it touches that requires it)

* ``interest`` records that a side looked and wants to talk; once both sides
  did, each may see the other's listing in full (even a private one).
* ``accept`` records a side's yes (and its interest). The accept that
  completes the pair *reserves* the link's quantity on the source and its
  delivered quantity on the sink (:func:`exchange.persistence.repositories.reserve`,
  a conditional UPDATE): when the last tonnes are accepted twice at once,
  exactly one succeeds and the other gets 409 Conflict.
* a park manager may approve before or after the sides accept; a link whose
  parks all approved becomes ``approved`` when both sides accepted.
  ``reject`` ends it, releasing any reservation.
* ``start`` (a side) makes an approved link (or an accepted link that needs
  no approval) ``active``; ``end`` (a side, a reviewer, an admin) releases the
  quantity.

Every step checks who may take it, moves the link with a conditional UPDATE on
its ``version`` (a concurrent step gets 409), writes the audit log and commits.
Errors: :class:`~exchange.domain.errors.NotFound` (404) when the link does not
exist or is hidden from the caller, ``PermissionDenied`` (403) when the caller
may see it but not take this step, ``Conflict`` (409) when the link is not in
a state that allows the step, ``ValidationError`` (422) for a missing reason.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.exc import OperationalError

from exchange.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from exchange.persistence import db
from exchange.persistence import repositories as repo
from exchange.persistence.models import AGREED, LINK_STATUSES, OPEN, Link, User, utcnow

from . import audit
from .visibility import approvals_required, forget_viewers, link_parks, link_role, link_view, sides_of

__all__ = ["LINK_STATUSES", "accept", "approve", "decline", "end", "express_interest", "get_link", "reject", "start", "visible_links"]

MAX_TEXT = 2000


def _load(link_id: int, user: User) -> Link:
    link = db.session.get(Link, link_id)
    if link is None or link_view(link, user) is None:
        raise NotFound(f"no link {link_id}")
    return link


def _sides(link: Link, user: User, step: str) -> list[str]:
    sides = sides_of(link, user)
    if not sides:
        raise PermissionDenied(f"only the two organisations of link {link.id} may {step} it")
    return sides


def _text(value: str | None, name: str, *, required: bool) -> str | None:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError(f"a {name} is required", {name: ["is required"]})
    if len(text) > MAX_TEXT:
        raise ValidationError(f"the {name} is too long", {name: [f"must be at most {MAX_TEXT} characters"]})
    return text or None


def _reviewer_parks(link: Link, user: User, step: str) -> list[str]:
    """The parks whose approval ``user`` gives on this link (admins: all still required)."""
    required = approvals_required(link)
    if user.role == "admin":
        mine = required
    elif user.role == "park_manager" and user.park in link_parks(link):
        mine = [p for p in required if p == user.park]
    else:
        raise PermissionDenied(f"only the manager of a park link {link.id} touches may {step} it")
    if not mine:
        raise Conflict(f"link {link.id} needs no approval from {'any park' if user.role == 'admin' else user.park}")
    return mine


def _commit(link: Link, values: dict[str, Any], user: User, action: str, details: dict[str, Any],
            hold: bool = False, give_back: bool = False) -> Link:
    """Move ``link`` (still at its version) to ``values``; reserve or release its quantity; audit; commit."""
    version = link.version
    source_id, sink_id, quantity, delivered = link.source_id, link.sink_id, link.quantity, link.delivered
    parks = link_parks(link)
    before = link.status
    try:
        if not repo.transition_link(link.id, version, **values):
            raise Conflict(f"link {link.id} changed meanwhile; reload it and try again")
        if hold:
            if not repo.reserve(source_id, quantity):
                db.session.refresh(link.source)
                left = repo.uncommitted(link.source)
                raise Conflict(f"the source has only {left:g} {link.unit} left uncommitted; this link needs "
                               f"{quantity:g}", {"quantity": [f"{left:g} {link.unit} of the source is uncommitted"]})
            if not repo.reserve(sink_id, delivered):
                db.session.refresh(link.sink)
                left = repo.uncommitted(link.sink)
                raise Conflict(f"the sink needs only {left:g} {link.unit} more; this link delivers {delivered:g}",
                               {"delivered": [f"{left:g} {link.unit} of the sink is uncommitted"]})
        if give_back:
            repo.release(source_id, quantity)
            repo.release(sink_id, delivered)
        audit.record(action, user, target=("link", link.id), parks=parks,
                     details={"from": before, "to": values.get("status", before), **details})
        db.session.commit()
    except OperationalError as exc:  # a lock timeout under heavy contention: a conflict, not a crash
        db.session.rollback()
        raise Conflict(f"link {link.id} is busy; try again") from exc
    except BaseException:
        db.session.rollback()
        raise
    forget_viewers()
    db.session.expire_all()
    return db.session.get(Link, link.id)  # type: ignore[return-value]


def express_interest(link_id: int, user: User) -> Link:
    """A side of the link says it wants to talk (proposed -> interest)."""
    link = _load(link_id, user)
    sides = _sides(link, user, "show interest in")
    if link.status not in OPEN:
        raise Conflict(f"link {link.id} is {link.status}: interest is shown on proposed links")
    now = utcnow()
    values: dict[str, Any] = {f"{s}_interest_at": now for s in sides if getattr(link, f"{s}_interest_at") is None}
    if not values:
        return link
    values["status"] = "interest"
    return _commit(link, values, user, "link.interest", {"sides": sides})


def accept(link_id: int, user: User) -> Link:
    """A side says yes; when both did, the link is accepted and its quantity reserved (409 if it no longer fits)."""
    link = _load(link_id, user)
    sides = _sides(link, user, "accept")
    if link.status not in OPEN:
        raise Conflict(f"link {link.id} is {link.status}: only proposed links can be accepted")
    now = utcnow()
    values: dict[str, Any] = {}
    for s in sides:
        if getattr(link, f"{s}_accepted_at") is None:
            values[f"{s}_accepted_at"] = now
            values[f"{s}_accepted_by_id"] = user.id
        if getattr(link, f"{s}_interest_at") is None:
            values[f"{s}_interest_at"] = now
    if not values:
        return link
    both = all(values.get(f"{s}_accepted_at") or getattr(link, f"{s}_accepted_at") for s in ("source", "sink"))
    if both:
        required = approvals_required(link)
        done = all(p in (link.approvals or {}) for p in required)
        values["status"] = "approved" if required and done else "accepted"
    else:
        values["status"] = "interest"
    return _commit(link, values, user, "link.accept", {"sides": sides}, hold=both)


def decline(link_id: int, user: User, reason: str | None) -> Link:
    """A side says no, with a reason (before the park approved; an agreed link is ended instead)."""
    link = _load(link_id, user)
    sides = _sides(link, user, "decline")
    text = _text(reason, "reason", required=True)
    if link.status not in OPEN + ("accepted",):
        raise Conflict(f"link {link.id} is {link.status}: "
                       + ("end it instead" if link.status in AGREED else "it can no longer be declined"))
    return _commit(link, {"status": "declined", "reason": text, "decided_at": utcnow(), "decided_by_id": user.id},
                   user, "link.decline", {"sides": sides, "reason": text}, give_back=link.status == "accepted")


def approve(link_id: int, user: User, comment: str | None = None) -> Link:
    """The park manager approves the link for their park (admins: for every park still to approve)."""
    link = _load(link_id, user)
    parks = _reviewer_parks(link, user, "approve")
    text = _text(comment, "comment", required=False)
    if link.status not in OPEN + ("accepted",):
        raise Conflict(f"link {link.id} is {link.status}: only proposed or accepted links are approved")
    approvals = dict(link.approvals or {})
    new = [p for p in parks if p not in approvals]
    if not new:
        raise Conflict(f"link {link.id} is already approved for {', '.join(parks)}")
    at = utcnow().isoformat()
    for p in new:
        approvals[p] = {"by": user.id, "at": at, "comment": text}
    values: dict[str, Any] = {"approvals": approvals}
    if link.status == "accepted" and all(p in approvals for p in approvals_required(link)):
        values.update(status="approved", decided_at=utcnow(), decided_by_id=user.id)
    return _commit(link, values, user, "link.approve", {"parks": new, "comment": text})


def reject(link_id: int, user: User, comment: str | None) -> Link:
    """The park manager rejects the link, with a comment (any time before it is active)."""
    link = _load(link_id, user)
    parks = _reviewer_parks(link, user, "reject")
    text = _text(comment, "comment", required=True)
    if link.status not in OPEN + ("accepted", "approved"):
        raise Conflict(f"link {link.id} is {link.status}: it can no longer be rejected")
    return _commit(link, {"status": "rejected", "reason": text, "decided_at": utcnow(), "decided_by_id": user.id},
                   user, "link.reject", {"parks": parks, "comment": text},
                   give_back=link.status in ("accepted", "approved"))


def start(link_id: int, user: User) -> Link:
    """A side reports the exchange running (approved, or accepted where no approval is needed -> active)."""
    link = _load(link_id, user)
    sides = _sides(link, user, "start")
    ready = link.status == "approved" or (link.status == "accepted" and not approvals_required(link))
    if not ready:
        raise Conflict(f"link {link.id} is {link.status}: it starts once accepted by both sides and approved")
    return _commit(link, {"status": "active", "started_at": utcnow()}, user, "link.start", {"sides": sides})


def end(link_id: int, user: User, reason: str | None = None) -> Link:
    """End an agreed link (a side, a manager of a park it touches, or an admin); its quantity is released."""
    link = _load(link_id, user)
    if link_role(link, user) is None:
        raise PermissionDenied(f"only the organisations, the park managers or an admin may end link {link.id}")
    text = _text(reason, "reason", required=False)
    if link.status not in AGREED:
        raise Conflict(f"link {link.id} is {link.status}: only accepted, approved or active links can be ended")
    return _commit(link, {"status": "ended", "ended_at": utcnow(), "reason": text or link.reason}, user,
                   "link.end", {"reason": text}, give_back=True)


# --------------------------------------------------------------------------- reading links


def visible_links(viewer: Any, *, statuses: Sequence[str] = (), materials: Sequence[str] = (),
                  park: str | None = None, mine: bool = False) -> list[dict[str, Any]]:
    """The standing links (not superseded) the viewer may see, as :func:`link_view` dicts, by id."""
    from sqlalchemy.orm import selectinload

    from exchange.persistence.models import Listing

    from .visibility import viewer_of

    v = viewer_of(viewer)
    if mine and v.organisation_id is None:
        return []
    q = repo.current_links_query(park, statuses or None).options(
        selectinload(Link.source).selectinload(Listing.organisation),
        selectinload(Link.source).selectinload(Listing.site),
        selectinload(Link.sink).selectinload(Listing.organisation),
        selectinload(Link.sink).selectinload(Listing.site))
    if materials:
        q = q.where(Link.material.in_(list(materials)))
    out = []
    for link in db.session.scalars(q):
        if mine and link.source.organisation_id != v.organisation_id \
                and link.sink.organisation_id != v.organisation_id:
            continue
        view = link_view(link, v)
        if view is not None:
            out.append(view)
    return out


def get_link(link_id: int, viewer: Any) -> dict[str, Any]:
    """One link as the viewer may see it (404 when hidden)."""
    link = db.session.get(Link, link_id)
    view = link_view(link, viewer) if link is not None else None
    if view is None:
        raise NotFound(f"no link {link_id}")
    return view

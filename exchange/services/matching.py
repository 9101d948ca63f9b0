"""Match-run use case: load active listings, run the matcher, store the run.

A new run keeps what the parties agreed: links that are accepted, approved or
active stay as they are, and the matcher plans only what is left of each
listing (its quantity minus ``committed``). The open links (proposed,
interest) of the listings the run re-plans are marked ``superseded``; interest
already shown on a pair carries over to the new link of the same pair.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from flask import current_app

from exchange.domain.factors import Defaults
from exchange.matching import MatchResult, match
from exchange.persistence import db
from exchange.persistence import repositories as repo
from exchange.persistence.models import Link, MatchRun, UnmatchedEntry, iso_utc, utcnow


def remaining_listings(park: str | None = None) -> list[Any]:
    """Active listings (of ``park``) as the matcher sees them, each reduced to its uncommitted quantity."""
    out = []
    for row in repo.active_listings(park):
        d = repo.to_domain(row)
        left = repo.uncommitted(row)
        if left <= d.quantity * 1e-9:
            continue
        if left < d.quantity:
            d = dataclasses.replace(d, quantity=left, entered_quantity=d.entered_quantity * left / d.quantity)
        out.append(d)
    return out


def run_match(*, solver: str | None = None, cap: int | None = None,
              overrides: dict[str, float] | None = None, park: str | None = None,
              user: Any = None) -> tuple[MatchRun, MatchResult]:
    """Run the matcher over the active listings (of ``park``, or all) and store links and unmatched entries.

    Agreed links are kept and only uncommitted quantities are planned (see
    the module docstring).
    """
    solver = solver or current_app.config["MATCH_SOLVER"]
    if cap is None:
        cap = current_app.config["MATCH_CAP"] or None
    defaults = Defaults(overrides)
    listings = remaining_listings(park)
    run = MatchRun(solver=solver, settings={"cap": cap, "overrides": dict(overrides or {})}, park=park,
                   started_by_id=getattr(user, "id", None) if getattr(user, "is_authenticated", False) else None)
    db.session.add(run)
    db.session.commit()  # the run is visible as "running"; no write lock is held while the matcher works
    try:
        result = match(listings, defaults, solver=solver, cap=cap)
    except Exception as exc:
        db.session.rollback()
        run.status, run.error, run.finished_at = "failed", f"{type(exc).__name__}: {exc}", utcnow()
        db.session.commit()
        raise
    earlier = _supersede([r.id for r in repo.active_listings(park)])
    for pl in result.links:
        d: dict[str, Any] = pl.as_dict()
        carried = earlier.get((pl.source.id, pl.sink.id), {})
        db.session.add(Link(**carried,
            match_run_id=run.id, source_id=pl.source.id, sink_id=pl.sink.id, material=pl.material,
            quantity=pl.quantity, delivered=pl.delivered, unit=pl.unit, distance_km=pl.distance_km,
            route_km=pl.route_km, transport=pl.transport, requires=list(pl.requires),
            transport_cost_rmb_per_yr=pl.transport_cost_rmb_per_yr, upgrade_cost_rmb_per_yr=pl.upgrade_cost_rmb_per_yr,
            value_rmb_per_yr=pl.value_rmb_per_yr, net_benefit_rmb_per_yr=pl.net_benefit_rmb_per_yr,
            co2_avoided_t_per_yr=pl.co2_avoided_t_per_yr, explanation=pl.explanation, details=d["details"],
        ))
    for u in result.unmatched:
        db.session.add(UnmatchedEntry(match_run_id=run.id, listing_id=u.listing.id, code=u.code, reason=u.reason,
                                      matched=u.matched, remaining=u.remaining))
    run.summary = result.summary
    run.stats = result.stats
    run.status = "done"
    run.finished_at = utcnow()
    from . import audit

    audit.record("match_run", user if getattr(user, "is_authenticated", False) else None,
                 target=("match_run", run.id), parks=[park],
                 details={"links": len(result.links), "listings": len(listings), "solver": solver})
    db.session.commit()
    return run, result


def _supersede(listing_ids: list[int]) -> dict[tuple[int, int], dict[str, Any]]:
    """Mark the open links of these listings superseded; returns the interest shown, by (source, sink)."""
    carried: dict[tuple[int, int], dict[str, Any]] = {}
    chunk = 500
    for i in range(0, len(listing_ids), chunk):
        for link in repo.open_links_of(listing_ids[i:i + chunk]):
            if link.status == "superseded":
                continue
            if link.source_interest_at or link.sink_interest_at:
                carried[(link.source_id, link.sink_id)] = {
                    "source_interest_at": link.source_interest_at, "sink_interest_at": link.sink_interest_at,
                    "status": "interest"}
            link.status = "superseded"
            link.version += 1
    return carried


# --------------------------------------------------------------------------- for the API


def start_run(user: Any, *, park: str | None = None, solver: str | None = None,
              cap: int | None = None) -> MatchRun:
    """Run the matcher for a park manager (their park) or an admin (any park, or all)."""
    from geodata.parks import park_by_key

    from exchange.domain.errors import PermissionDenied, ValidationError

    if user.role == "park_manager":
        park = park or user.park
        if park != user.park:
            raise PermissionDenied("a park manager runs the matcher for their own park",
                                   {"park": [f"you manage {user.park}"]})
    elif user.role != "admin":
        raise PermissionDenied("running the matcher needs the role park_manager or admin")
    if park:
        try:
            park_by_key(park)
        except KeyError:
            raise ValidationError(f"unknown park {park!r}", {"park": ["unknown park"]}) from None
    run, _ = run_match(solver=solver, cap=cap, park=park, user=user)
    return run


def run_view(run: MatchRun) -> dict[str, Any]:
    from sqlalchemy import func, select

    links = db.session.scalar(select(func.count()).select_from(Link).where(Link.match_run_id == run.id)) or 0
    return {"id": run.id, "status": run.status, "solver": run.solver, "park": run.park,
            "started_at": iso_utc(run.started_at), "finished_at": iso_utc(run.finished_at),
            "settings": run.settings, "summary": run.summary, "stats": run.stats, "error": run.error,
            "links": links}


def latest_run_view(park: str | None = None) -> dict[str, Any]:
    """The latest finished run (of ``park`` if given: a run of that park or of the whole province)."""
    from sqlalchemy import or_, select

    from exchange.domain.errors import NotFound

    q = select(MatchRun).where(MatchRun.status == "done")
    if park:
        q = q.where(or_(MatchRun.park == park, MatchRun.park.is_(None)))
    run = db.session.scalar(q.order_by(MatchRun.id.desc()).limit(1))
    if run is None:
        raise NotFound("no finished match run yet")
    return run_view(run)


def get_run_view(run_id: int) -> dict[str, Any]:
    from exchange.domain.errors import NotFound

    run = db.session.get(MatchRun, run_id)
    if run is None:
        raise NotFound(f"no match run {run_id}")
    return run_view(run)

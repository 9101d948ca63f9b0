"""Match-run use case: load active listings, run the matcher, store the run."""

from __future__ import annotations

from typing import Any

from flask import current_app

from exchange.domain.factors import Defaults
from exchange.matching import MatchResult, match
from exchange.persistence import db
from exchange.persistence import repositories as repo
from exchange.persistence.models import Link, MatchRun, UnmatchedEntry, utcnow


def run_match(*, solver: str | None = None, cap: int | None = None,
              overrides: dict[str, float] | None = None) -> tuple[MatchRun, MatchResult]:
    """Run the matcher over every active listing and store links and unmatched entries."""
    solver = solver or current_app.config["MATCH_SOLVER"]
    if cap is None:
        cap = current_app.config["MATCH_CAP"] or None
    defaults = Defaults(overrides)
    rows = repo.active_listings()
    listings = [repo.to_domain(r) for r in rows]
    run = MatchRun(solver=solver, settings={"cap": cap, "overrides": dict(overrides or {})})
    db.session.add(run)
    db.session.flush()
    try:
        result = match(listings, defaults, solver=solver, cap=cap)
    except Exception as exc:
        db.session.rollback()
        failed = MatchRun(solver=solver, status="failed", error=f"{type(exc).__name__}: {exc}", finished_at=utcnow())
        db.session.add(failed)
        db.session.commit()
        raise
    for pl in result.links:
        d: dict[str, Any] = pl.as_dict()
        db.session.add(Link(
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
    db.session.commit()
    return run, result

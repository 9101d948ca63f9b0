"""The fast paths of a stored match run: Core loading and bulk storing keep every field as the ORM would."""

from __future__ import annotations

import dataclasses

import pytest
from sqlalchemy import select

from exchange.persistence import db
from exchange.persistence import repositories as repo
from exchange.persistence.models import Link, Listing, MatchRun, UnmatchedEntry, iso_utc


def _rows(make_row):  # type: ignore[no-untyped-def]
    return [
        make_row(ref="A", organisation="Plant", quantity=1000, site="Unit 1", description="ash of unit 1"),
        make_row(ref="B", organisation="Cement", role="sink", grade="II", lat=36.7, quantity=400),
        make_row(ref="H", organisation="Plant", material="waste_heat", grade=None, temperature_c=95,
                 quantity=20_000, unit="MWh/yr", available_months="11-3", lat=36.61, lon=117.01,
                 hours_per_year=4000, max_distance_km=15, price_rmb_per_unit=30),
        make_row(ref="N", organisation="Heating", role="sink", material="waste_heat", grade=None, temperature_c=70,
                 quantity=8000, unit="MWh/yr", lat=36.62, lon=117.02, return_temperature_c=45),
    ]


def test_core_loading_equals_the_orm_path(app, make_row):
    from exchange.services.listings import import_rows

    import_rows(_rows(make_row))
    a = db.session.scalar(select(Listing).where(Listing.ref == "A"))
    a.committed = 250.0  # an agreed link holds a quarter
    db.session.commit()
    fast = {d.id: d for d in repo.matcher_listings()}
    rows = repo.active_listings()
    assert set(fast) == {r.id for r in rows}
    for r in rows:
        d = repo.to_domain(r)
        left = repo.uncommitted(r)
        if left < d.quantity:
            d = dataclasses.replace(d, quantity=left, entered_quantity=d.entered_quantity * left / d.quantity)
        # what the matcher does not read is left out of the fast path; the stored park comes along
        expected = dataclasses.replace(d, site=None, description=None, park=r.park)
        assert fast[r.id] == expected
    assert fast[a.id].quantity == pytest.approx(750.0)
    a.committed = a.quantity
    db.session.commit()
    assert a.id not in {d.id for d in repo.matcher_listings()}  # fully held: nothing to plan


def test_bulk_stored_links_read_back_as_the_matcher_made_them(app, make_row):
    from exchange.services.listings import import_rows
    from exchange.services.matching import run_match

    import_rows(_rows(make_row))
    run, result = run_match()
    assert result.links and result.unmatched
    db.session.expire_all()
    stored = {(l.source_id, l.sink_id): l for l in db.session.scalars(select(Link).where(Link.match_run_id == run.id))}
    assert len(stored) == len(result.links)
    for pl in result.links:
        link = stored[(pl.source.id, pl.sink.id)]
        assert link.status == "proposed" and link.version == 1 and link.approvals == {}
        assert link.requires == list(pl.requires) and link.details == pl.details
        assert link.explanation == pl.explanation and link.quantity == pl.quantity
        assert link.net_benefit_rmb_per_yr == pl.net_benefit_rmb_per_yr
        assert iso_utc(link.created_at) is not None and link.source_interest_at is None
    entries = db.session.scalars(select(UnmatchedEntry).where(UnmatchedEntry.match_run_id == run.id)).all()
    assert sorted((e.listing_id, e.code) for e in entries) == sorted((u.listing.id, u.code) for u in result.unmatched)
    done = db.session.get(MatchRun, run.id)
    assert done.status == "done" and done.stage == "done" and done.progress == 1.0 and done.finished_at


def test_a_rerun_supersedes_open_links_and_carries_interest(app, make_row):
    from exchange.persistence.models import utcnow
    from exchange.services.listings import import_rows
    from exchange.services.matching import run_match

    import_rows(_rows(make_row))
    run1, _ = run_match()
    first = db.session.scalars(select(Link).where(Link.match_run_id == run1.id).order_by(Link.id)).all()
    shown = first[0]
    shown.status, shown.sink_interest_at = "interest", utcnow()
    db.session.commit()
    run2, _ = run_match()
    db.session.expire_all()
    assert {l.status for l in db.session.scalars(select(Link).where(Link.match_run_id == run1.id))} == {"superseded"}
    again = db.session.scalar(select(Link).where(Link.match_run_id == run2.id, Link.source_id == shown.source_id,
                                                 Link.sink_id == shown.sink_id))
    assert again.status == "interest" and again.sink_interest_at is not None and again.source_interest_at is None

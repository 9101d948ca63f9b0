"""The exchange workflow (services): every step, who may take it, the quantity held, the audit log,
and a new match run that keeps agreed links and plans only what is left."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from exchange.domain.errors import Conflict, NotFound, PermissionDenied, ValidationError
from exchange.persistence import db
from exchange.persistence.models import AuditEntry, Link, Listing
from exchange.services import workflow as wf
from exchange.services.listings import create_listing
from exchange.services.matching import run_match

QILU = dict(lat=36.80, lon=118.25)          # qilu-chemical (requires approval)
ZIBO_TOWN = dict(lat=36.81, lon=118.05)     # Zibo city zone, outside the named park


def body(**kw):  # type: ignore[no-untyped-def]
    base = dict(ref="S", role="source", material="fly_ash", quantity=1000, unit="t/yr", grade="I", **QILU)
    base.update(kw)
    return base


@pytest.fixture()
def people(make_user):  # type: ignore[no-untyped-def]
    return {
        "seller": make_user("seller@example.cn", org="Ash Plant")[0],
        "buyer": make_user("buyer@example.cn", org="Cement Works")[0],
        "other": make_user("other@example.cn", org="Someone Else")[0],
        "manager": make_user("pm@example.cn", org="Qilu Authority", role="park_manager", park="qilu-chemical")[0],
        "zibo": make_user("zibo@example.cn", org="Zibo Authority", role="park_manager", park="city-370300")[0],
        "far": make_user("far@example.cn", org="Jinan Authority", role="park_manager", park="city-370100")[0],
        "admin": make_user("admin@example.cn", org="Operator", role="admin")[0],
    }


def _one_link(people, sink_at=QILU, sink_qty=600):  # type: ignore[no-untyped-def]
    create_listing(body(), people["seller"])
    create_listing(body(ref="K", role="sink", grade="II", quantity=sink_qty, **{**QILU, **sink_at,
                                                                                 "lat": sink_at["lat"] + 0.01}),
                   people["buyer"])
    run_match()
    (link,) = db.session.scalars(select(Link)).all()
    return link.id


def _committed(link_id: int) -> tuple[float, float]:
    db.session.expire_all()
    link = db.session.get(Link, link_id)
    return link.source.committed, link.sink.committed


def test_the_whole_way_with_the_quantity_held_and_released(people):
    lid = _one_link(people)
    assert wf.express_interest(lid, people["buyer"]).status == "interest"
    assert wf.accept(lid, people["seller"]).status == "interest"
    assert _committed(lid) == (0, 0)
    link = wf.accept(lid, people["buyer"])
    assert link.status == "accepted" and _committed(lid) == (600, 600)
    with pytest.raises(Conflict):
        wf.start(lid, people["seller"])  # the park must approve first
    link = wf.approve(lid, people["manager"], "fits the plan")
    assert link.status == "approved" and link.approvals["qilu-chemical"]["comment"] == "fits the plan"
    assert wf.start(lid, people["buyer"]).status == "active"
    link = wf.end(lid, people["seller"], "kiln closed")
    assert (link.status, link.reason) == ("ended", "kiln closed") and _committed(lid) == (0, 0)
    actions = [e.action for e in db.session.scalars(select(AuditEntry).where(AuditEntry.target_type == "link")
                                                    .order_by(AuditEntry.id))]
    assert actions == ["link.interest", "link.accept", "link.accept", "link.approve", "link.start", "link.end"]
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "link.approve")).one()
    assert (entry.actor, entry.parks, entry.details["to"]) == ("pm@example.cn", ",qilu-chemical,", "approved")


def test_approval_before_acceptance_and_links_across_two_parks(people):
    lid = _one_link(people, sink_at=ZIBO_TOWN)
    link = db.session.get(Link, lid)
    assert (link.source.park, link.sink.park) == ("qilu-chemical", "city-370300")
    wf.approve(lid, people["manager"], None)
    wf.accept(lid, people["seller"])
    assert wf.accept(lid, people["buyer"]).status == "accepted"  # Zibo has not approved yet
    with pytest.raises(Conflict):
        wf.approve(lid, people["manager"], "again")
    with pytest.raises(PermissionDenied):
        wf.approve(lid, people["far"], "not mine")  # sees the public link, manages neither park
    assert wf.approve(lid, people["zibo"], "ok").status == "approved"


def test_decline_and_reject_need_a_reason_and_give_back_the_quantity(people):
    lid = _one_link(people)
    with pytest.raises(ValidationError) as err:
        wf.decline(lid, people["buyer"], "  ")
    assert err.value.details == {"reason": ["is required"]}
    wf.accept(lid, people["seller"])
    wf.accept(lid, people["buyer"])
    assert _committed(lid) == (600, 600)
    with pytest.raises(ValidationError):
        wf.reject(lid, people["manager"], "")
    link = wf.reject(lid, people["manager"], "no permit for the route")
    assert (link.status, link.reason) == ("rejected", "no permit for the route") and _committed(lid) == (0, 0)
    for step in (wf.express_interest, wf.accept):
        with pytest.raises(Conflict):
            step(lid, people["seller"])


def test_who_may_take_each_step(people):
    lid = _one_link(people)
    with pytest.raises(PermissionDenied):
        wf.express_interest(lid, people["other"])  # sees the public link, is no side of it
    with pytest.raises(PermissionDenied):
        wf.accept(lid, people["manager"])
    with pytest.raises(PermissionDenied):
        wf.approve(lid, people["seller"], "self-approval")
    with pytest.raises(NotFound):
        wf.accept(10**6, people["seller"])
    # a private sink hides the link from the other organisation and the far park manager
    db.session.get(Link, lid).sink.visibility = "private"
    db.session.commit()
    with pytest.raises(NotFound):
        wf.express_interest(lid, people["other"])
    with pytest.raises(NotFound):
        wf.approve(lid, people["far"], "x")
    assert wf.approve(lid, people["admin"], "operator approves").approvals.keys() == {"qilu-chemical"}


def test_a_new_run_keeps_agreed_links_and_plans_only_what_is_left(people):
    lid = _one_link(people)                        # source 1000 t, sink K 600 t
    wf.accept(lid, people["seller"])
    wf.accept(lid, people["buyer"])
    create_listing(body(ref="K2", role="sink", grade="II", quantity=800, lat=36.79), people["other"])
    run2, result = run_match()
    db.session.expire_all()
    kept = db.session.get(Link, lid)
    assert kept.status == "accepted" and kept.match_run_id != run2.id
    new = db.session.scalars(select(Link).where(Link.match_run_id == run2.id)).all()
    assert [(lk.sink.ref, lk.quantity) for lk in new] == [("K2", 400.0)]   # only the 400 t left
    source = db.session.scalars(select(Listing).where(Listing.ref == "S")).one()
    assert source.committed == 600 and source.quantity == 1000
    assert {u.listing.ref for u in result.unmatched} == {"K2"}             # K2 wanted 800, got 400


def test_a_new_run_supersedes_open_links_and_carries_interest_over(people):
    lid = _one_link(people)
    wf.express_interest(lid, people["buyer"])
    run2, _ = run_match()
    db.session.expire_all()
    assert db.session.get(Link, lid).status == "superseded"
    (new,) = db.session.scalars(select(Link).where(Link.match_run_id == run2.id)).all()
    assert new.status == "interest" and new.sink_interest_at is not None and new.source_interest_at is None
    with pytest.raises(Conflict):
        wf.accept(lid, people["seller"])
    assert [v["id"] for v in wf.visible_links(people["seller"])] == [new.id]


def test_the_source_is_never_promised_twice(people):
    create_listing(body(quantity=1000), people["seller"])
    create_listing(body(ref="K1", role="sink", grade="II", quantity=1000, lat=36.81), people["buyer"])
    create_listing(body(ref="K2", role="sink", grade="II", quantity=1000, lat=36.79), people["other"])
    run_match()
    links = db.session.scalars(select(Link).order_by(Link.id)).all()
    assert len(links) == 1  # the matcher gives the 1000 t to one sink
    lk = links[0]
    other_sink = "K2" if lk.sink.ref == "K1" else "K1"
    # a second link to the other sink made by hand for the same tonnes
    twin = Link(**{c.name: getattr(lk, c.name) for c in Link.__table__.columns if c.name not in ("id",)})
    twin.sink_id = db.session.scalars(select(Listing.id).where(Listing.ref == other_sink)).one()
    db.session.add(twin)
    db.session.commit()
    first_buyer = people["buyer"] if lk.sink.ref == "K1" else people["other"]
    second_buyer = people["other"] if first_buyer is people["buyer"] else people["buyer"]
    wf.accept(lk.id, people["seller"])
    wf.accept(twin.id, people["seller"])
    wf.accept(lk.id, first_buyer)
    with pytest.raises(Conflict) as err:
        wf.accept(twin.id, second_buyer)
    assert "left uncommitted" in err.value.message
    db.session.expire_all()
    assert db.session.get(Link, twin.id).status == "interest"


def test_an_import_by_a_member_is_all_theirs(people):
    from exchange.domain.errors import ImportRejected
    from exchange.services.listings import import_file

    header = b"ref,organisation,role,material,lat,lon,quantity,unit,grade\n"
    mine = header + b"A1,,source,fly_ash,36.8,118.25,10,t/yr,I\nA2,Ash Plant,source,fly_ash,36.8,118.25,10,t/yr,I\n"
    assert import_file("a.csv", mine, people["seller"]).created == 2
    theirs = header + b"B1,Cement Works,source,fly_ash,36.8,118.25,10,t/yr,I\n"
    with pytest.raises(ImportRejected) as err:
        import_file("b.csv", theirs, people["seller"])
    assert [(e.row, e.field) for e in err.value.errors] == [(1, "organisation")]
    assert import_file("b.csv", theirs, people["admin"]).created == 1
    owners = {r.ref: r.organisation.name for r in db.session.scalars(select(Listing))}
    assert owners == {"A1": "Ash Plant", "A2": "Ash Plant", "B1": "Cement Works"}


def test_a_run_that_fails_after_storing_some_materials_leaves_the_database_as_it_was(people, monkeypatch):
    """Each material's links go in as soon as it is matched; a later failure rolls all of them back."""
    import exchange.matching as matching_pkg
    from exchange.persistence.models import MatchRun, UnmatchedEntry

    lid = _one_link(people)  # a fly ash link, proposed
    create_listing(body(ref="G", material="fgd_gypsum", grade=None, purity_pct=95), people["seller"])
    create_listing(body(ref="GK", role="sink", material="fgd_gypsum", grade=None, purity_pct=90,
                        lat=QILU["lat"] + 0.02), people["buyer"])
    before = [(l.id, l.status, l.match_run_id) for l in db.session.scalars(select(Link).order_by(Link.id))]
    unmatched_before = db.session.scalar(select(db.func.count()).select_from(UnmatchedEntry))
    real = matching_pkg._material_result
    stored = []

    def second_material_fails(net, flows, key, *, defaults):  # type: ignore[no-untyped-def]
        if stored:
            raise RuntimeError("disk full")
        part = real(net, flows, key, defaults=defaults)
        stored.append(key)
        return part

    import exchange.services.matching as service

    inserted = []
    real_add = service._LinkWriter.add

    def add(self, links):  # type: ignore[no-untyped-def]
        real_add(self, links)
        mine = select(db.func.count()).select_from(Link).where(Link.match_run_id == self.run.id)
        inserted.append(db.session.scalar(mine))

    monkeypatch.setattr(matching_pkg, "_material_result", second_material_fails)
    monkeypatch.setattr(service._LinkWriter, "add", add)
    with pytest.raises(RuntimeError, match="disk full"):
        run_match()
    assert stored == ["fly_ash"] and inserted == [1]  # in the run's transaction before the failure
    db.session.expire_all()
    assert [(l.id, l.status, l.match_run_id) for l in db.session.scalars(select(Link).order_by(Link.id))] == before
    assert db.session.get(Link, lid).status == "proposed"
    assert db.session.scalar(select(db.func.count()).select_from(UnmatchedEntry)) == unmatched_before
    assert db.session.scalars(select(MatchRun).order_by(MatchRun.id.desc())).first().status == "failed"

"""Helpers for the API tests: a small world of organisations, users, listings and one link, for the API tests.

Parks: Qilu Chemical Industry Park (``qilu-chemical``) holds both listings;
the Jinan city zone (``city-370100``) is "another park".
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from exchange.persistence import db
from exchange.persistence.models import Link, Listing, MatchRun

QILU = (36.80, 118.25)      # inside qilu-chemical
QILU_2 = (36.81, 118.26)


def listing_row(**overrides: Any) -> dict[str, Any]:
    """A valid fly-ash source body for POST /api/v1/listings (no organisation: the caller's)."""
    base: dict[str, Any] = dict(ref="S1", role="source", material="fly_ash", lat=QILU[0], lon=QILU[1],
                                quantity=1000, unit="t/yr", grade="I")
    base.update(overrides)
    return base


def add_listing(user: Any, **overrides: Any) -> Listing:
    from exchange.services.listings import create_listing

    return create_listing(listing_row(**overrides), user)


def add_link(source: Listing, sink: Listing, quantity: float, *, delivered: float | None = None,
             run: MatchRun | None = None, **fields: Any) -> Link:
    """A stored link as a match run would make it (figures made up but consistent)."""
    if run is None:
        run = MatchRun(solver="networkx", status="done", settings={}, summary={}, stats={})
        db.session.add(run)
        db.session.flush()
    link = Link(match_run_id=run.id, source_id=source.id, sink_id=sink.id, material=source.material,
                quantity=quantity, delivered=quantity if delivered is None else delivered, unit=source.unit,
                distance_km=1.42, route_km=1.85, transport="truck", requires=[], transport_cost_rmb_per_yr=9388.0,
                upgrade_cost_rmb_per_yr=0.0, value_rmb_per_yr=72000.0, net_benefit_rmb_per_yr=77612.0,
                co2_avoided_t_per_yr=407.9, explanation=f"{source.ref} ({source.organisation.name}) -> {sink.ref} "
                f"({sink.organisation.name}): fly ash", details={"distance_km": 1.42}, **fields)
    db.session.add(link)
    db.session.commit()
    return link


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)

    def auth(self, who: str) -> dict[str, str]:
        return {} if who == "anonymous" else {"Authorization": f"Bearer {self.tokens[who]}"}


#: who is who: name -> (organisation, role, park)
PEOPLE = {
    "member_a": ("Ash Plant A", "member", None),           # owns the public source
    "member_b": ("Cement B", "member", None),              # owns the private sink
    "member_c": ("Outsider C", "member", None),            # another organisation
    "manager_p": ("Qilu Park Authority", "park_manager", "qilu-chemical"),   # the listings' park
    "manager_q": ("Jinan Zone Authority", "park_manager", "city-370100"),    # another park
    "admin": ("Exchange Operator", "admin", None),
}


def build_world() -> World:
    from exchange.services.accounts import create_user

    w = World()
    for name, (org, role, park) in PEOPLE.items():
        user, token = create_user(f"{name}@example.cn", None, org, role, park)
        w.users[name], w.tokens[name] = user, token
    src = add_listing(w.users["member_a"], ref="A-ASH", visibility="public")
    snk = add_listing(w.users["member_b"], ref="B-CEM", role="sink", lat=QILU_2[0], lon=QILU_2[1], quantity=600,
                      grade="II", visibility="private")
    link = add_link(src, snk, 600.0)
    w.ids.update(public_listing=src.id, private_listing=snk.id, link=link.id, run=link.match_run_id)
    return w


def wipe() -> None:
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())


def snapshot(*, skip: tuple[str, ...] = ("audit_log",)) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (but ``skip``), to prove a refused request changed nothing."""
    db.session.remove()
    out = {}
    with db.engine.connect() as conn:
        for table in db.metadata.sorted_tables:
            if table.name in skip:
                continue
            rows = conn.execute(table.select().order_by(*table.primary_key.columns)).all()
            out[table.name] = [tuple(r) for r in rows]
    return out


def restore(rows: dict[str, list[tuple[Any, ...]]]) -> None:
    """Empty every table and put back a :func:`snapshot` (same ids, so tokens and URLs stay valid)."""
    db.session.remove()
    with db.engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            conn.execute(table.delete())
        for table in db.metadata.sorted_tables:
            data = rows.get(table.name)
            if data:
                names = [c.name for c in table.columns]
                conn.execute(table.insert(), [dict(zip(names, r)) for r in data])


_CACHED: list[tuple[World, dict[str, list[tuple[Any, ...]]]]] = []


def fresh_world() -> World:
    """:func:`build_world` once per test session, then restored from its rows (fast)."""
    if not _CACHED:
        wipe()
        w = build_world()
        _CACHED.append((w, snapshot(skip=())))
        return w
    w, rows = _CACHED[0]
    restore(rows)
    return w


@pytest.fixture()
def world(app) -> World:  # type: ignore[no-untyped-def]
    """Six users (see :data:`PEOPLE`), a public source, a private sink and a proposed link between them.

    Import it into a test module (``from api_world import world``) to use it.
    """
    return build_world()

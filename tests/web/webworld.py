"""A small world for the page tests: five listings in and around Zibo, one match run, five users.

Parks: the Qilu Chemical Industry Park (``qilu-chemical``) holds the fly-ash
source and the heat source; the other listings are in the Zibo city exchange
zone (``city-370300``). One sink is ``anonymous`` and one is ``private``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from exchange.persistence import db
from exchange.persistence.models import Link, Listing

PASSWORD = "correct-horse-battery"
QILU = (36.80, 118.25)
ZIBO = (36.75, 118.05)

ROWS: list[dict[str, Any]] = [
    dict(ref="ASH-1", organisation="Ash Power", role="source", material="fly_ash", lat=QILU[0], lon=QILU[1],
         quantity=1000, unit="t/yr", grade="I", site="Linzi plant"),
    dict(ref="ASH-NEED", organisation="Cement Co", role="sink", material="fly_ash", lat=ZIBO[0], lon=ZIBO[1],
         quantity=600, unit="t/yr", grade="II"),
    dict(ref="ASH-NEED-2", organisation="Block Co", role="sink", material="fly_ash", lat=36.70, lon=118.00,
         quantity=300, unit="t/yr", grade="III"),
    dict(ref="HEAT-1", organisation="Ash Power", role="source", material="waste_heat", lat=36.81, lon=118.26,
         quantity=50000, unit="MWh/yr", temperature_c=110),
    dict(ref="HEAT-NEED", organisation="Zibo Heating", role="sink", material="waste_heat", lat=36.78, lon=118.10,
         quantity=30000, unit="MWh/yr", temperature_c=80),
]


@dataclass
class World:
    users: dict[str, Any] = field(default_factory=dict)
    listings: dict[str, int] = field(default_factory=dict)

    def listing(self, ref: str) -> Listing:
        return db.session.get(Listing, self.listings[ref])  # type: ignore[return-value]

    def link(self, source_ref: str, sink_ref: str) -> Link:
        from sqlalchemy import select

        return db.session.scalar(select(Link).where(Link.source_id == self.listings[source_ref],
                                                    Link.sink_id == self.listings[sink_ref],
                                                    Link.status != "superseded"))  # type: ignore[return-value]


USERS = {"ash": ("Ash Power", "member", None), "cement": ("Cement Co", "member", None),
         "qilu": ("Qilu Park Authority", "park_manager", "qilu-chemical"),
         "zibo": ("Zibo Zone Authority", "park_manager", "city-370300"), "admin": ("Exchange Ops", "admin", None)}


def build(*users: str, anonymous: str | None = "ASH-NEED-2", private: str | None = None,
          match: bool = True) -> World:
    """Import the rows, set visibilities, run the matcher, create the named users (argon2 is slow: ask only
    for the users a test needs)."""
    from exchange.services.accounts import create_user
    from exchange.services.listings import import_rows
    from exchange.services.matching import run_match

    import_rows(ROWS)
    w = World()
    for row in db.session.scalars(db.select(Listing)):
        w.listings[row.ref] = row.id
        if row.ref == anonymous:
            row.visibility = "anonymous"
        if row.ref == private:
            row.visibility = "private"
    db.session.commit()
    if match:
        run_match()
    for name in users:
        org, role, park = USERS[name]
        user, _ = create_user(f"{name}@example.com", PASSWORD, org, role, park)
        w.users[name] = user
    db.session.commit()
    return w


def login(client: Any, who: str) -> None:
    resp = client.post("/login", data={"email": f"{who}@example.com", "password": PASSWORD})
    assert resp.status_code == 302, resp.data[:300]

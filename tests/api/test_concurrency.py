"""Real parallel requests against a running server: the last tonnes are promised once.

A source lists 1,000 t/yr; twenty sinks of twenty organisations each have a
link for all of it, already accepted by the source. The twenty sink
organisations accept at the same moment (threads released by a barrier,
each with its own HTTP connection to a threaded werkzeug server on a free
port): exactly one gets 200, nineteen get 409, and the source's committed
quantity is exactly its listed quantity. Runs on whichever database the suite
uses (SQLite by default, PostgreSQL with ``TEST_DATABASE_URL``).
"""

from __future__ import annotations

import http.client
import json
import threading
from collections import Counter

import pytest
from api_world import add_link, add_listing
from sqlalchemy import select
from werkzeug.serving import make_server

from exchange.persistence import db
from exchange.persistence.models import Link, Listing, utcnow

N = 20


@pytest.fixture()
def server(app):  # type: ignore[no-untyped-def]
    srv = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv.server_port
    srv.shutdown()
    thread.join(10)


def _post_all(port: int, requests: list[tuple[str, str]]) -> list[tuple[int, dict]]:
    """POST every (path, token) at once from its own thread and connection; returns (status, body)."""
    barrier = threading.Barrier(len(requests))
    results: list[tuple[int, dict]] = [(0, {})] * len(requests)

    def one(i: int, path: str, token: str) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        conn.connect()
        barrier.wait()
        conn.request("POST", path, body=b"", headers={"Authorization": f"Bearer {token}",
                                                      "Content-Type": "application/json"})
        res = conn.getresponse()
        results[i] = (res.status, json.loads(res.read() or b"{}"))
        conn.close()

    threads = [threading.Thread(target=one, args=(i, p, t)) for i, (p, t) in enumerate(requests)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(90)
    return results


def test_twenty_simultaneous_accepts_of_the_last_tonnes_give_one_success(app, server, make_user):
    seller, _ = make_user("seller@example.cn", org="Ash Seller")
    source = add_listing(seller, ref="ASH", quantity=1000)
    requests = []
    now = utcnow()
    for i in range(N):
        buyer, token = make_user(f"buyer{i}@example.cn", org=f"Buyer {i}")
        sink = add_listing(buyer, ref=f"NEED-{i}", role="sink", grade="II", quantity=1000, lat=36.80 + i * 0.001)
        link = add_link(source, sink, 1000.0, status="interest", source_interest_at=now, source_accepted_at=now,
                        source_accepted_by_id=seller.id)
        requests.append((f"/api/v1/links/{link.id}/accept", token))
    source_id = source.id

    results = _post_all(server, requests)

    statuses = Counter(status for status, _ in results)
    assert statuses == {200: 1, 409: N - 1}, results
    for status, body in results:
        if status == 409:
            assert body["error"]["code"] == "conflict" and "left uncommitted" in body["error"]["message"]
    db.session.remove()
    assert db.session.get(Listing, source_id).committed == pytest.approx(1000.0)
    states = Counter(db.session.scalars(select(Link.status)).all())
    assert states == {"accepted": 1, "interest": N - 1}
    (winner,) = db.session.scalars(select(Link).where(Link.status == "accepted")).all()
    assert db.session.get(Listing, winner.sink_id).committed == pytest.approx(1000.0)


def test_one_link_accepted_twenty_times_at_once_is_accepted_once(app, server, make_user):
    """The same buyer's accept sent twenty times at once: one 200, the rest 409, the quantity held once."""
    seller, _ = make_user("seller@example.cn", org="Ash Seller")
    buyer, buyer_token = make_user("buyer@example.cn", org="Cement Buyer")
    source = add_listing(seller, ref="ASH", quantity=1000)
    sink = add_listing(buyer, ref="NEED", role="sink", grade="II", quantity=400)
    now = utcnow()
    link = add_link(source, sink, 400.0, status="interest", source_interest_at=now, source_accepted_at=now,
                    source_accepted_by_id=seller.id)
    ids = (link.id, source.id, sink.id)

    results = _post_all(server, [(f"/api/v1/links/{link.id}/accept", buyer_token)] * N)

    assert Counter(status for status, _ in results) == {200: 1, 409: N - 1}, results
    db.session.remove()
    assert db.session.get(Link, ids[0]).status == "accepted"
    assert db.session.get(Listing, ids[1]).committed == pytest.approx(400.0)
    assert db.session.get(Listing, ids[2]).committed == pytest.approx(400.0)

"""The audit log: admins read all of it, a park manager the entries touching their park."""

from __future__ import annotations

from api_world import world  # noqa: F401  (fixture)


def test_who_reads_which_entries(client, world):  # noqa: F811
    link = world.ids["link"]
    assert client.post(f"/api/v1/links/{link}/interest", headers=world.auth("member_a")).status_code == 200
    assert client.post(f"/api/v1/links/{link}/approve", headers=world.auth("member_c")).status_code == 403
    everything = client.get("/api/v1/audit?limit=1000", headers=world.auth("admin")).json
    actions = [e["action"] for e in everything]
    assert {"user.create", "listing.create", "link.interest", "denied"} <= set(actions)
    step = next(e for e in everything if e["action"] == "link.interest")
    assert (step["actor"], step["organisation"], step["parks"], step["target_type"], step["target_id"]) == (
        "member_a@example.cn", "Ash Plant A", ["qilu-chemical"], "link", link)
    assert step["at"].endswith("+00:00")
    denial = next(e for e in everything if e["action"] == "denied")
    assert denial["actor"] == "member_c@example.cn" and denial["details"]["status"] == 403

    mine = client.get("/api/v1/audit", headers=world.auth("manager_p")).json
    assert mine and all("qilu-chemical" in e["parks"] for e in mine)
    assert "link.interest" in [e["action"] for e in mine]
    theirs = client.get("/api/v1/audit", headers=world.auth("manager_q")).json
    assert all("city-370100" in e["parks"] for e in theirs) and "link.interest" not in [e["action"] for e in theirs]
    res = client.get("/api/v1/audit?park=qilu-chemical", headers=world.auth("manager_q"))
    assert res.status_code == 403
    only = client.get("/api/v1/audit?action=link.interest", headers=world.auth("admin")).json
    assert [e["action"] for e in only] == ["link.interest"]

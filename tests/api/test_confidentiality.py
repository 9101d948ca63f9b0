"""Anonymous and private listings reveal nothing beyond their rules: API, exports and map data.

The secrets of each listing (organisation, reference, site, description,
exact coordinates and quantity) are looked for as text in every response an
outsider gets, so a leak through any field, header or export is caught.
"""

from __future__ import annotations

import json

import pytest
from api_world import add_link, add_listing
from sqlalchemy import select

from exchange.persistence import db
from exchange.persistence.models import AuditEntry
from exchange.services.visibility import quantity_band, snap

ANON = dict(ref="SECRET-REF-77", role="source", material="fly_ash", lat=36.81234, lon=118.26789,
            quantity=12345.6, unit="t/yr", grade="II", site="Hidden Works No 9", description="Kiln line 4 ash",
            visibility="anonymous")
PRIVATE = dict(ref="PRIV-REF-88", role="sink", material="fly_ash", lat=36.79876, lon=118.24321, quantity=7777.7,
               unit="t/yr", grade="III", site="Quiet Cement Site", description="our new mill",
               visibility="private")
SECRETS_ANON = ("Stealth Ash Co", "SECRET-REF-77", "Hidden Works No 9", "Kiln line 4", "36.81234", "118.26789",
                "12345.6")
SECRETS_PRIVATE = ("Shy Cement Co", "PRIV-REF-88", "Quiet Cement Site", "our new mill", "36.79876", "118.24321",
                   "7777.7", "7,777.7")
OUTSIDER_URLS = ("/api/v1/listings", "/api/v1/links", "/api/v1/exports/listings.geojson",
                 "/api/v1/exports/listings.csv", "/api/v1/exports/links.geojson", "/api/v1/exports/links.csv",
                 "/api/v1/parks", "/api/v1/parks/qilu-chemical")
#: the map data of the web pages, checked when those pages are installed
MAP_URLS = ("/map/listings.geojson", "/map/links.geojson")


@pytest.fixture()
def scene(app, make_user):  # type: ignore[no-untyped-def]
    seller, seller_token = make_user("seller@example.cn", org="Stealth Ash Co")
    buyer, buyer_token = make_user("buyer@example.cn", org="Shy Cement Co")
    _, outsider_token = make_user("outsider@example.cn", org="Curious Competitor")
    _, manager_token = make_user("pm@example.cn", org="Qilu Park Authority", role="park_manager",
                                 park="qilu-chemical")
    anon = add_listing(seller, **ANON)
    private = add_listing(buyer, **PRIVATE)
    link = add_link(anon, private, 7777.7)
    return {"seller": seller_token, "buyer": buyer_token, "outsider": outsider_token, "manager": manager_token,
            "anon": anon.id, "private": private.id, "link": link.id}


def _urls(app) -> list[str]:  # type: ignore[no-untyped-def]
    rules = {r.rule for r in app.url_map.iter_rules()}
    return list(OUTSIDER_URLS) + [u for u in MAP_URLS if u in rules]


def _text(res) -> str:  # type: ignore[no-untyped-def]
    return res.get_data(as_text=True) + json.dumps(dict(res.headers))


@pytest.mark.parametrize("who", ["visitor", "outsider"])
def test_outsiders_learn_nothing_secret(app, client, scene, bearer, who):
    headers = {} if who == "visitor" else bearer(scene["outsider"])
    for url in _urls(app):
        res = client.get(url, headers=headers)
        assert res.status_code == 200, url
        text = _text(res)
        for secret in SECRETS_ANON + SECRETS_PRIVATE:
            assert secret not in text, f"{url} shows {secret!r} to {who}"
        assert "PRIV" not in text and "Shy" not in text
    for url in (f"/api/v1/listings/{scene['anon']}", f"/api/v1/listings/{scene['private']}",
                f"/api/v1/links/{scene['link']}"):
        res = client.get(url, headers=headers)
        assert res.status_code == 404, url
        assert not any(s in _text(res) for s in SECRETS_ANON + SECRETS_PRIVATE)


def test_an_anonymous_listing_shows_only_its_allowed_fields(client, scene):
    (item,) = client.get("/api/v1/listings").json["items"]
    lat, lon = snap(ANON["lat"], ANON["lon"])
    lo, hi = quantity_band(ANON["quantity"])
    assert item == {
        "access": "anonymous", "id": None, "key": item["key"], "visibility": "anonymous", "role": "source",
        "material": "fly_ash", "lat": lat, "lon": lon, "approximate": True, "quantity_band": {"min": lo, "max": hi},
        "unit": "t/yr", "quality": {"grade": "II"}, "grade": "II", "available_months": list(range(1, 13)),
        "park": "qilu-chemical", "status": "active"}
    assert (lo, hi) == (10000.0, 20000.0)
    assert abs(lat - ANON["lat"]) <= 0.025 and abs(lon - ANON["lon"]) <= 0.025
    assert item["key"].startswith("anon-") and len(item["key"]) == 21 and item["key"] != f"listing-{scene['anon']}"
    assert client.get("/api/v1/listings").json["items"][0]["key"] == item["key"]  # stable


def test_a_tiny_box_around_the_exact_location_does_not_find_an_anonymous_listing(client, scene):
    lat, lon = ANON["lat"], ANON["lon"]
    tiny = f"{lon - 0.0005},{lat - 0.0005},{lon + 0.0005},{lat + 0.0005}"
    assert client.get(f"/api/v1/listings?bbox={tiny}").json["total"] == 0
    assert client.get(f"/api/v1/listings?lat={lat}&lon={lon}&radius_km=0.1").json["total"] == 0
    slat, slon = snap(lat, lon)
    around_cell = f"{slon - 0.001},{slat - 0.001},{slon + 0.001},{slat + 0.001}"
    assert client.get(f"/api/v1/listings?bbox={around_cell}").json["total"] == 1


def test_the_owner_and_the_park_manager_see_everything(client, scene, bearer):
    for who in ("seller", "manager"):
        res = client.get(f"/api/v1/listings/{scene['anon']}", headers=bearer(scene[who]))
        assert res.status_code == 200
        assert (res.json["organisation"], res.json["lat"], res.json["quantity"]) == (
            "Stealth Ash Co", ANON["lat"], ANON["quantity"])
    res = client.get(f"/api/v1/listings/{scene['private']}", headers=bearer(scene["manager"]))
    assert res.status_code == 200 and res.json["ref"] == "PRIV-REF-88"
    csv = client.get("/api/v1/exports/listings.csv", headers=bearer(scene["manager"])).get_data(as_text=True)
    assert "PRIV-REF-88" in csv and "SECRET-REF-77" in csv


def test_the_counterpart_sees_a_private_listing_only_after_both_showed_interest(client, scene, bearer):
    seller = bearer(scene["seller"])
    link = client.get(f"/api/v1/links/{scene['link']}", headers=seller).json
    assert link["sink"] == {"access": "withheld", "id": None, "key": None, "visibility": "private",
                            "role": "sink", "material": "fly_ash"}
    assert link["exact"] is False and "explanation" not in link and link["distance_km"] % 5 == 0
    assert client.get(f"/api/v1/listings/{scene['private']}", headers=seller).status_code == 404
    assert client.post(f"/api/v1/links/{scene['link']}/interest", headers=seller).status_code == 200
    assert client.get(f"/api/v1/listings/{scene['private']}", headers=seller).status_code == 404  # one side only
    assert client.post(f"/api/v1/links/{scene['link']}/interest", headers=bearer(scene["buyer"])).status_code == 200
    res = client.get(f"/api/v1/listings/{scene['private']}", headers=seller)
    assert res.status_code == 200 and res.json["organisation"] == "Shy Cement Co"
    link = client.get(f"/api/v1/links/{scene['link']}", headers=seller).json
    assert link["sink"]["access"] == "full" and link["exact"] is True and "Shy Cement Co" in link["explanation"]
    # ...and that read of a private listing is in the audit log
    db.session.remove()
    reads = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "read_private")).all()
    assert any(scene["private"] in e.details["listings"] and e.actor == "seller@example.cn" for e in reads)
    # a third organisation still sees nothing
    outsider = bearer(scene["outsider"])
    assert client.get(f"/api/v1/listings/{scene['private']}", headers=outsider).status_code == 404


def test_withdrawn_listings_disappear_for_others(client, scene, bearer):
    seller = bearer(scene["seller"])
    client.patch(f"/api/v1/listings/{scene['anon']}", json={"visibility": "public"}, headers=seller)
    assert client.get(f"/api/v1/listings/{scene['anon']}").status_code == 200
    assert client.delete(f"/api/v1/listings/{scene['anon']}", headers=seller).status_code == 204
    assert client.get(f"/api/v1/listings/{scene['anon']}").status_code == 404
    assert client.get(f"/api/v1/listings/{scene['anon']}", headers=seller).json["status"] == "withdrawn"
    assert client.get("/api/v1/listings").json["total"] == 0

"""Listings through the API: create (201 + Location), validation in the one error format, edit,
withdraw, and the search filters."""

from __future__ import annotations

import pytest
from api_world import QILU, add_link, add_listing, listing_row
from sqlalchemy import func, select

from exchange.persistence import db
from exchange.persistence.models import Listing


@pytest.fixture()
def ana(make_user):  # type: ignore[no-untyped-def]
    user, token = make_user("ana@example.cn", org="Ash Plant A")
    return user, {"Authorization": f"Bearer {token}"}


def _count() -> int:
    return db.session.scalar(select(func.count()).select_from(Listing)) or 0


def test_create_returns_201_with_location_and_belongs_to_the_caller(client, ana):
    res = client.post("/api/v1/listings", json=listing_row(quantity=12, unit="kt/yr"), headers=ana[1])
    assert res.status_code == 201
    assert res.headers["Location"] == f"/api/v1/listings/{res.json['id']}"
    assert (res.json["organisation"], res.json["quantity"], res.json["unit"], res.json["entered_unit"]) == (
        "Ash Plant A", 12000.0, "t/yr", "kt/yr")
    assert res.json["park"] == "qilu-chemical" and res.json["visibility"] == "public"
    assert client.get(res.headers["Location"]).json["id"] == res.json["id"]


@pytest.mark.parametrize("field", ["organisation", "owner", "organisation_id", "status", "park"])
def test_a_body_setting_owner_status_or_park_is_refused_naming_the_field(client, ana, field):
    res = client.post("/api/v1/listings", json=listing_row(**{field: "Other Co"}), headers=ana[1])
    assert res.status_code == 422
    err = res.json["error"]
    assert err["code"] == "invalid" and list(err["details"]) == [field]
    assert _count() == 0


def test_validation_errors_name_every_field(client, ana):
    res = client.post("/api/v1/listings", json={"role": "seller", "lat": 95}, headers=ana[1])
    assert res.status_code == 422
    details = res.json["error"]["details"]
    assert {"role", "lat", "ref", "material", "lon", "quantity", "unit"} <= set(details)
    assert all(isinstance(v, list) and v for v in details.values())
    # the domain rules (units, grades) come from the one listing parser, same format
    res = client.post("/api/v1/listings", json=listing_row(unit="kg", grade="V"), headers=ana[1])
    assert res.status_code == 422 and set(res.json["error"]["details"]) == {"unit", "grade"}
    res = client.post("/api/v1/listings", json=listing_row(visibility="secret"), headers=ana[1])
    assert res.status_code == 422 and "visibility" in res.json["error"]["details"]
    res = client.post("/api/v1/listings", json=listing_row(colour="red"), headers=ana[1])
    assert res.status_code == 422 and "colour" in res.json["error"]["details"]
    assert _count() == 0


def test_a_duplicate_ref_is_a_conflict(client, ana):
    assert client.post("/api/v1/listings", json=listing_row(), headers=ana[1]).status_code == 201
    res = client.post("/api/v1/listings", json=listing_row(), headers=ana[1])
    assert res.status_code == 409 and res.json["error"]["details"] == {"ref": ["is taken"]}


def test_patch_revalidates_the_whole_listing(client, ana):
    lid = client.post("/api/v1/listings", json=listing_row(), headers=ana[1]).json["id"]
    res = client.patch(f"/api/v1/listings/{lid}", json={"quantity": 2, "unit": "kt/yr", "visibility": "anonymous"},
                       headers=ana[1])
    assert res.status_code == 200
    assert (res.json["quantity"], res.json["visibility"], res.json["version"]) == (2000.0, "anonymous", 2)
    res = client.patch(f"/api/v1/listings/{lid}", json={"material": "fgd_gypsum"}, headers=ana[1])
    assert res.status_code == 422 and "purity_pct" in res.json["error"]["details"]
    res = client.patch(f"/api/v1/listings/{lid}", json={"material": "fgd_gypsum", "purity_pct": 92},
                       headers=ana[1])
    assert res.status_code == 200 and res.json["quality"] == {"purity_pct": 92.0}
    res = client.patch(f"/api/v1/listings/{lid}", json={"organisation": "Other Co"}, headers=ana[1])
    assert res.status_code == 422 and list(res.json["error"]["details"]) == ["organisation"]
    res = client.patch(f"/api/v1/listings/{lid}", json={"lat": 36.65, "lon": 117.0}, headers=ana[1])
    assert res.json["park"] != "qilu-chemical"  # the park follows the location


def test_agreed_quantities_protect_a_listing(client, ana, make_user):
    seller = ana[0]
    buyer, _ = make_user("bo@example.cn", org="Cement B")
    source = add_listing(seller, quantity=1000)
    sink = add_listing(buyer, ref="K", role="sink", grade="II", quantity=600)
    add_link(source, sink, 600.0, status="accepted")
    db.session.get(Listing, source.id).committed = 600.0
    db.session.commit()
    res = client.patch(f"/api/v1/listings/{source.id}", json={"quantity": 500}, headers=ana[1])
    assert res.status_code == 409 and "quantity" in res.json["error"]["details"]
    assert client.patch(f"/api/v1/listings/{source.id}", json={"quantity": 600}, headers=ana[1]).status_code == 200
    assert client.delete(f"/api/v1/listings/{source.id}", headers=ana[1]).status_code == 409


def test_withdraw_declines_open_links(client, ana, make_user):
    buyer, buyer_token = make_user("bo@example.cn", org="Cement B")
    source = add_listing(ana[0])
    sink = add_listing(buyer, ref="K", role="sink", grade="II", quantity=600)
    link = add_link(source, sink, 600.0)
    assert client.delete(f"/api/v1/listings/{source.id}", headers=ana[1]).status_code == 204
    res = client.get(f"/api/v1/links/{link.id}", headers={"Authorization": f"Bearer {buyer_token}"})
    assert res.json["status"] == "declined" and res.json["workflow"]["reason"] == "listing withdrawn"
    assert client.delete(f"/api/v1/listings/{source.id}", headers=ana[1]).status_code == 409


def test_search_filters(client, ana):
    h = ana[1]
    rows = [listing_row(ref="ASH-QILU"),
            listing_row(ref="ASH-JINAN", lat=36.65, lon=117.0),
            listing_row(ref="GYP-QILU", material="fgd_gypsum", grade=None, purity_pct=93, lat=QILU[0] + 0.01),
            listing_row(ref="SINK-QILU", role="sink", grade="II", lat=QILU[0] + 0.02)]
    for r in rows:
        assert client.post("/api/v1/listings", json=r, headers=h).status_code == 201

    def refs(query: str) -> list[str]:
        res = client.get(f"/api/v1/listings?{query}")
        assert res.status_code == 200, res.json
        return sorted(i["ref"] for i in res.json["items"])

    assert refs("material=fly_ash") == ["ASH-JINAN", "ASH-QILU", "SINK-QILU"]
    assert refs("material=fly_ash,fgd_gypsum&role=source") == ["ASH-JINAN", "ASH-QILU", "GYP-QILU"]
    assert refs("park=qilu-chemical") == ["ASH-QILU", "GYP-QILU", "SINK-QILU"]
    assert refs("bbox=116.9,36.6,117.1,36.7") == ["ASH-JINAN"]
    assert refs(f"lat={QILU[0]}&lon={QILU[1]}&radius_km=1.5") == ["ASH-QILU", "GYP-QILU"]
    assert refs("limit=2&offset=1") == ["ASH-JINAN", "GYP-QILU"]
    assert client.get("/api/v1/listings?limit=2").json["total"] == 4
    res = client.get(f"/api/v1/listings?lat={QILU[0]}&radius_km=5")
    assert res.status_code == 422 and set(res.json["error"]["details"]) == {"lon"}
    assert client.get("/api/v1/listings?bbox=118,37,117,36").status_code == 422
    assert client.get("/api/v1/listings?material=plutonium").status_code == 422
    assert client.get("/api/v1/listings?mine=true").json["total"] == 0  # a visitor has no organisation
    assert client.get("/api/v1/listings?mine=true", headers=h).json["total"] == 4


def test_use_is_kept_and_a_heating_network_defaults_to_the_heating_season(client, ana):
    """``use`` was parsed (and set the months) but not stored: now it is kept, shown and editable."""
    body = listing_row(ref="DH", role="sink", material="waste_heat", grade=None, temperature_c=90,
                       quantity=50_000, unit="MWh/yr", use="District heating")
    res = client.post("/api/v1/listings", json=body, headers=ana[1])
    assert res.status_code == 201, res.json
    assert res.json["use"] == "district_heating" and res.json["available_months"] == [1, 2, 3, 11, 12]
    lid = res.json["id"]
    assert client.get(f"/api/v1/listings/{lid}", headers=ana[1]).json["use"] == "district_heating"
    # a change of something else keeps it (the stored listing is re-read whole)
    res = client.patch(f"/api/v1/listings/{lid}", json={"quantity": 60_000}, headers=ana[1])
    assert res.status_code == 200 and res.json["use"] == "district_heating"
    res = client.patch(f"/api/v1/listings/{lid}", json={"use": "spaceport"}, headers=ana[1])
    assert res.status_code == 422 and list(res.json["error"]["details"]) == ["use"]
    assert client.get(f"/api/v1/listings/{lid}", headers=ana[1]).json["use"] == "district_heating"
    res = client.patch(f"/api/v1/listings/{lid}", json={"use": None}, headers=ana[1])
    assert res.status_code == 200 and res.json["use"] is None

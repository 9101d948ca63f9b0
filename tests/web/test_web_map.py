"""The route map page and its data: what is drawn, for whom, and the base layer."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from exchange.persistence import db
from exchange.persistence.models import Link, Listing

import webworld


@pytest.fixture()
def world(app):  # type: ignore[no-untyped-def]
    return webworld.build()


def test_map_page_renders_with_config_and_vendored_scripts(client, world):
    resp = client.get("/")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert 'id="page-config"' in html and "/static/vendor/leaflet/leaflet.js" in html
    assert "/static/vendor/leaflet.markercluster/leaflet.markercluster.js" in html
    assert "http://" not in html.replace("http://www.w3.org", "") and "https://" not in html
    cfg = json.loads(html.split('<script id="page-config" type="application/json">')[1].split("</script>")[0])
    assert cfg["tileUrl"] == ""          # no tile layer unless MAP_TILE_URL is set
    assert set(cfg["colours"]) == {"waste_heat", "fly_ash", "fgd_gypsum", "hydrogen"}


def test_tile_layer_only_when_configured(app, client, world):
    app.config["MAP_TILE_URL"] = "http://127.0.0.1:9/tiles/{z}/{x}/{y}.png"
    html = client.get("/").get_data(as_text=True)
    assert "127.0.0.1:9/tiles" in html


def test_listings_geojson_counts_what_an_anonymous_visitor_may_see(client, world):
    fc = client.get("/map/listings.geojson").get_json()
    active = db.session.scalar(select(func.count()).select_from(Listing).where(Listing.status == "active"))
    assert len(fc["features"]) == active  # four public + one anonymous
    anon = [f for f in fc["features"] if f["properties"]["visibility"] == "anonymous"]
    assert len(anon) == 1
    a = anon[0]
    assert a["id"].startswith("anon-") and a["properties"]["organisation"] is None
    assert a["properties"]["quantity"] is None and a["properties"]["quantity_band"] == {"min": 200.0, "max": 500.0}
    lon, lat = a["geometry"]["coordinates"]
    assert (round(lat, 3), round(lon, 3)) == (36.725, 118.025)  # snapped to the 0.05 degree cell centre


def test_private_listing_is_not_on_the_public_map_but_its_owner_sees_it(app, client):
    w = webworld.build("cement", private="ASH-NEED")
    ids = {f["id"] for f in client.get("/map/listings.geojson").get_json()["features"]}
    assert w.listings["ASH-NEED"] not in ids
    webworld.login(client, "cement")
    ids = {f["id"] for f in client.get("/map/listings.geojson").get_json()["features"]}
    assert w.listings["ASH-NEED"] in ids


def test_links_geojson_draws_every_standing_link_between_shown_locations(client, world):
    fc = client.get("/map/links.geojson").get_json()
    standing = db.session.scalar(select(func.count()).select_from(Link).where(Link.status != "superseded"))
    assert standing > 0 and len(fc["features"]) == standing
    shown = {f["id"]: f["geometry"]["coordinates"] for f in client.get("/map/listings.geojson").get_json()["features"]}
    for f in fc["features"]:
        start, end = f["geometry"]["coordinates"]
        assert start == shown[f["properties"]["source_id"]] and end == shown[f["properties"]["sink_id"]]


def test_filters_on_the_data_endpoints(client, world):
    heat = client.get("/map/listings.geojson?material=waste_heat").get_json()["features"]
    assert {f["properties"]["material"] for f in heat} == {"waste_heat"} and len(heat) == 2
    sinks = client.get("/map/listings.geojson?role=sink").get_json()["features"]
    assert {f["properties"]["role"] for f in sinks} == {"sink"}
    qilu = client.get("/map/listings.geojson?park=qilu-chemical").get_json()["features"]
    assert {f["properties"]["ref"] for f in qilu} == {"ASH-1", "HEAT-1"}
    none = client.get("/map/links.geojson?status=approved").get_json()["features"]
    assert none == []


def test_link_details_have_every_figure_the_pane_shows(client, world):
    link = world.link("ASH-1", "ASH-NEED")
    d = client.get(f"/map/links/{link.id}.json").get_json()
    for key in ("quantity", "distance_km", "route_km", "transport", "requires", "cost_rmb_per_yr",
                "transport_cost_rmb_per_yr", "upgrade_cost_rmb_per_yr", "net_benefit_rmb_per_yr",
                "co2_avoided_t_per_yr", "explanation", "status", "actions", "workflow"):
        assert key in d, key
    assert d["source"]["quality"] == {"grade": "I"} and d["sink"]["quality"] == {"grade": "II"}
    assert d["actions"] == []  # an anonymous visitor may only look
    assert client.get("/map/links/999999.json").status_code == 404


def test_listing_details_list_its_links(client, world):
    d = client.get(f"/map/listings/{world.listings['ASH-1']}.json").get_json()
    assert d["organisation"] == "Ash Power" and d["links"]
    assert {lk["counterpart"]["ref"] for lk in d["links"]} <= {"ASH-NEED", None}


def test_base_layer_is_served_from_geodata_and_cached(client):
    resp = client.get("/map/base.json")
    assert resp.status_code == 200 and resp.headers["Cache-Control"].startswith("public")
    base = resp.get_json()
    assert len(base["cities"]["features"]) == 16
    assert {f["properties"]["key"] for f in base["parks"]["features"]} == {
        "jinan-qibuqu", "qilu-chemical", "chiping-xinyuan"}
    again = client.get("/map/base.json", headers={"If-None-Match": resp.headers["ETag"]})
    assert again.status_code == 304


def test_map_data_is_never_cached_by_the_browser(client, world):
    assert "no-store" in client.get("/map/listings.geojson").headers["Cache-Control"]


def test_favicon_is_served(client):
    resp = client.get("/favicon.ico")
    assert resp.status_code == 200 and resp.mimetype == "image/svg+xml"
    resp.close()


def test_licences_page_lists_the_vendored_libraries(client):
    resp = client.get("/licences")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    assert b"leaflet.markercluster" in resp.data and b"echarts" in resp.data
    resp.close()

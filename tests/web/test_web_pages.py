"""Pages: languages, listings (form, edit, withdraw, import), search, the park view and its decisions."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import select

from exchange.persistence import db
from exchange.persistence.models import Link, Listing

import webworld

# --------------------------------------------------------------------------- languages


def test_chinese_from_the_browser_and_english_by_default(client):
    zh = client.get("/parks", headers={"Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5"}).get_data(as_text=True)
    assert '<html lang="zh-CN">' in zh and "园区与城市交换区" in zh and "淄博市城市交换区" in zh
    en = client.get("/parks", headers={"Accept-Language": "en-GB,en;q=0.9"}).get_data(as_text=True)
    assert '<html lang="en">' in en and "Parks and city exchange zones" in en
    assert "Parks and city exchange zones" in client.get("/parks", headers={"Accept-Language": "fr"}).get_data(
        as_text=True)
    # traditional Chinese readers get the Chinese UI rather than English
    assert "园区与城市交换区" in client.get("/parks", headers={"Accept-Language": "zh-TW"}).get_data(as_text=True)


def test_language_switch_sets_a_cookie_and_goes_back(client):
    resp = client.get("/lang/zh_CN?next=/parks")
    assert resp.status_code == 302 and resp.headers["Location"] == "/parks"
    assert "lang=zh_CN" in resp.headers["Set-Cookie"]
    page = client.get("/parks", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert "园区与城市交换区" in page  # the cookie beats the browser's preference
    client.get("/lang/en")
    assert "Parks and city exchange zones" in client.get("/parks").get_data(as_text=True)
    assert client.get("/lang/fr").status_code == 404


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"])
def test_language_switch_is_no_open_redirect(client, target):
    resp = client.get("/lang/en", query_string={"next": target})
    assert resp.headers["Location"] == "/"


def test_numbers_are_formatted_for_the_locale(app):
    from flask_babel import force_locale

    from exchange.web.i18n import fmt_compact, fmt_number

    with app.test_request_context():
        with force_locale("zh_CN"):
            assert fmt_compact(36_690_556) == "3669.1万" and fmt_number(1234567.8) == "1,234,568"
        with force_locale("en"):
            assert fmt_compact(36_690_556) == "36.7M" and fmt_number(1234.5, 1) == "1,234.5"


def test_user_text_is_escaped(app, client):
    from exchange.services.listings import import_rows

    import_rows([dict(webworld.ROWS[0], organisation="<script>alert(1)</script>", ref="X")])
    html = client.get("/search?material=fly_ash&lat=36.8&lon=118.25&radius_km=50&looking_for=source").get_data(
        as_text=True)
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --------------------------------------------------------------------------- listings


def form(**overrides):
    base = dict(role="source", material="fgd_gypsum", ref="GYP-9", site="Zhangdian works", lat="36.78",
                lon="118.05", quantity="12", unit="kt/yr", purity_pct="93", visibility="public", grade="",
                temperature_c="")
    base.update(overrides)
    return base


def test_pages_that_need_an_account_send_visitors_to_log_in(client):
    for path in ("/listings/mine", "/listings/new", "/listings/import"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"], path


def test_register_a_listing_with_the_form(app, client):
    w = webworld.build("ash", match=False)
    webworld.login(client, "ash")
    assert client.get("/listings/new?role=sink").status_code == 200
    resp = client.post("/listings/new", data=form())
    assert resp.status_code == 302
    row = db.session.scalar(select(Listing).where(Listing.ref == "GYP-9"))
    assert row.organisation.name == "Ash Power" and row.quantity == 12000 and row.quality == {"purity_pct": 93.0}
    assert resp.headers["Location"].endswith(f"/?focus={row.id}")
    assert row.id in {f["id"] for f in client.get("/map/listings.geojson").get_json()["features"]}
    assert "GYP-9" in client.get("/listings/mine").get_data(as_text=True)
    assert w.users["ash"].organisation_id == row.organisation_id


def test_form_errors_are_shown_next_to_the_fields(app, client):
    webworld.build("ash", match=False)
    webworld.login(client, "ash")
    resp = client.post("/listings/new", data=form(lat="123", purity_pct="", unit="t"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422
    assert 'data-field="lat"' in html and "must be between -90 and 90" in html
    assert "is required for fgd_gypsum" in html and "is an amount, not a rate" in html
    assert 'value="123"' in html  # what was typed stays in the form
    assert db.session.scalar(select(Listing).where(Listing.ref == "GYP-9")) is None


def test_edit_and_withdraw_my_listing(app, client):
    w = webworld.build("ash", "cement", match=False)
    webworld.login(client, "ash")
    lid = w.listings["ASH-1"]
    page = client.get(f"/listings/{lid}/edit").get_data(as_text=True)
    assert 'value="ASH-1"' in page and 'value="1000"' in page
    values = form(role="source", material="fly_ash", ref="ASH-1", quantity="2", unit="kt/yr", grade="II",
                  purity_pct="", lat="36.80", lon="118.25")
    assert client.post(f"/listings/{lid}/edit", data=values).status_code == 302
    db.session.expire_all()
    row = db.session.get(Listing, lid)
    assert row.quantity == 2000 and row.quality == {"grade": "II"}
    # someone else's listing cannot be edited
    assert client.get(f"/listings/{w.listings['ASH-NEED']}/edit").status_code == 403
    assert client.post(f"/listings/{lid}/withdraw").status_code == 302
    db.session.expire_all()
    assert db.session.get(Listing, lid).status == "withdrawn"


def test_import_a_file_for_my_organisation(app, client):
    webworld.build("ash", match=False)
    webworld.login(client, "ash")
    csv = ("ref,organisation,role,material,lat,lon,quantity,unit,grade\n"
           "IMP-1,Ash Power,source,fly_ash,36.6,117.0,5,kt/yr,II\n"
           "IMP-2,,sink,fly_ash,36.7,117.1,3,kt/yr,III\n").encode()  # a blank organisation means mine
    resp = client.post("/listings/import", data={"file": (io.BytesIO(csv), "mine.csv")},
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    rows = db.session.scalars(select(Listing).where(Listing.ref.like("IMP-%"))).all()
    assert sorted(r.ref for r in rows) == ["IMP-1", "IMP-2"] and {r.organisation.name for r in rows} == {"Ash Power"}


def test_import_errors_are_listed_per_row_and_nothing_is_stored(app, client):
    webworld.build("ash", match=False)
    webworld.login(client, "ash")
    csv = ("ref,organisation,role,material,lat,lon,quantity,unit,grade\n"
           "B-1,Ash Power,source,fly_ash,36.6,117.0,5,kt/yr,II\n"
           "B-2,Ash Power,source,fly_ash,136.6,117.0,5,kt/yr,II\n"
           "B-3,Someone Else,source,fly_ash,36.6,117.0,5,kt/yr,IV\n").encode()
    resp = client.post("/listings/import", data={"file": (io.BytesIO(csv), "bad.csv")},
                       content_type="multipart/form-data")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and 'id="import-errors"' in html
    table = html.split('id="import-errors"')[1]
    assert table.index(">2<") < table.index(">3<")  # sorted by row
    assert "must be between -90 and 90" in table and "must be your organisation (Ash Power)" in table
    assert "must be one of I, II, III" in table
    assert db.session.scalar(select(Listing).where(Listing.ref.like("B-%"))) is None


def test_import_an_unreadable_file(app, client):
    webworld.build("ash", match=False)
    webworld.login(client, "ash")
    resp = client.post("/listings/import", data={"file": (io.BytesIO(b"\x00\x01garbage"), "x.pdf")},
                       content_type="multipart/form-data")
    assert resp.status_code == 422 and 'class="alert"' in resp.get_data(as_text=True)


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "json", "geojson"])
def test_templates_download(client, fmt):
    resp = client.get(f"/listings/template.{fmt}")
    assert resp.status_code == 200 and f"listings-template.{fmt}" in resp.headers["Content-Disposition"]
    assert len(resp.data) > 200
    assert client.get("/listings/template.pdf").status_code == 404


# --------------------------------------------------------------------------- search


def test_search_for_recyclers_nearest_first_compatible_only(app, client):
    webworld.build()
    html = client.get("/search", query_string=dict(material="fly_ash", looking_for="sink", quality="II",
                                                    lat="36.80", lon="118.25", radius_km="60")).get_data(as_text=True)
    table = html.split('id="results-table"')[1]
    # grade II ash suits the grade-II and the grade-III sink; the nearer comes first
    assert "Cement Co" in table and table.index("Cement Co") < table.index("Anonymous")
    html = client.get("/search", query_string=dict(material="fly_ash", looking_for="sink", quality="III",
                                                    lat="36.80", lon="118.25", radius_km="60")).get_data(as_text=True)
    assert "Cement Co" not in html.split('id="results"')[1]  # grade III cannot serve a grade-II need
    html = client.get("/search", query_string=dict(material="fly_ash", looking_for="sink", lat="36.80",
                                                    lon="118.25", radius_km="5")).get_data(as_text=True)
    assert "0 results" in html


def test_search_minimum_quantity_and_suppliers(app, client):
    webworld.build()
    html = client.get("/search", query_string=dict(material="fly_ash", looking_for="sink", lat="36.80",
                                                    lon="118.25", radius_km="60", min_quantity="550")).get_data(
        as_text=True)
    assert "1 result" in html and "Cement Co" in html
    html = client.get("/search", query_string=dict(material="waste_heat", looking_for="source", quality="90",
                                                    lat="36.78", lon="118.10", radius_km="30")).get_data(as_text=True)
    assert "Ash Power" in html.split('id="results"')[1]


def test_search_errors_name_the_field(client):
    html = client.get("/search", query_string=dict(material="fly_ash", lat="abc", lon="118", quality="V",
                                                    run="1")).get_data(as_text=True)
    assert "must be a number" in html and "must be one of I, II, III" in html


def test_search_service_doctests():
    import doctest

    from exchange.services import reports, search
    from exchange.web import navigation

    for module in (search, reports, navigation):
        assert doctest.testmod(module).failed == 0, module.__name__


# --------------------------------------------------------------------------- parks, decisions, exports, runs


def test_parks_list_and_park_page_for_visitors(app, client):
    webworld.build()
    html = client.get("/parks").get_data(as_text=True)
    assert 'data-park="qilu-chemical"' in html and html.count("data-park=") == 19
    page = client.get("/parks/qilu-chemical").get_data(as_text=True)
    assert 'data-kpi="heat_recovered_mwh"' in page and 'id="links-table"' in page
    assert "Review queue" not in page and "Run the matcher" not in page
    assert client.get("/parks/nowhere").status_code == 404


def kpis(client, park):
    return client.get(f"/parks/{park}/kpis.json").get_json()


def test_manager_reviews_and_the_kpis_change(app, client):
    from exchange.services import workflow

    w = webworld.build("ash", "cement", "qilu", "zibo")
    link = w.link("ASH-1", "ASH-NEED")
    workflow.accept(link.id, w.users["ash"])
    workflow.accept(link.id, w.users["cement"])
    workflow.approve(link.id, w.users["zibo"], "fine by the zone")
    webworld.login(client, "qilu")
    before = kpis(client, "qilu-chemical")
    assert before["agreed"]["ash_diverted_t"] == 0 and before["potential"]["ash_diverted_t"] == 900
    page = client.get("/parks/qilu-chemical").get_data(as_text=True)
    assert "Review queue" in page and f'data-link-id="{link.id}"' in page
    resp = client.post(f"/links/{link.id}/approve", json={"comment": "ok"}, headers={"Accept": "application/json"})
    assert resp.status_code == 200 and resp.get_json()["status"] == "approved"
    after = kpis(client, "qilu-chemical")
    assert after["agreed"]["ash_diverted_t"] == 600 and after["agreed"]["links"] == 1
    assert after["agreed"]["co2_avoided_t"] == pytest.approx(link.co2_avoided_t_per_yr)
    assert after["utilisation"]["fly_ash"]["agreed_rate"] == pytest.approx(0.6)


def test_reject_needs_a_comment_and_members_cannot_review(app, client):
    w = webworld.build("ash", "qilu")
    link = w.link("ASH-1", "ASH-NEED-2")
    webworld.login(client, "ash")
    resp = client.post(f"/links/{link.id}/approve", json={}, headers={"Accept": "application/json"})
    assert resp.status_code == 403
    client.post("/logout")
    webworld.login(client, "qilu")
    resp = client.post(f"/links/{link.id}/reject", json={"comment": ""}, headers={"Accept": "application/json"})
    assert resp.status_code == 422
    resp = client.post(f"/links/{link.id}/reject", data={"comment": "too far", "next": "/parks/qilu-chemical"})
    assert resp.status_code == 302 and resp.headers["Location"] == "/parks/qilu-chemical"
    db.session.expire_all()
    assert db.session.get(Link, link.id).status == "rejected"
    assert client.post(f"/links/{link.id}/explode", json={}).status_code == 404


def test_parties_answer_a_link_from_the_details_pane(app, client):
    w = webworld.build("ash")
    link = w.link("ASH-1", "ASH-NEED")
    webworld.login(client, "ash")
    d = client.get(f"/map/links/{link.id}.json").get_json()
    assert {"interest", "accept", "decline"} <= set(d["actions"])
    resp = client.post(f"/links/{link.id}/interest", json={}, headers={"Accept": "application/json"})
    assert resp.get_json()["status"] == "interest"


def test_exports_follow_the_visibility_rules(app, client):
    w = webworld.build()
    resp = client.get("/parks/qilu-chemical/links.csv")
    assert resp.status_code == 200 and resp.data.startswith("\ufeff".encode())
    lines = resp.data.decode("utf-8-sig").strip().splitlines()
    standing = [lk for lk in db.session.scalars(select(Link)) if "qilu-chemical" in (lk.source.park, lk.sink.park)]
    assert len(lines) == 1 + len(standing)
    assert "Block Co" not in resp.data.decode() and "ASH-NEED-2" not in resp.data.decode()
    gj = json.loads(client.get("/parks/qilu-chemical/links.geojson").data)
    assert len(gj["features"]) == len(standing)
    anon = [f["properties"] for f in gj["features"] if f["properties"]["sink_key"].startswith("anon-")]
    assert len(anon) == 1 and anon[0]["sink_organisation"] is None and anon[0]["quantity"] is None
    assert w.listings["ASH-NEED-2"] not in {f["properties"].get("sink_id") for f in gj["features"]}


def test_printable_report(app, client):
    webworld.build()
    html = client.get("/parks/qilu-chemical/report").get_data(as_text=True)
    assert "<svg" in html and "park-outline" in html and "/static/css/print.css" in html
    assert html.count("<line ") == 3


def test_run_the_matcher_from_the_ui(app, client):
    webworld.build("qilu", "ash")
    webworld.login(client, "ash")
    assert client.post("/match-runs", json={}, headers={"Accept": "application/json"}).status_code == 403
    client.post("/logout")
    webworld.login(client, "qilu")
    assert "Run the matcher for" in client.get("/parks/qilu-chemical").get_data(as_text=True)
    resp = client.post("/match-runs", json={"park": "qilu-chemical"}, headers={"Accept": "application/json"})
    body = resp.get_json()
    assert resp.status_code == 200 and body["park"] == "qilu-chemical" and body["finished_iso"]
    latest = client.get("/match-runs/latest.json?park=qilu-chemical").get_json()
    assert latest["id"] == body["id"]
    resp = client.post("/match-runs", json={"park": "city-370100"}, headers={"Accept": "application/json"})
    assert resp.status_code == 403  # a manager runs it for their own park only


def test_the_park_manager_sees_what_enterprise_to_attract(app, client):
    """Gap analysis on the park page: the park's leftover surplus as the kind of enterprise to attract."""
    from exchange.services.listings import import_rows
    from exchange.services.matching import run_match

    w = webworld.build("qilu", "ash", match=False)
    import_rows([dict(ref="GYP-1", organisation="Ash Power", role="source", material="fgd_gypsum",
                      lat=webworld.QILU[0], lon=webworld.QILU[1], quantity=200_000, unit="t/yr", purity_pct=93)])
    run_match()
    webworld.login(client, "qilu")
    page = client.get("/parks/qilu-chemical").get_data(as_text=True)
    assert 'id="gaps-card"' in page and 'id="gaps-table"' in page
    row = page[page.index('data-material="fgd_gypsum" data-attract="sink"'):]
    row = row[:row.index("</tr>")]
    assert "plasterboard plant" in row and "purity at most 90 %" in row and "200,000" in row
    client.get("/lang/zh_CN")
    zh = client.get("/parks/qilu-chemical").get_data(as_text=True)
    assert "招商方向" in zh and "石膏板厂" in zh and "纯度至多 90 %" in zh
    client.get("/lang/en")
    client.post("/logout")
    webworld.login(client, "ash")  # a member: the list sums listings that may be private
    assert 'id="gaps-card"' not in client.get("/parks/qilu-chemical").get_data(as_text=True)
    assert w.users["ash"].role == "member"


def test_the_link_margin_is_said_in_the_page_language(app, client):
    """The details pane's quality margin comes from data, in English or Chinese (the paragraph stays English)."""
    w = webworld.build("ash")
    webworld.login(client, "ash")
    ash = client.get(f"/map/links/{w.link('ASH-1', 'ASH-NEED').id}.json").get_json()
    assert ash["margin_text"] == "grade I for a grade-II need"
    assert ash["details"]["fit"] == {"attribute": "grade", "offered": "I", "needed": "II", "grade_margin": 1}
    heat = client.get(f"/map/links/{w.link('HEAT-1', 'HEAT-NEED').id}.json").get_json()
    assert heat["margin_text"].startswith("arrives at 10") and "for a 80 °C supply" in heat["margin_text"]
    client.get("/lang/zh_CN")
    assert client.get(f"/map/links/{ash['id']}.json").get_json()["margin_text"] == "I 级灰用于 II 级需求"
    zh = client.get(f"/map/links/{heat['id']}.json").get_json()["margin_text"]
    assert zh.startswith("到达温度 10") and "供热需 80 °C" in zh
    client.get("/lang/en")


def test_margin_text_for_upgrades_and_old_runs(app):
    from flask_babel import force_locale

    from exchange.web.i18n import margin_text

    pump = {"attribute": "temperature_c", "offered": 45.0, "needed": 70.0, "arrival_c": 44.5, "lift_k": 35.5,
            "cop": 4.91, "approach_k": 10.0}
    psa = {"attribute": "purity_pct", "offered": 99.9, "needed": 99.97, "recovery": 0.9, "upgrade": "purification",
           "purified_pct": 99.99}
    with app.test_request_context():
        with force_locale("en"):
            assert margin_text({"fit": pump}) == ("arrives at 44.5 °C, below the 70 °C supply: heat pump lift "
                                                  "35.5 K, COP 4.91")
            assert margin_text({"fit": psa}) == ("99.9 % raised to 99.99 % by PSA purification for a 99.97 % "
                                                 "minimum, 90% recovered")
            assert margin_text({"margin": "stored words"}) == "stored words"  # a run from before the data
            assert margin_text({"margin": "stored", "fit": {"attribute": "grade"}}) == "stored"  # incomplete data
        with force_locale("zh_CN"):
            assert margin_text({"fit": pump}) == "到达温度 44.5 °C，低于供热所需 70 °C：热泵提温 35.5 K，COP 4.91"
            assert "PSA 提纯" in margin_text({"fit": psa})


def test_the_form_keeps_what_the_site_is_or_does(app, client):
    webworld.build("ash", match=False)
    webworld.login(client, "ash")
    page = client.get("/listings/new").get_data(as_text=True)
    assert 'name="use"' in page and 'value="plasterboard_plant"' in page and ">plasterboard plant<" in page
    assert client.post("/listings/new", data=form(use="power_plant")).status_code == 302
    row = db.session.scalar(select(Listing).where(Listing.ref == "GYP-9"))
    assert row.use == "power_plant"
    page = client.get(f"/listings/{row.id}/edit").get_data(as_text=True)
    assert '<option value="power_plant" selected>' in page
    assert client.post(f"/listings/{row.id}/edit", data=form(use="")).status_code == 302  # emptied: cleared
    db.session.expire_all()
    assert db.session.get(Listing, row.id).use is None
    client.get("/lang/zh_CN")
    assert ">石膏板厂<" in client.get("/listings/new").get_data(as_text=True)
    client.get("/lang/en")


def test_the_link_explanation_is_written_in_chinese_from_its_figures(app, client):
    w = webworld.build("ash")
    webworld.login(client, "ash")
    lid = w.link("ASH-1", "ASH-NEED").id
    en = client.get(f"/map/links/{lid}.json").get_json()
    assert en["explanation_text"] == en["explanation"] and en["explanation_lang"] == "en"
    client.get("/lang/zh_CN")
    zh = client.get(f"/map/links/{lid}.json").get_json()
    client.get("/lang/en")
    text = zh["explanation_text"]
    assert zh["explanation_lang"] == "zh-CN" and zh["explanation"] == en["explanation"]  # the stored words stay
    assert text.startswith("Ash Power → Cement Co：粉煤灰，600 吨/年。")
    assert "质量：I 级灰用于 II 级需求。" in text
    assert f"大地线 {en['distance_km']:.1f} 公里" in text
    assert "基准：水泥熟料 0.85 tCO2/t" in text and "CO₂ 减排每年" in text
    net = f"{round(en['net_benefit_rmb_per_yr']):,}"
    assert f"每年 {net} 元" in text
    assert "Quality" not in text and "RMB" not in text

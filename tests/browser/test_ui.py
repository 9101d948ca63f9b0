"""The UI in a real browser: Debian's headless Chromium driven by Playwright.

One server (werkzeug in a thread, on a free port) and one browser for the
whole module, the Shandong demo loaded once. Every request the pages make is
routed through a guard that fails any request not to the test server, and
every page's console errors and uncaught exceptions fail the test.
Screenshots go to ``test-artifacts/`` (git-ignored).
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.serving import WSGIRequestHandler, make_server

from exchange import create_app
from exchange.persistence import db
from exchange.persistence.models import Link, Listing, MatchRun

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
         "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PASSWORD = "correct-horse-battery"

def wait_until(page, expression: str, timeout_s: float = 15.0) -> None:
    """Poll a JavaScript expression until it is truthy.

    Not ``page.wait_for_function``: that evaluates its string with ``eval`` inside
    the page, which the app's Content-Security-Policy (no 'unsafe-eval') rightly
    refuses; ``page.evaluate`` runs through the DevTools protocol instead.
    """
    import time

    deadline = time.monotonic() + timeout_s
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for: {expression}")
        page.wait_for_timeout(100)



class QuietHandler(WSGIRequestHandler):
    def log_request(self, *args: Any, **kwargs: Any) -> None:  # one line per request is noise here
        pass


@dataclass
class Live:
    url: str
    app: Any
    users: dict[str, Any] = field(default_factory=dict)


@pytest.fixture(scope="module")
def live(database_url: str) -> Iterator[Live]:
    """The app with the demo loaded and matched, served on a free port."""
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian's chromium is not installed")
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True,
                      "SECRET_KEY": "browser-tests-secret-key", "MAP_TILE_URL": ""})
    ctx = app.app_context()
    ctx.push()
    from exchange.services.accounts import create_user
    from exchange.services.matching import run_match
    from exchange.services.seed import seed_demo

    seed_demo()
    run_match()
    live = Live("", app)
    live.users["member"], _ = create_user("member@example.com", PASSWORD, "Browser Test Steelworks", "member")
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietHandler)
    live.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield live
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
        db.session.remove()
        with db.engine.begin() as conn:
            for table in reversed(db.metadata.sorted_tables):
                conn.execute(table.delete())
        db.engine.dispose()
        ctx.pop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    b = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
    try:
        yield b
    finally:
        b.close()
        pw.stop()


@dataclass
class Guard:
    blocked: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


@pytest.fixture()
def page(browser, live) -> Iterator[Any]:  # type: ignore[no-untyped-def]
    """A fresh browser context (no cookies) whose every request must stay on the test server."""
    guard = Guard()
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="en-GB")

    def route(r):  # type: ignore[no-untyped-def]
        if r.request.url.startswith(live.url + "/"):
            r.continue_()
        else:
            guard.blocked.append(r.request.url)
            r.abort()

    context.route("**/*", route)
    pg = context.new_page()
    pg.on("console", lambda m: guard.errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    pg.on("pageerror", lambda e: guard.errors.append(f"page error: {e}"))
    pg.set_default_timeout(15_000)
    pg.guard = guard
    yield pg
    context.close()
    assert guard.blocked == [], f"requests left localhost: {guard.blocked}"
    assert guard.errors == [], f"console errors: {guard.errors}"


def shot(pg: Any, name: str, full: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    pg.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full)


def open_map(pg: Any, live: Live, path: str = "/") -> None:
    pg.goto(live.url + path)
    pg.wait_for_selector("body[data-ready=true]")


def stats(pg: Any) -> dict[str, int]:
    return pg.evaluate("window.exchangeMap.stats()")  # type: ignore[no-any-return]


def login(pg: Any, live: Live, email: str) -> None:
    pg.goto(live.url + "/login")
    pg.fill("#email", email)
    pg.fill("#password", PASSWORD)
    with pg.expect_navigation():
        pg.click("button[type=submit]")


def expected_counts(live: Live, viewer: Any = None, **flt: Any) -> tuple[int, int]:
    """Markers and lines the map should draw for the viewer, from the database through the services."""
    from exchange.services import mapdata

    f = mapdata.MapFilter(**flt)
    db.session.expire_all()
    markers = len(mapdata.listings_geojson(viewer, f)["features"])
    lines = len(mapdata.links_geojson(viewer, f)["features"])
    return markers, lines


# --------------------------------------------------------------------------- the map


def test_map_renders_the_demo_with_every_marker_and_line(page, live):
    open_map(page, live)
    markers, lines = expected_counts(live)
    active = db.session.scalar(select(db.func.count()).select_from(Listing).where(Listing.status == "active"))
    assert markers == active > 300  # every demo listing is public
    s = stats(page)
    assert (s["markers"], s["lines"]) == (markers, lines)
    assert page.get_attribute("#counts", "data-markers") == str(markers)
    # with every listing in view, the single markers and the clusters on screen account for all of them
    page.evaluate("(() => { const e = window.exchangeMap; e.map.fitBounds(e.cluster.getBounds(), {animate: false}); })()")
    page.wait_for_timeout(400)
    seen = page.evaluate("window.exchangeMap.onScreen()")
    assert seen["singles"] + seen["grouped"] == markers
    labels = page.evaluate("""Array.from(document.querySelectorAll('.cl-ring span'))
                              .reduce((n, s) => n + Number(s.textContent.replace(/\\D/g, '')), 0)""")
    assert labels == seen["grouped"] and page.locator(".cl-ring").count() == seen["clusters"]
    assert page.locator(".leaflet-overlay-pane canvas").count() == 1  # lines and single markers share it
    shot(page, "browser-map")


def test_clicking_a_line_shows_its_details(page, live):
    open_map(page, live)
    candidates = db.session.scalars(select(Link.id).where(Link.status == "proposed", Link.material == "fly_ash",
                                                          Link.distance_km > 20).order_by(Link.quantity.desc())
                                    .limit(10)).all()
    page.uncheck("input[name=material][value=waste_heat]")
    page.uncheck("input[name=material][value=fgd_gypsum]")
    page.uncheck("input[name=material][value=hydrogen]")
    # the first line whose midpoint is not under a cluster icon, zoomed to fill the view
    point = page.evaluate("""async (ids) => {
        const e = window.exchangeMap;
        for (const id of ids) {
            const f = e.links.find((x) => x.id === id);
            const [[x1, y1], [x2, y2]] = f.geometry.coordinates;
            e.map.fitBounds([[y1, x1], [y2, x2]], {padding: [80, 80], animate: false});
            await new Promise((r) => setTimeout(r, 300));
            const p = e.linkPoint(id);
            if (document.elementFromPoint(p.x, p.y).tagName === 'CANVAS') return Object.assign(p, {id});
        }
        return null; }""", candidates)
    assert point is not None
    link = db.session.get(Link, point["id"])
    page.mouse.click(point["x"], point["y"])
    page.wait_for_selector("#details[data-kind=link]")
    shown = int(page.get_attribute("#details", "data-id"))
    if shown != link.id:  # another line crosses the same pixel: it must really be under the cursor
        near = page.evaluate("""([id, x, y]) => {
            const e = window.exchangeMap, box = e.map.getContainer().getBoundingClientRect();
            const f = e.links.find((l) => l.id === id);
            const [a, b] = f.geometry.coordinates.map(([lon, lat]) => e.map.latLngToContainerPoint([lat, lon]));
            const p = L.point(x - box.left, y - box.top);
            return L.LineUtil.pointToSegmentDistance(p, a, b); }""", [shown, point["x"], point["y"]])
        assert near < 8
        link = db.session.get(Link, shown)
    text = page.inner_text("#details")
    for label in ("Quantity", "Quality", "Distance", "Transport", "Upgrade", "Cost", "Net benefit", "CO₂ avoided",
                  "Explanation"):
        assert label in text, label
    assert f"{link.quantity:,.0f}" in text and f"{link.net_benefit_rmb_per_yr:,.0f}" in text
    assert link.explanation[:60] in text
    assert link.source.organisation.name in text and link.sink.organisation.name in text
    shot(page, "browser-link-details")


def test_filters_change_what_is_drawn(page, live):
    open_map(page, live)
    everything = stats(page)
    page.uncheck("input[name=material][value=fly_ash]")
    wait_until(page, "window.exchangeMap.stats().markers < %d" % everything["markers"])
    no_ash = expected_counts(live, materials=frozenset({"waste_heat", "fgd_gypsum", "hydrogen"}))
    s = stats(page)
    assert (s["markers"], s["lines"]) == no_ash and no_ash[1] < everything["lines"]
    page.check("input[name=material][value=fly_ash]")
    page.uncheck("input[name=role][value=sink]")
    wait_until(page, "window.exchangeMap.stats().markers < %d" % everything["markers"])
    assert stats(page)["markers"] == expected_counts(live, roles=frozenset({"source"}))[0]
    page.check("input[name=role][value=sink]")
    page.select_option("#park-filter", "qilu-chemical")
    wait_until(page, "window.exchangeMap.stats().markers < %d" % everything["markers"])
    qilu = expected_counts(live, park="qilu-chemical")
    s = stats(page)
    assert (s["markers"], s["lines"]) == qilu and qilu[0] > 0
    page.uncheck("input[name=status][value=proposed]")
    wait_until(page, "window.exchangeMap.stats().lines === 0")
    shot(page, "browser-filtered")


def test_language_switch_shows_chinese(page, live):
    open_map(page, live)
    assert page.get_attribute("html", "lang") == "en"
    with page.expect_navigation():
        page.click(".langswitch a[data-lang=zh_CN]")
    page.wait_for_selector("body[data-ready=true]")
    assert page.get_attribute("html", "lang") == "zh-CN"
    assert page.inner_text(".mainnav a.active") == "路线图"
    sidebar = page.inner_text("#sidebar")
    assert "余热" in sidebar and "粉煤灰" in sidebar and "图例" in sidebar
    assert page.inner_text(".langswitch a.active") == "中文"
    shot(page, "browser-map-zh")
    # the choice sticks for the next page
    page.goto(live.url + "/parks")
    assert "园区与城市交换区" in page.inner_text("h1")


# --------------------------------------------------------------------------- a member registers a listing


def test_a_listing_created_in_the_form_appears_on_the_map(page, live):
    before, _ = expected_counts(live)
    login(page, live, "member@example.com")
    page.goto(live.url + "/listings/new?role=source")
    page.wait_for_selector("body[data-ready=true]")
    page.select_option("#material", "fgd_gypsum")
    page.fill("input[name=ref]", "UI-GYP-1")
    page.fill("input[name=site]", "Browser test works")
    page.fill("input[name=quantity]", "150")
    page.fill("#unit", "kt/yr")
    page.fill("input[name=purity_pct]", "92")
    assert page.is_hidden("input[name=temperature_c]") and page.is_hidden("select[name=grade]")
    # pick the location on the map: the centre of the picker is inside Shandong
    box = page.locator("#map").bounding_box()
    page.mouse.click(box["x"] + box["width"] * 0.45, box["y"] + box["height"] * 0.55)
    lat, lon = float(page.input_value("#lat")), float(page.input_value("#lon"))
    assert 34.3 < lat < 38.5 and 114.7 < lon < 122.8
    shot(page, "browser-listing-form", full=True)
    with page.expect_navigation():
        page.click("#save")
    page.wait_for_selector("body[data-ready=true]")
    row = db.session.scalar(select(Listing).where(Listing.ref == "UI-GYP-1"))
    assert row is not None and row.organisation.name == "Browser Test Steelworks"
    assert (row.lat, row.lon) == pytest.approx((lat, lon), abs=1e-5) and row.quantity == 150_000
    assert stats(page)["markers"] == before + 1
    wait_until(page, f"window.exchangeMap.markerShown({row.id})")  # zoomed in until out of its cluster
    page.wait_for_selector(f"#details[data-kind=listing][data-id='{row.id}']")
    assert "Browser Test Steelworks" in page.inner_text("#details")
    assert "UI-GYP-1" in page.inner_text(".flashes")
    shot(page, "browser-new-listing-on-map")


# --------------------------------------------------------------------------- the park manager


def test_a_manager_approves_a_link_and_the_kpis_change(page, live):
    from exchange.services import workflow
    from exchange.services.accounts import create_user
    from exchange.services.reports import KPI_MATERIALS

    link = db.session.scalar(select(Link).join(Listing, Link.source_id == Listing.id)
                             .where(Link.status == "proposed", Link.material == "fly_ash",
                                    Listing.park.like("city-%")).order_by(Link.quantity.desc()))
    park = link.source.park
    assert link.sink.park == park  # one park: its manager's approval completes it
    source_user, _ = create_user("source@example.com", None, link.source.organisation.name, "member")
    sink_user, _ = create_user("sink@example.com", None, link.sink.organisation.name, "member")
    workflow.accept(link.id, source_user)
    workflow.accept(link.id, sink_user)
    create_user("manager@example.com", PASSWORD, "Zone Authority", "park_manager", park)

    login(page, live, "manager@example.com")
    page.goto(f"{live.url}/parks/{park}")
    page.wait_for_selector("body[data-ready=true]")
    kpi = next(k for k, (m, _) in KPI_MATERIALS.items() if m == "fly_ash")
    before = float(page.get_attribute(f".kpi[data-kpi={kpi}]", "data-value"))
    co2_before = float(page.get_attribute(".kpi[data-kpi=co2_avoided_t]", "data-value"))
    row = page.locator(f"#links-table tr[data-link-id='{link.id}']")
    assert "Accepted" in row.inner_text()
    shot(page, "browser-park-before", full=True)
    row.locator("textarea").fill("meets the zone's rules")
    row.locator("button[data-action=approve]").click()
    page.wait_for_selector(f"#links-table tr[data-link-id='{link.id}'][data-decided=approved]")
    wait_until(page, f"Number(document.querySelector('.kpi[data-kpi={kpi}]').dataset.value) > {before}")
    after = float(page.get_attribute(f".kpi[data-kpi={kpi}]", "data-value"))
    assert after == pytest.approx(before + link.quantity)
    co2_after = float(page.get_attribute(".kpi[data-kpi=co2_avoided_t]", "data-value"))
    assert co2_after == pytest.approx(co2_before + link.co2_avoided_t_per_yr)
    db.session.expire_all()
    assert db.session.get(Link, link.id).status == "approved"
    shot(page, "browser-park-after", full=True)

    # the Sankey is drawn, and the matcher runs from the page with its progress shown
    assert page.locator("#sankey svg").count() == 1
    runs_before = db.session.scalar(select(db.func.max(MatchRun.id)))
    # the page reloads as soon as the run is done, so what the progress showed is noted in window.name
    page.evaluate("""() => new MutationObserver(() => {
        const box = document.getElementById('runbox'), bar = document.getElementById('run-progress');
        if (box.dataset.state === 'running' && !bar.hidden && document.getElementById('run-status').textContent) {
            window.name = 'progress:' + document.getElementById('run-status').textContent; }
    }).observe(document.getElementById('runbox'), {attributes: true, childList: true, subtree: true})""")
    with page.expect_navigation(timeout=60_000):
        page.click("#run-matcher")
    page.wait_for_selector("body[data-ready=true]")
    assert page.evaluate("window.name").startswith("progress:Running the matcher")
    db.session.expire_all()
    run = db.session.get(MatchRun, db.session.scalar(select(db.func.max(MatchRun.id))))
    assert run.id > runs_before and run.park == park and run.status == "done"
    assert f"#{run.id}" in page.inner_text(".page-head")


def test_every_page_loads_cleanly_in_both_languages(page, live):
    """No console error, no request off localhost, on each page (the guard in the fixture checks)."""
    pages = ["/", "/search?material=fly_ash&looking_for=sink&quality=II&lat=36.8&lon=118.0&radius_km=80",
             "/parks", "/parks/qilu-chemical", "/parks/city-370300/report", "/login"]
    for lang in ("en", "zh_CN"):
        page.goto(f"{live.url}/lang/{lang}")
        for path in pages:
            page.goto(live.url + path)
            page.wait_for_load_state("load")
            if page.locator("#page-config").count():
                page.wait_for_selector("body[data-ready=true]")
            if path.startswith("/search"):
                assert page.locator("#results-table tbody tr").count() > 0
    login(page, live, "member@example.com")
    for path in ("/listings/mine", "/listings/new?role=sink", "/listings/import"):
        page.goto(live.url + path)
        page.wait_for_load_state("load")
    shot(page, "browser-import-zh", full=True)


# --------------------------------------------------------------------------- scale


def test_twenty_thousand_markers_cluster_smoothly(page, live):
    """Bench: 20,000 synthetic listings through the same code path as the real ones."""
    open_map(page, live)
    timing = page.evaluate("""async () => {
        const e = window.exchangeMap, mats = ['waste_heat', 'fly_ash', 'fgd_gypsum', 'hydrogen'];
        let seed = 42; const rnd = () => (seed = (seed * 16807) % 2147483647) / 2147483647;
        const features = [];
        for (let i = 0; i < 20000; i++) {
            features.push({type: 'Feature', id: 1e6 + i, geometry: {type: 'Point',
                coordinates: [115 + rnd() * 7.5, 34.6 + rnd() * 3.6]},
                properties: {id: 1e6 + i, material: mats[i % 4], role: i % 3 ? 'source' : 'sink',
                             organisation: 'Synthetic ' + i, quantity: 1000, unit: 't/yr', park: null}});
        }
        const t0 = performance.now();
        await e.setListings({type: 'FeatureCollection', features});
        const loaded = performance.now() - t0;
        const frames = [];
        for (const z of [8, 10, 7, 6.5]) {
            const t = performance.now();
            await new Promise((r) => { e.map.once('zoomend', () => requestAnimationFrame(() => r()));
                                        e.map.setZoom(z, {animate: false}); });
            frames.push(performance.now() - t);
        }
        const t1 = performance.now();
        await e.setFilter({materials: new Set(['fly_ash'])});
        const filtered = performance.now() - t1;
        return {loaded, zooms: frames, filtered, markers: e.stats().markers,
                dom: document.querySelectorAll('.leaflet-marker-icon').length};
    }""")
    assert timing["markers"] == 5000 and timing["dom"] < 1500
    line = (f"20k markers: clustered in {timing['loaded']:.0f} ms; zoom steps "
            f"{', '.join(f'{t:.0f}' for t in timing['zooms'])} ms; filter to one material {timing['filtered']:.0f} ms; "
            f"{timing['dom']} marker elements in the DOM afterwards")
    print(line)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "bench-20k-markers.txt").write_text(line + "\n", encoding="utf-8")
    assert timing["loaded"] < 20_000 and max(timing["zooms"]) < 3_000 and not math.isnan(timing["filtered"])
    shot(page, "browser-20k")

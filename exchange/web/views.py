"""The route map page, its data, and the language switch."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, current_app, jsonify, redirect, render_template, request, url_for

from exchange.services import mapdata

from . import access, bp
from .i18n import LANG_COOKIE, LANGUAGES, explanation_text, margin_text, park_choices
from .navigation import safe_next
from .parks import last_run_info


def _json(data: Any, *, cache_seconds: int = 0) -> Response:
    resp = jsonify(data)
    if cache_seconds:
        resp.cache_control.public = True
        resp.cache_control.max_age = cache_seconds
        resp.add_etag()
        resp.make_conditional(request)
    else:
        resp.cache_control.no_store = True
    return resp


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    """The route map of the province: listings, links, filters, legend, details."""
    run = last_run_info(access.managed_park())
    return render_template("web/map.html", run=run, parks=park_choices(), run_park=access.managed_park(),
                           run_seconds=run["seconds"] if run else 0, focus=request.args.get("focus", type=int))


@bp.get("/favicon.ico")
def favicon():  # type: ignore[no-untyped-def]
    """Browsers ask for /favicon.ico on every page (the login page too): the SVG icon."""
    return current_app.send_static_file("img/favicon.svg"), 200, {"Cache-Control": "public, max-age=86400"}


@bp.get("/licences")
def licences():  # type: ignore[no-untyped-def]
    """The third-party libraries, their versions and licences (static/vendor/README.md as text)."""
    resp = current_app.send_static_file("vendor/README.md")
    resp.mimetype = "text/plain"
    resp.charset = "utf-8"
    return resp


@bp.get("/lang/<code>")
def set_language(code: str):  # type: ignore[no-untyped-def]
    """Remember the chosen language (a cookie for a year) and go back."""
    if code not in LANGUAGES:
        abort(404)
    resp = redirect(safe_next(request.args.get("next"), url_for("web.index")))
    resp.set_cookie(LANG_COOKIE, code, max_age=365 * 24 * 3600, samesite="Lax",
                    secure=current_app.config.get("SESSION_COOKIE_SECURE", False), httponly=True)
    return resp


@bp.get("/map/base.json")
def map_base():  # type: ignore[no-untyped-def]
    """Province, city and park outlines (the offline base layer)."""
    return _json(mapdata.base_layers(), cache_seconds=3600)


@bp.get("/map/listings.geojson")
def map_listings():  # type: ignore[no-untyped-def]
    """Active listings the viewer may see; optional filters material, role, park."""
    return _json(mapdata.listings_geojson(access.viewer(), mapdata.MapFilter.from_args(request.args)))


@bp.get("/map/links.geojson")
def map_links():  # type: ignore[no-untyped-def]
    """Current links the viewer may see; optional filters material, status, park."""
    return _json(mapdata.links_geojson(access.viewer(), mapdata.MapFilter.from_args(request.args)))


@bp.get("/map/listings/<int:listing_id>.json")
def map_listing(listing_id: int):  # type: ignore[no-untyped-def]
    """One listing for the details pane."""
    return _json(mapdata.listing_detail(listing_id, access.viewer()))


@bp.get("/map/links/<int:link_id>.json")
def map_link(link_id: int):  # type: ignore[no-untyped-def]
    """One link for the details pane, with what the viewer may do with it (``actions``)."""
    out = mapdata.link_detail(link_id, access.viewer())
    if out.get("details"):
        out["margin_text"] = margin_text(out["details"])  # in the page's language
    if out.get("explanation"):
        out["explanation_text"] = explanation_text(out)
        out["explanation_lang"] = "zh-CN" if out["explanation_text"] != out["explanation"] else "en"
    return _json(out)

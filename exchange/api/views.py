"""API views: parse (schemas), call one service, serialise (schemas). No business rule here.

URL table (all under ``/api/v1``)::

    GET    /me                              who am I (login)
    GET    /listings                        search (material, role, park, bbox, lat+lon+radius_km, mine)
    POST   /listings                        create (201 + Location; login)
    GET    /listings/<id>                   one listing
    PATCH  /listings/<id>                   edit (its organisation)
    DELETE /listings/<id>                   withdraw (its organisation; 204)
    GET    /links                           standing links (status, material, park, mine)
    GET    /links/<id>                      one link
    POST   /links/<id>/interest|accept      a side answers (login)
    POST   /links/<id>/decline              a side declines with {"reason"}
    POST   /links/<id>/approve|reject       park review with {"comment"} (park_manager, admin)
    POST   /links/<id>/start|end            the exchange runs / stops
    POST   /match-runs                      start the matcher (park_manager, admin; 201 + Location; 409 while
                                            a run holds the park)
    GET    /match-runs/latest               the latest finished run (login)
    GET    /match-runs/<id>                 one run (login)
    GET    /parks                           park summaries
    GET    /parks/<key>                     one park's summary
    GET    /exports/listings.geojson|csv    listings as the caller sees them
    GET    /exports/links.geojson|csv       links as the caller sees them
    GET    /audit                           audit log (admin; park_manager: their park)
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, url_for
from flask_smorest import Blueprint

from exchange.auth import current_user, login_required, roles_required
from exchange.services import audit as audit_service
from exchange.services import exports, listings, matching, summaries, workflow

from . import schemas as s

me_bp = Blueprint("account", __name__, url_prefix="/api/v1", description="The caller's account")
listings_bp = Blueprint("listings", __name__, url_prefix="/api/v1",
                        description="Sources and sinks, as the caller may see them")
links_bp = Blueprint("links", __name__, url_prefix="/api/v1", description="Proposed and agreed exchanges, and "
                                                                           "the workflow")
runs_bp = Blueprint("match-runs", __name__, url_prefix="/api/v1", description="Matcher runs")
parks_bp = Blueprint("parks", __name__, url_prefix="/api/v1", description="Park summaries")
exports_bp = Blueprint("exports", __name__, url_prefix="/api/v1", description="GeoJSON and CSV exports")
audit_bp = Blueprint("audit", __name__, url_prefix="/api/v1", description="Audit log")

BLUEPRINTS = (me_bp, listings_bp, links_bp, runs_bp, parks_bp, exports_bp, audit_bp)


def _user() -> Any:
    return current_user._get_current_object()  # type: ignore[attr-defined]


def _viewer() -> Any:
    user = _user()
    return user if user.is_authenticated else None


def _page(items: list[dict[str, Any]], args: dict[str, Any]) -> dict[str, Any]:
    offset, limit = args.get("offset", 0), args.get("limit", 500)
    return {"items": items[offset:offset + limit], "total": len(items), "limit": limit, "offset": offset}


# --------------------------------------------------------------------------- account


@me_bp.route("/me", methods=["GET"])
@login_required
@me_bp.response(200, s.MeSchema)
def me() -> Any:
    """The logged-in user (session or token)."""
    u = _user()
    return {"id": u.id, "email": u.email, "role": u.role, "organisation_id": u.organisation_id,
            "organisation": u.organisation.name, "park": u.park}


# --------------------------------------------------------------------------- listings


def _listing_filter(args: dict[str, Any]) -> listings.ListingFilter:
    near = (args["lat"], args["lon"]) if "lat" in args else None
    return listings.ListingFilter(
        material=tuple(args.get("material") or ()), role=args.get("role"), park=args.get("park"),
        bbox=tuple(args["bbox"]) if args.get("bbox") else None, near=near,  # type: ignore[arg-type]
        radius_km=args.get("radius_km"), mine=bool(args.get("mine")), visibility=args.get("visibility"))


@listings_bp.route("/listings", methods=["GET"])
@listings_bp.arguments(s.ListingQuerySchema, location="query")
@listings_bp.response(200, s.ListingPageSchema)
def list_listings(args: dict[str, Any]) -> Any:
    """Listings the caller may see; an anonymous listing is filtered on its rounded location."""
    return _page(listings.visible_listings(_viewer(), _listing_filter(args)), args)


@listings_bp.route("/listings", methods=["POST"])
@roles_required("member", "admin")
@listings_bp.arguments(s.ListingCreateSchema)
@listings_bp.response(201, s.ListingSchema)
def create_listing(body: dict[str, Any]) -> Any:
    """Create a listing of the caller's organisation (import-format fields plus ``visibility``)."""
    row = listings.create_listing(body, _user())
    view = listings.get_listing(row.id, _user())
    return view, 201, {"Location": url_for("listings.get_listing", listing_id=row.id)}


@listings_bp.route("/listings/<int:listing_id>", methods=["GET"])
@listings_bp.response(200, s.ListingSchema)
def get_listing(listing_id: int) -> Any:
    """One listing (404 if hidden from the caller)."""
    return listings.get_listing(listing_id, _viewer())


@listings_bp.route("/listings/<int:listing_id>", methods=["PATCH"])
@roles_required("member", "admin")
@listings_bp.arguments(s.ListingPatchSchema)
@listings_bp.response(200, s.ListingSchema)
def update_listing(body: dict[str, Any], listing_id: int) -> Any:
    """Change fields of a listing of the caller's organisation."""
    row = listings.update_listing(listing_id, body, _user())
    return listings.get_listing(row.id, _user())


@listings_bp.route("/listings/<int:listing_id>", methods=["DELETE"])
@roles_required("member", "admin")
@listings_bp.response(204)
def withdraw_listing(listing_id: int) -> Any:
    """Withdraw a listing of the caller's organisation (its open links are declined)."""
    listings.withdraw_listing(listing_id, _user())
    return None


# --------------------------------------------------------------------------- links and the workflow


@links_bp.route("/links", methods=["GET"])
@links_bp.arguments(s.LinkQuerySchema, location="query")
@links_bp.response(200, s.LinkPageSchema)
def list_links(args: dict[str, Any]) -> Any:
    """Standing links the caller may see (superseded ones are left out)."""
    items = workflow.visible_links(_viewer(), statuses=args.get("status") or (),
                                   materials=args.get("material") or (), park=args.get("park"),
                                   mine=bool(args.get("mine")))
    return _page(items, args)


@links_bp.route("/links/<int:link_id>", methods=["GET"])
@links_bp.response(200, s.LinkSchema)
def get_link(link_id: int) -> Any:
    """One link (404 if hidden from the caller)."""
    return workflow.get_link(link_id, _viewer())


def _answer(link: Any) -> Any:
    return workflow.get_link(link.id, _user())


@links_bp.route("/links/<int:link_id>/interest", methods=["POST"])
@login_required
@links_bp.response(200, s.LinkSchema)
def link_interest(link_id: int) -> Any:
    """A side shows interest (proposed -> interest)."""
    return _answer(workflow.express_interest(link_id, _user()))


@links_bp.route("/links/<int:link_id>/accept", methods=["POST"])
@login_required
@links_bp.response(200, s.LinkSchema)
def link_accept(link_id: int) -> Any:
    """A side accepts; the second acceptance reserves the quantity (409 if it no longer fits)."""
    return _answer(workflow.accept(link_id, _user()))


@links_bp.route("/links/<int:link_id>/decline", methods=["POST"])
@login_required
@links_bp.arguments(s.ReasonSchema)
@links_bp.response(200, s.LinkSchema)
def link_decline(body: dict[str, Any], link_id: int) -> Any:
    """A side declines, with a reason."""
    return _answer(workflow.decline(link_id, _user(), body["reason"]))


@links_bp.route("/links/<int:link_id>/approve", methods=["POST"])
@roles_required("park_manager", "admin")
@links_bp.arguments(s.OptionalCommentSchema, required=False)
@links_bp.response(200, s.LinkSchema)
def link_approve(body: dict[str, Any], link_id: int) -> Any:
    """The park manager approves the link for their park."""
    return _answer(workflow.approve(link_id, _user(), (body or {}).get("comment")))


@links_bp.route("/links/<int:link_id>/reject", methods=["POST"])
@roles_required("park_manager", "admin")
@links_bp.arguments(s.CommentSchema)
@links_bp.response(200, s.LinkSchema)
def link_reject(body: dict[str, Any], link_id: int) -> Any:
    """The park manager rejects the link, with a comment."""
    return _answer(workflow.reject(link_id, _user(), body["comment"]))


@links_bp.route("/links/<int:link_id>/start", methods=["POST"])
@login_required
@links_bp.response(200, s.LinkSchema)
def link_start(link_id: int) -> Any:
    """A side reports the exchange running (approved -> active)."""
    return _answer(workflow.start(link_id, _user()))


@links_bp.route("/links/<int:link_id>/end", methods=["POST"])
@login_required
@links_bp.arguments(s.OptionalReasonSchema, required=False)
@links_bp.response(200, s.LinkSchema)
def link_end(body: dict[str, Any], link_id: int) -> Any:
    """End an agreed link; its quantity is released."""
    return _answer(workflow.end(link_id, _user(), (body or {}).get("reason")))


# --------------------------------------------------------------------------- match runs


@runs_bp.route("/match-runs", methods=["POST"])
@roles_required("park_manager", "admin")
@runs_bp.arguments(s.MatchRunCreateSchema, required=False)
@runs_bp.response(201, s.MatchRunSchema)
def create_match_run(body: dict[str, Any]) -> Any:
    """Start the matcher (a park manager: their park; an admin: any park, or all without ``park``).

    The run goes to the job queue; the answer comes when it is done or after
    ``wait`` seconds, whichever is first: poll ``Location`` for ``status``,
    ``stage`` and ``progress`` while it is ``queued`` or ``running``. One run
    per park at a time (a run of the whole province holds every park): 409
    while one is going.
    """
    body = body or {}
    run = matching.start_run(_user(), park=body.get("park"), solver=body.get("solver"), cap=body.get("cap"),
                             wait=body.get("wait"))
    return matching.run_view(run), 201, {"Location": url_for("match-runs.get_match_run", run_id=run.id)}


@runs_bp.route("/match-runs/latest", methods=["GET"])
@login_required
@runs_bp.arguments(s.MatchRunQuerySchema, location="query")
@runs_bp.response(200, s.MatchRunSchema)
def latest_match_run(args: dict[str, Any]) -> Any:
    """The latest finished run (of ``park``: that park's or a province-wide one)."""
    return matching.latest_run_view(args.get("park"))


@runs_bp.route("/match-runs/<int:run_id>", methods=["GET"])
@login_required
@runs_bp.response(200, s.MatchRunSchema)
def get_match_run(run_id: int) -> Any:
    """One run."""
    return matching.get_run_view(run_id)


# --------------------------------------------------------------------------- parks


@parks_bp.route("/parks", methods=["GET"])
@parks_bp.response(200, s.ParkSummarySchema(many=True))
def list_parks() -> Any:
    """Every park and city exchange zone, with what the caller may see counted."""
    return summaries.park_summaries(_viewer())


@parks_bp.route("/parks/<string:key>", methods=["GET"])
@parks_bp.response(200, s.ParkSummarySchema)
def get_park(key: str) -> Any:
    """One park's summary."""
    return summaries.park_summary(key, _viewer())


# --------------------------------------------------------------------------- exports


def _export_listings(args: dict[str, Any]) -> list[dict[str, Any]]:
    return listings.visible_listings(_viewer(), listings.ListingFilter(
        material=tuple(args.get("material") or ()), role=args.get("role"), park=args.get("park"),
        mine=bool(args.get("mine"))))


def _export_links(args: dict[str, Any]) -> list[dict[str, Any]]:
    return workflow.visible_links(_viewer(), statuses=args.get("status") or (), materials=args.get("material") or (),
                                  park=args.get("park"), mine=bool(args.get("mine")))


def _geojson(data: dict[str, Any], name: str) -> Response:
    return Response(json.dumps(data, ensure_ascii=False), mimetype="application/geo+json",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _csv(text: str, name: str) -> Response:
    return Response("\ufeff" + text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@exports_bp.route("/exports/listings.geojson", methods=["GET"])
@exports_bp.arguments(s.ExportQuerySchema, location="query")
@exports_bp.response(200, description="GeoJSON FeatureCollection of Points", content_type="application/geo+json")
def export_listings_geojson(args: dict[str, Any]) -> Any:
    """Listings as the caller sees them, GeoJSON ([lon, lat], WGS84)."""
    return _geojson(exports.listings_geojson(_export_listings(args)), "listings.geojson")


@exports_bp.route("/exports/listings.csv", methods=["GET"])
@exports_bp.arguments(s.ExportQuerySchema, location="query")
@exports_bp.response(200, description="CSV, UTF-8 with BOM", content_type="text/csv")
def export_listings_csv(args: dict[str, Any]) -> Any:
    """Listings as the caller sees them, CSV."""
    return _csv(exports.listings_csv(_export_listings(args)), "listings.csv")


@exports_bp.route("/exports/links.geojson", methods=["GET"])
@exports_bp.arguments(s.ExportQuerySchema, location="query")
@exports_bp.response(200, description="GeoJSON FeatureCollection of LineStrings", content_type="application/geo+json")
def export_links_geojson(args: dict[str, Any]) -> Any:
    """Links as the caller sees them, GeoJSON."""
    return _geojson(exports.links_geojson(_export_links(args)), "links.geojson")


@exports_bp.route("/exports/links.csv", methods=["GET"])
@exports_bp.arguments(s.ExportQuerySchema, location="query")
@exports_bp.response(200, description="CSV, UTF-8 with BOM", content_type="text/csv")
def export_links_csv(args: dict[str, Any]) -> Any:
    """Links as the caller sees them, CSV."""
    return _csv(exports.links_csv(_export_links(args)), "links.csv")


# --------------------------------------------------------------------------- audit


@audit_bp.route("/audit", methods=["GET"])
@roles_required("admin", "park_manager")
@audit_bp.arguments(s.AuditQuerySchema, location="query")
@audit_bp.response(200, s.AuditEntrySchema(many=True))
def audit_log(args: dict[str, Any]) -> Any:
    """Audit entries, newest first (admins: all; park managers: their park)."""
    entries = audit_service.entries(_user(), action=args.get("action"), park=args.get("park"),
                                    limit=args.get("limit", 200), before_id=args.get("before_id"))
    return [audit_service.entry_view(e) for e in entries]

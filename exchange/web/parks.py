"""The park manager view: boundary, KPIs, Sankey, review queue, exports, match runs."""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any

from flask import Response, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import format_datetime
from flask_babel import gettext as _

from exchange.domain.errors import ExchangeError, NotFound
from exchange.services import matching, reports, workflow

from . import access, bp
from .i18n import STATUS_LABELS, label, park_choices, park_name
from .navigation import safe_next
from .templating import page_config, when


def _park_or_404(key: str) -> Any:
    from geodata.parks import park_by_key

    try:
        return park_by_key(key)
    except KeyError:
        abort(404)


def last_run_info(park: str | None = None) -> dict[str, Any] | None:
    """The latest finished match run (of the park, or of the province): when, how long, how many links."""
    try:
        run = matching.latest_run_view(park)
    except NotFound:
        return None
    started = datetime.fromisoformat(run["started_at"]) if run.get("started_at") else None
    finished = datetime.fromisoformat(run["finished_at"]) if run.get("finished_at") else None
    seconds = (finished - started).total_seconds() if started and finished else 0.0
    return {"id": run["id"], "park": run.get("park"), "finished_text": when(finished), "finished_iso": run["finished_at"],
            "links": run["links"], "summary": run.get("summary") or {}, "seconds": max(seconds, 0.0)}


@bp.get("/parks")
def parks():  # type: ignore[no-untyped-def]
    """Every park and city exchange zone, with what the current run proposes in each."""
    per_park = reports.links_per_park(access.viewer())
    return render_template("web/parks.html", parks=park_choices(), per_park=per_park, mine=access.managed_park())


@bp.get("/parks/<key>")
def park(key: str):  # type: ignore[no-untyped-def]
    """One park: outline and links on the map, KPIs, Sankey, review queue (its manager), exports."""
    p = _park_or_404(key)
    viewer = access.viewer()
    report = reports.park_report(key, viewer)
    manager = access.is_manager_of(key)
    queue = reports.review_queue(report) if manager else []
    sankey = reports.sankey(report.links, anonymous=_("Anonymous"), withheld=_("Withheld"))
    run = last_run_info(key)
    # the "what enterprise to attract" list is for the park's manager: it sums listings that may be private
    gaps = ((run["summary"].get("gaps_by_park") or {}).get(key, []) if run else []) if manager else []
    return render_template("web/park.html", park=p, park_label=park_name(p), report=report, manager=manager,
                           queue=queue, sankey=sankey, run=run, gaps=gaps, can_run_here=access.can_run_matcher(key),
                           run_park=key, run_seconds=run["seconds"] if run else 0,
                           config=page_config(park=key, sankey=sankey, manager=manager))


@bp.get("/parks/<key>/kpis.json")
def park_kpis(key: str):  # type: ignore[no-untyped-def]
    """The park's KPIs as JSON (the page refreshes them after a decision)."""
    _park_or_404(key)
    resp = jsonify(reports.park_report(key, access.viewer()).kpis())
    resp.cache_control.no_store = True
    return resp


def _download(body: bytes | str, mimetype: str, filename: str) -> Response:
    resp = Response(body, mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    resp.cache_control.no_store = True
    return resp


@bp.get("/parks/<key>/links.csv")
def park_links_csv(key: str):  # type: ignore[no-untyped-def]
    """The park's links as CSV, as the viewer may see them."""
    _park_or_404(key)
    report = reports.park_report(key, access.viewer())
    return _download(reports.links_csv(report.links), "text/csv; charset=utf-8", f"links-{key}.csv")


@bp.get("/parks/<key>/links.geojson")
def park_links_geojson(key: str):  # type: ignore[no-untyped-def]
    """The park's links as GeoJSON, as the viewer may see them."""
    import json

    _park_or_404(key)
    report = reports.park_report(key, access.viewer())
    body = json.dumps(reports.links_geojson(report.links), ensure_ascii=False, default=str)
    return _download(body, "application/geo+json", f"links-{key}.geojson")


@bp.get("/parks/<key>/report")
def park_report_page(key: str):  # type: ignore[no-untyped-def]
    """The printable park report."""
    from .printmap import park_svg

    p = _park_or_404(key)
    report = reports.park_report(key, access.viewer())
    return render_template("web/report.html", park=p, park_label=park_name(p), report=report,
                           totals=reports.material_totals(report.links), run=last_run_info(key),
                           svg=park_svg(p, report.links),
                           generated=format_datetime(datetime.now(timezone.utc), "medium"))  # Beijing time


# --- decisions on links (the workflow service decides what is allowed) -------------------------

#: action in the URL -> (workflow step, whether it takes a comment or reason)
DECISIONS: dict[str, tuple[Any, bool]] = {
    "approve": (workflow.approve, True), "reject": (workflow.reject, True),
    "interest": (workflow.express_interest, False), "accept": (workflow.accept, False),
    "decline": (workflow.decline, True), "start": (workflow.start, False), "end": (workflow.end, True),
}


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.is_json


@bp.post("/links/<int:link_id>/<action>")
@access.login_required
def decide(link_id: int, action: str):  # type: ignore[no-untyped-def]
    """A workflow step on a link: approve or reject (park manager, with a comment), or answer it (its parties)."""
    if action not in DECISIONS:
        abort(404)
    step, takes_text = DECISIONS[action]
    data = (request.get_json(silent=True) or {}) if request.is_json else request.form
    comment = str(data.get("comment", "")).strip()
    back = safe_next(request.form.get("next") if not request.is_json else None, url_for("web.index"))
    try:
        link = step(link_id, access.viewer(), comment or None) if takes_text else step(link_id, access.viewer())
    except ExchangeError as err:
        if _wants_json():
            return jsonify(err.as_dict()), err.status
        flash(err.message, "error")
        return redirect(back)
    message = _("Link %(id)s: %(status)s.", id=link_id, status=label(STATUS_LABELS, link.status))
    if action == "approve" and link.status != "approved":
        message = _("Link %(id)s approved for your park; it becomes approved once both sides accept.", id=link_id)
    if _wants_json():
        return jsonify({"ok": True, "message": message, "status": link.status})
    flash(message, "success")
    return redirect(back)


# --- match runs -----------------------------------------------------------------------------------

@bp.post("/match-runs")
@access.roles_required("park_manager", "admin")
def run_matcher():  # type: ignore[no-untyped-def]
    """Run the matcher (a park manager: their park; an admin: the park asked for, or all)."""
    data = (request.get_json(silent=True) or {}) if request.is_json else request.form
    park = str(data.get("park") or "").strip() or None
    started = time.perf_counter()
    try:
        run = matching.start_run(access.viewer(), park=park)
    except ExchangeError as err:
        return jsonify(err.as_dict()), err.status
    info = last_run_info(park) or {}
    return jsonify({"id": run.id, "park": run.park, "links": info.get("links"),
                    "seconds": round(time.perf_counter() - started, 2), "finished_text": info.get("finished_text"),
                    "finished_iso": info.get("finished_iso")})


@bp.get("/match-runs/latest.json")
def latest_run():  # type: ignore[no-untyped-def]
    """The latest finished run (of ``?park=``, or the province): when, how long, how many links."""
    resp = jsonify(last_run_info(request.args.get("park") or None))
    resp.cache_control.no_store = True
    return resp

"""Listing pages: register a source or sink, my listings, edit, import a file, templates."""

from __future__ import annotations

from typing import Any

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from exchange.domain.errors import ExchangeError, ImportRejected, ValidationError
from exchange.domain.listing import USES
from exchange.domain.materials import CATALOGUE
from exchange.services import import_formats, listings, search

from . import access, bp
from .i18n import USE_LABELS, is_zh, label
from .templating import page_config

#: the fields the form shows, in order (organisation comes from the account)
FORM_FIELDS = ("role", "material", "ref", "site", "use", "lat", "lon", "quantity", "unit", "temperature_c", "grade",
               "purity_pct", "hours_per_year", "available_months", "max_distance_km", "price_rmb_per_unit",
               "return_temperature_c", "description", "visibility")
VISIBILITIES = ("public", "anonymous", "private")
#: units offered per canonical unit (any unit pint can convert is accepted)
UNIT_CHOICES: dict[str, tuple[str, ...]] = {
    "MWh/yr": ("MWh/yr", "GJ/yr", "MW", "GJ/h"),
    "t/yr": ("t/yr", "kt/yr", "t/d", "t/h", "kg/d", "Nm3/h", "Nm3/yr"),
}
TEMPLATE_MAKERS = {"csv": (import_formats.template_csv, "text/csv; charset=utf-8"),
                   "xlsx": (import_formats.template_xlsx,
                            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                   "json": (import_formats.template_json, "application/json"),
                   "geojson": (import_formats.template_geojson, "application/geo+json")}


def field_help() -> dict[str, str]:
    """One line of help per field, in the current language (from the import format's docs)."""
    return {f: doc[1] if is_zh() else doc[0] for f, doc in import_formats.FIELD_DOCS.items()}


def material_options() -> list[dict[str, Any]]:
    """What the form needs per material: quality field, its choices, units."""
    from .i18n import material_label

    out = []
    for key, m in CATALOGUE.items():
        q = m.quality
        out.append({"key": key, "label": material_label(key), "quality": q.attribute,
                    "grades": list(getattr(q, "grades", ())), "units": list(UNIT_CHOICES.get(m.canonical_unit, ())),
                    "canonical_unit": m.canonical_unit})
    return out


def _form_values(form: Any) -> dict[str, str]:
    return {f: str(form.get(f, "")).strip() for f in FORM_FIELDS}


def _raw_fields(values: dict[str, str]) -> dict[str, Any]:
    """The import-format fields the listing service takes: blanks dropped, other quality fields dropped."""
    material = CATALOGUE.get(values.get("material", ""))
    quality_fields = {m.quality.attribute for m in CATALOGUE.values()}
    raw: dict[str, Any] = {}
    for name, value in values.items():
        if not value:
            continue
        if name in quality_fields and (material is None or name != material.quality.attribute):
            continue
        raw[name] = value
    return raw


def _values_of(view: dict[str, Any]) -> dict[str, str]:
    """Form values from the owner's view of a listing (what its owner typed)."""

    def text(v: Any) -> str:
        if v is None:
            return ""
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)

    values = {f: text(view.get(f)) for f in FORM_FIELDS}
    values.update(quantity=text(view.get("entered_quantity", view.get("quantity"))),
                  unit=view.get("entered_unit") or view.get("unit") or "", visibility=view.get("visibility") or "public")
    months = view.get("available_months") or []
    months_text = ",".join(str(m) for m in months) if isinstance(months, list) else str(months)
    values["available_months"] = "" if months_text == "1,2,3,4,5,6,7,8,9,10,11,12" else months_text
    for k, v in (view.get("quality") or {}).items():
        values[k] = text(v)
    return values


def _render_form(values: dict[str, str], errors: dict[str, list[str]], *, listing_id: int | None = None,
                 status: int = 200) -> tuple[str, int]:
    return render_template(
        "web/listing_form.html", values=values, errors=errors, listing_id=listing_id, help=field_help(),
        materials=material_options(), visibilities=VISIBILITIES,
        uses=[(k, label(USE_LABELS, k)) for k in USES],
        config=page_config(picker=True, materials=material_options()),
    ), status


def _field_errors(err: ValidationError) -> dict[str, list[str]]:
    details = err.details or {}
    out: dict[str, list[str]] = {}
    for name, msgs in details.items():
        out[name] = [str(m) for m in msgs] if isinstance(msgs, (list, tuple)) else [str(msgs)]
    if not out:
        out["_form"] = [err.message]
    return out


@bp.get("/listings/mine")
@access.login_required
def my_listings():  # type: ignore[no-untyped-def]
    """My organisation's listings, with links to edit or withdraw them."""
    return render_template("web/my_listings.html", rows=search.my_listings(access.viewer()))


@bp.route("/listings/new", methods=["GET", "POST"])
@access.login_required
def new_listing():  # type: ignore[no-untyped-def]
    """Register a source or a sink; the location is typed or picked on the map."""
    if request.method == "GET":
        values = {f: "" for f in FORM_FIELDS}
        values.update(role=request.args.get("role") if request.args.get("role") in ("source", "sink") else "source",
                      material=request.args.get("material") if request.args.get("material") in CATALOGUE
                      else "waste_heat", visibility="public")
        return _render_form(values, {})
    values = _form_values(request.form)
    try:
        row = listings.create_listing(_raw_fields(values), access.viewer())
    except ValidationError as err:
        return _render_form(values, _field_errors(err), status=422)
    except ExchangeError as err:
        return _render_form(values, _field_errors(err) if err.details else {"_form": [err.message]},
                            status=err.status)
    flash(_("Listing %(ref)s registered. It is shown on the map.", ref=row.ref), "success")
    return redirect(url_for("web.index", focus=row.id))


@bp.route("/listings/<int:listing_id>/edit", methods=["GET", "POST"])
@access.login_required
def edit_listing(listing_id: int):  # type: ignore[no-untyped-def]
    """Edit one of my organisation's listings (everything but its owner)."""
    user = access.viewer()
    view = listings.get_listing(listing_id, user)
    if view.get("access") != "owner" and user.role != "admin":
        abort(403)
    if request.method == "GET":
        return _render_form(_values_of(view), {}, listing_id=listing_id)
    values = _form_values(request.form)
    changes = _raw_fields(values)
    # a field emptied in the form is cleared, not kept
    for name in ("site", "use", "hours_per_year", "max_distance_km", "price_rmb_per_unit", "return_temperature_c",
                 "description", "available_months"):
        changes.setdefault(name, None)
    try:
        updated = listings.update_listing(listing_id, changes, user)
    except ValidationError as err:
        return _render_form(values, _field_errors(err), listing_id=listing_id, status=422)
    except ExchangeError as err:
        return _render_form(values, _field_errors(err) if err.details else {"_form": [err.message]},
                            listing_id=listing_id, status=err.status)
    flash(_("Listing %(ref)s saved.", ref=updated.ref), "success")
    return redirect(url_for("web.my_listings"))


@bp.post("/listings/<int:listing_id>/withdraw")
@access.login_required
def withdraw_listing(listing_id: int):  # type: ignore[no-untyped-def]
    """Withdraw one of my listings (its open links are declined)."""
    try:
        row = listings.withdraw_listing(listing_id, access.viewer())
    except ExchangeError as err:
        flash(err.message, "error")
    else:
        flash(_("Listing %(ref)s withdrawn.", ref=row.ref), "success")
    return redirect(url_for("web.my_listings"))


@bp.route("/listings/import", methods=["GET", "POST"])
@access.login_required
def import_listings():  # type: ignore[no-untyped-def]
    """Import a CSV, XLSX, JSON or GeoJSON file: all rows or none, errors shown per row."""
    if request.method == "GET":
        return render_template("web/import.html", errors=None, message=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return render_template("web/import.html", errors=None, message=_("Choose a file first.")), 400
    data = upload.read()
    try:
        report = listings.import_file(upload.filename, data, access.viewer())
    except ImportRejected as err:
        return render_template("web/import.html", errors=err.errors, message=err.message,
                               filename=upload.filename), 422
    except ExchangeError as err:
        return render_template("web/import.html", errors=None, message=err.message, filename=upload.filename), 422
    flash(_("Imported %(total)s listing(s): %(created)s new, %(updated)s updated.", total=report.total,
            created=report.created, updated=report.updated), "success")
    return redirect(url_for("web.my_listings"))


@bp.get("/listings/template.<fmt>")
def listing_template(fmt: str):  # type: ignore[no-untyped-def]
    """The import template in CSV, XLSX, JSON or GeoJSON."""
    if fmt not in TEMPLATE_MAKERS:
        abort(404)
    make, mimetype = TEMPLATE_MAKERS[fmt]
    resp = Response(make(), mimetype=mimetype)
    resp.headers["Content-Disposition"] = f'attachment; filename="listings-template.{fmt}"'
    return resp

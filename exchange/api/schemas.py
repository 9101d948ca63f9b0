"""Marshmallow schemas of the JSON API: they validate requests and document (and
filter) responses in ``/api/v1/openapi.json``.

Listing bodies take the import format's fields (see
``exchange.domain.listing``) plus ``visibility``; the deeper rules (units,
quality grades, ranges) are checked by the one parser,
:func:`exchange.domain.listing.parse_listing`, in the service. A body that
names an organisation or an owner, or sets status or park, is refused (422
naming the field).

Response schemas declare exactly the fields :mod:`exchange.services.visibility`
may produce; a field they do not declare is never sent.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from marshmallow import fields, validate
from webargs.fields import DelimitedList

from exchange.domain.listing import USES
from exchange.domain.materials import CATALOGUE
from exchange.services.listings import FORBIDDEN_FIELDS
from exchange.services.visibility import VISIBILITIES
from exchange.services.workflow import LINK_STATUSES

MATERIALS = tuple(CATALOGUE)
#: the largest id a request may name (32-bit database integers; a larger one would overflow in the database)
MAX_ID = 2**31 - 1
ROLES = ("source", "sink")


class ErrorBodySchema(ma.Schema):
    code = fields.String(required=True, metadata={"description": "machine-readable, e.g. invalid, not_found"})
    message = fields.String(required=True)
    details = fields.Dict(required=True, metadata={"description": "field -> list of messages"})


class ErrorSchema(ma.Schema):
    """The one error format: ``{"error": {"code", "message", "details"}}``."""

    error = fields.Nested(ErrorBodySchema, required=True)


# --------------------------------------------------------------------------- requests: what every one refuses


def _nul_fields(data: Any) -> dict[str, list[str]]:
    """Fields whose text holds a NUL character (PostgreSQL cannot store or compare one: found by API fuzzing)."""
    bad: dict[str, list[str]] = {}
    items = data.items() if hasattr(data, "items") else []
    for key, value in items:
        values = value if isinstance(value, (list, tuple)) else [value]
        if hasattr(data, "getlist"):  # a query string may repeat a name
            values = data.getlist(key)
        if any(isinstance(v, str) and "\x00" in v for v in values):
            bad[str(key)] = ["must not contain NUL (0x00) characters"]
    return bad


class RequestSchema(ma.Schema):
    """Base of every request schema: text with a NUL character is refused (422 naming the field)."""

    @ma.pre_load
    def _refuse_nul(self, data: Any, **kwargs: Any) -> Any:
        bad = _nul_fields(data)
        if bad:
            raise ma.ValidationError(bad)
        return data


# --------------------------------------------------------------------------- listings: requests


def _listing_fields(required: bool) -> dict[str, fields.Field]:
    req = {"required": True} if required else {}
    return {
        "ref": fields.String(validate=validate.Length(min=1, max=120), **req,
                             metadata={"description": "your reference, unique in your organisation"}),
        "role": fields.String(validate=validate.OneOf(ROLES), **req),
        "material": fields.String(validate=validate.OneOf(MATERIALS), **req),
        "lat": fields.Float(validate=validate.Range(-90, 90), **req, metadata={"description": "WGS84 degrees"}),
        "lon": fields.Float(validate=validate.Range(-180, 180), **req, metadata={"description": "WGS84 degrees"}),
        "quantity": fields.Float(**req, metadata={"description": "amount in `unit`"}),
        "unit": fields.String(validate=validate.Length(min=1, max=40), **req,
                              metadata={"description": "e.g. t/yr, kt/yr, MWh/yr, MW, kg/d"}),
        "grade": fields.String(allow_none=True, validate=validate.Length(max=10),
                               metadata={"description": "fly ash grade I, II or III"}),
        "purity_pct": fields.Float(allow_none=True, metadata={"description": "gypsum or hydrogen purity, %"}),
        "temperature_c": fields.Float(allow_none=True, metadata={"description": "waste heat temperature, C"}),
        "site": fields.String(allow_none=True, validate=validate.Length(max=200)),
        "use": fields.String(allow_none=True, validate=validate.Length(max=40), metadata={
            "description": "what the site is or does: " + ", ".join(USES) + "; district_heating without "
                           "available_months means the heating season (11-3)"}),
        "hours_per_year": fields.Float(allow_none=True),
        "max_distance_km": fields.Float(allow_none=True),
        "price_rmb_per_unit": fields.Float(allow_none=True),
        "available_months": fields.String(allow_none=True, validate=validate.Length(max=40),
                                          metadata={"description": "e.g. '11-3' or '11,12,1,2,3'"}),
        "return_temperature_c": fields.Float(allow_none=True),
        "description": fields.String(allow_none=True, validate=validate.Length(max=2000)),
        "visibility": fields.String(validate=validate.OneOf(VISIBILITIES),
                                    metadata={"description": "public (default), anonymous or private"}),
    }


class _RefusesOwnerFields(RequestSchema):
    @ma.pre_load
    def _refuse(self, data: Any, **kwargs: Any) -> Any:
        if isinstance(data, dict):
            bad = {k: [msg] for k, msg in FORBIDDEN_FIELDS.items() if k in data}
            if bad:
                raise ma.ValidationError(bad)
        return data


ListingCreateSchema = _RefusesOwnerFields.from_dict(_listing_fields(True), name="ListingCreate")
ListingPatchSchema = _RefusesOwnerFields.from_dict(_listing_fields(False), name="ListingPatch")


def _bbox(value: list[float]) -> None:
    if len(value) != 4:
        raise ma.ValidationError("four numbers: min_lon,min_lat,max_lon,max_lat")
    if not (-180 <= value[0] <= value[2] <= 180 and -90 <= value[1] <= value[3] <= 90):
        raise ma.ValidationError("must be min_lon,min_lat,max_lon,max_lat with min <= max, WGS84 degrees")


class Paging(RequestSchema):
    limit = fields.Integer(load_default=500, validate=validate.Range(1, 5000))
    offset = fields.Integer(load_default=0, validate=validate.Range(0, 10_000_000))


class ListingQuerySchema(Paging):
    material = DelimitedList(fields.String(validate=validate.OneOf(MATERIALS)), validate=validate.Length(min=1))
    role = fields.String(validate=validate.OneOf(ROLES))
    park = fields.String(validate=validate.Length(max=40))
    bbox = DelimitedList(fields.Float(), validate=_bbox,
                         metadata={"description": "min_lon,min_lat,max_lon,max_lat (WGS84)"})
    lat = fields.Float(validate=validate.Range(-90, 90), metadata={"description": "centre of a radius search"})
    lon = fields.Float(validate=validate.Range(-180, 180))
    radius_km = fields.Float(validate=validate.Range(min=0, max=2000, min_inclusive=False))
    mine = fields.Boolean(load_default=False, metadata={"description": "only my organisation's listings"})
    visibility = fields.String(validate=validate.OneOf(VISIBILITIES))

    @ma.validates_schema
    def _radius(self, data: dict[str, Any], **kwargs: Any) -> None:
        given = [k for k in ("lat", "lon", "radius_km") if k in data]
        if given and len(given) != 3:
            raise ma.ValidationError({k: ["lat, lon and radius_km go together"]
                                      for k in ("lat", "lon", "radius_km") if k not in data})


class ExportQuerySchema(RequestSchema):
    material = DelimitedList(fields.String(validate=validate.OneOf(MATERIALS)), validate=validate.Length(min=1))
    role = fields.String(validate=validate.OneOf(ROLES))
    park = fields.String(validate=validate.Length(max=40))
    status = DelimitedList(fields.String(validate=validate.OneOf(LINK_STATUSES)), validate=validate.Length(min=1))
    mine = fields.Boolean(load_default=False)


# --------------------------------------------------------------------------- listings: responses


class BandSchema(ma.Schema):
    min = fields.Float()
    max = fields.Float()


class ListingSchema(ma.Schema):
    """A listing as the caller may see it; ``access`` says under which rule."""

    access = fields.String(metadata={"description": "owner, full, public, anonymous or withheld"})
    id = fields.Integer(allow_none=True, metadata={"description": "null for an anonymous or withheld listing"})
    key = fields.String(allow_none=True, metadata={"description": "stable reference; opaque for anonymous ones"})
    visibility = fields.String()
    ref = fields.String()
    organisation = fields.String()
    organisation_id = fields.Integer()
    role = fields.String()
    material = fields.String()
    lat = fields.Float()
    lon = fields.Float()
    approximate = fields.Boolean(metadata={"description": "location snapped to a ~5 km cell"})
    quantity = fields.Float()
    quantity_band = fields.Nested(BandSchema)
    unit = fields.String()
    quality = fields.Dict()
    grade = fields.String()
    purity_pct = fields.Float()
    temperature_c = fields.Float()
    site = fields.String(allow_none=True)
    use = fields.String(allow_none=True)
    hours_per_year = fields.Float(allow_none=True)
    max_distance_km = fields.Float(allow_none=True)
    price_rmb_per_unit = fields.Float(allow_none=True)
    available_months = fields.List(fields.Integer())
    return_temperature_c = fields.Float(allow_none=True)
    description = fields.String(allow_none=True)
    park = fields.String(allow_none=True)
    status = fields.String()
    entered_quantity = fields.Float()
    entered_unit = fields.String()
    committed = fields.Float()
    uncommitted = fields.Float()
    created_at = fields.String(allow_none=True)
    updated_at = fields.String(allow_none=True)
    version = fields.Integer()
    distance_km = fields.Float()


class ListingPageSchema(ma.Schema):
    items = fields.List(fields.Nested(ListingSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


# --------------------------------------------------------------------------- links


class LinkQuerySchema(Paging):
    status = DelimitedList(fields.String(validate=validate.OneOf(LINK_STATUSES)), validate=validate.Length(min=1))
    material = DelimitedList(fields.String(validate=validate.OneOf(MATERIALS)), validate=validate.Length(min=1))
    park = fields.String(validate=validate.Length(max=40))
    mine = fields.Boolean(load_default=False, metadata={"description": "only links of my organisation"})


class ReasonSchema(RequestSchema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class OptionalReasonSchema(RequestSchema):
    reason = fields.String(allow_none=True, validate=validate.Length(max=2000))


class CommentSchema(RequestSchema):
    comment = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class OptionalCommentSchema(RequestSchema):
    comment = fields.String(allow_none=True, validate=validate.Length(max=2000))


class SidesSchema(ma.Schema):
    source = fields.Boolean()
    sink = fields.Boolean()


class ApprovalSchema(ma.Schema):
    at = fields.String(allow_none=True)
    comment = fields.String(allow_none=True)


class WorkflowSchema(ma.Schema):
    interest = fields.Nested(SidesSchema)
    accepted = fields.Nested(SidesSchema)
    approvals_required = fields.List(fields.String())
    approved_by_parks = fields.List(fields.String())
    approvals = fields.Dict(keys=fields.String(), values=fields.Nested(ApprovalSchema))
    reason = fields.String(allow_none=True)
    decided_at = fields.String(allow_none=True)
    started_at = fields.String(allow_none=True)
    ended_at = fields.String(allow_none=True)


class LinkSchema(ma.Schema):
    """A link as the caller may see it (figures rounded unless both listings are exact to the caller)."""

    id = fields.Integer()
    match_run_id = fields.Integer()
    status = fields.String()
    material = fields.String()
    unit = fields.String()
    transport = fields.String()
    requires = fields.List(fields.String())
    exact = fields.Boolean()
    quantity = fields.Float()
    delivered = fields.Float()
    quantity_band = fields.Nested(BandSchema)
    distance_km = fields.Float()
    route_km = fields.Float()
    cost_rmb_per_yr = fields.Float(allow_none=True)
    transport_cost_rmb_per_yr = fields.Float(allow_none=True)
    upgrade_cost_rmb_per_yr = fields.Float(allow_none=True)
    value_rmb_per_yr = fields.Float(allow_none=True)
    net_benefit_rmb_per_yr = fields.Float(allow_none=True)
    co2_avoided_t_per_yr = fields.Float(allow_none=True)
    explanation = fields.String()
    details = fields.Dict()
    source = fields.Nested(ListingSchema)
    sink = fields.Nested(ListingSchema)
    workflow = fields.Nested(WorkflowSchema)
    my_sides = fields.List(fields.String())
    actions = fields.List(fields.String())


class LinkPageSchema(ma.Schema):
    items = fields.List(fields.Nested(LinkSchema))
    total = fields.Integer()
    limit = fields.Integer()
    offset = fields.Integer()


# --------------------------------------------------------------------------- match runs, parks, audit, account


class MatchRunCreateSchema(RequestSchema):
    park = fields.String(allow_none=True, validate=validate.Length(max=40),
                         metadata={"description": "limit the run to one park (a park manager's own park by default)"})
    solver = fields.String(validate=validate.OneOf(("ortools", "networkx")))
    cap = fields.Integer(validate=validate.Range(0, 10_000), metadata={"description": "candidates per listing"})
    wait = fields.Float(validate=validate.Range(0, 30), metadata={
        "description": "seconds to wait for the run to finish before answering (default MATCH_RUN_WAIT, 10); "
                       "a run still going is answered with status queued or running: poll its Location"})


class MatchRunQuerySchema(RequestSchema):
    park = fields.String(validate=validate.Length(max=40))


class MatchRunSchema(ma.Schema):
    """A match run; while it is queued or running, ``stage`` and ``progress`` say how far it is."""

    id = fields.Integer()
    status = fields.String(metadata={"description": "queued, running, done or failed"})
    stage = fields.String(metadata={"description": "queued, loading, matching (each material's links are stored "
                                                   "as it is done, committed with the run), done or failed"})
    progress = fields.Float(metadata={"description": "fraction of the run done, 0 to 1"})
    solver = fields.String()
    park = fields.String(allow_none=True)
    started_at = fields.String(allow_none=True)
    finished_at = fields.String(allow_none=True)
    updated_at = fields.String(allow_none=True, metadata={"description": "the run's last heartbeat (UTC)"})
    settings = fields.Dict()
    summary = fields.Dict()
    stats = fields.Dict()
    error = fields.String(allow_none=True)
    links = fields.Integer()


class ParkSummarySchema(ma.Schema):
    key = fields.String()
    name_en = fields.String()
    name_zh = fields.String()
    kind = fields.String()
    requires_approval = fields.Boolean()
    listings = fields.Dict(metadata={"description": "material -> role -> count of listings you may see"})
    links = fields.Dict(metadata={"description": "status -> count of links you may see"})
    agreed = fields.Dict(metadata={"description": "material -> quantity, unit, CO2 avoided of agreed links"})


class AuditQuerySchema(RequestSchema):
    action = fields.String(validate=validate.Length(max=40))
    park = fields.String(validate=validate.Length(max=40))
    limit = fields.Integer(load_default=200, validate=validate.Range(1, 1000))
    before_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))


class AuditEntrySchema(ma.Schema):
    id = fields.Integer()
    at = fields.String()
    user_id = fields.Integer(allow_none=True)
    actor = fields.String(allow_none=True)
    organisation_id = fields.Integer(allow_none=True)
    organisation = fields.String(allow_none=True)
    parks = fields.List(fields.String())
    action = fields.String()
    target_type = fields.String(allow_none=True)
    target_id = fields.Integer(allow_none=True)
    details = fields.Dict()
    ip = fields.String(allow_none=True)


class MeSchema(ma.Schema):
    id = fields.Integer()
    email = fields.String()
    role = fields.String()
    organisation_id = fields.Integer()
    organisation = fields.String()
    park = fields.String(allow_none=True)

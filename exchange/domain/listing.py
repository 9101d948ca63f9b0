"""Listings (sources and sinks) and the one parser every entry point uses.

:func:`parse_listing` turns a row of the public import format (a mapping of
field name -> value, as read from CSV, XLSX, JSON, GeoJSON, a form or the API)
into a :class:`Listing` in canonical units, or raises
:class:`~exchange.domain.errors.ValidationError` whose ``details`` name every
field at fault. Field names are the product's public format, documented in
``docs/import-format.md``.

>>> l = parse_listing({"ref": "A1", "organisation": "Huaneng", "role": "source",
...     "material": "fly_ash", "lat": "36.6", "lon": "117.0", "quantity": "12",
...     "unit": "kt/yr", "grade": "ii"})
>>> l.quantity, l.unit, l.quality
(12000.0, 't/yr', 'II')
>>> parse_listing({"role": "seller"})
Traceback (most recent call last):
...
exchange.domain.errors.ValidationError: 8 field(s) invalid: lat, lon, material, organisation, quantity, ref, role, unit
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .errors import ValidationError
from .materials import CATALOGUE, Quality
from .numbers import to_number
from .units import UnitProblem, to_canonical

ALL_MONTHS: frozenset[int] = frozenset(range(1, 13))


class Role(str, Enum):
    SOURCE = "source"
    SINK = "sink"


REQUIRED = ("ref", "organisation", "role", "material", "lat", "lon", "quantity", "unit")
QUALITY_FIELDS = tuple(sorted({m.quality.attribute for m in CATALOGUE.values()}))
OPTIONAL = ("site", "use", "hours_per_year", "max_distance_km", "price_rmb_per_unit", "available_months",
            "return_temperature_c", "description")

#: what a listing's site is or does (``use``); sinks' kinds come from the catalogue
USES: tuple[str, ...] = tuple(dict.fromkeys(
    [k for m in CATALOGUE.values() for k in m.sink_kinds]
    + ["power_plant", "chp_plant", "steel_plant", "chemical_plant", "chlor_alkali_plant", "coking_plant", "other"]))

#: months a use is active when the listing does not say: district heating runs in the heating
#: season, 15 November to 15 March in Jinan (REFERENCE.md), counted here as whole months 11-3
DEFAULT_MONTHS: dict[str, frozenset[int]] = {"district_heating": frozenset({11, 12, 1, 2, 3})}
FIELDS = REQUIRED + QUALITY_FIELDS + OPTIONAL


@dataclass(frozen=True)
class Listing:
    """A source or sink in canonical annual units.

    ``quantity`` is in ``unit`` (the material's canonical unit, per year);
    ``entered_quantity``/``entered_unit`` keep what the owner typed. ``lat`` and
    ``lon`` are WGS84 degrees. ``id`` is the stored id, if any.
    """

    ref: str
    organisation: str
    role: Role
    material: str
    lat: float
    lon: float
    quantity: float
    unit: str
    quality: Quality
    entered_quantity: float
    entered_unit: str
    site: str | None = None
    hours_per_year: float | None = None
    max_distance_km: float | None = None
    price_rmb_per_unit: float | None = None
    available_months: frozenset[int] = ALL_MONTHS
    return_temperature_c: float | None = None
    description: str | None = None
    use: str | None = None
    id: int | None = None
    park: str | None = None  # geodata.parks key, when known (stored listings)

    @property
    def key(self) -> tuple[str, str]:
        return (self.organisation, self.ref)


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, float) and math.isnan(v))


def _float(v: Any, lo: float | None = None, hi: float | None = None, *, positive: bool = False) -> float:
    x = to_number(v)
    if not math.isfinite(x):
        raise ValueError("must be a finite number")
    if positive and x <= 0:
        raise ValueError("must be greater than 0")
    if lo is not None and hi is not None and not lo <= x <= hi:
        raise ValueError(f"must be between {lo:g} and {hi:g}")
    return x


def parse_months(v: Any) -> frozenset[int]:
    """Months from ``"11,12,1,2,3"``, ``"11-3"`` (wrapping), or a list of ints.

    >>> sorted(parse_months("11-3"))
    [1, 2, 3, 11, 12]
    >>> sorted(parse_months([6, "7"]))
    [6, 7]
    """
    if _blank(v):
        return ALL_MONTHS
    parts: list[Any] = list(v) if isinstance(v, (list, tuple, set, frozenset)) else str(v).replace("，", ",").replace(";", ",").split(",")
    months: set[int] = set()
    for part in parts:
        text = str(part).strip()
        if not text:
            continue
        try:
            if "-" in text:
                a, b = (int(x) for x in text.split("-", 1))
                if not (1 <= a <= 12 and 1 <= b <= 12):
                    raise ValueError
                m = a
                while True:
                    months.add(m)
                    if m == b:
                        break
                    m = m % 12 + 1
            else:
                m = int(float(text))
                if not 1 <= m <= 12 or float(text) != m:
                    raise ValueError
                months.add(m)
        except (ValueError, OverflowError):
            raise ValueError(f"months are 1-12, as '11,12,1,2,3' or '11-3'; {text!r} is not") from None
    if not months:
        raise ValueError("no month given")
    return frozenset(months)


def parse_listing(raw: Mapping[str, Any], *, listing_id: int | None = None) -> Listing:
    """Validate one row of the import format; see the module docstring.

    Raises
    ------
    ValidationError
        ``details`` maps each field at fault to a list of messages.
    """
    errors: dict[str, list[str]] = {}
    out: dict[str, Any] = {}

    def bad(name: str, msg: str) -> None:
        errors.setdefault(name, []).append(msg)

    def get(name: str) -> Any:
        v = raw.get(name)
        return None if _blank(v) else v

    for name in ("ref", "organisation"):
        v = get(name)
        if v is None:
            bad(name, "is required")
        elif len(str(v).strip()) > 120:
            bad(name, "must be at most 120 characters")
        else:
            out[name] = str(v).strip()

    role = get("role")
    if role is None:
        bad("role", "is required")
    else:
        try:
            out["role"] = Role(str(role).strip().lower())
        except ValueError:
            bad("role", f"must be 'source' or 'sink', not {role!r}")

    mat = get("material")
    material = None
    if mat is None:
        bad("material", "is required")
    elif str(mat).strip().lower() not in CATALOGUE:
        bad("material", f"unknown material {mat!r}; known: {', '.join(CATALOGUE)}")
    else:
        material = CATALOGUE[str(mat).strip().lower()]
        out["material"] = material.key

    for name, lo, hi in (("lat", -90.0, 90.0), ("lon", -180.0, 180.0)):
        v = get(name)
        if v is None:
            bad(name, "is required")
            continue
        try:
            out[name] = _float(v, lo, hi)
        except ValueError as e:
            bad(name, str(e))

    def optional_number(name: str, lo: float | None = None, hi: float | None = None, positive: bool = False) -> float | None:
        v = get(name)
        if v is None:
            return None
        try:
            return _float(v, lo, hi, positive=positive)
        except ValueError as e:
            bad(name, str(e))
            return None

    hours = optional_number("hours_per_year", 1, 8784)
    out["hours_per_year"] = hours
    out["max_distance_km"] = optional_number("max_distance_km", positive=True)
    out["price_rmb_per_unit"] = optional_number("price_rmb_per_unit", 0, 1e9)
    out["return_temperature_c"] = optional_number("return_temperature_c", -50, 1500)

    q = get("quantity")
    qty: float | None = None
    if q is None:
        bad("quantity", "is required")
    else:
        try:
            qty = _float(q, positive=True)
        except ValueError as e:
            bad("quantity", str(e))
    unit = get("unit")
    if unit is None:
        bad("unit", "is required")
    if material is not None and qty is not None and unit is not None:
        try:
            canonical = to_canonical(qty, str(unit), material.canonical_unit, hours_per_year=hours,
                                     gas_density_kg_per_nm3=material.gas_density_kg_per_nm3)
        except UnitProblem as e:
            bad("unit", str(e))
        else:
            if not math.isfinite(canonical) or canonical <= 0 or canonical > 1e12:
                bad("quantity", f"converts to {canonical:g} {material.canonical_unit}, outside 0-1e12")
            else:
                out.update(quantity=canonical, unit=material.canonical_unit, entered_quantity=qty, entered_unit=str(unit).strip())

    if material is not None:
        attr = material.quality.attribute
        v = get(attr)
        if v is None:
            bad(attr, f"is required for {material.key} ({material.quality.meaning.get(out.get('role', Role.SOURCE).value, attr)})")
        else:
            try:
                out["quality"] = material.quality.parse(v)
            except ValueError as e:
                bad(attr, str(e))
        for other in QUALITY_FIELDS:
            if other != attr and get(other) is not None:
                bad(other, f"does not apply to {material.key} (its quality field is {attr})")

    use = get("use")
    out["use"] = None
    if use is not None:
        key = str(use).strip().lower().replace(" ", "_").replace("-", "_")
        if key not in USES:
            bad("use", f"must be one of {', '.join(USES)}, not {use!r}")
        else:
            out["use"] = key

    try:
        months = get("available_months")
        out["available_months"] = (DEFAULT_MONTHS[out["use"]] if months is None and out["use"] in DEFAULT_MONTHS
                                   else parse_months(months))
    except ValueError as e:
        bad("available_months", str(e))

    for name, longest in (("site", 200), ("description", 2000)):
        v = get(name)
        if v is not None and len(str(v).strip()) > longest:
            bad(name, f"must be at most {longest} characters")
        out[name] = None if v is None else str(v).strip()

    ret = out.get("return_temperature_c")
    if ret is not None:
        if out.get("material") != "waste_heat":
            bad("return_temperature_c", "applies only to waste_heat")
        elif isinstance(out.get("quality"), float) and ret >= out["quality"]:
            bad("return_temperature_c", f"must be below temperature_c ({out['quality']:g} C)")

    if errors:
        shown = ", ".join(sorted(errors)[:8]) + (", ..." if len(errors) > 8 else "")
        raise ValidationError(f"{len(errors)} field(s) invalid: {shown}", errors)
    return Listing(id=listing_id, **out)

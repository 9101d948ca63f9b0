"""Typed, cached loaders for the plant tables in ``geodata/data/``.

* :func:`coal_units` - Global Energy Monitor, Global Coal Plant Tracker
  (GCPT), July 2024, one row per unit.  CC BY 4.0.
* :func:`power_plants` - WRI Global Power Plant Database (GPPD) v1.3.0, CHN
  rows in the Shandong bounding box.  CC BY 4.0.
* :func:`steel_plants` - Global Energy Monitor, Global Iron and Steel Tracker
  (GIST), map file 2025-03-25, one row per plant.  CC BY 4.0.

Origins, commits and licences are in ``geodata/data/SOURCES.md``.

Coordinate order: every record carries ``lat`` and ``lon`` (WGS84 degrees)
as separate fields; :attr:`Located.latlon` gives the (lat, lon) pair.

Every record has the location columns computed when the files were cut:
``in_shandong_polygon``, ``in_shandong_best_guess`` (inside, or at most 5 km
outside with no neighbouring province containing it), ``prefecture_adcode``
and ``prefecture_zh`` (``None`` when outside), ``dist_outside_km`` and
``other_province_zh``.  Treat the flags as unreliable within about 2 km of the
border.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

__all__ = [
    "CoalUnit",
    "Located",
    "PowerPlant",
    "SteelPlant",
    "coal_units",
    "power_plants",
    "steel_plants",
]

DATA_DIR: Final[Path] = Path(__file__).resolve().parent / "data"
COAL_UNITS_CSV: Final[str] = "shandong_coal_units_gem_gcpt.csv"
POWER_PLANTS_CSV: Final[str] = "shandong_power_plants.csv"
STEEL_PLANTS_CSV: Final[str] = "shandong_steel_plants_gem.csv"


# -- field parsers -----------------------------------------------------------


def _text(value: str | None) -> str:
    return (value or "").strip()


def _opt_text(value: str | None) -> str | None:
    v = _text(value)
    return v or None


def _float(value: str | None) -> float:
    v = _text(value)
    return float(v) if v else 0.0


def _opt_float(value: str | None) -> float | None:
    v = _text(value)
    return float(v) if v else None


def _opt_int(value: str | None) -> int | None:
    v = _text(value)
    return int(float(v)) if v else None


def _yes(value: str | None) -> bool:
    v = _text(value).lower()
    if v not in {"yes", "no"}:
        raise ValueError(f"expected 'yes' or 'no', got {value!r}")
    return v == "yes"


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA_DIR / name).open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


# -- records -----------------------------------------------------------------


@dataclass(frozen=True)
class Located:
    """Location columns shared by all three tables (WGS84 degrees)."""

    lat: float
    lon: float
    in_shandong_polygon: bool
    in_shandong_best_guess: bool
    prefecture_adcode: str | None
    prefecture_zh: str | None
    dist_outside_km: float
    other_province_zh: str | None

    @property
    def latlon(self) -> tuple[float, float]:
        """``(lat, lon)`` in degrees."""
        return (self.lat, self.lon)


def _located(r: dict[str, str]) -> dict[str, object]:
    return {
        "lat": float(r["latitude"]),
        "lon": float(r["longitude"]),
        "in_shandong_polygon": _yes(r["in_shandong_polygon"]),
        "in_shandong_best_guess": _yes(r["in_shandong_best_guess"]),
        "prefecture_adcode": _opt_text(r["prefecture_adcode"]),
        "prefecture_zh": _opt_text(r["prefecture_zh"]),
        "dist_outside_km": _float(r["dist_outside_km"]),
        "other_province_zh": _opt_text(r["other_province_zh"]),
    }


@dataclass(frozen=True)
class CoalUnit(Located):
    """One coal-fired unit from GEM's Global Coal Plant Tracker.

    ``owner`` and ``parent`` keep GEM's text, shares included, e.g.
    ``"Huaneng Power International Inc [80.0%]; China Huaneng Group ..."``.
    ``captive_sector`` is the industry a captive plant serves (aluminum,
    chemicals, ...); ``captive_industry_supply`` is "power", "heat" or "both"
    and ``captive_residential_supply`` likewise for residential heat.
    """

    unit_id: str
    location_id: str
    plant_name: str
    unit_name: str
    plant_name_local: str
    owner: str
    parent: str
    capacity_mw: float
    status: str
    start_year: int | None
    retired_year: int | None
    combustion_technology: str
    coal_type: str
    local_area: str
    major_area: str
    subnational_unit: str
    location_accuracy: str
    captive_sector: str | None
    captive_industry_supply: str | None
    captive_residential_supply: str | None
    annual_co2_mt: float | None
    wiki_url: str


@dataclass(frozen=True)
class PowerPlant(Located):
    """One plant from the WRI Global Power Plant Database (v1.3.0)."""

    gppd_idnr: str
    name: str
    capacity_mw: float
    primary_fuel: str
    other_fuel: str | None
    commissioning_year: int | None
    owner: str | None
    source: str
    url: str


@dataclass(frozen=True)
class SteelPlant(Located):
    """One plant from GEM's Global Iron and Steel Tracker.

    Capacities are in thousand tonnes per annum (ttpa).
    """

    plant_id: str
    name_en: str
    name_zh: str
    owner: str
    parent: str
    subnational_unit: str
    status: str
    production_method: str
    main_production_equipment: str
    start_date: str | None
    crude_steel_ttpa: float
    bof_steel_ttpa: float
    eaf_steel_ttpa: float
    iron_ttpa: float
    bf_ttpa: float
    dri_ttpa: float
    wiki_url: str


# -- loaders -----------------------------------------------------------------


@cache
def coal_units() -> tuple[CoalUnit, ...]:
    """All GCPT units in the file (every status), in file order.

    Examples
    --------
    >>> units = coal_units()
    >>> len(units)
    852
    >>> sum(u.capacity_mw for u in units
    ...     if u.status == "operating" and u.subnational_unit == "Shandong")
    102709.0
    """
    return tuple(
        CoalUnit(
            **_located(r),  # type: ignore[arg-type]
            unit_id=_text(r["gem_unit_id"]),
            location_id=_text(r["gem_location_id"]),
            plant_name=_text(r["plant_name"]),
            unit_name=_text(r["unit_name"]),
            plant_name_local=_text(r["plant_name_local"]),
            owner=_text(r["owner"]),
            parent=_text(r["parent"]),
            capacity_mw=_float(r["capacity_mw"]),
            status=_text(r["status"]),
            start_year=_opt_int(r["start_year"]),
            retired_year=_opt_int(r["retired_year"]),
            combustion_technology=_text(r["combustion_technology"]),
            coal_type=_text(r["coal_type"]),
            local_area=_text(r["local_area"]),
            major_area=_text(r["major_area"]),
            subnational_unit=_text(r["subnational_unit"]),
            location_accuracy=_text(r["location_accuracy"]),
            captive_sector=_opt_text(r["captive_sector"]),
            captive_industry_supply=_opt_text(r["captive_industry_supply"]),
            captive_residential_supply=_opt_text(r["captive_residential_supply"]),
            annual_co2_mt=_opt_float(r["annual_co2_mt"]),
            wiki_url=_text(r["wiki_url"]),
        )
        for r in _rows(COAL_UNITS_CSV)
    )


@cache
def power_plants() -> tuple[PowerPlant, ...]:
    """All GPPD rows in the file (Shandong bounding box), in file order.

    Examples
    --------
    >>> plants = power_plants()
    >>> len(plants)
    263
    >>> sum(1 for p in plants if p.primary_fuel == "Coal" and p.in_shandong_best_guess)
    83
    """
    return tuple(
        PowerPlant(
            **_located(r),  # type: ignore[arg-type]
            gppd_idnr=_text(r["gppd_idnr"]),
            name=_text(r["name"]),
            capacity_mw=_float(r["capacity_mw"]),
            primary_fuel=_text(r["primary_fuel"]),
            other_fuel=_opt_text(r["other_fuel"]),
            commissioning_year=_opt_int(r["commissioning_year"]),
            owner=_opt_text(r["owner"]),
            source=_text(r["source"]),
            url=_text(r["url"]),
        )
        for r in _rows(POWER_PLANTS_CSV)
    )


@cache
def steel_plants() -> tuple[SteelPlant, ...]:
    """All GIST rows in the file (Shandong-labelled or in the bbox), in file order.

    Examples
    --------
    >>> plants = steel_plants()
    >>> len(plants)
    42
    >>> sum(p.crude_steel_ttpa for p in plants
    ...     if p.subnational_unit == "Shandong" and p.status.startswith("operating"))
    56401.0
    """
    return tuple(
        SteelPlant(
            **_located(r),  # type: ignore[arg-type]
            plant_id=_text(r["plant_id"]),
            name_en=_text(r["plant_name_en"]),
            name_zh=_text(r["plant_name_zh"]),
            owner=_text(r["owner"]),
            parent=_text(r["parent"]),
            subnational_unit=_text(r["subnational_unit"]),
            status=_text(r["plant_status"]),
            production_method=_text(r["production_method"]),
            main_production_equipment=_text(r["main_production_equipment"]),
            start_date=_opt_text(r["start_date"]),
            crude_steel_ttpa=_float(r["operating_crude_steel_ttpa"]),
            bof_steel_ttpa=_float(r["operating_bof_steel_ttpa"]),
            eaf_steel_ttpa=_float(r["operating_eaf_steel_ttpa"]),
            iron_ttpa=_float(r["operating_iron_ttpa"]),
            bf_ttpa=_float(r["operating_bf_ttpa"]),
            dri_ttpa=_float(r["operating_dri_ttpa"]),
            wiki_url=_text(r["gem_wiki_page"]),
        )
        for r in _rows(STEEL_PLANTS_CSV)
    )

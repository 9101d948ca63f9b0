"""The Shandong demo scenario, as rows in the listing import format.

:func:`build_demo_rows` is pure and deterministic: it reads the open plant data
shipped in ``geodata/data/`` (see ``geodata/data/SOURCES.md``) and derives
every quantity by the rules below.  Nothing is random; the same rows come back
on every call.  Every factor carries its origin, or *(check)* where it is a
working assumption that no source here confirmed (as in ``REFERENCE.md``).
All factors are module constants so that they can be read and overridden.

Sources
-------
**Coal plants** (GEM Global Coal Plant Tracker, July 2024).  Units with
``status == "operating"``, ``subnational_unit == "Shandong"`` and
``in_shandong_best_guess``, grouped per plant (GEM location id).  Plants with
less than :data:`MIN_PLANT_MW` (200 MW) of operating capacity are left out to
keep the demo small (79 plants, about 97.6 of 102.7 GW remain).  The plant's
coordinate is that of its largest unit.  Per plant and year:

* generation = capacity MW x :data:`UTILISATION_HOURS` 4,500 h *(check;
  Shandong coal fleet in the 4,300-5,000 h range)*;
* standard coal = generation x :data:`HEAT_RATE_GCE_PER_KWH` 300 gce/kWh
  *(check; national average supply coal consumption is about 300)*;
* raw coal = standard coal x :data:`RAW_COAL_PER_TCE` 1.4 t/tce (thermal coal
  of 5,000 kcal/kg against 7,000 kcal/kg for standard coal) *(check)*;
* ``fly_ash`` (t/yr) = raw coal x :data:`ASH_CONTENT` 22 % *(check)* x
  :data:`FLY_ASH_SHARE` 85 % of the ash leaving as fly ash in
  pulverised-coal boilers, the rest bottom ash *(check)*.  About 353 t per MW;
* ``fgd_gypsum`` (t/yr, CaSO4.2H2O, dry) = raw coal x :data:`SULPHUR_CONTENT`
  1.0 % S *(check)* x :data:`SO2_CAPTURE` 95 % capture of wet limestone FGD
  *(check)* x 172.17/32.06 = 5.37 t gypsum per t S (stoichiometry).  About
  96 t per MW;
* ``waste_heat`` (MWh/yr) = generation x :data:`RECOVERABLE_HEAT_PER_MWH_E`
  0.5 MWh of recoverable low-grade heat per MWh electric *(check; a 40 %
  efficient unit rejects about 1.2 MWh to the condenser per MWh, of which
  about 40 % is taken as recoverable by extraction, high back pressure or
  absorption heat pumps)*.

Quality rules (deterministic, by the capacity-weighted dominant combustion
technology recorded by GCPT):

* fly ash grade (GB/T 1596-2017): supercritical or ultra-supercritical -> I
  (large modern units, low-NOx burners, classified ash); subcritical with a
  largest unit of at least 300 MW -> II; smaller subcritical or unknown
  technology -> III *(check)*.  A plant dominated by circulating
  fluidised-bed (CFB) boilers gets no fly ash and no gypsum row: CFB ash is
  outside GB/T 1596 and in-furnace desulfurisation makes no FGD gypsum (no
  plant above 200 MW is CFB-dominated in the July 2024 data);
* gypsum purity (CaSO4.2H2O %): ultra-supercritical 95, supercritical 93,
  subcritical 91, unknown 88, plus 1 point when the newest unit started in
  2015 or later (newer FGD), so the range is 88-96 % *(check)*;
* heat carrier temperature: 120 C where GCPT records residential heat supply
  ("heat" or "both": extraction steam into a primary network, CJJ 34-2010
  130/60 C); 90 C for plants whose largest unit is at least 600 MW (condenser
  heat at high back pressure); 105 C otherwise *(check)*.

``organisation`` is the GCPT owner without the share (first owner when
several, the owner of the largest capacity when units differ), else the
parent, else the plant name; ``site`` is the plant name; ``ref`` is the plant
slug plus the material.

**Liaocheng heat into Jinan.**  The Chiping Xinyuan plant is GCPT's
"Shandong Xinfa Xinyuan power station" (9 x 660 MW, Chiping, Liaocheng,
36.6155 N 116.2191 E).  Its ``waste_heat`` row carries ``max_distance_km``
130 (the real line runs more than 100 km, 2 x DN1600, 4 relay pumping
stations, REFERENCE.md).  If the plant were missing from the data, an
*assumed* source of :data:`XINYUAN_FALLBACK_MWH` at 36.58 N 116.25 E is used
instead.

**Steel plants** (GEM Global Iron and Steel Tracker, 2025-03-25).  Plants with
an operating status, ``subnational_unit == "Shandong"``, best-guess inside the
province and operating crude steel capacity > 0 (13 plants, 56.4 Mt/yr; the
Jiangsu-labelled Xugang plant near the border is left out).  ``waste_heat``
(MWh/yr) = crude steel capacity x :data:`STEEL_LOW_GRADE_HEAT_GJ_PER_T` 1.0 GJ
of recoverable low-grade heat per tonne (slag-flushing water, blast-furnace
and converter cooling water) / 3.6 *(check)*; 80 C where blast furnaces run,
65 C for electric-arc plants *(check)*.  No slag rows yet.

**Hydrogen.**

* Qilu Petrochemical by-product chlor-alkali hydrogen, Linzi, Zibo, at the
  coordinate GCPT gives for the Sinopec Qilu works power station (36.7852 N,
  118.2131 E): :data:`QILU_H2_T_PER_YR` 2,000 t/yr *(check)*, purity 99.9 %
  (the source reports up to 99.99 % after purification, REFERENCE.md);
* coke-oven-gas hydrogen at the Laiwu (Yinshan) steel works, Jinan:
  3,000 t/yr *(check)*, purity 58 % (coke-oven gas is 55-60 % H2,
  REFERENCE.md), needs PSA purification;
* two chlor-alkali sources, *assumed* (not from a dataset): Weifang Binhai,
  1,500 t/yr, 99.9 %, and Dongying, 1,000 t/yr, 99.5 % *(check)*.

Sinks (all *assumed*: placed by rule, not real enterprises; organisations
carry "(demo)")
------------------------------------------------------------------------------
For each of the 16 prefecture cities (:func:`geodata.boundaries.cities`) the
sinks are put at a fixed bearing and distance from the city's label point
(:data:`SINK_OFFSETS`); if that point falls outside the city's outline the
bearing turns by 45 degrees until it is inside.  Demand scales with the
city's resident population (:data:`POPULATION_M`, about year-end 2023, in
millions, rounded, Shandong statistical yearbook *(check)*).  "Large" cities
have at least :data:`LARGE_CITY_M` 8 million residents.

* district heating network, ``waste_heat``: heated area = population x
  :data:`HEATED_AREA_M2_PER_RESIDENT` 20 m2 *(check)*; demand = area x
  :data:`HEAT_DEMAND_GJ_PER_M2` 0.35 GJ/m2 per season *(check)*; months
  11-3 (Jinan heating season 15 Nov - 15 Mar, REFERENCE.md).  Required supply
  temperature by network size: >= 9 M residents 110 C, >= 5 M 95 C, >= 3 M
  85 C, else 75 C (3rd-generation networks 80-110 C, secondary 75/50 C);
  return 60 C for >= 95 C, else 50 C *(check)*;
* cement plant, ``fly_ash``: population x :data:`CEMENT_T_PER_RESIDENT` 1.4 t
  cement/yr *(check)* x :data:`CEMENT_FLY_ASH_SHARE` 12 % *(check)*; lowest
  grade accepted alternates III, II, III, ... in adcode order *(assumed)*;
* the same cement plant, ``fgd_gypsum`` as set retarder: cement x
  :data:`CEMENT_GYPSUM_SHARE` 4.5 % *(check)*, purity >= 85 % (GB/T 21371
  accepts lower purities);
* plasterboard plant, ``fgd_gypsum``: 50 million m2/yr of board in large
  cities, 30 million elsewhere, x :data:`PLASTERBOARD_KG_GYPSUM_PER_M2` 8 kg
  of gypsum per m2 *(check)*; purity >= 95 % in large cities (VGB/Eurogypsum
  benchmark), else >= 90 % (GB/T 37785 grade 2);
* concrete mixing station, ``fly_ash``: population x
  :data:`CONCRETE_M3_PER_RESIDENT` 2.0 m3/yr *(check)* x
  :data:`CONCRETE_FLY_ASH_KG_PER_M3` 60 kg/m3 *(check)*; grade I in large
  cities (high-strength concrete), else II;
* greenhouses, ``waste_heat``, six sites (:data:`GREENHOUSES`, e.g. toward
  Shouguang in Weifang and Lanling in Linyi): area x
  :data:`GREENHOUSE_GJ_PER_M2` 1.2 GJ/m2/yr *(check)*, supply 45 or 50 C
  (REFERENCE.md: 40-50 C), return 30 C, months 10-4 *(check)*;
* Jinan reception of the Liaocheng line, ``waste_heat``: about 70 million m2
  heated (REFERENCE.md) x 0.35 GJ/m2, 75 C supply / 50 C return (secondary
  network level, CJJ 34-2010) *(check)*, placed 8 km west of Jinan's label
  point; the straight line from Chiping is about 62 km, the pipe route
  longer;
* hydrogen: fuel-cell refuelling stations at 99.97 % (ISO 14687 grade D) in
  Jinan (500 and 1,000 kg/d), Zibo (1,000 kg/d), Qingdao (1,000 and
  500 kg/d) and Weifang (1,000 kg/d), x 365 d; one industrial user in Zibo
  at 99.9 %, 1,500 t/yr *(check)*.

With these rules the coal fleet's fly ash (about 34 Mt) exceeds the cement
and concrete demand (about 29 Mt), FGD gypsum (about 9.4 Mt) falls short of
retarder plus plasterboard demand (about 11 Mt, and only the newest units
reach 95 %), and heat is plentiful in Binzhou and Liaocheng and short in
Jinan, Qingdao and Linyi: the matcher has real choices.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from typing import Any, Final

from geodata.boundaries import City, cities, city_of
from geodata.distance import destination
from geodata.plants import CoalUnit, SteelPlant, coal_units, steel_plants

__all__ = ["build_demo_rows"]

Row = dict[str, Any]

# -- coal-plant factors ------------------------------------------------------

MIN_PLANT_MW: Final[float] = 200.0
UTILISATION_HOURS: Final[float] = 4500.0  # h/yr (check)
HEAT_RATE_GCE_PER_KWH: Final[float] = 300.0  # gce/kWh (check)
RAW_COAL_PER_TCE: Final[float] = 7000.0 / 5000.0  # t raw coal per tce (check)
ASH_CONTENT: Final[float] = 0.22  # of raw coal (check)
FLY_ASH_SHARE: Final[float] = 0.85  # of total ash (check)
SULPHUR_CONTENT: Final[float] = 0.010  # of raw coal (check)
SO2_CAPTURE: Final[float] = 0.95  # wet limestone FGD (check)
GYPSUM_PER_SULPHUR: Final[float] = 172.17 / 32.06  # CaSO4.2H2O / S, molar masses
RECOVERABLE_HEAT_PER_MWH_E: Final[float] = 0.5  # MWh_th per MWh_e (check)

HEAT_TEMP_RESIDENTIAL_C: Final[float] = 120.0  # (check)
HEAT_TEMP_LARGE_CONDENSING_C: Final[float] = 90.0  # (check)
HEAT_TEMP_OTHER_C: Final[float] = 105.0  # (check)

XINYUAN_PLANT: Final[str] = "Shandong Xinfa Xinyuan power station"
XINYUAN_MAX_DISTANCE_KM: Final[float] = 130.0
XINYUAN_FALLBACK_LATLON: Final[tuple[float, float]] = (36.58, 116.25)  # assumed
XINYUAN_FALLBACK_MWH: Final[float] = 10_000_000.0  # assumed

# -- steel factors -----------------------------------------------------------

STEEL_LOW_GRADE_HEAT_GJ_PER_T: Final[float] = 1.0  # per t crude steel (check)
STEEL_HEAT_TEMP_BF_C: Final[float] = 80.0  # (check)
STEEL_HEAT_TEMP_EAF_C: Final[float] = 65.0  # (check)

# -- hydrogen ----------------------------------------------------------------

QILU_H2_T_PER_YR: Final[float] = 2000.0  # (check)
QILU_H2_PURITY_PCT: Final[float] = 99.9
QILU_PLANT: Final[str] = "Qilu Works power station"
QILU_FALLBACK_LATLON: Final[tuple[float, float]] = (36.80, 118.30)  # approx.
COG_STEEL_PLANT: Final[str] = "Laiwu Iron and Steel Group Yinshan Section Steel"
COG_H2_T_PER_YR: Final[float] = 3000.0  # (check)
COG_H2_PURITY_PCT: Final[float] = 58.0
# (adcode, bearing deg, km from label point, t/yr, purity %) - all assumed
CHLOR_ALKALI_ASSUMED: Final[tuple[tuple[str, str, float, float, float, float], ...]] = (
    ("370700", "Weifang Binhai", 0.0, 38.0, 1500.0, 99.9),
    ("370500", "Dongying", 90.0, 15.0, 1000.0, 99.5),
)
# (adcode, station no., kg/d)
H2_STATIONS: Final[tuple[tuple[str, int, float], ...]] = (
    ("370100", 1, 500.0),
    ("370100", 2, 1000.0),
    ("370300", 1, 1000.0),
    ("370200", 1, 1000.0),
    ("370200", 2, 500.0),
    ("370700", 1, 1000.0),
)
H2_FUEL_CELL_PURITY_PCT: Final[float] = 99.97  # ISO 14687:2019 grade D
H2_INDUSTRIAL_ADCODE: Final[str] = "370300"
H2_INDUSTRIAL_T_PER_YR: Final[float] = 1500.0  # (check)
H2_INDUSTRIAL_PURITY_PCT: Final[float] = 99.9

# -- sink factors --------------------------------------------------------------

#: Resident population, millions, about year-end 2023, rounded (check).
POPULATION_M: Final[dict[str, float]] = {
    "370100": 9.4,  # Jinan (incl. former Laiwu)
    "370200": 10.4,  # Qingdao
    "370300": 4.7,  # Zibo
    "370400": 3.8,  # Zaozhuang
    "370500": 2.2,  # Dongying
    "370600": 7.0,  # Yantai
    "370700": 9.4,  # Weifang
    "370800": 8.3,  # Jining
    "370900": 5.4,  # Tai'an
    "371000": 2.9,  # Weihai
    "371100": 3.0,  # Rizhao
    "371300": 11.0,  # Linyi
    "371400": 5.6,  # Dezhou
    "371500": 5.9,  # Liaocheng
    "371600": 3.9,  # Binzhou
    "371700": 8.7,  # Heze
}
LARGE_CITY_M: Final[float] = 8.0
HEATED_AREA_M2_PER_RESIDENT: Final[float] = 20.0  # (check)
HEAT_DEMAND_GJ_PER_M2: Final[float] = 0.35  # per heating season (check)
HEATING_MONTHS: Final[str] = "11,12,1,2,3"
CEMENT_T_PER_RESIDENT: Final[float] = 1.4  # t cement per resident and year (check)
CEMENT_FLY_ASH_SHARE: Final[float] = 0.12  # (check)
CEMENT_GYPSUM_SHARE: Final[float] = 0.045  # (check)
CEMENT_GYPSUM_MIN_PURITY: Final[float] = 85.0
PLASTERBOARD_M2_LARGE: Final[float] = 50e6
PLASTERBOARD_M2_OTHER: Final[float] = 30e6
PLASTERBOARD_KG_GYPSUM_PER_M2: Final[float] = 8.0  # (check)
CONCRETE_M3_PER_RESIDENT: Final[float] = 2.0  # (check)
CONCRETE_FLY_ASH_KG_PER_M3: Final[float] = 60.0  # (check)
GREENHOUSE_GJ_PER_M2: Final[float] = 1.2  # per year (check)
GREENHOUSE_MONTHS: Final[str] = "10,11,12,1,2,3,4"  # (check)
GREENHOUSE_RETURN_C: Final[float] = 30.0  # (check)
#: (adcode, place, bearing deg, km from label point, area ha, supply C) - assumed
GREENHOUSES: Final[tuple[tuple[str, str, float, float, float, float], ...]] = (
    ("370700", "toward Shouguang", 300.0, 35.0, 60.0, 45.0),
    ("371300", "toward Lanling", 230.0, 30.0, 40.0, 50.0),
    ("371500", "south of the city", 200.0, 15.0, 30.0, 45.0),
    ("370100", "toward Jiyang", 20.0, 25.0, 25.0, 50.0),
    ("370900", "south of the city", 180.0, 15.0, 20.0, 45.0),
    ("371700", "east of the city", 90.0, 20.0, 20.0, 50.0),
)
JINAN_ADCODE: Final[str] = "370100"
JINAN_RECEPTION_AREA_M2: Final[float] = 70e6  # REFERENCE.md
JINAN_RECEPTION_SUPPLY_C: Final[float] = 75.0  # (check)
JINAN_RECEPTION_RETURN_C: Final[float] = 50.0  # (check)

#: Placement of each city sink: (bearing deg, km) from the city's label point.
SINK_OFFSETS: Final[dict[str, tuple[float, float]]] = {
    "district_heating": (0.0, 2.0),
    "cement": (45.0, 15.0),
    "plasterboard": (135.0, 12.0),
    "concrete": (225.0, 6.0),
    "h2_station_1": (90.0, 4.0),
    "h2_station_2": (270.0, 5.0),
    "h2_industrial": (315.0, 20.0),
    "jinan_reception": (270.0, 8.0),
}

GJ_PER_MWH: Final[float] = 3.6

# -- helpers -------------------------------------------------------------------

_SHARE = re.compile(r"\s*\[[^\]]*\]")


def _slug(text: str) -> str:
    """Lower-case ASCII slug: ``"Qilu Works power station"`` -> ``"qilu-works-power-station"``."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def _first_holder(text: str) -> str:
    """First owner in GEM's ``"A [60%]; B [40%]"`` text, share removed."""
    for part in text.split(";"):
        name = _SHARE.sub("", part).strip()
        if name and name.lower() != "unknown":
            return name
    return ""


def _organisation(owner_text: str, parent_text: str, fallback: str) -> str:
    return _first_holder(owner_text) or _first_holder(parent_text) or fallback


def _place(city: City, bearing: float, km: float) -> tuple[float, float]:
    """Offset from the city's label point; turn 45 degrees until inside the city."""
    lat, lon = city.label_point
    if km == 0.0:
        return round(lat, 6), round(lon, 6)
    for turn in range(8):
        la, lo = destination(lat, lon, (bearing + 45.0 * turn) % 360.0, km)
        inside = city_of(la, lo)
        if inside is not None and inside.adcode == city.adcode:
            return round(la, 6), round(lo, 6)
    return round(lat, 6), round(lon, 6)


def _place_at_city(city: City, key: str) -> tuple[float, float]:
    bearing, km = SINK_OFFSETS[key]
    return _place(city, bearing, km)


def _dominant(units: Sequence[CoalUnit]) -> str:
    cap: Counter[str] = Counter()
    for u in units:
        cap[u.combustion_technology or "unknown"] += u.capacity_mw
    return min(cap, key=lambda t: (-cap[t], t))


def _fly_ash_grade(technology: str, largest_mw: float) -> str:
    if technology in ("supercritical", "ultra-supercritical"):
        return "I"
    if technology == "subcritical" and largest_mw >= 300.0:
        return "II"
    return "III"


_GYPSUM_BASE: Final[dict[str, float]] = {
    "ultra-supercritical": 95.0,
    "supercritical": 93.0,
    "subcritical": 91.0,
}


def _gypsum_purity(technology: str, newest_year: int | None) -> float:
    base = _GYPSUM_BASE.get(technology, 88.0)
    if newest_year is not None and newest_year >= 2015:
        base += 1.0
    return min(base, 96.0)


def _heat_temperature(units: Sequence[CoalUnit], largest_mw: float) -> float:
    if any(u.captive_residential_supply in ("heat", "both") for u in units):
        return HEAT_TEMP_RESIDENTIAL_C
    if largest_mw >= 600.0:
        return HEAT_TEMP_LARGE_CONDENSING_C
    return HEAT_TEMP_OTHER_C


def _row(
    *,
    ref: str,
    organisation: str,
    role: str,
    material: str,
    latlon: tuple[float, float],
    quantity: float,
    unit: str,
    site: str,
    description: str,
    **extra: Any,
) -> Row:
    row: Row = {
        "ref": ref,
        "organisation": organisation,
        "role": role,
        "material": material,
        "lat": round(latlon[0], 6),
        "lon": round(latlon[1], 6),
        "quantity": quantity,
        "unit": unit,
        "site": site,
    }
    row.update({k: v for k, v in extra.items() if v is not None})
    row["description"] = description
    return row


# -- sources -------------------------------------------------------------------


def _operating_coal_plants() -> list[tuple[str, list[CoalUnit]]]:
    groups: dict[str, list[CoalUnit]] = defaultdict(list)
    for u in coal_units():
        if (
            u.status == "operating"
            and u.subnational_unit == "Shandong"
            and u.in_shandong_best_guess
            and u.capacity_mw > 0
        ):
            groups[u.location_id].append(u)
    plants = [
        (units[0].plant_name, units)
        for units in groups.values()
        if sum(u.capacity_mw for u in units) >= MIN_PLANT_MW
    ]
    return sorted(plants, key=lambda p: (p[0], p[1][0].location_id))


def _coal_rows() -> tuple[list[Row], bool]:
    rows: list[Row] = []
    found_xinyuan = False
    for name, units in _operating_coal_plants():
        cap = sum(u.capacity_mw for u in units)
        largest = min(units, key=lambda u: (-u.capacity_mw, u.unit_id))
        largest_mw = largest.capacity_mw
        by_owner: Counter[str] = Counter()
        for u in units:
            by_owner[u.owner] += u.capacity_mw
        owner_text = min(by_owner, key=lambda o: (-by_owner[o], o))
        org = _organisation(owner_text, largest.parent, name)
        tech = _dominant(units)
        newest = max((u.start_year for u in units if u.start_year), default=None)
        slug = _slug(name)
        latlon = (largest.lat, largest.lon)
        sizes = Counter(u.capacity_mw for u in units)
        fleet = " + ".join(f"{n} x {mw:g} MW" for mw, n in sorted(sizes.items(), reverse=True))

        gen_mwh = cap * UTILISATION_HOURS
        raw_coal_t = gen_mwh * HEAT_RATE_GCE_PER_KWH / 1000.0 * RAW_COAL_PER_TCE
        # MWh x gce/kWh = kg standard coal; / 1000 -> t standard coal.
        fly_ash_t = raw_coal_t * ASH_CONTENT * FLY_ASH_SHARE
        gypsum_t = raw_coal_t * SULPHUR_CONTENT * SO2_CAPTURE * GYPSUM_PER_SULPHUR
        heat_mwh = gen_mwh * RECOVERABLE_HEAT_PER_MWH_E
        basis = (
            f"GCPT Jul 2024 operating units {fleet} ({tech}); "
            f"{UTILISATION_HOURS:g} h/yr, {HEAT_RATE_GCE_PER_KWH:g} gce/kWh, "
            f"{RAW_COAL_PER_TCE:g} t raw coal/tce (check)"
        )
        is_xinyuan = name == XINYUAN_PLANT
        found_xinyuan = found_xinyuan or is_xinyuan
        heat_desc = (
            f"Recoverable low-grade heat, {RECOVERABLE_HEAT_PER_MWH_E:g} MWh per MWh "
            f"generated (check). {basis}."
        )
        if is_xinyuan:
            heat_desc = (
                "Chiping Xinyuan waste heat, source of the 'Liaocheng heat into Jinan' "
                "line (>100 km, 2 x DN1600). " + heat_desc
            )
        rows.append(
            _row(
                ref=f"{slug}-waste_heat",
                organisation=org,
                role="source",
                material="waste_heat",
                latlon=latlon,
                quantity=round(heat_mwh),
                unit="MWh/yr",
                site=name,
                description=heat_desc,
                temperature_c=_heat_temperature(units, largest_mw),
                max_distance_km=XINYUAN_MAX_DISTANCE_KM if is_xinyuan else None,
            )
        )
        if tech == "CFB":
            continue
        rows.append(
            _row(
                ref=f"{slug}-fly_ash",
                organisation=org,
                role="source",
                material="fly_ash",
                latlon=latlon,
                quantity=round(fly_ash_t),
                unit="t/yr",
                site=name,
                description=(
                    f"Fly ash: {ASH_CONTENT:.0%} ash in raw coal x {FLY_ASH_SHARE:.0%} "
                    f"fly ash (check); grade by technology and unit size. {basis}."
                ),
                grade=_fly_ash_grade(tech, largest_mw),
            )
        )
        rows.append(
            _row(
                ref=f"{slug}-fgd_gypsum",
                organisation=org,
                role="source",
                material="fgd_gypsum",
                latlon=latlon,
                quantity=round(gypsum_t),
                unit="t/yr",
                site=name,
                description=(
                    f"FGD gypsum (dry): {SULPHUR_CONTENT:.1%} S x {SO2_CAPTURE:.0%} "
                    f"capture (check) x 5.37 t CaSO4.2H2O per t S. {basis}."
                ),
                purity_pct=_gypsum_purity(tech, newest),
            )
        )
    return rows, found_xinyuan


def _xinyuan_fallback() -> Row:
    return _row(
        ref="chiping-xinyuan-assumed-waste_heat",
        organisation="Chiping Xinyuan (assumed)",
        role="source",
        material="waste_heat",
        latlon=XINYUAN_FALLBACK_LATLON,
        quantity=XINYUAN_FALLBACK_MWH,
        unit="MWh/yr",
        site="Chiping Xinyuan waste heat (assumed location)",
        description="Assumed: Liaocheng heat into Jinan source; plant not found in GCPT.",
        temperature_c=HEAT_TEMP_LARGE_CONDENSING_C,
        max_distance_km=XINYUAN_MAX_DISTANCE_KM,
    )


def _operating_steel_plants() -> list[SteelPlant]:
    return sorted(
        (
            p
            for p in steel_plants()
            if p.status.startswith("operating")
            and p.subnational_unit == "Shandong"
            and p.in_shandong_best_guess
            and p.crude_steel_ttpa > 0
        ),
        key=lambda p: (p.name_en, p.plant_id),
    )


def _steel_org(p: SteelPlant) -> str:
    return _organisation(p.owner, p.parent, p.name_en)


def _steel_rows() -> list[Row]:
    rows: list[Row] = []
    for p in _operating_steel_plants():
        heat_mwh = p.crude_steel_ttpa * 1000.0 * STEEL_LOW_GRADE_HEAT_GJ_PER_T / GJ_PER_MWH
        temp = STEEL_HEAT_TEMP_BF_C if p.bf_ttpa > 0 else STEEL_HEAT_TEMP_EAF_C
        rows.append(
            _row(
                ref=f"{_slug(p.name_en)}-waste_heat",
                organisation=_steel_org(p),
                role="source",
                material="waste_heat",
                latlon=p.latlon,
                quantity=round(heat_mwh),
                unit="MWh/yr",
                site=p.name_en,
                description=(
                    f"Low-grade heat (slag water, cooling water): GIST crude steel "
                    f"{p.crude_steel_ttpa:g} kt/yr x {STEEL_LOW_GRADE_HEAT_GJ_PER_T:g} "
                    f"GJ/t (check); {p.production_method}."
                ),
                temperature_c=temp,
            )
        )
    return rows


def _hydrogen_source_rows(by_adcode: dict[str, City]) -> list[Row]:
    rows: list[Row] = []
    qilu = [u for u in coal_units() if u.plant_name == QILU_PLANT]
    if qilu:
        qilu_latlon = qilu[0].latlon
        qilu_org = _organisation(qilu[0].owner, qilu[0].parent, "Sinopec Qilu Petrochemical")
        where = "coordinate of the Qilu works in GCPT"
    else:
        qilu_latlon = QILU_FALLBACK_LATLON
        qilu_org = "Sinopec Qilu Petrochemical"
        where = "approximate coordinate (assumed)"
    rows.append(
        _row(
            ref="qilu-chlor-alkali-hydrogen",
            organisation=qilu_org,
            role="source",
            material="hydrogen",
            latlon=qilu_latlon,
            quantity=QILU_H2_T_PER_YR,
            unit="t/yr",
            site="Qilu Petrochemical chlor-alkali (Linzi, Zibo)",
            description=(
                f"By-product chlor-alkali hydrogen, {QILU_H2_T_PER_YR:g} t/yr (check); "
                f"{where}. Fuel-cell use needs purification to 99.97 %."
            ),
            purity_pct=QILU_H2_PURITY_PCT,
        )
    )
    steel = [p for p in _operating_steel_plants() if p.name_en.startswith(COG_STEEL_PLANT)]
    if steel:
        p = steel[0]
        rows.append(
            _row(
                ref=f"{_slug(p.name_en)}-coke-oven-gas-hydrogen",
                organisation=_steel_org(p),
                role="source",
                material="hydrogen",
                latlon=p.latlon,
                quantity=COG_H2_T_PER_YR,
                unit="t/yr",
                site=p.name_en,
                description=(
                    f"Hydrogen in surplus coke-oven gas, {COG_H2_T_PER_YR:g} t/yr (check); "
                    "55-60 % H2, needs PSA separation."
                ),
                purity_pct=COG_H2_PURITY_PCT,
            )
        )
    for adcode, place, bearing, km, t_per_yr, purity in CHLOR_ALKALI_ASSUMED:
        city = by_adcode[adcode]
        rows.append(
            _row(
                ref=f"chlor-alkali-{adcode}-hydrogen",
                organisation=f"{place} chlor-alkali plant (demo)",
                role="source",
                material="hydrogen",
                latlon=_place(city, bearing, km),
                quantity=t_per_yr,
                unit="t/yr",
                site=f"{place} chlor-alkali plant (assumed)",
                description=(
                    f"Assumed chlor-alkali by-product hydrogen, {t_per_yr:g} t/yr, "
                    f"{purity:g} % (check); placed by rule, not a real enterprise."
                ),
                purity_pct=purity,
            )
        )
    return rows


# -- sinks ---------------------------------------------------------------------


def _dh_supply_temperature(pop_m: float) -> float:
    if pop_m >= 9.0:
        return 110.0
    if pop_m >= 5.0:
        return 95.0
    if pop_m >= 3.0:
        return 85.0
    return 75.0


def _city_sink_rows(ordered: Iterable[City]) -> list[Row]:
    rows: list[Row] = []
    for i, city in enumerate(ordered):
        ad, name = city.adcode, city.name_en
        pop = POPULATION_M[ad]
        large = pop >= LARGE_CITY_M
        demo = "placed by rule, not a real enterprise"

        area_m2 = pop * 1e6 * HEATED_AREA_M2_PER_RESIDENT
        supply = _dh_supply_temperature(pop)
        rows.append(
            _row(
                ref=f"dh-{ad}",
                organisation=f"{name} district heating network (demo)",
                role="sink",
                material="waste_heat",
                latlon=_place_at_city(city, "district_heating"),
                quantity=round(area_m2 * HEAT_DEMAND_GJ_PER_M2 / GJ_PER_MWH),
                unit="MWh/yr",
                site=f"{name} heat network",
                description=(
                    f"District heating: {pop:g} M residents x "
                    f"{HEATED_AREA_M2_PER_RESIDENT:g} m2 x {HEAT_DEMAND_GJ_PER_M2:g} "
                    f"GJ/m2 per season (check); {demo}."
                ),
                temperature_c=supply,
                return_temperature_c=60.0 if supply >= 95.0 else 50.0,
                available_months=HEATING_MONTHS,
            )
        )

        cement_t = pop * 1e6 * CEMENT_T_PER_RESIDENT
        cement_site = f"{name} cement plant"
        cement_org = f"{name} cement plant (demo)"
        cement_latlon = _place_at_city(city, "cement")
        rows.append(
            _row(
                ref=f"cement-{ad}-fly_ash",
                organisation=cement_org,
                role="sink",
                material="fly_ash",
                latlon=cement_latlon,
                quantity=round(cement_t * CEMENT_FLY_ASH_SHARE),
                unit="t/yr",
                site=cement_site,
                description=(
                    f"Fly ash as cement admixture: {pop:g} M x {CEMENT_T_PER_RESIDENT:g} t "
                    f"cement x {CEMENT_FLY_ASH_SHARE:.0%} (check); {demo}."
                ),
                grade="III" if i % 2 == 0 else "II",
            )
        )
        rows.append(
            _row(
                ref=f"cement-{ad}-fgd_gypsum",
                organisation=cement_org,
                role="sink",
                material="fgd_gypsum",
                latlon=cement_latlon,
                quantity=round(cement_t * CEMENT_GYPSUM_SHARE),
                unit="t/yr",
                site=cement_site,
                description=(
                    f"FGD gypsum as set retarder: {CEMENT_GYPSUM_SHARE:.1%} of cement "
                    f"(check); GB/T 21371; {demo}."
                ),
                purity_pct=CEMENT_GYPSUM_MIN_PURITY,
            )
        )

        board_m2 = PLASTERBOARD_M2_LARGE if large else PLASTERBOARD_M2_OTHER
        rows.append(
            _row(
                ref=f"plasterboard-{ad}-fgd_gypsum",
                organisation=f"{name} plasterboard plant (demo)",
                role="sink",
                material="fgd_gypsum",
                latlon=_place_at_city(city, "plasterboard"),
                quantity=round(board_m2 * PLASTERBOARD_KG_GYPSUM_PER_M2 / 1000.0),
                unit="t/yr",
                site=f"{name} plasterboard plant",
                description=(
                    f"Plasterboard {board_m2 / 1e6:g} million m2/yr x "
                    f"{PLASTERBOARD_KG_GYPSUM_PER_M2:g} kg gypsum/m2 (check); {demo}."
                ),
                purity_pct=95.0 if large else 90.0,
            )
        )

        rows.append(
            _row(
                ref=f"concrete-{ad}-fly_ash",
                organisation=f"{name} concrete mixing station (demo)",
                role="sink",
                material="fly_ash",
                latlon=_place_at_city(city, "concrete"),
                quantity=round(
                    pop * 1e6 * CONCRETE_M3_PER_RESIDENT * CONCRETE_FLY_ASH_KG_PER_M3 / 1000.0
                ),
                unit="t/yr",
                site=f"{name} concrete mixing station",
                description=(
                    f"Ready-mixed concrete: {pop:g} M x {CONCRETE_M3_PER_RESIDENT:g} m3 x "
                    f"{CONCRETE_FLY_ASH_KG_PER_M3:g} kg fly ash/m3 (check); {demo}."
                ),
                grade="I" if large else "II",
            )
        )
    return rows


def _greenhouse_rows(by_adcode: dict[str, City]) -> list[Row]:
    rows: list[Row] = []
    for adcode, place, bearing, km, area_ha, supply in GREENHOUSES:
        city = by_adcode[adcode]
        rows.append(
            _row(
                ref=f"greenhouse-{adcode}",
                organisation=f"{city.name_en} greenhouse park (demo)",
                role="sink",
                material="waste_heat",
                latlon=_place(city, bearing, km),
                quantity=round(area_ha * 1e4 * GREENHOUSE_GJ_PER_M2 / GJ_PER_MWH),
                unit="MWh/yr",
                site=f"{city.name_en} greenhouses, {place}",
                description=(
                    f"Heated greenhouses {area_ha:g} ha x {GREENHOUSE_GJ_PER_M2:g} GJ/m2/yr "
                    "(check); placed by rule, not a real enterprise."
                ),
                temperature_c=supply,
                return_temperature_c=GREENHOUSE_RETURN_C,
                available_months=GREENHOUSE_MONTHS,
            )
        )
    return rows


def _jinan_reception_row(by_adcode: dict[str, City]) -> Row:
    jinan = by_adcode[JINAN_ADCODE]
    return _row(
        ref="jinan-liaocheng-heat-reception",
        organisation="Jinan district heating network (demo)",
        role="sink",
        material="waste_heat",
        latlon=_place_at_city(jinan, "jinan_reception"),
        quantity=round(JINAN_RECEPTION_AREA_M2 * HEAT_DEMAND_GJ_PER_M2 / GJ_PER_MWH),
        unit="MWh/yr",
        site="Jinan west: reception of the Liaocheng heat line",
        description=(
            "Large Jinan heating demand open to long-distance industrial waste heat: "
            "about 70 million m2 (Liaocheng heat into Jinan) x 0.35 GJ/m2 (check)."
        ),
        temperature_c=JINAN_RECEPTION_SUPPLY_C,
        return_temperature_c=JINAN_RECEPTION_RETURN_C,
        available_months=HEATING_MONTHS,
    )


def _hydrogen_sink_rows(by_adcode: dict[str, City]) -> list[Row]:
    rows: list[Row] = []
    for adcode, no, kg_per_day in H2_STATIONS:
        city = by_adcode[adcode]
        rows.append(
            _row(
                ref=f"h2-station-{adcode}-{no}",
                organisation=f"{city.name_en} hydrogen refuelling stations (demo)",
                role="sink",
                material="hydrogen",
                latlon=_place_at_city(city, f"h2_station_{no}"),
                quantity=round(kg_per_day * 365.0 / 1000.0, 1),
                unit="t/yr",
                site=f"{city.name_en} hydrogen station {no}",
                description=(
                    f"Fuel-cell vehicle refuelling, {kg_per_day:g} kg/d x 365 d; ISO 14687 "
                    "grade D; placed by rule, not a real enterprise."
                ),
                purity_pct=H2_FUEL_CELL_PURITY_PCT,
            )
        )
    city = by_adcode[H2_INDUSTRIAL_ADCODE]
    rows.append(
        _row(
            ref=f"h2-industrial-{H2_INDUSTRIAL_ADCODE}",
            organisation=f"{city.name_en} hydrogenation plant (demo)",
            role="sink",
            material="hydrogen",
            latlon=_place_at_city(city, "h2_industrial"),
            quantity=H2_INDUSTRIAL_T_PER_YR,
            unit="t/yr",
            site=f"{city.name_en} chemical hydrogenation user",
            description=(
                f"Industrial hydrogen user, {H2_INDUSTRIAL_T_PER_YR:g} t/yr (check), "
                "99.9 % (GB/T 3634.1 industrial); placed by rule, not a real enterprise."
            ),
            purity_pct=H2_INDUSTRIAL_PURITY_PCT,
        )
    )
    return rows


# -- entry point ---------------------------------------------------------------


def build_demo_rows() -> list[dict[str, Any]]:
    """Build the Shandong demo scenario as listing-import rows.

    Returns
    -------
    list of dict
        Sources first (coal plants, steel plants, hydrogen), then sinks
        (per city, greenhouses, the Jinan reception, hydrogen users).  Each
        row has ``ref``, ``organisation``, ``role``, ``material``, ``lat``,
        ``lon`` (WGS84 degrees), ``quantity``, ``unit``, ``site``, the quality
        field of its material and a ``description`` stating its rule.  The
        rules and factors are in the module docstring.

    Examples
    --------
    >>> rows = build_demo_rows()
    >>> 250 <= len(rows) <= 450
    True
    >>> rows == build_demo_rows()
    True
    """
    ordered = cities()
    by_adcode = {c.adcode: c for c in ordered}
    coal, found_xinyuan = _coal_rows()
    rows: list[Row] = list(coal)
    if not found_xinyuan:
        rows.append(_xinyuan_fallback())
    rows += _steel_rows()
    rows += _hydrogen_source_rows(by_adcode)
    rows += _city_sink_rows(ordered)
    rows += _greenhouse_rows(by_adcode)
    rows.append(_jinan_reception_row(by_adcode))
    rows += _hydrogen_sink_rows(by_adcode)
    return rows

"""Geodata for the Shandong exchange: distances, spatial index, boundaries, plants.

Pure package (no Flask, no SQLAlchemy).  Every function takes coordinates as
**(lat, lon)** in WGS84 degrees, as geopy does; shapely's (x=lon, y=lat) order
is used only inside :mod:`geodata.boundaries`.  Data files and their licences
are listed in ``geodata/data/SOURCES.md``.
"""

from geodata.boundaries import (
    City,
    as_geojson,
    cities,
    city_by_adcode,
    city_of,
    in_shandong,
    province_shape,
)
from geodata.distance import (
    EARTH_RADIUS_KM,
    chord_for_km,
    destination,
    geodesic_km,
    geodesic_km_many,
    km_for_chord,
    screening_chord,
    unit_xyz,
)
from geodata.plants import (
    CoalUnit,
    PowerPlant,
    SteelPlant,
    coal_units,
    power_plants,
    steel_plants,
)
from geodata.spatial import SphereIndex

__all__ = [
    "EARTH_RADIUS_KM",
    "City",
    "CoalUnit",
    "PowerPlant",
    "SphereIndex",
    "SteelPlant",
    "as_geojson",
    "chord_for_km",
    "cities",
    "city_by_adcode",
    "city_of",
    "coal_units",
    "destination",
    "geodesic_km",
    "geodesic_km_many",
    "in_shandong",
    "km_for_chord",
    "power_plants",
    "province_shape",
    "screening_chord",
    "steel_plants",
    "unit_xyz",
]

"""Distances on the WGS84 ellipsoid, and the unit-sphere chords used to screen them.

Coordinate order
----------------
Every function here takes **(lat, lon)** in WGS84 decimal degrees, the order
geopy uses.  pyproj's ``Geod.inv`` takes (lon, lat); the swap happens inside
this module and nowhere else.

Two kinds of distance
---------------------
* **Geodesic** (``geodesic_km``, ``geodesic_km_many``): the shortest path on
  the WGS84 ellipsoid (Karney's algorithm, via geopy / pyproj).  This is the
  distance the product reports and filters on.
* **Spherical** (``chord_for_km``, ``km_for_chord``, ``unit_xyz``): great-circle
  distance on a sphere of radius :data:`EARTH_RADIUS_KM` (IUGG mean radius).
  Points are placed on the unit sphere from their geodetic latitude so that a
  k-d tree over 3-D chords can screen candidates fast.  The spherical distance
  differs from the WGS84 geodesic by at most about 0.56 % (the sphere is too
  long by ``R / M`` for north-south arcs at the equator, where the meridional
  radius of curvature ``M`` is smallest; too short near the poles).  A
  screening radius must therefore be padded: :func:`screening_chord` pads by
  :data:`SCREEN_PAD` (1 %), so that no pair within ``km`` by geodesic is lost;
  the exact geodesic is applied afterwards.
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
import numpy.typing as npt
from geopy.distance import geodesic
from pyproj import Geod

__all__ = [
    "EARTH_RADIUS_KM",
    "SCREEN_PAD",
    "chord_for_km",
    "destination",
    "geodesic_km",
    "geodesic_km_many",
    "km_for_chord",
    "screening_chord",
    "unit_xyz",
]

#: Mean Earth radius R1 = (2a + b) / 3 of WGS84 (IUGG), in km.
EARTH_RADIUS_KM: Final[float] = 6371.0088

#: Relative padding of a screening radius.  The largest ratio of spherical
#: great-circle distance (radius EARTH_RADIUS_KM) to WGS84 geodesic distance is
#: about 1.0056 (EARTH_RADIUS_KM / 6335.439 km, the meridional radius of
#: curvature at the equator); 1 % covers it with margin.
SCREEN_PAD: Final[float] = 0.01

_WGS84: Final[Geod] = Geod(ellps="WGS84")

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike


def geodesic_km(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """WGS84 geodesic distance between two points, in km (geopy).

    Parameters
    ----------
    lat1, lon1 : float
        First point, degrees (latitude first).
    lat2, lon2 : float
        Second point, degrees (latitude first).

    Returns
    -------
    float
        Distance in kilometres.

    Examples
    --------
    Jinan to Qingdao is about 310 km:

    >>> round(geodesic_km(36.65, 117.00, 36.07, 120.38))
    310
    >>> geodesic_km(36.0, 117.0, 36.0, 117.0)
    0.0
    """
    return float(geodesic((lat1, lon1), (lat2, lon2), ellipsoid="WGS-84").km)


def geodesic_km_many(
    lat1: ArrayLike, lon1: ArrayLike, lat2: ArrayLike, lon2: ArrayLike
) -> FloatArray:
    """Vectorised WGS84 geodesic distance in km (``pyproj.Geod.inv``).

    The four arguments broadcast against each other like numpy operands, so a
    scalar point can be measured against an array of points.

    Parameters
    ----------
    lat1, lon1, lat2, lon2 : array_like
        Latitudes and longitudes in degrees (latitude first in each pair).

    Returns
    -------
    numpy.ndarray
        float64 distances in km with the broadcast shape of the inputs
        (0-d for four scalars).

    Examples
    --------
    >>> d = geodesic_km_many(36.65, 117.0, [36.65, 36.07], [117.0, 120.38])
    >>> d.shape
    (2,)
    >>> [round(float(x)) for x in d]
    [0, 310]
    >>> abs(float(d[1]) - geodesic_km(36.65, 117.0, 36.07, 120.38)) < 1e-6
    True
    """
    a, b, c, d = np.broadcast_arrays(
        np.asarray(lat1, dtype=np.float64),
        np.asarray(lon1, dtype=np.float64),
        np.asarray(lat2, dtype=np.float64),
        np.asarray(lon2, dtype=np.float64),
    )
    shape = a.shape
    if a.size == 0:
        return np.zeros(shape, dtype=np.float64)
    # pyproj wants (lon, lat) and contiguous 1-D arrays.
    _, _, metres = _WGS84.inv(
        np.ascontiguousarray(b).ravel(),
        np.ascontiguousarray(a).ravel(),
        np.ascontiguousarray(d).ravel(),
        np.ascontiguousarray(c).ravel(),
    )
    return (np.asarray(metres, dtype=np.float64) / 1000.0).reshape(shape)


def destination(
    lat: float, lon: float, bearing_deg: float, km: float
) -> tuple[float, float]:
    """Point reached from (lat, lon) after ``km`` along a WGS84 geodesic.

    Parameters
    ----------
    lat, lon : float
        Start point, degrees.
    bearing_deg : float
        Initial azimuth, degrees clockwise from north.
    km : float
        Distance in km.

    Returns
    -------
    tuple of float
        ``(lat, lon)`` of the end point, degrees.

    Examples
    --------
    >>> lat, lon = destination(36.0, 117.0, 90.0, 10.0)
    >>> round(geodesic_km(36.0, 117.0, lat, lon), 6)
    10.0
    """
    lon2, lat2, _ = _WGS84.fwd(lon, lat, bearing_deg, km * 1000.0)
    return float(lat2), float(lon2)


def unit_xyz(lat: ArrayLike, lon: ArrayLike) -> FloatArray:
    """Points on the unit sphere for geodetic (lat, lon) in degrees.

    Parameters
    ----------
    lat, lon : array_like
        Latitudes and longitudes in degrees; broadcast together.

    Returns
    -------
    numpy.ndarray
        Shape ``(n, 3)``: x towards (0 N, 0 E), y towards (0 N, 90 E),
        z towards the north pole.

    Examples
    --------
    >>> unit_xyz([0.0, 90.0], [0.0, 0.0]).round(12).tolist()
    [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    >>> unit_xyz(10.0, 20.0).shape
    (1, 3)
    """
    la, lo = np.broadcast_arrays(
        np.atleast_1d(np.asarray(lat, dtype=np.float64)),
        np.atleast_1d(np.asarray(lon, dtype=np.float64)),
    )
    phi = np.radians(la.ravel())
    lam = np.radians(lo.ravel())
    cos_phi = np.cos(phi)
    return np.column_stack((cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)))


def chord_for_km(km: ArrayLike) -> FloatArray:
    """Unit-sphere chord length for a great-circle distance in km.

    The great circle is on a sphere of radius :data:`EARTH_RADIUS_KM`; the
    chord is ``2 sin(km / 2R)``, capped at 2 (antipodes).  This is a
    *spherical* distance: it differs from the WGS84 geodesic by up to about
    0.56 %, so use :func:`screening_chord` for a radius that must not lose
    any pair.

    Parameters
    ----------
    km : array_like
        Non-negative great-circle distances in km.

    Returns
    -------
    numpy.ndarray
        Chord lengths (same shape; 0-d for a scalar).

    Examples
    --------
    >>> float(chord_for_km(0.0))
    0.0
    >>> round(float(km_for_chord(chord_for_km(123.4))), 9)
    123.4
    """
    theta = np.asarray(km, dtype=np.float64) / EARTH_RADIUS_KM
    return 2.0 * np.sin(np.minimum(theta, math.pi) / 2.0)


def km_for_chord(chord: ArrayLike) -> FloatArray:
    """Great-circle distance in km (sphere of radius R) for a unit-sphere chord.

    Inverse of :func:`chord_for_km`; chords are clipped to [0, 2].

    Examples
    --------
    >>> round(float(km_for_chord(2.0)) / EARTH_RADIUS_KM, 12) == round(math.pi, 12)
    True
    """
    c = np.clip(np.asarray(chord, dtype=np.float64), 0.0, 2.0)
    return 2.0 * EARTH_RADIUS_KM * np.arcsin(c / 2.0)


def screening_chord(km: ArrayLike) -> FloatArray:
    """Chord radius that keeps every pair within ``km`` by WGS84 geodesic.

    The radius is padded by :data:`SCREEN_PAD` (1 %) against the sphere's
    error of at most about 0.56 %, plus 1e-12 against rounding.  Candidates
    found with it must still be filtered by the exact geodesic.

    Examples
    --------
    >>> bool(screening_chord(10.0) > chord_for_km(10.0))
    True
    """
    return chord_for_km(np.asarray(km, dtype=np.float64) * (1.0 + SCREEN_PAD)) + 1e-12

"""The candidate network: every technically compatible, reachable source -> sink pair.

For each material, sinks go into a :class:`geodata.spatial.SphereIndex`; each
source asks for the sinks within its reach (the tighter of its transport
mode's default reach for its size and its own ``max_distance_km``), and each
pair is then checked for the sink's own ``max_distance_km``, seasons
(overlapping ``available_months``), quality (the material's rule) and money
(net benefit per unit must be positive, and the sink must not pay more than
the value to it). What fails is kept as a :class:`Rejection`, so that a
listing left unmatched can say why.

Coordinates are (lat, lon) WGS84 degrees; distances are WGS84 geodesics in km
(pyproj's Karney solution, equal to geopy's ``geodesic`` to well below a metre).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from exchange.domain.factors import Defaults
from exchange.domain.listing import Listing, Role
from exchange.domain.materials import CATALOGUE, Fit
from geodata.distance import geodesic_km_many
from geodata.spatial import SphereIndex

from .economics import UnitEconomics, unit_economics


@dataclass(frozen=True)
class Candidate:
    """A feasible, paying source -> sink option (indices into the listing list)."""

    source: int
    sink: int
    distance_km: float
    fit: Fit
    econ: UnitEconomics
    capacity: float          # most the source can give on this link (canonical units, per year)
    overlap_months: frozenset[int]


@dataclass(frozen=True)
class Rejection:
    """Why one partner in view could not be used."""

    partner: int
    distance_km: float
    code: str   # reach | season | quality | not_paying | too_dear
    text: str


@dataclass
class Screen:
    """What the network saw around one listing."""

    candidates: list[Candidate] = field(default_factory=list)
    rejections: list[Rejection] = field(default_factory=list)
    nearest_partner: tuple[int, float] | None = None  # (index, km) of the nearest same-material partner at any distance
    reach_km: float | None = None


def listing_reach_km(listing: Listing, defaults: Defaults) -> float:
    """A source's search radius: transport default for its size, tightened by its own limit."""
    reach = CATALOGUE[listing.material].transport.reach_km(listing.quantity, defaults)
    if listing.max_distance_km is not None:
        reach = min(reach, listing.max_distance_km)
    return reach


def _months(m: frozenset[int]) -> str:
    return ",".join(str(x) for x in sorted(m))


def candidate_pairs(
    listings: Sequence[Listing],
    defaults: Defaults,
    *,
    cap: int | None = None,
) -> tuple[list[Candidate], dict[int, Screen]]:
    """All candidates, and a screen per listing index.

    Parameters
    ----------
    listings : sequence of Listing
    defaults : Defaults
    cap : int, optional
        Keep, per listing, only its ``cap`` nearest candidates (a pair stays when
        it is among the nearest of its source *or* of its sink). ``None`` keeps all.
    """
    screens: dict[int, Screen] = {i: Screen() for i in range(len(listings))}
    out: list[Candidate] = []
    for key, mat in CATALOGUE.items():
        src = [i for i, l in enumerate(listings) if l.material == key and l.role is Role.SOURCE]
        snk = [i for i, l in enumerate(listings) if l.material == key and l.role is Role.SINK]
        if not src or not snk:
            for i in src + snk:
                screens[i].reach_km = listing_reach_km(listings[i], defaults) if listings[i].role is Role.SOURCE else None
            continue
        s_lat = np.array([listings[i].lat for i in snk])
        s_lon = np.array([listings[i].lon for i in snk])
        sink_index = SphereIndex(s_lat, s_lon)
        source_index = SphereIndex([listings[i].lat for i in src], [listings[i].lon for i in src])
        material_cands: list[Candidate] = []
        for i in src:
            s = listings[i]
            reach = listing_reach_km(s, defaults)
            screens[i].reach_km = reach
            near = sink_index.within(s.lat, s.lon, reach)
            ids, kms = sink_index.nearest(s.lat, s.lon, k=1)
            if len(ids):
                screens[i].nearest_partner = (snk[int(ids[0])], float(kms[0]))
            if not len(near):
                continue
            dists = geodesic_km_many(s.lat, s.lon, s_lat[near], s_lon[near])
            for jj, d in zip(near.tolist(), dists.tolist()):
                j = snk[jj]
                k = listings[j]
                cand = _assess(i, j, s, k, float(d), mat, defaults, screens)
                if cand is not None:
                    material_cands.append(cand)
        for j in snk:
            if screens[j].nearest_partner is None:
                ids, kms = source_index.nearest(listings[j].lat, listings[j].lon, k=1)
                if len(ids):
                    screens[j].nearest_partner = (src[int(ids[0])], float(kms[0]))
        if cap is not None:
            material_cands = _cap(material_cands, cap)
        for c in material_cands:
            screens[c.source].candidates.append(c)
            screens[c.sink].candidates.append(c)
        out.extend(material_cands)
    return out, screens


def _assess(i: int, j: int, s: Listing, k: Listing, d: float, mat, defaults: Defaults,
            screens: dict[int, Screen]) -> Candidate | None:
    def reject(code: str, text: str) -> None:
        r_src = Rejection(j, d, code, text)
        r_snk = Rejection(i, d, code, text)
        screens[i].rejections.append(r_src)
        screens[j].rejections.append(r_snk)

    if k.max_distance_km is not None and d > k.max_distance_km:
        reject("reach", f"{d:.1f} km is beyond the {k.max_distance_km:g} km the sink accepts")
        return None
    overlap = s.available_months & k.available_months
    if not overlap:
        reject("season", f"no month in common (source months {_months(s.available_months)}, "
                         f"sink months {_months(k.available_months)})")
        return None
    fits = mat.quality.fits(s.quality, k.quality, d, defaults)
    if not fits:
        reject("quality", mat.quality.fit(s.quality, k.quality, d, defaults).reason)
        return None
    best: Candidate | None = None
    why_not = ""
    code = "not_paying"
    for fit in fits:
        # what the link could carry: the source's share in the common months, and the sink's, in source units
        give = s.quantity * len(overlap) / len(s.available_months)
        take = k.quantity * len(overlap) / len(k.available_months) / fit.delivered_fraction
        capacity = min(give, take)
        econ = unit_economics(mat, k.quality, k.price_rmb_per_unit, s.price_rmb_per_unit, d, capacity, fit, defaults)
        if econ.sink_pays_more_than_value:
            why_not, code = (f"the sink would pay more than it is worth: ask {s.price_rmb_per_unit or 0:g} + transport "
                             f"{econ.transport:.1f} + upgrade {econ.upgrade:.1f} > value {econ.value:.1f} RMB per unit"), "too_dear"
            continue
        if econ.net <= 0:
            why_not = (f"does not pay: transport {econ.transport:.1f} + upgrade {econ.upgrade:.1f} RMB per unit "
                       f"outweigh value {econ.value:.1f} + disposal {econ.disposal:.1f}")
            continue
        cand = Candidate(i, j, d, fit, econ, capacity, overlap)
        if best is None or cand.econ.net > best.econ.net:
            best = cand
    if best is None:
        reject(code, why_not)
    return best


def _cap(cands: list[Candidate], cap: int) -> list[Candidate]:
    """Keep a candidate when it is among the ``cap`` nearest of its source or of its sink."""
    keep: set[int] = set()
    for side in ("source", "sink"):
        groups: dict[int, list[tuple[float, int]]] = {}
        for n, c in enumerate(cands):
            groups.setdefault(getattr(c, side), []).append((c.distance_km, n))
        for items in groups.values():
            items.sort()
            keep.update(n for _, n in items[:cap])
    return [c for n, c in enumerate(cands) if n in keep]

"""The candidate network: every technically compatible, reachable source -> sink pair.

Per material, sinks and sources go into :class:`geodata.spatial.SphereIndex`
trees on the unit sphere. Each source asks for its nearest sinks within its
reach (the tighter of its transport mode's reach for its size and its own
``max_distance_km``) and each sink for its nearest sources, so that neither
side starves; the union of those pairs is then checked, all pairs at once
with numpy, for

1. **reach**: the WGS84 geodesic (pyproj, equal to geopy's to well below a
   metre) within the source's reach and the sink's ``max_distance_km``;
2. **season**: at least one month in common (``available_months``);
3. **quality**: every way the material's rule offers (direct, heat pump,
   purification, separation), see :meth:`QualityRule.options`;
4. **money**: the best option's net benefit per unit is positive and the sink
   would not pay more than the value to it.

What fails is kept per listing (the nearest failure) so that a listing left
unmatched can say why. With ``cap``, a pair stays when it is among the ``cap``
nearest *compatible, paying* partners of its source or of its sink, so the
graph grows linearly with the listings.

**Cascades** (heat): a heat sink that states ``return_temperature_c`` gives
back heat at that temperature at its own site. That return heat becomes a
*secondary source* node that may serve a colder sink directly (no heat pump,
so temperatures fall along every chain and no chain can loop). Each MWh the
sink receives frees ``(T_return - cascade_floor_c) / (T_supply - T_return)``
MWh of return heat (water cooled from the return temperature down to the
floor, per unit of heat it brought at the supply temperature).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from exchange.domain.factors import Defaults
from exchange.domain.listing import Listing, Role
from exchange.domain.materials import CATALOGUE, Material
from geodata.distance import geodesic_km_many
from geodata.spatial import SphereIndex, nearest_one, pairs_within

from .allocate import best_per_key
from .economics import price

Ints = npt.NDArray[np.int64]
Floats = npt.NDArray[np.float64]

#: popcount of a 12-bit month mask
POPCOUNT = np.array([bin(m).count("1") for m in range(1 << 12)], dtype=np.int64)

#: failure codes, in the order a pair is checked
REACH, SEASON, QUALITY, TOO_DEAR, NOT_PAYING = "reach", "season", "quality", "too_dear", "not_paying"
_CODES = ("", REACH, SEASON, QUALITY, TOO_DEAR, NOT_PAYING)


def month_mask(months: frozenset[int]) -> int:
    """Bit ``m-1`` set for each month ``m``.

    >>> month_mask(frozenset({1, 12}))
    2049
    """
    return sum(1 << (m - 1) for m in months)


@dataclass
class Candidates:
    """Arrays over candidate pairs. ``source`` indexes listings, or a cascade node
    (``>= len(listings)``, see :attr:`Network.cascade_sink`)."""

    source: Ints
    sink: Ints
    distance_km: Floats
    option: Ints                  # index into Network.requires
    frac: Floats
    value: Floats
    disposal: Floats
    transport: Floats
    upgrade: Floats
    upgrade_co2: Floats
    net: Floats
    co2: Floats
    months: Ints                  # bit mask of the months in common
    design_quantity: Floats       # what the pair could carry, used to size a pipeline

    def __len__(self) -> int:
        return len(self.source)

    def take(self, keep: npt.NDArray[np.bool_]) -> Candidates:
        """The candidates where ``keep`` is true."""
        return Candidates(**{n: getattr(self, n)[keep] for n in Candidates.__dataclass_fields__})

    @staticmethod
    def concat(parts: Sequence[Candidates]) -> Candidates:
        names = Candidates.__dataclass_fields__.keys()
        if not parts:
            return Candidates(**{n: np.empty(0, dtype=np.int64 if n in ("source", "sink", "option", "months")
                                            else np.float64) for n in names})
        return Candidates(**{n: np.concatenate([getattr(p, n) for p in parts]) for n in names})


@dataclass
class Failure:
    """The nearest pair that failed, for one listing."""

    partner: int
    distance_km: float
    code: str
    option_codes: tuple[str, ...] = ()


@dataclass
class Network:
    """Everything the allocation and the explanations need."""

    listings: Sequence[Listing]
    candidates: Candidates
    requires: list[tuple[str, ...]]
    #: cascade node -> (sink listing index it belongs to, gain per unit the sink receives)
    cascade_sink: dict[int, tuple[int, float]] = field(default_factory=dict)
    nearest_failure: dict[int, Failure] = field(default_factory=dict)
    nearest_partner: dict[int, tuple[int, float]] = field(default_factory=dict)
    reach_km: dict[int, float] = field(default_factory=dict)
    partners_seen: dict[int, int] = field(default_factory=dict)

    def node_quantity(self, node: int) -> float:
        if node < len(self.listings):
            return self.listings[node].quantity
        j, gain = self.cascade_sink[node]
        return self.listings[j].quantity * gain

    def node_months(self, node: int) -> int:
        if node < len(self.listings):
            return month_mask(self.listings[node].available_months)
        return month_mask(self.listings[self.cascade_sink[node][0]].available_months)


def source_reach_km(listing: Listing, defaults: Defaults) -> float:
    """A source's search radius: transport default for its size, tightened by its own limit."""
    reach = float(CATALOGUE[listing.material].transport.reach_km(listing.quantity, defaults))
    if listing.max_distance_km is not None:
        reach = min(reach, listing.max_distance_km)
    return reach


def _requires_index(table: list[tuple[str, ...]], req: tuple[str, ...]) -> int:
    if req not in table:
        table.append(req)
    return table.index(req)


def build_network(listings: Sequence[Listing], defaults: Defaults, *, cap: int | None = None,
                  exclude: frozenset[tuple[int, int]] = frozenset(),
                  materials: Collection[str] | None = None) -> Network:
    """Screen all pairs of every material (or of ``materials`` only); see the module docstring.

    ``exclude`` holds (source id, sink id) pairs of stored listings that must not
    be proposed again (a link one side declined or the park rejected).
    """
    net = Network(listings, Candidates.concat([]), [()])
    parts: list[Candidates] = []
    for key, mat in CATALOGUE.items():
        if materials is not None and key not in materials:
            continue
        src = np.array([i for i, l in enumerate(listings) if l.material == key and l.role is Role.SOURCE], dtype=np.int64)
        snk = np.array([i for i, l in enumerate(listings) if l.material == key and l.role is Role.SINK], dtype=np.int64)
        for i in src:
            net.reach_km[int(i)] = source_reach_km(listings[int(i)], defaults)
        if len(src) == 0 or len(snk) == 0:
            continue
        reach = np.array([net.reach_km[int(i)] for i in src])
        cands = _screen(net, mat, src, reach, snk, defaults, cap, cascade=False)
        parts.append(cands)
        if key == "waste_heat":
            parts.append(_cascades(net, mat, cands, snk, defaults, cap))
    net.candidates = Candidates.concat(parts)
    if exclude and len(net.candidates):
        ids = [l.id for l in listings]
        n = len(listings)
        keep = np.array([(ids[int(u)] if u < n else None, ids[int(v)]) not in exclude
                         for u, v in zip(net.candidates.source, net.candidates.sink)], dtype=bool)
        net.candidates = net.candidates.take(keep)
    return net


def merge_networks(listings: Sequence[Listing], parts: Sequence[Network]) -> Network:
    """One network from networks built over disjoint sets of materials (in the order given)."""
    requires: list[tuple[str, ...]] = [()]
    cands = []
    net = Network(listings, Candidates.concat([]), requires)
    for p in parts:
        remap = np.array([_requires_index(requires, r) for r in p.requires], dtype=np.int64)
        c = p.candidates
        if len(c):
            c.option = remap[c.option]
        cands.append(c)
        for mine, theirs in ((net.cascade_sink, p.cascade_sink), (net.nearest_failure, p.nearest_failure),
                             (net.nearest_partner, p.nearest_partner), (net.reach_km, p.reach_km),
                             (net.partners_seen, p.partners_seen)):
            mine.update(theirs)  # type: ignore[attr-defined]
    net.candidates = Candidates.concat(cands)
    return net


def _nearest_pairs(src_pts: SphereIndex, snk_pts: SphereIndex, s_lat: Floats, s_lon: Floats, k_lat: Floats,
                   k_lon: Floats, reach: Floats, k: int | None) -> tuple[Ints, Ints, Floats]:
    """Pairs (source pos, sink pos, WGS84 km): each source's sinks within its reach (its ``k`` nearest
    when capped), and, when capped, each sink's ``k`` nearest sources within the largest reach.

    Both screens are spherical; the geodesic is computed once per distinct pair.
    """
    a, b, _ = pairs_within(snk_pts, s_lat, s_lon, reach, k, exact=False)
    radius = reach[a]
    if k is not None:
        b2, a2, _ = pairs_within(src_pts, k_lat, k_lon, float(reach.max()), k, exact=False)
        a, b = np.r_[a, a2], np.r_[b, b2]
        radius = np.r_[radius, np.full(len(a2), float(reach.max()))]
    width = len(k_lat) + 1
    code = a.astype(np.int64) * width + b
    order = np.lexsort((-radius, code))  # per pair, the screen with the larger radius first
    code, radius = code[order], radius[order]
    first = np.r_[True, code[1:] != code[:-1]] if len(code) else np.empty(0, dtype=bool)
    code, radius = code[first], radius[first]
    a, b = code // width, code % width
    d = geodesic_km_many(s_lat[a], s_lon[a], k_lat[b], k_lon[b]) if len(a) else np.empty(0)
    keep = d <= radius
    return a[keep], b[keep], d[keep]


def _screen(net: Network, mat: Material, src: Ints, reach: Floats, snk: Ints, defaults: Defaults, cap: int | None,
            *, cascade: bool, src_nodes: Ints | None = None, src_quality: Floats | None = None,
            src_months: Ints | None = None, src_quantity: Floats | None = None,
            src_latlon: tuple[Floats, Floats] | None = None) -> Candidates:
    """Check every nearby pair of one material; record failures; return the candidates."""
    L = net.listings
    rule = mat.quality
    if src_latlon is None:
        s_lat = np.array([L[i].lat for i in src])
        s_lon = np.array([L[i].lon for i in src])
    else:
        s_lat, s_lon = src_latlon
    k_lat = np.array([L[j].lat for j in snk])
    k_lon = np.array([L[j].lon for j in snk])
    s_nodes = src if src_nodes is None else src_nodes
    s_q = np.array([L[i].quantity for i in src]) if src_quantity is None else src_quantity
    s_qual = rule.encode([L[i].quality for i in src]) if src_quality is None else src_quality
    s_m = np.array([month_mask(L[i].available_months) for i in src]) if src_months is None else src_months
    s_ask = np.array([0.0 if cascade else (L[i].price_rmb_per_unit or 0.0) for i in src])
    k_q = np.array([L[j].quantity for j in snk])
    k_qual = rule.encode([L[j].quality for j in snk])
    k_m = np.array([month_mask(L[j].available_months) for j in snk])
    k_max = np.array([L[j].max_distance_km if L[j].max_distance_km is not None else np.inf for j in snk])
    k_value = np.array([L[j].price_rmb_per_unit if L[j].price_rmb_per_unit is not None
                        else mat.value_to_sink(L[j].quality, defaults) for j in snk])

    snk_index = SphereIndex(k_lat, k_lon)
    src_index = SphereIndex(s_lat, s_lon)
    # nearest partner at any distance, for "out of reach" explanations
    if not cascade:
        ids, kms = nearest_one(snk_index, s_lat, s_lon)
        for i, j, km in zip(src.tolist(), snk[ids].tolist(), kms.tolist()):
            net.nearest_partner[i] = (j, km)
        ids, kms = nearest_one(src_index, k_lat, k_lon)
        for j, i, km in zip(snk.tolist(), src[ids].tolist(), kms.tolist()):
            net.nearest_partner.setdefault(j, (i, km))
    k = None if cap is None else 2 * cap + 8
    a, b, d = _nearest_pairs(src_index, snk_index, s_lat, s_lon, k_lat, k_lon, reach, k)
    if cascade:  # return heat never goes back to the sink it came from
        keep = s_nodes[a] != snk[b] + len(L)
        keep &= np.array([net.cascade_sink[int(s_nodes[x])][0] != int(snk[y]) for x, y in zip(a, b)], dtype=bool) \
            if len(a) else keep
        a, b, d = a[keep], b[keep], d[keep]
    code = np.zeros(len(a), dtype=np.int8)  # index into _CODES; 0 = usable
    code[(d > reach[a]) | (d > k_max[b])] = 1
    overlap = s_m[a] & k_m[b]
    code[(code == 0) & (overlap == 0)] = 2
    opts = rule.options(s_qual[a], k_qual[b], d, defaults)
    if cascade:
        opts = opts[:1]  # direct only: temperatures fall along a chain
    n_common = POPCOUNT[overlap]
    give = s_q[a] * n_common / np.maximum(POPCOUNT[s_m[a]], 1)
    best_net = np.full(len(a), -np.inf)
    best_opt = np.full(len(a), -1, dtype=np.int64)
    best_econ: dict[str, Floats] = {}
    any_feasible = np.zeros(len(a), dtype=bool)
    any_cheap = np.zeros(len(a), dtype=bool)
    for o in opts:
        take = k_q[b] * n_common / np.maximum(POPCOUNT[k_m[b]], 1) / o.delivered_fraction
        design = np.minimum(give, take)
        e = price(mat, k_value[b], s_ask[a], d, design, o.delivered_fraction, o.upgrade_cost, o.upgrade_co2, defaults)
        ok = o.feasible
        any_feasible |= ok
        cheap = ok & ~np.asarray(e.too_dear, dtype=bool)
        any_cheap |= cheap
        better = cheap & (np.asarray(e.net) > best_net)
        idx = _requires_index(net.requires, o.requires)
        best_net = np.where(better, e.net, best_net)
        best_opt = np.where(better, idx, best_opt)
        for name, arr in (("frac", o.delivered_fraction), ("value", k_value[b] + 0 * d), ("transport", e.transport),
                          ("upgrade", o.upgrade_cost + 0 * d), ("upgrade_co2", o.upgrade_co2 + 0 * d), ("co2", e.co2),
                          ("design", design)):
            best_econ[name] = np.where(better, arr, best_econ.get(name, np.zeros(len(a))))
    code[(code == 0) & ~any_feasible] = 3
    code[(code == 0) & ~any_cheap] = 4
    code[(code == 0) & (best_net <= 0)] = 5
    ok = code == 0
    # nearest failure per listing (sources and sinks), and how many usable partners each saw
    fail = np.flatnonzero(~ok)
    n_listings = len(L)
    d_fail, code_fail = d[fail], code[fail]
    for mine, theirs in ((s_nodes[a[fail]], snk[b[fail]]), (snk[b[fail]], s_nodes[a[fail]])):
        for x in _nearest_per_key(mine, d_fail).tolist():
            me = int(mine[x])
            if me < n_listings and int(theirs[x]) < n_listings and me not in net.nearest_failure:
                net.nearest_failure[me] = Failure(int(theirs[x]), float(d_fail[x]), _CODES[int(code_fail[x])])
    for side in (s_nodes[a[ok]], snk[b[ok]]):
        keys, counts = np.unique(side, return_counts=True)
        for key_, c in zip(keys.tolist(), counts.tolist()):
            net.partners_seen[key_] = net.partners_seen.get(key_, 0) + c
    sel = np.flatnonzero(ok)
    if cap is not None and len(sel):
        sel = _cap(a[sel], b[sel], d[sel], cap, sel)
    disposal = 0.0 if cascade else mat.disposal_avoided(defaults)
    return Candidates(
        source=s_nodes[a[sel]].astype(np.int64), sink=snk[b[sel]].astype(np.int64), distance_km=d[sel],
        option=best_opt[sel], frac=best_econ["frac"][sel], value=best_econ["value"][sel],
        disposal=np.full(len(sel), disposal), transport=best_econ["transport"][sel], upgrade=best_econ["upgrade"][sel],
        upgrade_co2=best_econ["upgrade_co2"][sel], net=best_net[sel], co2=best_econ["co2"][sel],
        months=overlap[sel].astype(np.int64), design_quantity=best_econ["design"][sel],
    )


def _nearest_per_key(keys: Ints, d: Floats) -> Ints:
    """Position of the smallest ``d`` for each distinct key."""
    if not len(keys):
        return np.empty(0, dtype=np.int64)
    order = np.lexsort((d, keys))
    ks = keys[order]
    return order[np.r_[True, ks[1:] != ks[:-1]]]


def _cap(a: Ints, b: Ints, d: Floats, cap: int, sel: Ints) -> Ints:
    """Keep a pair when it is among the ``cap`` nearest of its source or of its sink."""
    keep = np.zeros(len(a), dtype=bool)
    for side in (a, b):
        keep[best_per_key(side, -d, cap)] = True
    return sel[keep]


def _cascades(net: Network, mat: Material, primary: Candidates, snk: Ints, defaults: Defaults,
              cap: int | None) -> Candidates:
    """Secondary sources from the return heat of sinks that have an inflow candidate."""
    L = net.listings
    fed = set(primary.sink.tolist())
    donors = [int(j) for j in snk if int(j) in fed and L[int(j)].return_temperature_c is not None
              and float(L[int(j)].return_temperature_c) > defaults["cascade_floor_c"]]
    if not donors:
        return Candidates.concat([])
    nodes = []
    for j in donors:
        sup, ret = float(L[j].quality), float(L[j].return_temperature_c)  # type: ignore[arg-type]
        gain = (ret - defaults["cascade_floor_c"]) / max(sup - ret, 1e-9)
        node = len(L) + j
        net.cascade_sink[node] = (j, gain)
        nodes.append(node)
    donors_a = np.array(donors, dtype=np.int64)
    q = np.array([net.node_quantity(n) for n in nodes])
    reach = np.array([float(mat.transport.reach_km(x, defaults)) for x in q])
    return _screen(net, mat, donors_a, reach, snk, defaults, cap, cascade=True,
                   src_nodes=np.array(nodes, dtype=np.int64),
                   src_quality=np.array([float(L[j].return_temperature_c) for j in donors]),  # type: ignore[arg-type]
                   src_months=np.array([month_mask(L[j].available_months) for j in donors]),
                   src_quantity=q, src_latlon=(np.array([L[j].lat for j in donors]), np.array([L[j].lon for j in donors])))


class PartnerIndex:
    """Partners of *one* listing, answered fast: one sphere tree per material and role.

    Built once over the stored listings (about 20-30 ms per 50k), it answers
    "who could take this stream, or supply this need?" for a new listing
    without rebuilding anything: the ``k`` nearest counterparts within reach,
    with the best way of serving each (direct or an upgrade) and its net benefit
    per unit. Cascades and seasons' quantities are left to the full match.
    """

    def __init__(self, listings: Sequence[Listing], defaults: Defaults) -> None:
        self.listings = listings
        self.defaults = defaults
        self._by: dict[tuple[str, Role], tuple[Ints, SphereIndex]] = {}
        for key in CATALOGUE:
            for role in Role:
                ids = np.array([i for i, l in enumerate(listings) if l.material == key and l.role is role], dtype=np.int64)
                self._by[(key, role)] = (ids, SphereIndex([listings[i].lat for i in ids], [listings[i].lon for i in ids]))

    def partners(self, listing: Listing, k: int = 25) -> list[dict[str, object]]:
        """Usable counterparts of ``listing``, best net benefit per unit first."""
        d = self.defaults
        mat = CATALOGUE[listing.material]
        other = Role.SINK if listing.role is Role.SOURCE else Role.SOURCE
        ids, index = self._by[(listing.material, other)]
        reach = source_reach_km(listing, d) if listing.role is Role.SOURCE else float(
            max((mat.transport.reach_km(x, d) for x in (1.0, 1e12)), default=0.0))
        if listing.max_distance_km is not None:
            reach = min(reach, listing.max_distance_km)
        _, pos, dist = pairs_within(index, [listing.lat], [listing.lon], [reach], k)
        if not len(pos):
            return []
        others = [self.listings[int(i)] for i in ids[pos]]
        srcs, snks = ([listing] * len(others), others) if listing.role is Role.SOURCE else (others, [listing] * len(others))
        lim = np.array([min(source_reach_km(s, d), k_.max_distance_km or np.inf) for s, k_ in zip(srcs, snks)])
        months = np.array([month_mask(s.available_months) & month_mask(k_.available_months) for s, k_ in zip(srcs, snks)])
        rule = mat.quality
        value = np.array([k_.price_rmb_per_unit if k_.price_rmb_per_unit is not None else mat.value_to_sink(k_.quality, d)
                          for k_ in snks])
        ask = np.array([s.price_rmb_per_unit or 0.0 for s in srcs])
        common = POPCOUNT[months]
        give = np.array([s.quantity / len(s.available_months) for s in srcs]) * common
        take = np.array([k_.quantity / len(k_.available_months) for k_ in snks]) * common
        best = np.full(len(pos), -np.inf)
        req: list[tuple[str, ...]] = [()] * len(pos)
        for o in rule.options(rule.encode([s.quality for s in srcs]), rule.encode([k_.quality for k_ in snks]), dist, d):
            design = np.minimum(give, take / o.delivered_fraction)
            e = price(mat, value, ask, dist, design, o.delivered_fraction, o.upgrade_cost, o.upgrade_co2, d)
            ok = o.feasible & ~np.asarray(e.too_dear, dtype=bool) & (np.asarray(e.net) > best) & (dist <= lim) & (months > 0)
            best = np.where(ok, e.net, best)
            for x in np.flatnonzero(ok).tolist():
                req[x] = o.requires
        out = [{"listing": others[x], "distance_km": float(dist[x]), "requires": req[x], "net_per_unit": float(best[x])}
               for x in np.flatnonzero(best > 0).tolist()]
        return sorted(out, key=lambda r: -float(r["net_per_unit"]))  # type: ignore[arg-type]

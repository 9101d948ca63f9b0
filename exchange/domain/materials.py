"""The materials catalogue: what can be exchanged, its unit, quality rule and transport.

Adding a material (steel slag, reclaimed water, steam...) means adding one
:class:`Material` to :data:`CATALOGUE` with its quality rule and transport
mode, plus its factors in :mod:`exchange.domain.factors`; nothing else in the
code names a material.

Quality rules answer one question, :meth:`QualityRule.fit`: can this source's
quality serve this sink's requirement, directly or through an upgrade, and at
what margin? An answer is a :class:`Fit`. Upgrades (a heat pump, a purifier)
are further :class:`Fit` options a rule may offer; the matcher treats every
option alike (cost, yield, CO2), so a rule can grow new ones without the
matcher changing.

>>> ash = CATALOGUE["fly_ash"]
>>> ash.quality.fit("I", "II", 10.0, Defaults()).feasible
True
>>> ash.quality.fit("III", "II", 10.0, Defaults()).reason
'grade III is below the grade II this sink accepts at the least'
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from string import Formatter
from typing import Any

import numpy as np
import numpy.typing as npt

from .factors import Defaults
from .numbers import to_number

Quality = float | str


@dataclass(frozen=True)
class Fit:
    """How (and whether) a source's quality can serve a sink's requirement.

    ``delivered_fraction`` is what reaches the sink per unit the source gives
    (below 1 for an upgrade that loses material); ``upgrade_cost_per_unit`` is
    in RMB per canonical unit *delivered*; ``upgrade_co2_per_unit`` in tCO2 per
    unit delivered (emitted by the upgrade, e.g. a heat pump's electricity).
    """

    feasible: bool
    margin: str = ""
    reason: str = ""
    requires: tuple[str, ...] = ()
    delivered_fraction: float = 1.0
    upgrade_cost_per_unit: float = 0.0
    upgrade_co2_per_unit: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class Options:
    """One way of serving (direct, or through an upgrade), evaluated for many pairs at once.

    Arrays run over pairs; ``upgrade_cost`` is RMB and ``upgrade_co2`` tCO2 per
    unit *delivered*; ``detail`` holds per-pair figures for explanations.
    """

    requires: tuple[str, ...]
    feasible: Bools
    delivered_fraction: Floats
    upgrade_cost: Floats
    upgrade_co2: Floats
    detail: dict[str, Floats] = field(default_factory=dict)


def _direct(feasible: Bools) -> Options:
    n = feasible.shape
    return Options((), feasible, np.ones(n), np.zeros(n), np.zeros(n))


class QualityRule(ABC):
    """Parses a quality value and decides source -> sink compatibility.

    :meth:`options` is the vectorised form the matcher screens with (every way
    of serving, direct first); :meth:`fit` is the one-pair form with words, for
    explanations. A test checks that the two agree.
    """

    #: the listing field that carries the quality, e.g. ``"grade"``
    attribute: str
    #: what the field means for each role, for forms and docs
    meaning: dict[str, str]

    @abstractmethod
    def parse(self, value: Any) -> Quality:
        """Return the normalised value or raise ``ValueError`` with a user-facing message."""

    @abstractmethod
    def fit(self, source: Quality, sink: Quality, distance_km: float, defaults: Defaults) -> Fit:
        """The first feasible way (direct first) the source can serve the sink, or why not."""

    def encode(self, values: Sequence[Quality]) -> Floats:
        """Quality values as numbers for :meth:`options` (grades become ranks)."""
        return np.asarray([float(v) for v in values], dtype=np.float64)

    @abstractmethod
    def options(self, source: Floats, sink: Floats, distance_km: Floats, defaults: Defaults) -> list[Options]:
        """Every way of serving, for arrays of encoded qualities and distances."""


def _number(value: Any, lo: float, hi: float, what: str) -> float:
    x = to_number(value)
    if not math.isfinite(x):
        raise ValueError("must be a finite number")
    if not lo <= x <= hi:
        raise ValueError(f"must be between {lo:g} and {hi:g} {what}".rstrip())
    return x


@dataclass(frozen=True)
class GradeRule(QualityRule):
    """Ordered grades, best first: a sink states the lowest grade it accepts.

    >>> r = GradeRule("grade", ("I", "II", "III"), "GB/T 1596-2017")
    >>> r.parse(" ii ")
    'II'
    >>> r.fit("II", "II", 0, Defaults()).margin
    'grade II meets the grade II needed'
    """

    attribute: str
    grades: tuple[str, ...]
    standard: str
    meaning: dict[str, str] = field(default_factory=lambda: {
        "source": "grade of the material offered", "sink": "lowest grade accepted"})

    def parse(self, value: Any) -> Quality:
        text = str(value).strip().upper() if value is not None else ""
        if text not in self.grades:
            raise ValueError(f"must be one of {', '.join(self.grades)} ({self.standard}), not {value!r}")
        return text

    def encode(self, values: Sequence[Quality]) -> Floats:
        return np.asarray([self.grades.index(str(v)) for v in values], dtype=np.float64)

    def options(self, source: Floats, sink: Floats, distance_km: Floats, defaults: Defaults) -> list[Options]:
        return [_direct(source <= sink)]

    def fit(self, source: Quality, sink: Quality, distance_km: float, defaults: Defaults) -> Fit:
        rs, rk = self.grades.index(str(source)), self.grades.index(str(sink))
        if rs > rk:
            return Fit(False, reason=f"grade {source} is below the grade {sink} this sink accepts at the least")
        spare = rk - rs
        margin = (f"grade {source} meets the grade {sink} needed" if spare == 0
                  else f"grade {source} for a grade-{sink} need ({spare} grade{'s' if spare > 1 else ''} to spare)")
        return Fit(True, margin=margin, details={"grade_margin": spare})


@dataclass(frozen=True)
class MinimumRule(QualityRule):
    """A percentage the source must reach: ``source >= sink minimum``.

    >>> r = MinimumRule("purity_pct", 0, 100, "%", "CaSO4.2H2O")
    >>> r.fit(93.0, 90.0, 5, Defaults()).margin
    '93 % against a 90 % minimum (3 points to spare)'
    >>> r.parse("101")
    Traceback (most recent call last):
    ...
    ValueError: must be between 0 and 100 %
    """

    attribute: str
    lo: float
    hi: float
    unit: str
    what: str
    meaning: dict[str, str] = field(default_factory=lambda: {
        "source": "purity offered", "sink": "minimum purity accepted"})

    def parse(self, value: Any) -> Quality:
        return _number(value, self.lo, self.hi, self.unit)

    def options(self, source: Floats, sink: Floats, distance_km: Floats, defaults: Defaults) -> list[Options]:
        return [_direct(source + 1e-9 >= sink)]

    def fit(self, source: Quality, sink: Quality, distance_km: float, defaults: Defaults) -> Fit:
        s, k = float(source), float(sink)
        if s + 1e-9 < k:
            return Fit(False, reason=f"{s:g} {self.unit} is below the {k:g} {self.unit} minimum", details={"shortfall": k - s})
        return Fit(True, margin=f"{s:g} {self.unit} against a {k:g} {self.unit} minimum ({s - k:.3g} points to spare)",
                   details={"purity_margin": s - k})


@dataclass(frozen=True)
class TemperatureRule(QualityRule):
    """Heat serves a sink directly when it arrives hot enough.

    The carrier cools along the pipe (``heat_pipe_temp_drop_c_per_km`` per km of
    route) and the exchanger needs an approach (``heat_exchanger_approach_k``):
    ``T_source - drop * route_km - approach >= T_sink``.

    >>> r = TemperatureRule()
    >>> r.fit(120.0, 90.0, 10.0, Defaults()).feasible
    True
    >>> r.fit(95.0, 90.0, 10.0, Defaults()).requires
    ('heat_pump',)
    >>> r.fit(20.0, 120.0, 1.0, Defaults()).feasible
    False
    """

    attribute: str = "temperature_c"
    meaning: dict[str, str] = field(default_factory=lambda: {
        "source": "carrier temperature (C)", "sink": "required supply temperature (C)"})

    def parse(self, value: Any) -> Quality:
        return _number(value, -50.0, 1500.0, "C")

    def arrival_c(self, source: float, distance_km: float, defaults: Defaults) -> float:
        route = distance_km * defaults["detour_factor"]
        return source - defaults["heat_pipe_temp_drop_c_per_km"] * route

    def options(self, source: Floats, sink: Floats, distance_km: Floats, defaults: Defaults) -> list[Options]:
        d = defaults
        arrival = source - d["heat_pipe_temp_drop_c_per_km"] * distance_km * d["detour_factor"]
        direct = arrival - d["heat_exchanger_approach_k"] >= sink
        # heat pump at the sink: evaporator on the arriving heat, condenser at the supply temperature
        t_cold = arrival - d["heat_pump_approach_k"]
        t_hot = sink + d["heat_pump_approach_k"]
        lift = t_hot - t_cold
        with np.errstate(divide="ignore", invalid="ignore"):
            cop = np.clip(d["heat_pump_carnot_fraction"] * (t_hot + 273.15) / lift, 0.0, d["heat_pump_cop_max"])
        ok = (~direct) & (lift > 0) & (lift <= d["heat_pump_max_lift_k"]) & (cop >= d["heat_pump_cop_min"]) & (t_cold > -20)
        cop = np.where(ok, cop, np.nan)
        capex_per_mwh = (d["heat_pump_capex_rmb_per_kw"] * 1000.0 * d.annuity(d["heat_pump_life_yr"])
                         / d["heating_season_hours"])
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = np.where(ok, 1.0 / (1.0 - 1.0 / cop), 1.0)
            cost = np.where(ok, d["electricity_rmb_per_mwh"] / cop + capex_per_mwh, 0.0)
            co2 = np.where(ok, d["grid_co2_t_per_mwh"] / cop, 0.0)
        nan = np.full(arrival.shape, np.nan)
        return [
            Options((), direct, np.ones(arrival.shape), np.zeros(arrival.shape), np.zeros(arrival.shape),
                    {"arrival_c": arrival, "lift_k": nan, "cop": nan}),
            Options(("heat_pump",), ok, frac, cost, co2, {"arrival_c": arrival, "lift_k": lift, "cop": cop}),
        ]

    def fit(self, source: Quality, sink: Quality, distance_km: float, defaults: Defaults) -> Fit:
        d = defaults
        approach = d["heat_exchanger_approach_k"]
        need = float(sink)
        # the direct test of options(), the same arithmetic on floats (a link's explanation asks this 10,000s of times)
        arrival = float(source) - d["heat_pipe_temp_drop_c_per_km"] * float(distance_km) * d["detour_factor"]
        if arrival - approach >= need:
            return Fit(True, margin=f"arrives at {arrival:.1f} C for a {need:g} C supply ({arrival - approach - need:.1f} K to spare)",
                       details={"arrival_c": arrival, "lift_k": 0.0})
        opts = self.options(np.array([float(source)]), np.array([need]), np.array([float(distance_km)]), d)
        hp = opts[1]
        if hp.feasible[0]:
            lift, cop = float(hp.detail["lift_k"][0]), float(hp.detail["cop"][0])
            return Fit(True, margin=f"arrives at {arrival:.1f} C, below the {need:g} C supply: heat pump lift {lift:.1f} K, COP {cop:.2f}",
                       requires=("heat_pump",), delivered_fraction=float(hp.delivered_fraction[0]),
                       upgrade_cost_per_unit=float(hp.upgrade_cost[0]), upgrade_co2_per_unit=float(hp.upgrade_co2[0]),
                       details={"arrival_c": arrival, "lift_k": lift, "cop": cop,
                                "note": f"lift {lift:.1f} K, COP {cop:.2f}"})
        lift = need + defaults["heat_pump_approach_k"] - (arrival - defaults["heat_pump_approach_k"])
        return Fit(False, reason=(f"arrives at {arrival:.1f} C, needs {need:g} C + {approach:g} K approach; "
                                  f"a heat pump would need a {lift:.0f} K lift (at most {defaults['heat_pump_max_lift_k']:g} K, "
                                  f"COP at least {defaults['heat_pump_cop_min']:g})"),
                   details={"arrival_c": arrival, "lift_k": lift})


@dataclass(frozen=True)
class HydrogenPurityRule(MinimumRule):
    """Purity with upgrades: PSA polishing for rich feeds, separation for mixed gas.

    * direct when the source meets the sink's minimum;
    * ``purification`` (PSA polishing) when the feed has at least ``psa_min_feed_pct``:
      the sink receives ``psa_recovery`` of what the source gives, at ``psa_cost_rmb_per_t``;
    * ``separation`` (e.g. coke-oven gas, 55-60 % H2) from ``separation_min_feed_pct``,
      at ``separation_recovery`` and ``separation_cost_rmb_per_t``;
    both deliver at most ``purified_pct``.

    >>> r = HydrogenPurityRule("purity_pct", 0, 100, "%", "H2")
    >>> f = r.fit(99.9, 99.97, 10, Defaults())
    >>> f.requires, f.delivered_fraction
    (('purification',), 0.9)
    >>> r.fit(58.0, 99.97, 10, Defaults()).requires
    ('separation',)
    """

    def options(self, source: Floats, sink: Floats, distance_km: Floats, defaults: Defaults) -> list[Options]:
        d = defaults
        direct = source + 1e-9 >= sink
        reach = d["purified_pct"] + 1e-9 >= sink
        psa = (~direct) & reach & (source >= d["psa_min_feed_pct"])
        sep = (~direct) & reach & (source < d["psa_min_feed_pct"]) & (source >= d["separation_min_feed_pct"])
        n = source.shape
        return [
            _direct(direct),
            Options(("purification",), psa, np.full(n, d["psa_recovery"]), np.full(n, d["psa_cost_rmb_per_t"]), np.zeros(n)),
            Options(("separation",), sep, np.full(n, d["separation_recovery"]), np.full(n, d["separation_cost_rmb_per_t"]),
                    np.zeros(n)),
        ]

    def fit(self, source: Quality, sink: Quality, distance_km: float, defaults: Defaults) -> Fit:
        direct = MinimumRule.fit(self, source, sink, distance_km, defaults)
        if direct.feasible:
            return direct
        opts = self.options(np.array([float(source)]), np.array([float(sink)]), np.array([float(distance_km)]), defaults)
        for o, what in zip(opts[1:], ("PSA purification", "separation from mixed gas")):
            if o.feasible[0]:
                frac = float(o.delivered_fraction[0])
                return Fit(True, margin=f"{float(source):g} % raised to {defaults['purified_pct']:g} % by {what} for a "
                                        f"{float(sink):g} % minimum",
                           requires=o.requires, delivered_fraction=frac, upgrade_cost_per_unit=float(o.upgrade_cost[0]),
                           details={"note": f"{what}, {frac:.0%} recovered", "recovery": frac})
        return Fit(False, reason=direct.reason + (f"; below the {defaults['separation_min_feed_pct']:g} % a separation "
                                                  f"unit needs" if float(source) < defaults["separation_min_feed_pct"]
                                                  else ""))


class TransportMode(ABC):
    """How a material moves; cost and CO2 per canonical unit moved."""

    key: str
    label_en: str
    label_zh: str

    @abstractmethod
    def reach_km(self, annual_quantity: float, defaults: Defaults) -> float:
        """Geodesic radius within which a source of this size looks for sinks."""

    @abstractmethod
    def cost_per_unit(self, distance_km: float, annual_quantity: float, defaults: Defaults) -> float:
        """RMB per unit moved over a geodesic ``distance_km`` (detour applied inside)."""

    @abstractmethod
    def co2_per_unit(self, distance_km: float, defaults: Defaults) -> float:
        """tCO2 emitted per unit moved."""


@dataclass(frozen=True)
class Haulage(TransportMode):
    """Cost linear in route length: ``fixed + per_km * km * detour`` (per unit)."""

    key: str
    label_en: str
    label_zh: str
    fixed_key: str
    per_km_key: str
    reach_key: str
    co2_key: str

    def reach_km(self, annual_quantity: float, defaults: Defaults) -> float:
        return defaults[self.reach_key]

    def cost_per_unit(self, distance_km: float, annual_quantity: float, defaults: Defaults) -> float:
        return defaults[self.fixed_key] + defaults[self.per_km_key] * distance_km * defaults["detour_factor"]

    def co2_per_unit(self, distance_km: float, defaults: Defaults) -> float:
        return defaults[self.co2_key] * distance_km * defaults["detour_factor"]


@dataclass(frozen=True)
class HeatPipeline(TransportMode):
    """A hot-water line sized for the flow it carries, its capital annualised.

    Capital per km scales from a large trunk line (``heat_pipe_capex_rmb_per_km_large``
    for ``heat_pipe_large_mw``) by ``(MW / large_MW) ** exponent``, never below
    ``heat_pipe_capex_min_rmb_per_km``. Per year it costs the annuity plus
    ``heat_pipe_om_share`` of capital; per MWh, that divided by the MWh carried.
    The design MW is the annual MWh over the heating-season hours.
    Min-cost flow needs a cost linear in flow: the matcher prices each pair at
    the most it could carry (the smaller of the two listings) and states this.

    >>> p = HeatPipeline()
    >>> round(p.cost_per_unit(10.0, 576_000, Defaults()), 1)  # 200 MW over 10 km
    19.4
    """

    key: str = "heat_pipeline"
    label_en: str = "hot-water pipeline"
    label_zh: str = "热水管网"

    def design_mw(self, annual_mwh: float, defaults: Defaults) -> float:
        return annual_mwh / defaults["heating_season_hours"]

    def capex_per_km(self, annual_mwh: Any, defaults: Defaults) -> Any:
        """RMB per km of line for a flow of ``annual_mwh`` (scalar or array)."""
        mw = np.maximum(self.design_mw(annual_mwh, defaults), 0.0)
        scaled = defaults["heat_pipe_capex_rmb_per_km_large"] * (mw / defaults["heat_pipe_large_mw"]) ** defaults["heat_pipe_scale_exponent"]
        return np.maximum(defaults["heat_pipe_capex_min_rmb_per_km"], scaled)

    def reach_km(self, annual_quantity: float, defaults: Defaults) -> float:
        if self.design_mw(annual_quantity, defaults) >= defaults["heat_large_flow_mw"]:
            return defaults["heat_reach_large_km"]
        return defaults["heat_reach_km"]

    def cost_per_unit(self, distance_km: Any, annual_quantity: Any, defaults: Defaults) -> Any:
        route = distance_km * defaults["detour_factor"]
        capex = self.capex_per_km(annual_quantity, defaults) * route
        per_year = capex * (defaults.annuity(defaults["heat_pipe_life_yr"]) + defaults["heat_pipe_om_share"])
        with np.errstate(divide="ignore"):
            out = np.where(np.asarray(annual_quantity) > 0, per_year / np.maximum(annual_quantity, 1e-300), np.inf)
        return float(out) if np.ndim(out) == 0 else out

    def capex(self, distance_km: float, annual_quantity: float, defaults: Defaults) -> float:
        """Capital of the line in RMB (for the payback figure)."""
        return float(self.capex_per_km(annual_quantity, defaults) * distance_km * defaults["detour_factor"])

    def co2_per_unit(self, distance_km: Any, defaults: Defaults) -> Any:
        return 0.0 * distance_km  # pumping power is inside the O&M share; its CO2 is not counted separately


@dataclass(frozen=True)
class Material:
    """One exchangeable material: unit, quality rule, transport, value and CO2 method."""

    key: str
    label_en: str
    label_zh: str
    canonical_unit: str
    quality: QualityRule
    transport: TransportMode
    #: value to the sink per unit, by the sink's stated quality, from the factors
    value_key: str | dict[str, str]
    disposal_key: str | None
    co2_method: str
    #: extra unit conversion: mass of one Nm3, for gases stated by volume
    gas_density_kg_per_nm3: float | None = None
    #: typical sinks, for forms and gap analysis
    sink_kinds: tuple[str, ...] = ()
    #: ``co2_method`` in Chinese, same placeholders
    co2_method_zh: str = ""

    def value_to_sink(self, sink_quality: Quality, defaults: Defaults) -> float:
        """RMB per unit the sink would otherwise pay for what it needs."""
        key = self.value_key if isinstance(self.value_key, str) else self.value_key[str(sink_quality)]
        return defaults[key]

    def disposal_avoided(self, defaults: Defaults) -> float:
        """RMB per unit the source no longer pays to dispose of it."""
        return defaults[self.disposal_key] if self.disposal_key else 0.0

    def co2_avoided_per_unit(self, defaults: Defaults) -> float:
        """tCO2 the sink's baseline supply would have emitted per unit delivered."""
        return _CO2_PER_UNIT[self.key](defaults)

    def co2_method_text(self, defaults: Defaults | Mapping[str, float], lang: str = "en") -> str:
        """The method, with the factor values in force (``lang="zh"``: in Chinese).

        ``defaults`` may also be just :meth:`co2_method_factors` (what a stored link keeps).
        """
        return (self.co2_method_zh if lang == "zh" and self.co2_method_zh else self.co2_method).format(**defaults)

    def co2_method_factors(self, defaults: Defaults) -> dict[str, float]:
        """The factor values the method's words quote (both languages quote the same ones)."""
        names = {f for text in (self.co2_method, self.co2_method_zh) for _, f, _, _ in Formatter().parse(text) if f}
        return {n: defaults[n] for n in sorted(names)}


_CO2_PER_UNIT = {
    "waste_heat": lambda d: d["coal_heat_co2_t_per_mwh"],
    "fly_ash": lambda d: d["clinker_co2_t_per_t"] * d["fly_ash_clinker_substitution"],
    "fgd_gypsum": lambda d: d["gypsum_co2_t_per_t"],
    "hydrogen": lambda d: d["h2_baseline_co2_t_per_t"],
}

_TRUCK = Haulage("truck", "truck (bulk)", "散装货车", "truck_handling_rmb_per_t", "truck_rmb_per_t_km",
                 "solids_reach_km", "truck_co2_t_per_t_km")

CATALOGUE: dict[str, Material] = {
    m.key: m
    for m in (
        Material(
            "waste_heat", "waste heat", "余热", "MWh/yr", TemperatureRule(), HeatPipeline(),
            value_key="heat_value_rmb_per_mwh", disposal_key=None,
            co2_method=("baseline: coal-fired boiler heat at {coal_heat_co2_t_per_mwh} tCO2/MWh "
                        "(coal 0.095 tCO2/GJ / efficiency 0.85); minus any heat-pump electricity at the "
                        "North China grid factor {grid_co2_t_per_mwh} tCO2/MWh (2023)"),
            sink_kinds=("district_heating", "greenhouse", "process_heat"),
            co2_method_zh=("基准：燃煤锅炉供热 {coal_heat_co2_t_per_mwh} tCO2/MWh（煤 0.095 tCO2/GJ ÷ 效率 0.85）；"
                           "扣除热泵用电，按华北电网因子 {grid_co2_t_per_mwh} tCO2/MWh（2023）"),
        ),
        Material(
            "fly_ash", "coal fly ash", "粉煤灰", "t/yr", GradeRule("grade", ("I", "II", "III"), "GB/T 1596-2017"), _TRUCK,
            value_key={"I": "fly_ash_value_I_rmb_per_t", "II": "fly_ash_value_II_rmb_per_t",
                       "III": "fly_ash_value_III_rmb_per_t"},
            disposal_key="solid_disposal_rmb_per_t",
            co2_method=("baseline: cement clinker at {clinker_co2_t_per_t} tCO2/t, displaced at "
                        "{fly_ash_clinker_substitution} t clinker per t ash; minus truck transport at "
                        "{truck_co2_t_per_t_km} tCO2/t.km"),
            sink_kinds=("cement_plant", "concrete_station", "brick_plant"),
            co2_method_zh=("基准：水泥熟料 {clinker_co2_t_per_t} tCO2/t，每吨粉煤灰替代 {fly_ash_clinker_substitution} t "
                           "熟料；扣除货车运输 {truck_co2_t_per_t_km} tCO2/(t·km)"),
        ),
        Material(
            "fgd_gypsum", "FGD gypsum", "脱硫石膏", "t/yr",
            MinimumRule("purity_pct", 0.0, 100.0, "%", "CaSO4.2H2O (GB/T 37785-2019)"), _TRUCK,
            value_key="gypsum_value_rmb_per_t", disposal_key="solid_disposal_rmb_per_t",
            co2_method=("baseline: natural gypsum at {gypsum_co2_t_per_t} tCO2/t (no confirmed factor); "
                        "minus truck transport at {truck_co2_t_per_t_km} tCO2/t.km"),
            sink_kinds=("plasterboard_plant", "cement_plant"),
            co2_method_zh=("基准：天然石膏 {gypsum_co2_t_per_t} tCO2/t（无确认的因子）；"
                           "扣除货车运输 {truck_co2_t_per_t_km} tCO2/(t·km)"),
        ),
        Material(
            "hydrogen", "by-product hydrogen", "副产氢", "t/yr",
            HydrogenPurityRule("purity_pct", 0.0, 100.0, "%", "H2 (ISO 14687 / GB/T 37244-2018)"),
            Haulage("tube_trailer", "tube trailer", "长管拖车", "h2_trailer_fixed_rmb_per_t", "h2_trailer_rmb_per_t_km",
                    "h2_trailer_reach_km", "h2_trailer_co2_t_per_t_km"),
            value_key="h2_value_rmb_per_t", disposal_key=None,
            co2_method=("baseline: hydrogen from natural gas at {h2_baseline_co2_t_per_t} tCO2/t; minus "
                        "tube-trailer transport at {h2_trailer_co2_t_per_t_km} tCO2/t.km"),
            gas_density_kg_per_nm3=0.08988,
            sink_kinds=("hydrogen_station", "industrial_user"),
            co2_method_zh=("基准：天然气制氢 {h2_baseline_co2_t_per_t} tCO2/t；"
                           "扣除长管拖车运输 {h2_trailer_co2_t_per_t_km} tCO2/(t·km)"),
        ),
    )
}


def material(key: str) -> Material:
    """The catalogue entry, or ``KeyError`` naming the known ones."""
    try:
        return CATALOGUE[key]
    except KeyError:
        raise KeyError(f"unknown material {key!r}; known: {', '.join(CATALOGUE)}") from None

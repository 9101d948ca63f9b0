"""The catalogue of default factors: every number the matcher rests on.

Each :class:`Factor` says its value, unit, origin and whether it is a working
assumption that no source confirmed (``check=True``, marked *(check)* in
``docs/matching.md``, as in ``REFERENCE.md``). Nothing in ``matching`` may use a
bare constant for these: it asks a :class:`Defaults`, which a caller can build
with overrides (later: per park).

>>> d = Defaults({"detour_factor": 1.5})
>>> d["detour_factor"], d["truck_rmb_per_t_km"]
(1.5, 0.35)
>>> Defaults({"no_such_factor": 1})
Traceback (most recent call last):
...
KeyError: "unknown factor(s): ['no_such_factor']"
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Factor:
    """One documented default value."""

    key: str
    value: float
    unit: str
    origin: str
    check: bool = False
    note: str = ""


FACTORS: tuple[Factor, ...] = (
    # --- transport, general
    Factor("detour_factor", 1.3, "route km / geodesic km",
           "REFERENCE.md: a straight line understates a road or pipe route; 1.3 as the documented example", True),
    # --- bulk solids by truck (fly ash, gypsum)
    Factor("truck_rmb_per_t_km", 0.35, "RMB/(t*km)",
           "national road freight index 2015: 0.23-0.42 RMB/t.km (upper middle of the range)"),
    Factor("truck_handling_rmb_per_t", 15.0, "RMB/t", "loading, unloading and weighing per trip", True),
    Factor("truck_co2_t_per_t_km", 0.00008, "tCO2/(t*km)", "heavy diesel truck, laden one way, about 80 g/t.km", True),
    Factor("solids_reach_km", 150.0, "km", "economic trucking radius for bulk ash and gypsum", True),
    # --- hydrogen by tube trailer
    Factor("h2_trailer_fixed_rmb_per_t", 3756.0, "RMB/t",
           "industry reports: 5.4 RMB/kg at 50 km and 20.2 RMB/kg at 500 km; line through both points, intercept"),
    Factor("h2_trailer_rmb_per_t_km", 32.89, "RMB/(t*km)",
           "same line, slope (20.2-5.4)/450 RMB/kg per km"),
    Factor("h2_trailer_reach_km", 200.0, "km", "REFERENCE.md: tube trailers sensible up to about 200 km"),
    Factor("h2_trailer_co2_t_per_t_km", 0.0067, "tCO2/(t*km)",
           "diesel tractor about 1 kg CO2/km, 300 kg H2 payload, empty return trip", True),
    # --- heat by hot-water pipeline
    Factor("heat_pipe_capex_rmb_per_km_large", 23e6, "RMB/km",
           "REFERENCE.md: 20-26 million RMB/km for DN1200-1600 trunk lines incl. pumping (Zhangqiu, Hohhot)"),
    Factor("heat_pipe_large_mw", 1000.0, "MW", "thermal capacity of one such trunk line", True),
    Factor("heat_pipe_scale_exponent", 0.6, "-", "six-tenths rule: cost grows with capacity^0.6", True),
    Factor("heat_pipe_capex_min_rmb_per_km", 2e6, "RMB/km", "floor for a small distribution main (DN200-300)", True),
    Factor("heat_pipe_life_yr", 25.0, "yr", "depreciation life of a buried pre-insulated pipe", True),
    Factor("discount_rate", 0.06, "1/yr", "real discount rate for annualising capital", True),
    Factor("heat_pipe_om_share", 0.02, "1/yr", "operation, maintenance and pumping as a share of capital per year", True),
    Factor("heat_pipe_temp_drop_c_per_km", 0.125, "K/km",
           "REFERENCE.md: large trunk lines lose about 1-5 C over 40 km (upper end taken)"),
    Factor("heat_reach_km", 20.0, "km", "REFERENCE.md: CHP hot-water heating radius rule of thumb", True),
    Factor("heat_reach_large_km", 130.0, "km",
           "REFERENCE.md: long-distance lines reach 40-130 km for very large flows (Taiyuan, Liaocheng)"),
    Factor("heat_large_flow_mw", 300.0, "MW", "design flow above which a source may use the long-distance reach", True),
    Factor("heat_exchanger_approach_k", 10.0, "K",
           "REFERENCE.md: liquid-liquid minimum approach 5-10 K (upper end taken)"),
    Factor("heating_season_hours", 2880.0, "h", "REFERENCE.md: Jinan heating season 15 Nov - 15 Mar, about 120 days"),
    # --- upgrades: heat pumps
    Factor("heat_pump_carnot_fraction", 0.5, "-",
           "REFERENCE.md: Carnot COP x 0.45-0.55 is a fair model (Arpagaus et al., Energy 152, 2018)"),
    Factor("heat_pump_approach_k", 5.0, "K", "evaporator and condenser approach each side", True),
    Factor("heat_pump_cop_min", 1.5, "-", "below this a heat pump is not proposed", True),
    Factor("heat_pump_cop_max", 7.0, "-", "clamp: REFERENCE.md gives 5.7-6.5 at 30 K lift", True),
    Factor("heat_pump_max_lift_k", 80.0, "K", "largest lift of industrial high-temperature heat pumps", True),
    Factor("heat_pump_capex_rmb_per_kw", 1500.0, "RMB/kW heat", "installed large heat pump", True),
    Factor("heat_pump_life_yr", 15.0, "yr", "heat pump service life", True),
    Factor("electricity_rmb_per_mwh", 650.0, "RMB/MWh", "Shandong industrial tariff, about 0.65 RMB/kWh", True),
    # --- upgrades: hydrogen purification
    Factor("psa_min_feed_pct", 99.0, "%", "feed purity above which a polishing PSA unit suffices", True),
    Factor("psa_recovery", 0.90, "-", "REFERENCE.md: PSA recovers 80-97 % of the hydrogen (middle taken)"),
    Factor("psa_cost_rmb_per_t", 2000.0, "RMB/t H2 delivered", "polishing PSA, about 2 RMB/kg", True),
    Factor("separation_min_feed_pct", 50.0, "%", "coke-oven gas (55-60 % H2) and richer can be separated", True),
    Factor("separation_recovery", 0.80, "-", "REFERENCE.md: PSA from mixed gas at the low end of 80-97 %", True),
    Factor("separation_cost_rmb_per_t", 8000.0, "RMB/t H2 delivered",
           "PSA separation from coke-oven gas incl. compression, about 8 RMB/kg", True),
    Factor("purified_pct", 99.999, "%", "REFERENCE.md: PSA purification reaches 99-99.999 %"),
    # --- cascades
    Factor("cascade_floor_c", 30.0, "C", "lowest temperature return heat is cooled to by a next user", True),
    # --- values to the sink (what it would otherwise pay) and disposal avoided by the source
    Factor("heat_value_rmb_per_mwh", 144.0, "RMB/MWh", "coal-boiler heat at about 40 RMB/GJ delivered", True),
    Factor("fly_ash_value_I_rmb_per_t", 180.0, "RMB/t", "market price of grade I fly ash", True),
    Factor("fly_ash_value_II_rmb_per_t", 120.0, "RMB/t", "market price of grade II fly ash", True),
    Factor("fly_ash_value_III_rmb_per_t", 60.0, "RMB/t", "market price of grade III fly ash", True),
    Factor("gypsum_value_rmb_per_t", 80.0, "RMB/t", "natural gypsum delivered to a plasterboard or cement plant", True),
    Factor("h2_value_rmb_per_t", 25000.0, "RMB/t", "grey hydrogen delivered, about 25 RMB/kg", True),
    Factor("solid_disposal_rmb_per_t", 25.0, "RMB/t", "landfill fee avoided by the producer of ash or gypsum", True),
    # --- CO2
    Factor("coal_heat_co2_t_per_mwh", 0.396, "tCO2/MWh",
           "REFERENCE.md: coal-fired heat about 0.11 tCO2/GJ (coal 0.095 / boiler efficiency 0.85)", True),
    Factor("grid_co2_t_per_mwh", 0.6361, "tCO2/MWh", "MEE/NBS 2023 release: North China grid (includes Shandong)"),
    Factor("clinker_co2_t_per_t", 0.85, "tCO2/t", "REFERENCE.md: cement clinker about 0.8-0.9 tCO2/t", True),
    Factor("fly_ash_clinker_substitution", 0.8, "t clinker / t ash",
           "REFERENCE.md: fly ash displacing clinker avoids most of it", True),
    Factor("gypsum_co2_t_per_t", 0.0, "tCO2/t",
           "no confirmed factor for natural gypsum quarrying: counted as zero, only transport counts"),
    Factor("carbon_price_rmb_per_t", 0.0, "RMB/tCO2",
           "price put on CO2 avoided in the objective; 0 by default (benefit in money only), a park may set its ETS price"),
    Factor("h2_baseline_co2_t_per_t", 10.0, "tCO2/t",
           "REFERENCE.md: hydrogen from natural gas 10 tCO2/t (the lowest of coal 19 / oil 12 / gas 10: conservative)"),
)

_BY_KEY = {f.key: f for f in FACTORS}


def factor(key: str) -> Factor:
    """The catalogue entry for ``key``."""
    return _BY_KEY[key]


class Defaults(Mapping[str, float]):
    """Catalogue values with optional overrides (a park's own figures)."""

    def __init__(self, overrides: Mapping[str, float] | None = None) -> None:
        overrides = dict(overrides or {})
        unknown = sorted(set(overrides) - set(_BY_KEY))
        if unknown:
            raise KeyError(f"unknown factor(s): {unknown}")
        self._values = {k: float(f.value) for k, f in _BY_KEY.items()}
        self._values.update({k: float(v) for k, v in overrides.items()})
        self.overridden = frozenset(overrides)

    def __getitem__(self, key: str) -> float:
        return self._values[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def annuity(self, life_yr: float) -> float:
        """Capital recovery factor at ``discount_rate`` over ``life_yr``.

        >>> round(Defaults().annuity(25), 4)
        0.0782
        """
        r = self["discount_rate"]
        if r == 0:
            return 1.0 / life_yr
        return r / (1 - (1 + r) ** -life_yr)

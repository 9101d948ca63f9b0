"""Cost, value, net benefit and CO2 of moving one unit from a source to a sink.

All figures are per canonical unit *taken from the source* (``MWh`` or ``t``),
so that the flow variable of the allocation is the quantity a source gives.
A fit's ``delivered_fraction`` turns that into what the sink receives.

Regional net benefit per unit taken::

    net = frac * value_to_sink + disposal_avoided - transport - frac * upgrade
          + carbon_price * co2_avoided

where ``value_to_sink`` is the sink's own ``price_rmb_per_unit`` (what it pays
now) or the catalogue's default for the quality it needs. The source's own
``price_rmb_per_unit`` is its asking price: a transfer between the two firms,
not a regional cost, but a link whose sink would pay more than its value
(ask + transport + upgrade > value) is not proposed.

>>> from exchange.domain import CATALOGUE, Defaults, Fit
>>> e = unit_economics(CATALOGUE["fly_ash"], "II", None, None, 20.0, 50_000, Fit(True), Defaults())
>>> round(e.transport, 2), round(e.net, 2)
(24.1, 120.9)
"""

from __future__ import annotations

from dataclasses import dataclass

from exchange.domain.factors import Defaults
from exchange.domain.materials import Fit, Material, Quality


@dataclass(frozen=True)
class UnitEconomics:
    """Per unit taken from the source: RMB and tCO2."""

    value: float          # to the sink, per unit delivered
    disposal: float       # avoided by the source, per unit taken
    transport: float      # per unit taken
    upgrade: float        # per unit delivered
    delivered_fraction: float
    net: float            # regional net benefit per unit taken
    co2: float            # tCO2 avoided per unit taken (after transport and upgrade emissions)
    sink_pays_more_than_value: bool

    @property
    def cost(self) -> float:
        """Transport and upgrade cost per unit taken."""
        return self.transport + self.delivered_fraction * self.upgrade


def unit_economics(
    material: Material,
    sink_quality: Quality,
    sink_price: float | None,
    source_ask: float | None,
    distance_km: float,
    design_quantity: float,
    fit: Fit,
    defaults: Defaults,
) -> UnitEconomics:
    """Price one unit on one candidate link; see the module docstring for the formula."""
    frac = fit.delivered_fraction
    value = sink_price if sink_price is not None else material.value_to_sink(sink_quality, defaults)
    disposal = material.disposal_avoided(defaults)
    transport = material.transport.cost_per_unit(distance_km, design_quantity, defaults)
    co2 = (frac * material.co2_avoided_per_unit(defaults)
           - material.transport.co2_per_unit(distance_km, defaults)
           - frac * fit.upgrade_co2_per_unit)
    net = frac * value + disposal - transport - frac * fit.upgrade_cost_per_unit + defaults["carbon_price_rmb_per_t"] * co2
    ask = source_ask or 0.0
    too_dear = frac * (value - fit.upgrade_cost_per_unit) - transport < ask
    return UnitEconomics(value, disposal, transport, fit.upgrade_cost_per_unit, frac, net, co2, too_dear)

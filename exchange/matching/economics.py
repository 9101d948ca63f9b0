"""Cost, value, net benefit and CO2 of moving one unit from a source to a sink.

All figures are per canonical unit *taken from the source* (``MWh`` or ``t``),
so that the flow variable of the allocation is the quantity a source gives.
A fit's ``delivered_fraction`` turns that into what the sink receives (below 1
after purification losses, above 1 when a heat pump adds its electricity).

Regional net benefit per unit taken::

    net = frac * (value_to_sink - upgrade) + disposal_avoided - transport
          + carbon_price * co2_avoided

where ``value_to_sink`` is the sink's own ``price_rmb_per_unit`` (what it pays
now, per unit delivered) or the catalogue's default for the quality it needs.
The source's own ``price_rmb_per_unit`` is its asking price: a transfer between
the two firms, not a regional cost, but a link where the sink would pay more
than its value (``frac * (value - upgrade) - transport < ask``) is not proposed.

CO2 avoided per unit taken::

    co2 = frac * (baseline_factor - upgrade_co2) - transport_co2

Every function works on numpy arrays (one entry per candidate pair) and on
plain floats alike.

>>> from exchange.domain import CATALOGUE, Defaults, Fit
>>> e = unit_economics(CATALOGUE["fly_ash"], "II", None, None, 20.0, 50_000, Fit(True), Defaults())
>>> round(e.transport, 2), round(e.net, 2)
(24.1, 120.9)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from exchange.domain.factors import Defaults
from exchange.domain.materials import Fit, Material, Quality


@dataclass(frozen=True)
class UnitEconomics:
    """Per unit taken from the source: RMB and tCO2 (floats, or arrays over pairs)."""

    value: Any          # to the sink, per unit delivered
    disposal: Any       # avoided by the source, per unit taken
    transport: Any      # per unit taken
    upgrade: Any        # per unit delivered
    delivered_fraction: Any
    net: Any            # regional net benefit per unit taken
    co2: Any            # tCO2 avoided per unit taken (after transport and upgrade emissions)
    too_dear: Any       # the sink would pay more than the value to it

    @property
    def cost(self) -> Any:
        """Transport and upgrade cost per unit taken."""
        return self.transport + self.delivered_fraction * self.upgrade


def price(
    material: Material,
    value: Any,
    ask: Any,
    distance_km: Any,
    design_quantity: Any,
    frac: Any,
    upgrade_cost: Any,
    upgrade_co2: Any,
    defaults: Defaults,
) -> UnitEconomics:
    """The formula of the module docstring, elementwise."""
    disposal = material.disposal_avoided(defaults)
    transport = material.transport.cost_per_unit(distance_km, design_quantity, defaults)
    co2 = (frac * (material.co2_avoided_per_unit(defaults) - upgrade_co2)
           - material.transport.co2_per_unit(distance_km, defaults))
    net = frac * (value - upgrade_cost) + disposal - transport + defaults["carbon_price_rmb_per_t"] * co2
    too_dear = frac * (value - upgrade_cost) - transport < ask
    return UnitEconomics(value, disposal, transport, upgrade_cost, frac, net, co2, too_dear)


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
    """Price one unit on one candidate link (scalar form of :func:`price`)."""
    value = sink_price if sink_price is not None else material.value_to_sink(sink_quality, defaults)
    e = price(material, value, source_ask or 0.0, distance_km, design_quantity, fit.delivered_fraction,
              fit.upgrade_cost_per_unit, fit.upgrade_co2_per_unit, defaults)
    return UnitEconomics(*(float(x) if not isinstance(x, (bool, np.bool_)) else bool(x)
                           for x in (e.value, e.disposal, e.transport, e.upgrade, e.delivered_fraction, e.net, e.co2,
                                     e.too_dear)))

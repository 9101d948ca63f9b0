"""What a match run produces: proposed links, unmatched listings and totals.

Quantities are canonical annual units (``MWh/yr``, ``t/yr``); money in RMB per
year; CO2 in tonnes per year. ``quantity`` on a link is what the source gives;
``delivered`` what the sink receives (less after a lossy upgrade).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from exchange.domain.listing import Listing


@dataclass(frozen=True)
class ProposedLink:
    source: Listing
    sink: Listing
    material: str
    quantity: float
    delivered: float
    unit: str
    distance_km: float
    route_km: float
    transport: str
    requires: tuple[str, ...]
    transport_cost_rmb_per_yr: float
    upgrade_cost_rmb_per_yr: float
    value_rmb_per_yr: float
    net_benefit_rmb_per_yr: float
    co2_avoided_t_per_yr: float
    explanation: str
    #: the figures behind the explanation (margin, per-unit economics, months, parks, CO2 method, heat pump,
    #: pipeline payback), as JSON text: made once where the link is made (in its material's job, in
    #: parallel), sent from there and stored as it is; :attr:`details` reads it
    details_json: str = "{}"

    @cached_property
    def details(self) -> dict[str, Any]:
        """:attr:`details_json`, read."""
        return json.loads(self.details_json)  # type: ignore[no-any-return]

    @property
    def cost_rmb_per_yr(self) -> float:
        return self.transport_cost_rmb_per_yr + self.upgrade_cost_rmb_per_yr

    def as_dict(self) -> dict[str, Any]:
        """The public JSON form (``match --json``)."""
        return {
            "source_ref": self.source.ref,
            "source_organisation": self.source.organisation,
            "sink_ref": self.sink.ref,
            "sink_organisation": self.sink.organisation,
            "material": self.material,
            "quantity": round(self.quantity, 3),
            "delivered": round(self.delivered, 3),
            "unit": self.unit,
            "distance_km": round(self.distance_km, 3),
            "route_km": round(self.route_km, 3),
            "transport": self.transport,
            "requires": list(self.requires),
            "cost_rmb_per_yr": round(self.cost_rmb_per_yr, 2),
            "transport_cost_rmb_per_yr": round(self.transport_cost_rmb_per_yr, 2),
            "upgrade_cost_rmb_per_yr": round(self.upgrade_cost_rmb_per_yr, 2),
            "value_rmb_per_yr": round(self.value_rmb_per_yr, 2),
            "net_benefit_rmb_per_yr": round(self.net_benefit_rmb_per_yr, 2),
            "co2_avoided_t_per_yr": round(self.co2_avoided_t_per_yr, 3),
            "explanation": self.explanation,
            "details": self.details,
        }


@dataclass(frozen=True)
class UnmatchedListing:
    listing: Listing
    code: str      # no_partner | out_of_reach | quality | season | reach | not_paying | too_dear | capacity_taken | link_limited
    reason: str
    matched: float
    remaining: float

    def as_dict(self) -> dict[str, Any]:
        return {
            "ref": self.listing.ref,
            "organisation": self.listing.organisation,
            "role": self.listing.role.value,
            "material": self.listing.material,
            "code": self.code,
            "reason": self.reason,
            "matched": round(self.matched, 3),
            "remaining": round(self.remaining, 3),
            "unit": self.listing.unit,
        }


@dataclass
class MatchResult:
    links: list[ProposedLink]
    unmatched: list[UnmatchedListing]
    summary: dict[str, Any]
    stats: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "links": [link.as_dict() for link in self.links],
            "unmatched": [u.as_dict() for u in self.unmatched],
            "summary": self.summary,
        }

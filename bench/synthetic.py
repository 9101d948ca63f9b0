"""A synthetic province: listings drawn around the real Shandong plants.

Positions: a real coal unit or steel plant from ``geodata/data`` (chosen at
random), moved by a normal offset of 15 km in latitude and longitude. All four
materials in equal shares, sources and sinks in equal numbers, qualities and
quantities drawn from realistic ranges. Seeded: the same ``n`` gives the same
province.
"""

from __future__ import annotations

import numpy as np

from exchange.domain.listing import Listing, parse_listing
from geodata.plants import coal_units, steel_plants

MATERIALS = ("waste_heat", "fly_ash", "fgd_gypsum", "hydrogen")


def province_rows(n: int, seed: int = 7) -> list[dict]:
    rng = np.random.default_rng(seed)
    anchors = [(u.lat, u.lon) for u in coal_units() if u.in_shandong_best_guess] + \
              [(s.lat, s.lon) for s in steel_plants() if s.in_shandong_best_guess]
    anchors_a = np.array(anchors)
    pick = anchors_a[rng.integers(0, len(anchors_a), n)]
    lat = pick[:, 0] + rng.normal(0, 15 / 111.0, n)
    lon = pick[:, 1] + rng.normal(0, 15 / 89.0, n)
    rows = []
    for i in range(n):
        material = MATERIALS[i % 4]
        role = "source" if (i // 4) % 2 == 0 else "sink"
        row = dict(ref=f"X{i}", organisation=f"org{i % 997}", role=role, material=material, lat=float(lat[i]),
                   lon=float(lon[i]))
        if material == "waste_heat":
            row.update(quantity=float(rng.lognormal(np.log(50_000), 1.0)), unit="MWh/yr",
                       temperature_c=float(rng.choice([45, 60, 75, 90, 110, 130]) if role == "source"
                                           else rng.choice([45, 70, 85, 95, 110])))
            if role == "sink" and rng.random() < 0.5:
                row["available_months"] = "11-3"
        elif material == "hydrogen":
            row.update(quantity=float(rng.lognormal(np.log(300), 0.8)), unit="t/yr",
                       purity_pct=float(rng.choice([58, 99.5, 99.9, 99.99]) if role == "source"
                                        else rng.choice([99.9, 99.97])))
        elif material == "fly_ash":
            row.update(quantity=float(rng.lognormal(np.log(80_000), 0.8)), unit="t/yr",
                       grade=str(rng.choice(["I", "II", "III"])))
        else:
            row.update(quantity=float(rng.lognormal(np.log(60_000), 0.8)), unit="t/yr",
                       purity_pct=float(rng.choice([85, 88, 90, 93, 95, 97])))
        rows.append(row)
    return rows


def province(n: int, seed: int = 7) -> list[Listing]:
    return [parse_listing(r) for r in province_rows(n, seed)]

"""A small static SVG map of a park and its links, for the printable report.

Projection: equirectangular with x scaled by cos(latitude of the centre),
which keeps shapes true at park scale; y grows downwards in SVG.
Coordinates arrive as (lon, lat) from shapely and the link views.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from markupsafe import Markup, escape

from .templating import material_colours

WIDTH, HEIGHT, PAD = 640.0, 420.0, 16.0


def park_svg(park: Any, links: Sequence[Mapping[str, Any]]) -> Markup:
    """The park outline, the links touching it and their ends, on the city outlines, fitted to the frame."""
    from shapely.geometry import box

    from geodata.boundaries import cities

    xs: list[float] = []
    ys: list[float] = []
    minx, miny, maxx, maxy = park.shape.bounds
    xs += [minx, maxx]
    ys += [miny, maxy]
    for lk in links:
        for end in (lk["source"], lk["sink"]):
            if end.get("lat") is not None and end.get("lon") is not None:
                xs.append(end["lon"])
                ys.append(end["lat"])
    margin = 0.04 * max(max(xs) - min(xs), max(ys) - min(ys), 0.05)
    x0, x1, y0, y1 = min(xs) - margin, max(xs) + margin, min(ys) - margin, max(ys) + margin
    kx = math.cos(math.radians((y0 + y1) / 2))
    scale = min((WIDTH - 2 * PAD) / ((x1 - x0) * kx), (HEIGHT - 2 * PAD) / (y1 - y0))
    height = (y1 - y0) * scale + 2 * PAD
    dx = (WIDTH - 2 * PAD - (x1 - x0) * kx * scale) / 2

    def pt(lon: float, lat: float) -> tuple[float, float]:
        return PAD + dx + (lon - x0) * kx * scale, PAD + (y1 - lat) * scale

    def rings(geom: Any, cls: str) -> str:
        out = []
        for poly in getattr(geom, "geoms", [geom]):
            if poly.geom_type != "Polygon" or poly.is_empty:
                continue
            out.append('<polygon points="' + " ".join("%.1f,%.1f" % pt(x, y) for x, y in poly.exterior.coords)
                       + f'" class="{cls}"/>')
        return "".join(out)

    frame = box(x0, y0, x1, y1)
    context = "".join(rings(c.shape.intersection(frame), "city-outline") for c in cities()
                      if c.shape.intersects(frame))
    outline = rings(park.shape, "park-outline")
    colours = material_colours()
    top = max((float(lk.get("quantity") or 0) for lk in links), default=1.0) or 1.0
    lines: list[str] = []
    dots: dict[Any, tuple[tuple[float, float], str, str]] = {}
    for lk in links:
        a, b = lk["source"], lk["sink"]
        if a.get("lat") is None or b.get("lat") is None:
            continue
        (ax, ay), (bx, by) = pt(a["lon"], a["lat"]), pt(b["lon"], b["lat"])
        w = 1 + 5 * math.sqrt(float(lk.get("quantity") or 0) / top)
        dash = "" if lk["status"] in ("approved", "active") else ' stroke-dasharray="6 4"'
        colour = escape(colours.get(lk["material"], "#444"))
        lines.append(f'<line x1="{ax:.1f}" y1="{ay:.1f}" x2="{bx:.1f}" y2="{by:.1f}" stroke="{colour}" '
                     f'stroke-width="{w:.1f}"{dash}/>')
        for end in (a, b):
            dots[end.get("key")] = (pt(end["lon"], end["lat"]), end["role"], colours.get(end["material"], "#444"))
    marks = []
    for (x, y), role, c in dots.values():
        if role == "source":
            marks.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4.5" fill="{escape(c)}" stroke="#fff" stroke-width="1.5"/>')
        else:
            marks.append(f'<rect x="{x - 4:.1f}" y="{y - 4:.1f}" width="8" height="8" fill="{escape(c)}" '
                         f'stroke="#fff" stroke-width="1.5" transform="rotate(45 {x:.1f} {y:.1f})"/>')
    return Markup(f'<svg class="print-map" viewBox="0 0 {WIDTH:.0f} {height:.0f}" '
                  f'xmlns="http://www.w3.org/2000/svg" role="img"><g>{context}</g>{outline}'
                  f'<g class="links">{"".join(lines)}</g><g>{"".join(marks)}</g></svg>')

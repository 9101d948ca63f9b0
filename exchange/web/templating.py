"""Jinja filters and the values every page template sees."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import Any

from flask import Flask, current_app, url_for
from flask_babel import format_datetime
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup

from . import access
from .i18n import (
    ACCOUNT_ROLE_LABELS,
    KIND_LABELS,
    LANGUAGES,
    QUALITY_LABELS,
    REQUIRES_LABELS,
    ROLE_LABELS,
    STATUS_LABELS,
    UNIT_LABELS,
    VISIBILITY_LABELS,
    current_labels,
    fmt_compact,
    fmt_number,
    fmt_percent,
    fmt_plain,
    gap_requirement,
    html_lang,
    label,
    locale_code,
    material_label,
    park_label,
    transport_label,
)

#: colour per material (Okabe-Ito palette, distinguishable with colour-blindness)
MATERIAL_COLOURS: dict[str, str] = {"waste_heat": "#D55E00", "fly_ash": "#0072B2", "fgd_gypsum": "#009E73",
                                    "hydrogen": "#CC79A7"}
FALLBACK_COLOURS = ("#E69F00", "#56B4E9", "#F0E442", "#000000")


def material_colours() -> dict[str, str]:
    from exchange.domain.materials import CATALOGUE

    out: dict[str, str] = {}
    spare = iter(FALLBACK_COLOURS * 4)
    for key in CATALOGUE:
        out[key] = MATERIAL_COLOURS.get(key) or next(spare)
    return out


def quality_text(quality: dict[str, Any] | None) -> str:
    """``{"grade": "II"}`` -> ``Grade II``; ``{"temperature_c": 105}`` -> ``Temperature (°C) 105``."""
    if not quality:
        return ""
    def value(v: Any) -> str:
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return fmt_plain(v)
        return str(v)

    return ", ".join(f"{label(QUALITY_LABELS, k)} {value(v)}" for k, v in quality.items())


def quantity_text(view: Any) -> str:
    """A listing's or link's quantity with its unit; a band (``1,000–2,000 t/yr``) when only that is shown."""
    unit = label(UNIT_LABELS, view.get("unit"))
    q = view.get("quantity")
    if isinstance(q, (int, float)):
        return f"{fmt_number(q)} {unit}"
    band = view.get("quantity_band") or {}
    if band:
        return f"{fmt_number(band.get('min'))}–{fmt_number(band.get('max'))} {unit}"
    return "–"


def quantity_value(view: Any) -> float:
    """A number to sort by: the quantity, or the top of its band."""
    q = view.get("quantity")
    if isinstance(q, (int, float)):
        return float(q)
    return float((view.get("quantity_band") or {}).get("max") or 0)


def page_config(**extra: Any) -> Markup:
    """The JSON blob a page's script reads: locale, labels, colours, URLs, CSRF."""
    cfg = {
        "locale": html_lang(),
        "labels": current_labels(),
        "colours": material_colours(),
        "tileUrl": current_app.config.get("MAP_TILE_URL") or "",
        "tileAttribution": current_app.config.get("MAP_TILE_ATTRIBUTION") or "",
        "urls": {
            "base": url_for("web.map_base"), "listings": url_for("web.map_listings"),
            "links": url_for("web.map_links"), "listing": url_for("web.map_listing", listing_id=0),
            "link": url_for("web.map_link", link_id=0), "parkView": url_for("web.park", key="__park__"),
        },
        **extra,
    }
    # json.dumps with </ escaped keeps a "</script>" inside a string from closing the tag
    text = json.dumps(cfg, ensure_ascii=False).replace("</", "<\\/")
    return Markup(text)


def when(moment: datetime | None) -> str:
    """A stored UTC time in Beijing time, e.g. ``21 Nov 2026, 11:18 (UTC+8)``."""
    if moment is None:
        return "–"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return f"{format_datetime(moment, 'medium')} (UTC+8)"


def role_label(role: str | None) -> str:
    """Account roles (member, park manager, admin) in the current language."""
    return label(ACCOUNT_ROLE_LABELS, role)


def _url_if(endpoint: str) -> str | None:
    """``url_for(endpoint)`` when that page exists (the accounts blueprint may be absent)."""
    return url_for(endpoint) if endpoint in current_app.view_functions else None


def init_templating(app: Flask) -> None:
    env = app.jinja_env
    env.globals.setdefault("csrf_token", generate_csrf)
    env.filters.update(
        num=fmt_number, compact=fmt_compact, pct=fmt_percent, material=material_label,
        transport=transport_label, quality=quality_text,
        role=lambda k: label(ROLE_LABELS, k), status=lambda k: label(STATUS_LABELS, k),
        unit=lambda k: label(UNIT_LABELS, k), requires=lambda k: label(REQUIRES_LABELS, k), when=when,
        visibility=lambda k: label(VISIBILITY_LABELS, k), park=park_label, qty=quantity_text,
        qty_value=quantity_value, gap_requirement=gap_requirement, kind=lambda k: label(KIND_LABELS, k),
    )

    @app.context_processor
    def _page_values() -> dict[str, Any]:
        return {
            "languages": LANGUAGES, "locale": locale_code(), "html_lang": html_lang(), "viewer": access.viewer(),
            "can_run_matcher": access.can_run_matcher(), "managed_park": access.managed_park(),
            "page_config": page_config, "material_colours": material_colours(),
            "role_label": role_label, "login_url": _url_if("auth.login"), "logout_url": _url_if("auth.logout"),
        }

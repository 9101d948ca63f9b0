"""Languages: English and Simplified Chinese (Flask-Babel).

Choice of language, first that applies:

1. the ``lang`` cookie set by the language switch (``/lang/<code>``);
2. the browser's ``Accept-Language``: any ``zh`` variant gives ``zh_CN``,
   ``en`` gives English, in the browser's order of preference;
3. English.

The Chinese catalogue is ``exchange/translations/zh/LC_MESSAGES/messages.po``
with the compiled ``messages.mo`` next to it, committed; ``docs/ui.md`` says
how to extract, update and compile, and ``tests/web/test_translations.py``
fails when the ``.mo`` is stale or a string of the UI has no translation.

Numbers are formatted by Babel for the chosen locale (:func:`fmt_number`);
the browser formats the numbers it draws with ``Intl.NumberFormat`` under the
same locale tag (``<html lang>``).
"""

from __future__ import annotations

import math
import os
from typing import Any

from babel.numbers import format_compact_decimal, format_decimal, format_percent
from flask import Flask, request
from flask_babel import Babel, get_locale, refresh
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

TRANSLATIONS_DIR = os.path.join(os.path.dirname(os.path.dirname(__file__)), "translations")
#: locale code -> name shown in the switch (each in its own language)
LANGUAGES: dict[str, str] = {"en": "English", "zh_CN": "中文"}
LANG_COOKIE = "lang"

babel = Babel()


def select_locale() -> str:
    """The locale for this request (see the module docstring)."""
    chosen = request.cookies.get(LANG_COOKIE)
    if chosen in LANGUAGES:
        return chosen
    for tag, _quality in request.accept_languages:
        primary = tag.replace("_", "-").split("-")[0].lower()
        if primary == "zh":
            return "zh_CN"
        if primary == "en":
            return "en"
    return "en"


def init_babel(app: Flask) -> None:
    app.config.setdefault("BABEL_DEFAULT_LOCALE", "en")
    # times are stored in UTC and shown in Beijing time, where the parks are
    app.config.setdefault("BABEL_DEFAULT_TIMEZONE", "Asia/Shanghai")
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", TRANSLATIONS_DIR)
    babel.init_app(app, locale_selector=select_locale)
    # Flask-Babel caches the locale in ``g``, which lives as long as the app context; a request
    # normally gets its own, but not under an app context pushed around several requests (tests,
    # scripts). Choosing afresh per request keeps one request's language out of the next.
    app.before_request(refresh)


def locale_code() -> str:
    """``"en"`` or ``"zh_CN"`` for the current request.

    Babel expands ``zh_CN`` to ``zh_Hans_CN`` (CLDR likely subtags), and
    gettext then looks for a catalogue named ``zh_Hans_CN``, then ``zh``: that
    is why the Chinese catalogue lives in ``translations/zh``.
    """
    loc = get_locale()
    return "zh_CN" if loc is not None and loc.language == "zh" else "en"


def html_lang() -> str:
    """The BCP 47 tag for ``<html lang>`` and ``Intl.NumberFormat``: ``en`` or ``zh-CN``."""
    return locale_code().replace("_", "-")


def is_zh() -> bool:
    return locale_code().startswith("zh")


def _number(value: Any) -> float | None:
    """``value`` as a finite float, or None (missing, withheld, not a number)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None


def fmt_number(value: Any, digits: int = 0) -> str:
    """A number for people: grouped, rounded to ``digits`` decimals, locale-aware; '–' for none."""
    value = _number(value)
    if value is None:
        return "–"
    pattern = "#,##0" + ("." + "0" * digits if digits else "")
    return format_decimal(value, format=pattern, locale=locale_code())


def fmt_plain(value: Any) -> str:
    """A measured value as typed, up to three decimals (92.5, 99.97, 110), locale-aware."""
    value = _number(value)
    return "–" if value is None else format_decimal(value, locale=locale_code())


def fmt_compact(value: Any) -> str:
    """Short form for headline figures: 36.7M in English, 3669.1万 in Chinese."""
    value = _number(value)
    if value is None:
        return "–"
    if abs(value) < 10_000:
        return fmt_number(value)
    return format_compact_decimal(value, locale=locale_code(), fraction_digits=1)


def fmt_percent(value: Any) -> str:
    value = _number(value)
    if value is None:
        return "–"
    return format_percent(value, locale=locale_code())


# Labels the templates and the JavaScript share. Material names come from the
# catalogue (label_en / label_zh); everything else is translated here.

UNIT_LABELS: dict[str, Any] = {"MWh/yr": _l("MWh/yr"), "t/yr": _l("t/yr"), "km": _l("km")}
ROLE_LABELS: dict[str, Any] = {"source": _l("Source"), "sink": _l("Sink")}
STATUS_LABELS: dict[str, Any] = {
    "proposed": _l("Proposed"), "interest": _l("Interest shown"), "accepted": _l("Accepted"),
    "approved": _l("Approved"), "active": _l("Active"), "ended": _l("Ended"), "declined": _l("Declined"),
    "rejected": _l("Rejected"),
}
ACCOUNT_ROLE_LABELS: dict[str, Any] = {"member": _l("member"), "park_manager": _l("park manager"),
                                       "admin": _l("administrator")}
VISIBILITY_LABELS: dict[str, Any] = {"public": _l("public"), "anonymous": _l("anonymous"), "private": _l("private")}
REQUIRES_LABELS: dict[str, Any] = {"heat_pump": _l("heat pump"), "purification": _l("purification"),
                                   "separation": _l("separation"), "cascade": _l("cascade")}
QUALITY_LABELS: dict[str, Any] = {"temperature_c": _l("Temperature (°C)"), "grade": _l("Grade"),
                                  "purity_pct": _l("Purity (%)")}


#: the enterprises a gap says to attract (catalogue sink kinds, and producers for unmet demand)
KIND_LABELS: dict[str, Any] = {
    "district_heating": _l("district heating network"), "greenhouse": _l("greenhouse"),
    "process_heat": _l("process heat user"), "cement_plant": _l("cement plant"),
    "concrete_station": _l("concrete station"), "brick_plant": _l("brick plant"),
    "plasterboard_plant": _l("plasterboard plant"), "hydrogen_station": _l("hydrogen station"),
    "industrial_user": _l("industrial user"), "producer": _l("producer"),
}
#: what a listing's site is or does (``use``, exchange.domain.listing.USES)
USE_LABELS: dict[str, Any] = {
    **{k: v for k, v in KIND_LABELS.items() if k != "producer"},
    "power_plant": _l("power plant"), "chp_plant": _l("combined heat and power plant"),
    "steel_plant": _l("steel plant"), "chemical_plant": _l("chemical plant"),
    "chlor_alkali_plant": _l("chlor-alkali plant"), "coking_plant": _l("coking plant"), "other": _l("other"),
}


def gap_requirement(gap: dict[str, Any]) -> str:
    """What a gap asks of the enterprise to attract, in the current language (``gaps.Gap.as_dict``)."""
    bound, level, attribute = gap.get("bound"), gap.get("level"), gap.get("attribute")
    if bound not in ("at_most", "at_least", "heat_pump") or level is None:
        return str(gap.get("requirement", ""))
    value = level if attribute == "grade" else fmt_plain(level)
    if attribute == "grade":
        return _("grade %(grade)s or lower", grade=value) if bound == "at_most" else \
            _("grade %(grade)s or better", grade=value)
    if attribute == "temperature_c":
        if bound == "heat_pump":
            return _("about %(t)s °C, through a heat pump", t=value)
        return _("supply temperature at most %(t)s °C", t=value) if bound == "at_most" else \
            _("at least %(t)s °C", t=value)
    return _("purity at most %(p)s %%", p=value) if bound == "at_most" else _("purity at least %(p)s %%", p=value)


def margin_text(details: dict[str, Any] | None) -> str:
    """A link's quality margin in the current language, from ``details["fit"]``; else the stored English text."""
    details = details or {}
    f = details.get("fit")
    if not isinstance(f, dict) or "attribute" not in f:
        return str(details.get("margin") or "")
    attr = f["attribute"]
    try:
        if attr == "grade":
            if not f.get("grade_margin"):
                return _("grade %(s)s meets the grade %(k)s needed", s=f["offered"], k=f["needed"])
            return _("grade %(s)s for a grade-%(k)s need", s=f["offered"], k=f["needed"])
        if attr == "temperature_c":
            need, arrival = float(f["needed"]), float(f["arrival_c"])
            if f.get("lift_k"):
                return _("arrives at %(a)s °C, below the %(k)s °C supply: heat pump lift %(l)s K, COP %(c)s",
                         a=fmt_number(arrival, 1), k=fmt_plain(need), l=fmt_number(f["lift_k"], 1),
                         c=fmt_number(f["cop"], 2))
            return _("arrives at %(a)s °C for a %(k)s °C supply (%(d)s K to spare)", a=fmt_number(arrival, 1),
                     k=fmt_plain(need), d=fmt_number(arrival - float(f["approach_k"]) - need, 1))
        s_, k_ = fmt_plain(f["offered"]), fmt_plain(f["needed"])
        if f.get("upgrade") == "purification":
            return _("%(s)s %% raised to %(p)s %% by PSA purification for a %(k)s %% minimum, %(r)s recovered",
                     s=s_, p=fmt_plain(f["purified_pct"]), k=k_, r=fmt_percent(f["recovery"]))
        if f.get("upgrade") == "separation":
            return _("%(s)s %% raised to %(p)s %% by separation from mixed gas for a %(k)s %% minimum, "
                     "%(r)s recovered", s=s_, p=fmt_plain(f["purified_pct"]), k=k_, r=fmt_percent(f["recovery"]))
        return _("%(s)s %% against a %(k)s %% minimum (%(d)s points to spare)", s=s_, k=k_,
                 d=fmt_plain(round(float(f["offered"]) - float(f["needed"]), 3)))
    except (KeyError, TypeError, ValueError):  # an older run's details: say what was stored
        return str(details.get("margin") or "")


#: the unit of one canonical unit, for "per MWh", "per t"
PER_UNIT_LABELS: dict[str, Any] = {"MWh/yr": _l("MWh"), "t/yr": _l("t")}


def explanation_text(link: dict[str, Any]) -> str:
    """A link's explanation in the current language.

    English: the paragraph the matcher wrote (stored with the link). Chinese:
    the same facts written from the link's figures and ``details`` (for runs
    from before ``details.fit`` the margin is the stored English words).
    """
    stored = str(link.get("explanation") or "")
    details = link.get("details") or {}
    if not is_zh() or not stored or "per_unit" not in details:
        return stored
    from exchange.services.reports import display_name

    try:
        pu = details["per_unit"]
        unit = link["unit"]
        per = label(PER_UNIT_LABELS, unit)
        quantity, delivered = float(link["quantity"]), float(link["delivered"])
        requires = [r for r in (link.get("requires") or []) if r != "cascade"]
        source = display_name(link["source"], _("Anonymous"), _("Withheld"))
        if "cascade" in (link.get("requires") or []):
            fit = details.get("fit") or {}
            source = _("return heat of %(who)s (%(t)s °C)", who=source, t=fmt_plain(fit.get("offered")))
        parts = [_("%(source)s → %(sink)s: %(material)s, %(q)s %(unit)s.", source=source,
                   sink=display_name(link["sink"], _("Anonymous"), _("Withheld")),
                   material=material_label(link["material"]), q=fmt_number(quantity), unit=label(UNIT_LABELS, unit))]
        if abs(delivered - quantity) > 1e-9 * max(quantity, 1.0):
            parts.append(_("%(d)s %(unit)s of it delivered.", d=fmt_number(delivered), unit=label(UNIT_LABELS, unit)))
        parts.append(_("Quality: %(margin)s.", margin=margin_text(details)))
        if requires:
            parts.append(_("Upgrade: %(what)s, %(cost)s RMB per %(per)s delivered, %(share)s of what is taken "
                           "is delivered.", what=", ".join(label(REQUIRES_LABELS, r) for r in requires),
                           cost=fmt_number(pu["upgrade"]), per=per, share=fmt_percent(details["delivered_fraction"])))
        distance, route = float(link["distance_km"]), float(link["route_km"])
        parts.append(_("Distance %(d)s km geodesic, %(r)s km route; %(mode)s %(cost)s RMB per %(per)s.",
                       d=fmt_number(distance, 1), r=fmt_number(route, 1), mode=transport_label(link["transport"]),
                       cost=fmt_number(pu["transport"]), per=per))
        value = _("Value to the sink %(v)s RMB per %(per)s", v=fmt_number(pu["value"]), per=per)
        if pu.get("disposal"):
            value += _(", disposal avoided %(v)s", v=fmt_number(pu["disposal"]))
        parts.append(value + _("; net %(n)s RMB per %(per)s taken, %(total)s RMB/yr.", n=fmt_number(pu["net"]),
                                  per=per, total=fmt_number(link["net_benefit_rmb_per_yr"])))
        method = details.get("co2_method") or ""
        if details.get("co2_factors"):  # the same method in Chinese, with the factor values the run used
            from exchange.domain.materials import CATALOGUE

            method = CATALOGUE[link["material"]].co2_method_text(details["co2_factors"], "zh")
        parts.append(_("CO₂ avoided %(t)s t/yr (%(method)s).", t=fmt_number(link["co2_avoided_t_per_yr"]),
                       method=method))
        months = details.get("months") or []
        if months and len(months) < 12:
            parts.append(_("Months in common: %(months)s.", months=", ".join(str(m) for m in months)))
        return "".join(parts)  # Chinese sentences run on without spaces
    except (KeyError, TypeError, ValueError):  # figures missing (an older run): the stored words
        return stored


def material_label(key: str) -> str:
    from exchange.domain.materials import CATALOGUE

    m = CATALOGUE.get(key)
    if m is None:
        return key
    return m.label_zh if is_zh() else m.label_en


def park_name(park: Any) -> str:
    """A park's (or city exchange zone's) name in the current language."""
    return park.name_zh if is_zh() else park.name_en


def park_label(key: str | None) -> str:
    """A park key (``qilu-chemical``, ``city-370300``) as its name in the current language."""
    if not key:
        return ""
    from geodata.parks import park_by_key

    try:
        return park_name(park_by_key(key))
    except KeyError:
        return key


def park_choices() -> list[dict[str, str]]:
    """Named parks, then city exchange zones: key, name, kind."""
    from geodata.parks import parks

    return [{"key": p.key, "name": park_name(p), "kind": p.kind} for p in parks()]


def transport_label(key: str) -> str:
    from exchange.domain.materials import CATALOGUE

    for m in CATALOGUE.values():
        if m.transport.key == key:
            return m.transport.label_zh if is_zh() else m.transport.label_en
    return key


def label(table: dict[str, Any], key: str | None) -> str:
    """``table[key]`` as text, or the key itself when it has no label."""
    if key is None:
        return ""
    found = table.get(key)
    return str(found) if found is not None else key


def js_messages() -> dict[str, str]:
    """Every string the JavaScript shows, in the current language."""
    return {
        "source": _("Source"), "sink": _("Sink"), "material": _("Material"), "quantity": _("Quantity"),
        "quality": _("Quality"), "organisation": _("Organisation"), "park": _("Park"), "status": _("Status"),
        "distance": _("Distance"), "route": _("route"), "transport": _("Transport"), "upgrade": _("Upgrade"),
        "none": _("none"), "cost": _("Cost"), "transport_cost": _("transport"), "upgrade_cost": _("upgrade"),
        "value": _("Value to the sink"), "net_benefit": _("Net benefit"), "co2": _("CO₂ avoided"),
        "explanation": _("Explanation"), "delivered": _("Delivered"), "links": _("Links"),
        "link": _("Link"), "listing": _("Listing"), "close": _("Close"), "hidden": _("hidden"),
        "anonymous": _("Anonymous"), "rmb_per_yr": _("RMB/yr"), "t_per_yr": _("t/yr"), "km": _("km"),
        "no_links": _("No links for this listing in the current run."),
        "shown": _("shown"), "markers": _("listings"), "lines": _("links"),
        "loading": _("Loading…"), "load_failed": _("Could not load the map data."),
        "description": _("Description"), "ref": _("Reference"), "site": _("Site"),
        "visibility": _("Visibility"), "months": _("Available months"), "max_distance": _("Max. distance"),
        "approve": _("Approve"), "reject": _("Reject"), "comment": _("Comment"),
        "comment_needed": _("A comment is needed to reject."), "done": _("Done"), "failed": _("Failed"),
        "running": _("Running the matcher…"), "elapsed": _("elapsed"), "expected": _("expected"),
        "run_done": _("Match run finished"), "seconds": _("s"), "picked": _("Location picked on the map"),
        "click_to_pick": _("Click the map to set the location"), "radius": _("Search radius"),
        "your_site": _("Your site"), "rounded": _("location rounded to about 5 km"),
        "interest": _("Show interest"), "accept": _("Accept"), "decline": _("Decline"),
        "margin": _("Quality margin"), "view_in_park": _("Open the park view"),
        "delivered_fraction": _("delivered fraction"), "per_unit": _("per unit"),
        "start": _("Report started"), "end": _("End"), "withheld": _("Withheld"),
        "approx": _("rounded: you see this listing or link in outline only"),
        "band": _("quantity band"), "reason": _("Reason"), "approvals": _("Approved by parks"),
        "your_side": _("Your side"), "interest_shown": _("Interest shown by"), "accepted_by": _("Accepted by"),
    }


def current_labels() -> dict[str, Any]:
    """Material, role, status, unit and upgrade labels for the page's JavaScript."""
    from exchange.domain.materials import CATALOGUE

    return {
        "materials": {k: material_label(k) for k in CATALOGUE},
        "roles": {k: str(v) for k, v in ROLE_LABELS.items()},
        "statuses": {k: str(v) for k, v in STATUS_LABELS.items()},
        "units": {k: str(v) for k, v in UNIT_LABELS.items()},
        "requires": {k: str(v) for k, v in REQUIRES_LABELS.items()},
        "quality": {k: str(v) for k, v in QUALITY_LABELS.items()},
        "transport": {m.transport.key: transport_label(m.transport.key) for m in CATALOGUE.values()},
        "visibility": {k: str(v) for k, v in VISIBILITY_LABELS.items()},
        "parks": {p["key"]: p["name"] for p in park_choices()},
        "messages": js_messages(),
    }

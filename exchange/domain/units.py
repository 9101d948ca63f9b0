"""Quantities and their units, converted with pint.

A listing states a quantity in the unit its owner knows (``MW`` with
``hours_per_year``, ``GJ/yr``, ``t/h``, ``kt/yr``, ``kg/d``, ``Nm3/yr``); the
matcher sees only the material's *canonical annual unit*: ``MWh/yr`` for heat,
``t/yr`` for solids and hydrogen.

Rules
-----
* A unit per year (``t/yr``, ``GJ/yr``) is an annual amount as it stands.
* Any other rate (``MW``, ``t/h``, ``kg/d``) holds while the plant runs: it is
  multiplied by ``hours_per_year`` (default 8760 h, i.e. all year).
* A bare amount (``t``, ``MWh``) is refused: it says nothing about time.
* ``Nm3`` is a normal cubic metre (0 C, 101.325 kPa). For hydrogen it converts
  to mass at 0.08988 kg/Nm3 (ideal-gas density of H2 at normal conditions),
  through the pint context ``gas_density``.

>>> to_canonical(10, "MW", "MWh/yr", hours_per_year=4000)
40000.0
>>> round(to_canonical(1, "kt/yr", "t/yr"), 6)
1000.0
>>> round(to_canonical(360, "GJ/yr", "MWh/yr"), 6)
100.0
>>> round(to_canonical(1_000_000, "Nm3/yr", "t/yr", gas_density_kg_per_nm3=0.08988), 3)
89.88
"""

from __future__ import annotations

from functools import cache

import pint

HOURS_PER_YEAR_DEFAULT = 8760.0
H2_DENSITY_KG_PER_NM3 = 0.08988  # ideal gas at 0 C, 101.325 kPa


@cache
def registry() -> pint.UnitRegistry:
    """The product's unit registry (pint defaults plus ``Nm3`` and ``yr``)."""
    ureg = pint.UnitRegistry(cache_folder=None, on_redefinition="ignore")
    ureg.define("normal_cubic_meter = [gas_volume] = Nm3")
    # pint reads "kt" as knot; in this trade it is always a kilotonne
    ureg.define("kilotonne = 1e3 * tonne = kt")
    return ureg


class UnitProblem(ValueError):
    """A unit that cannot be read or does not convert; the message is user-facing."""


def _parse(unit: str) -> pint.Unit:
    ureg = registry()
    text = unit.strip().replace("³", "3").replace("·", "*")
    if not text:
        raise UnitProblem("is required")
    try:
        return ureg.parse_units(text)
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, ValueError, TypeError, AttributeError) as exc:
        raise UnitProblem(f"'{unit}' is not a unit this product knows") from exc
    except Exception as exc:  # pint's tokenizer raises assorted errors on garbage
        raise UnitProblem(f"'{unit}' is not a unit this product knows") from exc


def to_canonical(
    quantity: float,
    unit: str,
    canonical: str,
    *,
    hours_per_year: float | None = None,
    gas_density_kg_per_nm3: float | None = None,
) -> float:
    """Convert ``quantity unit`` to the annual ``canonical`` unit.

    Parameters
    ----------
    quantity : float
        The number the listing states.
    unit : str
        Its unit, as typed (``"MW"``, ``"t/h"``, ``"GJ/yr"``...).
    canonical : str
        The material's canonical annual unit, ``"MWh/yr"`` or ``"t/yr"``.
    hours_per_year : float, optional
        Operating hours a rate holds for; default 8760.
    gas_density_kg_per_nm3 : float, optional
        Mass of one Nm3 for gases stated by volume (hydrogen: 0.08988).

    Raises
    ------
    UnitProblem
        When the unit is unknown, a bare amount, or of the wrong dimension.

    >>> to_canonical(2, "t/h", "t/yr", hours_per_year=5000)
    10000.0
    >>> to_canonical(1, "t", "t/yr")  # doctest: +IGNORE_EXCEPTION_DETAIL
    Traceback (most recent call last):
    ...
    exchange.domain.units.UnitProblem: 't' is an amount, not a rate: give it per year (e.g. 't/yr'), per hour or per day
    """
    ureg = registry()
    u = _parse(unit)
    amount_unit = ureg.parse_units(canonical) * ureg.year  # e.g. t/yr * yr = t
    hours = HOURS_PER_YEAR_DEFAULT if hours_per_year is None else float(hours_per_year)
    try:
        q = ureg.Quantity(float(quantity), u)
    except (OverflowError, ZeroDivisionError) as exc:
        raise UnitProblem(f"'{unit}' gives a number out of range") from exc
    per_year = any("year" in name and power < 0 for name, power in u._units.items())
    annual = q * ureg.year if per_year else q * ureg.Quantity(hours, "hour")
    if q.dimensionality in (ureg.Quantity(1, amount_unit).dimensionality, ureg.Quantity(1, "Nm3").dimensionality):
        raise UnitProblem(
            f"'{unit}' is an amount, not a rate: give it per year (e.g. '{canonical}'), per hour or per day"
        )
    if gas_density_kg_per_nm3 is not None and annual.dimensionality == ureg.Quantity(1, "Nm3").dimensionality:
        annual = annual * ureg.Quantity(gas_density_kg_per_nm3, "kg/Nm3")
    try:
        return float(annual.to(amount_unit).magnitude)
    except pint.errors.DimensionalityError as exc:
        raise UnitProblem(f"'{unit}' does not convert to {canonical}") from exc
    except (OverflowError, ZeroDivisionError) as exc:
        raise UnitProblem(f"'{unit}' gives a number out of range") from exc

"""parse_listing: every field rule, with the field named."""

import pytest

from exchange.domain import ValidationError, parse_listing

BASE = dict(ref="R", organisation="O", role="source", material="waste_heat", lat=36.6, lon=117.0, quantity=10,
            unit="MW", temperature_c=95)


def errors(**kw):
    with pytest.raises(ValidationError) as exc:
        parse_listing({**BASE, **kw})
    return exc.value.details


@pytest.mark.parametrize("field,value,msg", [
    ("lat", 91, "must be between -90 and 90"),
    ("lon", "east", "must be a number"),
    ("quantity", -3, "must be greater than 0"),
    ("quantity", "12,5", "point for decimals"),
    ("unit", "t/yr", "does not convert to MWh/yr"),
    ("unit", "zorp/yr", "not a unit"),
    ("unit", "furlong/yr", "does not convert"),
    ("role", "seller", "'source' or 'sink'"),
    ("material", "slag", "unknown material"),
    ("temperature_c", "hot", "must be a number"),
    ("available_months", "13", "months are 1-12"),
    ("return_temperature_c", 120, "must be below temperature_c"),
    ("site", "x" * 201, "at most 200 characters"),
    ("hours_per_year", 9000, "between 1 and 8784"),
])
def test_bad_field_is_named(field, value, msg):
    details = errors(**{field: value})
    assert field in details and msg in " ".join(details[field])


def test_quality_field_of_another_material_is_refused():
    assert "grade" in errors(grade="II")


def test_every_error_is_reported_at_once():
    assert {"lat", "lon", "unit"} <= set(errors(lat=100, lon=200, unit="xx"))


def test_mw_with_hours_converts_and_keeps_what_was_typed():
    l = parse_listing({**BASE, "hours_per_year": 2880})
    assert (l.quantity, l.unit, l.entered_quantity, l.entered_unit) == (28800.0, "MWh/yr", 10.0, "MW")


def test_thousands_commas_are_read():
    assert parse_listing({**BASE, "quantity": "1,200", "unit": "MWh/yr"}).quantity == 1200.0


def test_district_heating_defaults_to_the_heating_season():
    l = parse_listing({**BASE, "role": "sink", "use": "District heating"})
    assert l.use == "district_heating" and sorted(l.available_months) == [1, 2, 3, 11, 12]
    stated = parse_listing({**BASE, "role": "sink", "use": "district_heating", "available_months": "10-4"})
    assert sorted(stated.available_months) == [1, 2, 3, 4, 10, 11, 12]
    assert len(parse_listing({**BASE, "use": "greenhouse"}).available_months) == 12
    assert "use" in errors(use="casino")

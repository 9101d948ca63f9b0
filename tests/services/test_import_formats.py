"""Reading listing files (CSV, XLSX, JSON, GeoJSON) and the import templates.

Everything is in memory: no database, no Flask.
"""

from __future__ import annotations

import ast
import codecs
import io
import json
import re
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exchange.domain.errors import ExchangeError, FileFormatError, ImportRejected, RowError
from exchange.domain.listing import FIELDS, REQUIRED, Role, parse_listing
from exchange.services import import_formats as fmt
from exchange.services.import_formats import (
    TEMPLATE_COLUMNS, parse_file, read_rows, template_csv, template_geojson, template_json, template_rows,
    template_xlsx, validate_rows)

HEADER = "ref,organisation,role,material,lat,lon,quantity,unit,grade,purity_pct,temperature_c"
GOOD_ASH = "A1,Huaneng Jining,source,fly_ash,35.41,116.59,12,kt/yr,II,,"


def csv_bytes(*lines: str, encoding: str = "utf-8") -> bytes:
    return ("\n".join(lines) + "\n").encode(encoding)


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def rejected(filename: str, data: bytes) -> list[RowError]:
    with pytest.raises(ImportRejected) as info:
        parse_file(filename, data)
    return info.value.errors


# --------------------------------------------------------------------------- templates


TEMPLATES = {
    "listings.csv": template_csv,
    "listings.xlsx": template_xlsx,
    "listings.json": template_json,
    "listings.geojson": template_geojson,
}


def test_template_columns_follow_the_listing_fields() -> None:
    assert TEMPLATE_COLUMNS[: len(REQUIRED)] == REQUIRED
    assert sorted(TEMPLATE_COLUMNS) == sorted(FIELDS)
    assert len(set(TEMPLATE_COLUMNS)) == len(FIELDS)


def test_template_rows_are_valid_one_per_material_sources_and_sinks() -> None:
    rows = template_rows()
    listings = [parse_listing(r) for r in rows]
    assert len(listings) == 4
    assert {l.material for l in listings} == {"waste_heat", "fly_ash", "fgd_gypsum", "hydrogen"}
    assert {l.role for l in listings} == {Role.SOURCE, Role.SINK}
    for l in listings:  # Shandong: about 34.4-38.4 N, 114.8-122.7 E
        assert 34.3 < l.lat < 38.5 and 114.7 < l.lon < 122.8, l


@pytest.mark.parametrize("filename", TEMPLATES)
def test_each_template_round_trips_to_the_same_four_listings(filename: str) -> None:
    expected = [parse_listing(r) for r in template_rows()]
    got = parse_file(filename, TEMPLATES[filename]())
    assert got == expected


def test_templates_agree_across_formats() -> None:
    results = [parse_file(name, make()) for name, make in TEMPLATES.items()]
    assert all(r == results[0] for r in results[1:])
    assert len(results[0]) == 4


def test_template_csv_has_a_bom_for_excel() -> None:
    data = template_csv()
    assert data.startswith(codecs.BOM_UTF8)
    assert data[3:].decode("utf-8").splitlines()[0] == ",".join(TEMPLATE_COLUMNS)


def test_template_xlsx_has_a_bold_header_and_a_fields_sheet() -> None:
    wb = openpyxl.load_workbook(io.BytesIO(template_xlsx()))
    first, fields = wb.worksheets[0], wb["fields"]
    assert [c.value for c in first[1]] == list(TEMPLATE_COLUMNS)
    assert all(c.font.bold for c in first[1])
    described = {row[0]: row for row in fields.iter_rows(min_row=2, values_only=True)}
    assert set(described) == set(FIELDS)
    assert "required" in str(described["lat"][1]) and "optional" in str(described["site"][1])
    assert "fly_ash" in str(described["grade"][1])
    assert described["lat"][3] and any("\u4e00" <= ch <= "\u9fff" for ch in str(described["lat"][3]))


def test_xlsx_numbers_stay_numbers() -> None:
    (_, first), *_ = read_rows("t.xlsx", template_xlsx())
    assert isinstance(first["lat"], float) and isinstance(first["quantity"], int)


def test_geojson_template_puts_lon_first() -> None:
    doc = json.loads(template_geojson())
    rows = template_rows()
    assert doc["features"][0]["geometry"]["coordinates"] == [rows[0]["lon"], rows[0]["lat"]]


# --------------------------------------------------------------------------- CSV encodings and dialects

ZH_HEADER = "编号,企业名称,类型,物料,纬度,经度,数量,单位,温度,年运行小时,说明"
ZH_ROW = "R-1,济南示例热电有限公司,供应,余热,36.69,117.06,50,MW,110,2880,循环水余热"


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_with_chinese_headers_names_and_values_in_each_encoding(encoding: str) -> None:
    (listing,) = parse_file("热源.csv", csv_bytes(ZH_HEADER, ZH_ROW, encoding=encoding))
    assert listing.organisation == "济南示例热电有限公司"
    assert listing.description == "循环水余热"
    assert (listing.role, listing.material, listing.quality) == (Role.SOURCE, "waste_heat", 110.0)
    assert listing.quantity == pytest.approx(50 * 2880)


def test_gb18030_bytes_are_not_valid_utf8() -> None:  # so the test above really exercises the fallback
    with pytest.raises(UnicodeDecodeError):
        csv_bytes(ZH_HEADER, ZH_ROW, encoding="gb18030").decode("utf-8")


@pytest.mark.parametrize("value, expected", [("需求", Role.SINK), ("汇", Role.SINK), ("源", Role.SOURCE), ("Source", Role.SOURCE)])
def test_chinese_role_values(value: str, expected: Role) -> None:
    (listing,) = parse_file("x.csv", csv_bytes(HEADER, f"A1,O,{value},fly_ash,35.4,116.6,12,kt/yr,II,,"))
    assert listing.role is expected


@pytest.mark.parametrize("value, expected", [
    ("粉煤灰", "fly_ash"), ("脱硫石膏", "fgd_gypsum"), ("氢气", "hydrogen"), ("氢", "hydrogen"), ("余热", "waste_heat"),
    ("Fly Ash", "fly_ash"), ("FGD-gypsum", "fgd_gypsum")])
def test_material_aliases(value: str, expected: str) -> None:
    quality = {"fly_ash": "II,,", "fgd_gypsum": ",92,", "hydrogen": ",99.9,", "waste_heat": ",,95"}[expected]
    unit = "MWh/yr" if expected == "waste_heat" else "t/yr"
    (listing,) = parse_file("x.csv", csv_bytes(HEADER, f"A1,O,source,{value},35.4,116.6,12,{unit},{quality}"))
    assert listing.material == expected


def test_header_normalisation_and_unit_suffixes() -> None:
    header = " REF ,Organisation,Role,Material,Lat,Lon,Quantity,Unit,Grade,Max-Distance KM,纬度（°）"
    with pytest.raises(FileFormatError, match="both give lat"):
        read_rows("x.csv", csv_bytes(header, "A1,O,source,fly_ash,35.4,116.6,12,kt/yr,II,50,35.4"))
    header = " REF ,Organisation,Role,Material,纬度（°）,Lon,Quantity,Unit,Grade,Max-Distance KM"
    (listing,) = parse_file("x.csv", csv_bytes(header, "A1,O,source,fly_ash,35.4,116.6,12,kt/yr,Ⅱ,50"))
    assert (listing.lat, listing.max_distance_km, listing.quality) == (35.4, 50.0, "II")


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimited_csv(delimiter: str) -> None:
    d = delimiter
    lines = [HEADER.replace(",", d), GOOD_ASH.replace(",", d),
             f'A2{d}"Zibo{d} Shandong"{d}sink{d}fly_ash{d}36.8{d}118.05{d}1,200{d}t/yr{d}III{d}{d}']
    a1, a2 = parse_file("x.csv", csv_bytes(*lines))
    assert (a1.ref, a1.quantity) == ("A1", 12000.0)
    assert a2.organisation == f"Zibo{d} Shandong" and a2.quantity == 1200.0 and a2.role is Role.SINK


def test_note_columns_are_ignored_and_blank_rows_skipped() -> None:
    data = csv_bytes(HEADER + ",_checked by,# notes", GOOD_ASH + ",Li,ok", ",,,,,,,,,,,Li,", "",
                     GOOD_ASH.replace("A1", "A2") + ",,")
    rows = read_rows("x.csv", data)
    assert [n for n, _ in rows] == [1, 4]
    assert all(not any(k.startswith(("_", "#")) for k in raw) for _, raw in rows)


def test_quoted_multiline_cell_is_one_row() -> None:
    data = csv_bytes(HEADER + ",description", GOOD_ASH + ',"two\nlines"', GOOD_ASH.replace("A1", "A2") + ",")
    listings = parse_file("x.csv", data)
    assert [l.description for l in listings] == ["two\nlines", None]


# --------------------------------------------------------------------------- row errors


def test_three_bad_rows_list_every_error_with_user_row_numbers() -> None:
    data = csv_bytes(
        HEADER,
        GOOD_ASH,                                                        # row 1
        "A2,Huaneng Jining,source,fly_ash,95,116.59,12,kt/yr,II,,",      # row 2: lat
        "",                                                              # row 3: blank, still counted
        "A4,Huaneng Jining,source,slag,35.41,116.59,12,kt/yr,II,,",      # row 4: material
        "A5,Huaneng Jining,sink,fly_ash,35.41,216.59,-3,kt/yr,IV,,",     # row 5: lon, quantity, grade
        "A6,Huaneng Jining,source,fly_ash,35.41,116.59,12,kt/yr,I,,",    # row 6: fine
    )
    errors = rejected("x.csv", data)
    assert "row 2, lat: must be between -90 and 90" in [str(e) for e in errors]
    assert sorted((e.row, e.field) for e in errors) == [
        (2, "lat"), (4, "material"), (5, "grade"), (5, "lon"), (5, "quantity")]
    by_key = {(e.row, e.field): e.message for e in errors}
    assert by_key[(5, "quantity")] == "must be greater than 0"
    assert "IV" in by_key[(5, "grade")] and "slag" in by_key[(4, "material")]
    assert [e.row for e in errors] == sorted(e.row for e in errors)


def test_xlsx_row_numbers_match_csv_and_count_blank_rows() -> None:
    header = HEADER.split(",")
    good = [v or None for v in GOOD_ASH.split(",")]
    bad = list(good)
    bad[0], bad[4] = "A3", 95
    data = xlsx_bytes([header, good, [], bad])
    errors = rejected("x.xlsx", data)
    assert [str(e) for e in errors] == ["row 3, lat: must be between -90 and 90"]


def test_import_rejected_details_carry_every_row() -> None:
    data = csv_bytes(HEADER, "A1,O,source,fly_ash,95,200,12,kt/yr,II,,")
    with pytest.raises(ImportRejected) as info:
        parse_file("x.csv", data)
    assert info.value.status == 422
    assert {(d["row"], d["field"]) for d in info.value.details["rows"]} == {(1, "lat"), (1, "lon")}


@pytest.mark.parametrize("row, field, fragment", [
    ("A1,O,source,slag,35.4,116.6,12,t/yr,II,,", "material", "unknown material 'slag'"),
    ("A1,O,source,waste_heat,35.4,116.6,12,t,,,95", "unit", "'t' does not convert to MWh/yr"),
    ("A1,O,source,fly_ash,35.4,116.6,12,t,II,,", "unit", "amount, not a rate"),
    ("A1,O,source,fly_ash,35.4,116.6,12,furlong,II,,", "unit", "'furlong' does not convert"),
    ("A1,O,source,fly_ash,35.4,116.6,12,t/yr,IV,,", "grade", "must be one of I, II, III"),
    ("A1,O,sink,fgd_gypsum,35.4,116.6,12,t/yr,,101,", "purity_pct", "between 0 and 100"),
    ("A1,O,sink,hydrogen,35.4,116.6,12,t/yr,,-1,", "purity_pct", "between 0 and 100"),
    ("A1,O,source,fly_ash,35.4,116.6,-12,t/yr,II,,", "quantity", "greater than 0"),
    ("A1,O,source,fly_ash,35.4,116.6,12,t/yr,,,", "grade", "is required for fly_ash"),
    ("A1,O,source,fly_ash,35.4,116.6,12,t/yr,II,90,", "purity_pct", "does not apply to fly_ash"),
    ("A1,O,buyer,fly_ash,35.4,116.6,12,t/yr,II,,", "role", "'source' or 'sink'"),
    ("A1,O,source,fly_ash,north,116.6,12,t/yr,II,,", "lat", "must be a number"),
    ("A1,,source,fly_ash,35.4,116.6,12,t/yr,II,,", "organisation", "is required"),
])
def test_each_bad_value_is_reported_on_its_field(row: str, field: str, fragment: str) -> None:
    errors = rejected("x.csv", csv_bytes(HEADER, GOOD_ASH, row))
    assert [(e.row, e.field) for e in errors] == [(2, field)], errors
    assert fragment in errors[0].message


def test_duplicate_ref_within_an_organisation() -> None:
    data = csv_bytes(HEADER, GOOD_ASH, GOOD_ASH.replace("A1", "A2"), GOOD_ASH,
                     GOOD_ASH.replace("Huaneng Jining", "Other Co"))  # same ref, other organisation: fine
    assert [str(e) for e in rejected("x.csv", data)] == ["row 3, ref: duplicates row 1"]


def test_an_extra_cell_without_header_is_a_row_error() -> None:
    errors = rejected("x.csv", csv_bytes(HEADER, GOOD_ASH, GOOD_ASH.replace("A1", "A2") + ",stray"))
    assert [(e.row, e.field) for e in errors] == [(2, "columns")]
    assert "column 12" in errors[0].message


# --------------------------------------------------------------------------- file errors


def test_missing_required_column_is_named() -> None:
    header = HEADER.replace("unit,", "")
    with pytest.raises(FileFormatError, match="missing required column.*unit"):
        read_rows("x.csv", csv_bytes(header, "A1,O,source,fly_ash,35.4,116.6,12,II,,"))


def test_unknown_column_is_named_not_dropped() -> None:
    with pytest.raises(FileFormatError, match="'lattitude'") as info:
        read_rows("x.csv", csv_bytes(HEADER + ",lattitude", GOOD_ASH + ",35.4"))
    assert info.value.details["columns"] == ["lattitude"]
    assert info.value.code == "bad_file"


def test_duplicate_header_is_refused() -> None:
    with pytest.raises(FileFormatError, match="both give ref"):
        read_rows("x.csv", csv_bytes(HEADER + ",编号", GOOD_ASH + ",A9"))


def test_header_only_file_gives_no_rows_and_empty_file_is_refused() -> None:
    assert parse_file("x.csv", csv_bytes(HEADER)) == []
    with pytest.raises(FileFormatError, match="empty"):
        read_rows("x.csv", b"")
    with pytest.raises(FileFormatError, match="no header"):
        read_rows("x.xlsx", xlsx_bytes([]))


GARBAGE = bytes(range(256)) * 8


@pytest.mark.parametrize("filename, data, fragment", [
    ("x.csv", GARBAGE, "not UTF-8 or GB18030"),
    ("x.csv", b"ref,org\x00\x00\x01\n", "binary"),
    ("x.xlsx", GARBAGE, "not a readable .xlsx file"),
    ("x.xlsx", b"ref,organisation\n", "not a readable .xlsx file"),
    ("x.xlsx", b"PK\x03\x04" + GARBAGE, "not a readable .xlsx file"),
    ("x.json", GARBAGE, None),
    ("x.geojson", GARBAGE, None),
    ("x.csv", template_xlsx(), "xlsx"),
    ("x.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + GARBAGE, ".xls"),
])
def test_binary_garbage_is_a_file_error(filename: str, data: bytes, fragment: str | None) -> None:
    with pytest.raises(FileFormatError, match=fragment):
        parse_file(filename, data)


@pytest.mark.parametrize("fraction", [0.1, 0.5, 0.9, 0.99])
def test_truncated_xlsx_is_a_file_error(fraction: float) -> None:
    data = template_xlsx()
    with pytest.raises(FileFormatError, match="not a readable .xlsx file"):
        parse_file("x.xlsx", data[: int(len(data) * fraction)])


def test_xlsx_with_a_damaged_sheet_is_a_file_error() -> None:
    src = zipfile.ZipFile(io.BytesIO(template_xlsx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            dst.writestr(item, body[: len(body) // 2] if item.filename.endswith("sheet1.xml") else body)
    with pytest.raises(FileFormatError, match="not a readable .xlsx file"):
        parse_file("x.xlsx", out.getvalue())


def test_xlsx_claiming_the_whole_sheet_is_read_by_its_cells(monkeypatch: pytest.MonkeyPatch) -> None:
    src = zipfile.ZipFile(io.BytesIO(template_xlsx()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for item in src.infolist():
            body = src.read(item)
            if item.filename.endswith("sheet1.xml"):
                body, n = re.subn(rb'<dimension ref="[^"]*"\s*/>', b'<dimension ref="A1:XFD1048576"/>', body)
                assert n == 1
            dst.writestr(item, body)
    widths: list[int] = []
    table = fmt._table

    def spy(records: list[tuple[object, ...]], *args: object) -> object:
        widths.extend(len(r) for r in records)
        return table(records, *args)

    monkeypatch.setattr(fmt, "_table", spy)
    assert len(parse_file("x.xlsx", out.getvalue())) == 4
    assert max(widths) == len(TEMPLATE_COLUMNS)  # not padded to 16,384 columns


def test_file_size_limit() -> None:
    with pytest.raises(FileFormatError, match="20 MB"):
        read_rows("x.csv", b"a" * (fmt.MAX_BYTES + 1))


def test_row_limit_on_the_real_limit() -> None:
    line = "A,O,source,fly_ash,1,1,1,t/yr,II,,\n"
    data = (HEADER + "\n").encode() + line.encode() * (fmt.MAX_ROWS + 1)
    with pytest.raises(FileFormatError, match="100,000 rows"):
        read_rows("x.csv", data)


def test_row_limit_in_json_and_xlsx(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fmt, "MAX_ROWS", 3)
    with pytest.raises(FileFormatError, match="more than 3"):
        read_rows("x.json", template_json())
    with pytest.raises(FileFormatError, match="more than 3"):
        read_rows("x.xlsx", template_xlsx())
    with pytest.raises(FileFormatError, match="more than 3"):
        read_rows("x.geojson", template_geojson())


# --------------------------------------------------------------------------- JSON


def test_json_accepts_a_listings_wrapper_and_normalises_keys() -> None:
    items = json.loads(template_json())
    items[0]["Organisation"] = items[0].pop("organisation")
    items[0]["纬度"] = items[0].pop("lat")
    items[0]["_note"] = "ignored"
    wrapped = json.dumps({"listings": items}).encode()
    assert parse_file("x.json", wrapped) == parse_file("x.json", template_json())


def test_invalid_json_names_line_and_column() -> None:
    with pytest.raises(FileFormatError, match=r"line 3, column 5") as info:
        read_rows("x.json", b'[\n  {"ref": "A"},\n    oops\n]')
    assert info.value.details == {"line": 3, "column": 5}


@pytest.mark.parametrize("doc, fragment", [
    ({"ref": "A1"}, "expected a list of listing objects"),
    ("listings", "expected a list"),
    ([1, 2], "listing 1 is a number"),
    ([{"ref": "A", "lattitude": 3}], "unknown key"),
    ([{"ref": "A", "organisation": "O"}], "required key"),
    ({"type": "Feature", "geometry": None}, "expected a list"),
])
def test_json_of_the_wrong_shape_says_what_was_expected(doc: object, fragment: str) -> None:
    with pytest.raises(FileFormatError, match=fragment):
        read_rows("x.json", json.dumps(doc).encode())


def test_json_duplicate_key_is_refused() -> None:
    with pytest.raises(FileFormatError, match="twice"):
        read_rows("x.json", b'[{"ref": "A", "ref": "B"}]')


def test_json_row_numbers_are_list_positions() -> None:
    items = json.loads(template_json())
    items[2]["purity_pct"] = 101
    errors = rejected("x.json", json.dumps(items).encode())
    assert [(e.row, e.field) for e in errors] == [(3, "purity_pct")]


# --------------------------------------------------------------------------- GeoJSON


def point_feature(coords: object, **props: object) -> dict[str, object]:
    base: dict[str, object] = {"ref": "H1", "organisation": "Jinan Heat", "role": "source",
                               "material": "waste_heat", "quantity": 100, "unit": "MWh/yr", "temperature_c": 95}
    base.update(props)
    return {"type": "Feature", "geometry": {"type": "Point", "coordinates": coords}, "properties": base}


def collection(*features: object) -> bytes:
    return json.dumps({"type": "FeatureCollection", "features": list(features)}).encode()


def test_geojson_coordinates_are_lon_then_lat() -> None:
    (listing,) = parse_file("x.geojson", collection(point_feature([117.0, 36.65])))
    assert (listing.lat, listing.lon) == (36.65, 117.0)


def test_geojson_is_recognised_in_a_json_file_and_without_extension() -> None:
    data = collection(point_feature([117.0, 36.65]))
    assert parse_file("x.json", data) == parse_file("upload", data) == parse_file("x.geojson", data)


def test_geojson_properties_that_contradict_the_geometry_are_row_errors() -> None:
    data = collection(point_feature([117.0, 36.65], lat=36.65, lon=117.0),
                      point_feature([117.0, 36.65], ref="H2", lat=117.0, lon=36.65))
    errors = rejected("x.geojson", data)
    assert sorted((e.row, e.field) for e in errors) == [(2, "lat"), (2, "lon")]
    assert "[lon, lat]" in errors[0].message


def test_geojson_swapped_coordinates_get_a_hint() -> None:
    errors = rejected("x.geojson", collection(point_feature([36.65, 117.0])))
    assert {e.field for e in errors} == {"geometry", "lat"}
    assert any("look like [lat, lon]" in e.message for e in errors)


@pytest.mark.parametrize("geometry", [
    {"type": "LineString", "coordinates": [[117.0, 36.6], [117.1, 36.7]]},
    {"type": "Point", "coordinates": [117.0]},
    {"type": "Point", "coordinates": ["117", "36.6"]},
    None,
])
def test_geojson_feature_that_is_not_a_point_is_a_row_error(geometry: object) -> None:
    bad = point_feature([0, 0], ref="H2")
    bad["geometry"] = geometry
    errors = rejected("x.geojson", collection(point_feature([117.0, 36.65]), bad))
    assert {(e.row, e.field) for e in errors} >= {(2, "geometry")}
    assert all(e.row == 2 for e in errors)


@pytest.mark.parametrize("doc, fragment", [
    ([], "FeatureCollection"),
    ({"type": "Feature"}, "FeatureCollection"),
    ({"type": "FeatureCollection", "features": {}}, "list of features"),
    ({"type": "FeatureCollection", "features": [1]}, "expected a GeoJSON Feature"),
    ({"type": "FeatureCollection", "features": [],
      "crs": {"type": "name", "properties": {"name": "urn:ogc:def:crs:EPSG::3857"}}}, "WGS84"),
])
def test_geojson_file_that_is_not_a_feature_collection(doc: object, fragment: str) -> None:
    with pytest.raises(FileFormatError, match=fragment):
        read_rows("x.geojson", json.dumps(doc).encode())


# --------------------------------------------------------------------------- sniffing


@pytest.mark.parametrize("filename", ["upload", "listings.dat", "listings"])
def test_content_is_sniffed_without_a_known_extension(filename: str) -> None:
    expected = parse_file("x.csv", template_csv())
    for make in TEMPLATES.values():
        assert parse_file(filename, make()) == expected


# --------------------------------------------------------------------------- numbers out of range


def test_overflowing_unit_is_a_row_error() -> None:
    errors = rejected("x.csv", csv_bytes(HEADER, "A1,O,source,fly_ash,35.4,116.6,12,t/yr*(km/m)**400,II,,"))
    assert [e.field for e in errors] == ["unit"]


@pytest.mark.parametrize("months", ["inf", "1e999"])
def test_infinite_month_is_a_row_error(months: str) -> None:
    errors = rejected("x.csv", csv_bytes(HEADER + ",available_months", GOOD_ASH + f",{months}"))
    assert [e.field for e in errors] == ["available_months"]


# --------------------------------------------------------------------------- properties


FILENAMES = st.sampled_from(["x.csv", "x.xlsx", "x.json", "x.geojson", "x", "x.txt"])
FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(filename: str, data: bytes) -> None:
    """Either listings or an ExchangeError subclass; anything else fails the test."""
    try:
        result = parse_file(filename, data)
    except ExchangeError:
        return
    assert isinstance(result, list)


@FUZZ
@given(FILENAMES, st.binary(max_size=2000))
def test_random_bytes_never_crash(filename: str, data: bytes) -> None:
    outcome(filename, data)


@FUZZ
@given(FILENAMES, st.text(max_size=500), st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "utf-16"]))
def test_random_text_never_crashes(filename: str, text: str, encoding: str) -> None:
    outcome(filename, text.encode(encoding))


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=20)
CELL = st.one_of(st.text(max_size=12), st.sampled_from(["", "source", "sink", "fly_ash", "waste_heat", "hydrogen",
                                                        "fgd_gypsum", "II", "36.6", "117", "-1", "1e999", "inf", "nan",
                                                        "t/yr", "MW", "kg/d", "11-3", "13", "1,200"]))


@FUZZ
@given(st.sampled_from(["x.json", "x.geojson"]), JSON_VALUES)
def test_random_json_documents_never_crash(filename: str, doc: object) -> None:
    outcome(filename, json.dumps(doc).encode())


@FUZZ
@given(st.lists(st.dictionaries(st.sampled_from(FIELDS), JSON_VALUES, max_size=len(FIELDS)), max_size=4),
       st.sampled_from(["json", "geojson"]), st.one_of(JSON_VALUES, st.lists(st.floats(), min_size=2, max_size=3)))
def test_random_listing_objects_never_crash(items: list[dict[str, object]], kind: str, coords: object) -> None:
    if kind == "json":
        outcome("x.json", json.dumps(items).encode())
    else:
        feats = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": coords}, "properties": p}
                 for p in items]
        outcome("x.geojson", json.dumps({"type": "FeatureCollection", "features": feats}).encode())


@FUZZ
@given(st.lists(st.lists(CELL, min_size=len(TEMPLATE_COLUMNS), max_size=len(TEMPLATE_COLUMNS) + 1), max_size=5),
       st.sampled_from([",", ";", "\t"]))
def test_random_cells_under_a_valid_header_never_crash(rows: list[list[str]], delimiter: str) -> None:
    import csv

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(TEMPLATE_COLUMNS)
    writer.writerows(rows)
    outcome("x.csv", out.getvalue().encode("utf-8"))


@settings(max_examples=15, deadline=None)
@given(st.lists(st.lists(st.one_of(CELL, st.integers(), st.floats(allow_nan=False, allow_infinity=False), st.none()),
                         min_size=len(TEMPLATE_COLUMNS), max_size=len(TEMPLATE_COLUMNS)), max_size=3))
def test_random_xlsx_cells_never_crash(rows: list[list[object]]) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # XML cannot hold these; openpyxl refuses to write them

    clean = [[ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row] for row in rows]
    outcome("x.xlsx", xlsx_bytes([list(TEMPLATE_COLUMNS), *clean]))


XLSX_TEMPLATE = template_xlsx()


@FUZZ
@given(st.integers(0, len(XLSX_TEMPLATE) - 1), st.integers(0, 255))
def test_damaged_xlsx_never_crashes(position: int, byte: int) -> None:
    flipped = XLSX_TEMPLATE[:position] + bytes([byte]) + XLSX_TEMPLATE[position + 1:]
    outcome("x.xlsx", flipped)
    with pytest.raises(FileFormatError):
        parse_file("x.xlsx", XLSX_TEMPLATE[:position])


# --------------------------------------------------------------------------- layering


def test_module_imports_only_the_standard_library_openpyxl_and_the_domain() -> None:
    # Importing it cannot show this (``exchange/__init__`` imports Flask), so read its imports.
    tree = ast.parse(Path(fmt.__file__).read_text(encoding="utf-8"))
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    outside = {m for m in imported if m.split(".")[0] not in sys.stdlib_module_names}
    assert outside <= {"openpyxl", "openpyxl.styles", "openpyxl.utils.exceptions", "exchange.domain.errors",
                       "exchange.domain.listing", "exchange.domain.materials"}, outside

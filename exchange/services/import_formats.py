"""Reading listing files: CSV, XLSX, JSON and GeoJSON, and the templates.

A file becomes a list of ``(row_number, raw_mapping)`` pairs
(:func:`read_rows`); every raw mapping goes through the one listing parser,
:func:`exchange.domain.listing.parse_listing` (:func:`validate_rows`). An
import is all or nothing: one bad cell rejects the file with
:class:`~exchange.domain.errors.ImportRejected`, which lists every row and
field at fault, e.g. ``row 7, lat: must be between -90 and 90``.

Row numbers are the ones a user sees:

* CSV and XLSX: ``1`` is the first row under the header, and blank rows still
  count (in Excel, data row ``n`` is sheet row ``n + 1`` when the header is in
  row 1).
* JSON and GeoJSON: the 1-based position in the list (or ``features``).

Column names go through :func:`normalise_header`: English field names
(any case, spaces or hyphens for underscores) and the Chinese aliases in
:data:`HEADER_ALIASES`. A column no one knows is refused (a typo in a header
must not drop data silently), except one whose name starts with ``_`` or
``#``: those are notes and are ignored.

Coordinates: ``lat``/``lon`` are WGS84 degrees. GeoJSON coordinates are
``[lon, lat]`` (RFC 7946 order); they are turned into ``lat``/``lon`` here.

This module is pure: no Flask, no SQLAlchemy.

>>> rows = read_rows("a.csv", b"ref,organisation,role,material,lat,lon,quantity,unit,grade\\n"
...                            b"A1,Huaneng,source,fly_ash,36.6,117.0,12,kt/yr,II\\n")
>>> rows
[(1, {'ref': 'A1', 'organisation': 'Huaneng', 'role': 'source', 'material': 'fly_ash', 'lat': '36.6', 'lon': '117.0', 'quantity': '12', 'unit': 'kt/yr', 'grade': 'II'})]
>>> [(l.ref, l.quantity, l.unit) for l in validate_rows(rows)]
[('A1', 12000.0, 't/yr')]
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import math
import re
import warnings
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, time
from typing import Any

from exchange.domain.errors import FileFormatError, ImportRejected, RowError, ValidationError
from exchange.domain.listing import FIELDS, OPTIONAL, QUALITY_FIELDS, REQUIRED, Listing, parse_listing
from exchange.domain.materials import CATALOGUE

__all__ = [
    "FIELD_DOCS", "HEADER_ALIASES", "MAX_BYTES", "MAX_ROWS", "ROW_PROBLEMS", "TEMPLATE_COLUMNS", "VALUE_ALIASES",
    "normalise_header", "parse_file", "read_rows", "template_csv", "template_geojson", "template_json",
    "template_rows", "template_xlsx", "validate_rows",
]

#: Largest file accepted, in bytes (20 MB).
MAX_BYTES = 20 * 1024 * 1024
#: Most data rows (non-blank) accepted in one file.
MAX_ROWS = 100_000
#: Key under which :func:`read_rows` hands a row's own problems (a list of
#: ``(field, message)``) to :func:`validate_rows`, e.g. a GeoJSON feature whose
#: geometry is not a Point. It starts with ``_``, so no file can supply it.
ROW_PROBLEMS = "_problems"

#: The template's column order: required fields, quality fields, optional fields.
TEMPLATE_COLUMNS: tuple[str, ...] = tuple(REQUIRED) + tuple(QUALITY_FIELDS) + tuple(OPTIONAL)

#: Every accepted column name other than the field names themselves, already
#: normalised (see :func:`normalise_header`), mapped to its field.
HEADER_ALIASES: dict[str, str] = {
    # ref
    "编号": "ref", "挂牌编号": "ref", "参考编号": "ref", "reference": "ref",
    # organisation
    "企业": "organisation", "企业名称": "organisation", "单位名称": "organisation", "组织": "organisation",
    "组织名称": "organisation", "公司": "organisation", "公司名称": "organisation", "organization": "organisation",
    "company": "organisation",
    # role
    "类型": "role", "角色": "role", "供需": "role", "供需类型": "role",
    # material
    "物料": "material", "材料": "material", "物料类型": "material", "物料名称": "material",
    # coordinates (WGS84 degrees)
    "纬度": "lat", "latitude": "lat", "经度": "lon", "longitude": "lon", "lng": "lon",
    # quantity and unit
    "数量": "quantity", "单位": "unit", "计量单位": "unit",
    # quality
    "温度": "temperature_c", "供水温度": "temperature_c", "等级": "grade", "纯度": "purity_pct",
    # optional
    "厂址": "site", "场地": "site", "地址": "site",
    "用途": "use", "类别": "use", "企业类型": "use",
    "年运行小时": "hours_per_year", "年运行小时数": "hours_per_year",
    "最大距离": "max_distance_km", "最大运距": "max_distance_km",
    "单价": "price_rmb_per_unit", "价格": "price_rmb_per_unit",
    "可用月份": "available_months", "月份": "available_months",
    "回水温度": "return_temperature_c",
    "说明": "description", "备注": "description", "描述": "description",
}


def _material_aliases() -> dict[str, str]:
    out = {"余热": "waste_heat", "粉煤灰": "fly_ash", "脱硫石膏": "fgd_gypsum", "氢气": "hydrogen", "氢": "hydrogen"}
    for m in CATALOGUE.values():
        out.setdefault(m.label_zh, m.key)
        out.setdefault(m.label_en.lower(), m.key)
    return out


#: Cell values accepted for a field besides the canonical ones, by field.
#: Lookups use the stripped value, then its lower case.
VALUE_ALIASES: dict[str, dict[str, str]] = {
    "role": {"供应": "source", "供应方": "source", "供方": "source", "源": "source", "供": "source",
             "需求": "sink", "需求方": "sink", "需方": "sink", "汇": "sink", "需": "sink"},
    "material": _material_aliases(),
    # Chinese sheets often use the Roman numeral characters U+2160.. or 一级/二级/三级
    "grade": {"Ⅰ": "I", "Ⅱ": "II", "Ⅲ": "III", "Ⅰ级": "I", "Ⅱ级": "II", "Ⅲ级": "III", "I级": "I", "II级": "II",
              "III级": "III", "一级": "I", "二级": "II", "三级": "III"},
}

#: What each field means, in English and Chinese (the template's "fields" sheet).
FIELD_DOCS: dict[str, tuple[str, str]] = {
    "ref": ("your reference for the listing, unique within your organisation", "挂牌编号，同一企业内不重复"),
    "organisation": ("company or unit that owns the listing", "企业/单位名称"),
    "role": ("source (you offer it) or sink (you need it)", "供应（源，source）或需求（汇，sink）"),
    "material": ("waste_heat, fly_ash, fgd_gypsum or hydrogen", "余热、粉煤灰、脱硫石膏或氢气（副产氢）"),
    "lat": ("latitude, WGS84 decimal degrees (Shandong: about 34.4 to 38.4)", "纬度，WGS84 十进制度（山东约 34.4–38.4）"),
    "lon": ("longitude, WGS84 decimal degrees (Shandong: about 114.8 to 122.7)",
            "经度，WGS84 十进制度（山东约 114.8–122.7）"),
    "quantity": ("amount per year, or a rate while the plant runs (see unit and hours_per_year)",
                 "数量：年量，或运行期间的速率（见单位和年运行小时）"),
    "unit": ("unit of quantity: heat MWh/yr, GJ/yr, MW; solids t/yr, kt/yr, t/h; hydrogen t/yr, kg/d, Nm3/yr",
             "数量单位：余热 MWh/yr、GJ/yr、MW；固废 t/yr、kt/yr、t/h；氢气 t/yr、kg/d、Nm3/yr"),
    "grade": ("fly ash grade I, II or III (GB/T 1596-2017); a sink gives the lowest grade it accepts",
              "粉煤灰等级 I、II、III（GB/T 1596-2017）；需求方填可接受的最低等级"),
    "purity_pct": ("purity in %: CaSO4·2H2O for FGD gypsum, H2 for hydrogen; a sink gives its minimum",
                   "纯度（%）：脱硫石膏为二水硫酸钙含量，氢气为 H2 纯度；需求方填最低要求"),
    "temperature_c": ("waste heat: carrier temperature (source) or required supply temperature (sink), in °C",
                      "余热：供方载热介质温度，需求方所需供水温度（℃）"),
    "site": ("site or plant name or address", "厂址/场地"),
    "use": ("what the site is or does, e.g. district_heating, greenhouse, cement_plant, plasterboard_plant, "
            "concrete_station, hydrogen_station, power_plant, steel_plant; district_heating defaults to the "
            "heating season (months 11-3)",
            "用途/企业类型，如 district_heating（集中供热，默认采暖季 11-3 月）、greenhouse（温室）、cement_plant（水泥厂）等"),
    "hours_per_year": ("hours per year a rate (MW, t/h) holds; default 8760", "年运行小时数（速率单位适用），默认 8760"),
    "max_distance_km": ("farthest distance you would exchange over, in km", "可接受的最大运输距离（公里）"),
    "price_rmb_per_unit": ("price in RMB per MWh (heat) or per t (solids, hydrogen)",
                           "单价：余热元/MWh，固废和氢气元/吨"),
    "available_months": ("months offered or needed, e.g. 11-3 or 11,12,1,2,3; default all year",
                         "可供/需求月份，如 11-3 或 11,12,1,2,3；默认全年"),
    "return_temperature_c": ("waste heat: return water temperature, in °C", "余热：回水温度（℃）"),
    "description": ("free text", "说明"),
}

_SEPARATORS = re.compile(r"[\s\-]+")
_TRAILING_BRACKET = re.compile(r"[\s_]*[(（\[【][^()（）\[\]【】]*[)）\]】]$")
_XLSX_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # legacy .xls (and .doc)
_DELIMITERS = (",", ";", "\t")
#: turns a cell value as a reader gives it into what parse_listing reads, given the field
_Convert = Callable[[str, object], object]


# --------------------------------------------------------------------------- headers and values


def normalise_header(name: object) -> str | None:
    """The field a column name stands for, ``""`` for a note column, ``None`` if unknown.

    Strips, lower-cases, turns spaces and hyphens into underscores, then looks
    the name up among :data:`~exchange.domain.listing.FIELDS` and
    :data:`HEADER_ALIASES`; failing that, once more without a trailing
    bracketed unit (``纬度（°）``, ``quantity (t/yr)``).

    Parameters
    ----------
    name : object
        The column name as read (a header cell may be a number or ``None``).

    Returns
    -------
    str or None
        The field name; ``""`` for a column starting with ``_`` or ``#`` (a
        note, ignored) or with an empty name; ``None`` when unknown.

    >>> normalise_header(" Max-Distance KM "), normalise_header("纬度（°）"), normalise_header("#comment")
    ('max_distance_km', 'lat', '')
    >>> normalise_header("lattitude") is None
    True
    """
    text = "" if name is None else str(name).strip()
    if not text or text[0] in "_#":
        return ""
    key = _SEPARATORS.sub("_", text.lower())
    for candidate in (key, _TRAILING_BRACKET.sub("", key)):
        if candidate in FIELDS:
            return candidate
        if candidate in HEADER_ALIASES:
            return HEADER_ALIASES[candidate]
    return None


def _canonical_value(fieldname: str, value: object) -> object:
    """Map Chinese and spelled-out values (``供应``, ``粉煤灰``, ``fly ash``, ``Ⅱ``) to canonical ones."""
    if not isinstance(value, str):
        return value
    aliases = VALUE_ALIASES.get(fieldname)
    if not aliases:
        return value
    text = value.strip()
    hit = aliases.get(text) or aliases.get(text.lower())
    if hit is not None:
        return hit
    if fieldname == "material":
        key = _SEPARATORS.sub("_", text.lower())
        if key in CATALOGUE:
            return key
    return value


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or (
        isinstance(value, float) and math.isnan(value))


def _show(names: Iterable[object], limit: int = 10) -> str:
    items = [repr(str(n)[:40]) for n in names]
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


class _Header:
    """A table's header: which field each column gives, checked once.

    ``fields[i]`` is the field of column ``i``, or ``""`` for a note column
    (``_x``, ``#x``) or one with no name; ``notes[i]`` tells the two apart: a
    note column may hold anything, a nameless one must stay empty.
    """

    def __init__(self, cells: Sequence[object]) -> None:
        self.fields: list[str] = []
        self.notes: list[bool] = []
        unknown: list[object] = []
        seen: dict[str, object] = {}
        for cell in cells:
            f = normalise_header(cell)
            if f is None:
                unknown.append(cell)
                f = ""
            elif f:
                if f in seen:
                    raise FileFormatError(
                        f"columns {_show([seen[f]])} and {_show([cell])} both give {f}; keep one",
                        {"columns": [str(seen[f]), str(cell)]})
                seen[f] = cell
            self.fields.append(f)
            self.notes.append(not f and not _blank(cell))
        if unknown:
            raise FileFormatError(
                f"unknown column(s) {_show(unknown)}; known: {', '.join(FIELDS)} (or their Chinese names); "
                "start a column's name with _ or # to keep it as a note",
                {"columns": [str(u)[:40] for u in unknown[:50]]})
        missing = [f for f in REQUIRED if f not in seen]
        if missing:
            raise FileFormatError(f"missing required column(s): {', '.join(missing)}", {"columns": missing})

    def row(self, cells: Sequence[object], convert: _Convert | None = None) -> dict[str, object] | None:
        """The raw mapping for one row; ``None`` when the row is blank in every field."""
        out: dict[str, object] = {}
        stray: list[int] = []
        width = len(self.fields)
        for i, value in enumerate(cells):
            f = self.fields[i] if i < width else ""
            if f:
                out[f] = _canonical_value(f, convert(f, value) if convert else value)
            elif not _blank(value) and not (i < width and self.notes[i]):
                stray.append(i + 1)
        if all(_blank(v) for v in out.values()):
            return None
        if stray:
            out[ROW_PROBLEMS] = [("columns", f"a value in column {', '.join(map(str, stray))}, which has no header "
                                             f"(the header has {width} columns; an unquoted delimiter?)")]
        return out


# --------------------------------------------------------------------------- format detection


def _extension(filename: str) -> str:
    base = re.split(r"[\\/]", filename or "")[-1]
    return base.rsplit(".", 1)[-1].lower() if "." in base else ""


def _sniff(data: bytes) -> str:
    if data.startswith(_XLSX_MAGIC):
        return "xlsx"
    head = data[:64].lstrip(codecs.BOM_UTF8).lstrip()
    if head[:1] in (b"{", b"["):
        return "json"
    return "csv"


def _detect(filename: str, data: bytes) -> str:
    ext = _extension(filename)
    if ext in ("csv", "txt", "tsv"):
        return "csv"
    if ext in ("xlsx", "xlsm"):
        return "xlsx"
    if ext in ("json", "geojson"):
        return ext
    return _sniff(data)


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, object]]]:
    """Read a listing file into ``(row_number, raw_mapping)`` pairs.

    Parameters
    ----------
    filename : str
        The uploaded file's name; its extension (``.csv``, ``.xlsx``,
        ``.json``, ``.geojson``) picks the format. Without a known extension
        the content decides: ``PK\\x03\\x04`` is XLSX, a leading ``{`` or
        ``[`` is JSON (GeoJSON when it is a FeatureCollection), anything else
        CSV.
    data : bytes
        The file's content, at most :data:`MAX_BYTES`.

    Returns
    -------
    list of (int, dict)
        Row numbers as a user sees them: for CSV and XLSX ``1`` is the first
        row under the header and blank rows (skipped) still count; for JSON
        and GeoJSON the 1-based position in the list. Keys are field names
        (:data:`~exchange.domain.listing.FIELDS`); values are as read (CSV
        gives strings, XLSX and JSON keep numbers), with Chinese role,
        material and grade values mapped to canonical ones. A row may carry
        :data:`ROW_PROBLEMS`, problems found while reading it, which
        :func:`validate_rows` reports with the rest.

    Raises
    ------
    FileFormatError
        When the file cannot be read as a whole: too big, too many rows,
        undecodable, malformed, an unknown, duplicate or missing column.
    """
    if len(data) > MAX_BYTES:
        raise FileFormatError(f"file is {len(data) / 1e6:.1f} MB; the limit is {MAX_BYTES // (1024 * 1024)} MB")
    if not data.strip():
        raise FileFormatError("file is empty")
    if data.startswith(_OLE_MAGIC):
        raise FileFormatError("this is an old binary Excel (.xls) file; save it as .xlsx or CSV")
    kind = _detect(filename, data)
    if kind == "xlsx":
        return _read_xlsx(data)
    if kind in ("json", "geojson"):
        return _read_json(data, geojson_only=kind == "geojson")
    if data.startswith(_XLSX_MAGIC):
        raise FileFormatError("this is an .xlsx workbook (or another zip file), not CSV text; name it .xlsx")
    return _read_csv(data)


# --------------------------------------------------------------------------- CSV


def _decode(data: bytes) -> str:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):  # Excel's "Unicode text"
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileFormatError("file is not UTF-8 or GB18030 text")


def _delimiter(first_line: str) -> str:
    counts = {d: first_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])  # ties keep the earlier one: ","
    return best if counts[best] else ","


def _read_csv(data: bytes) -> list[tuple[int, dict[str, object]]]:
    text = _decode(data)
    if "\x00" in text:
        raise FileFormatError("file holds binary data (NUL bytes), not CSV text")
    first = next((line for line in io.StringIO(text, newline="") if line.strip()), "")
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(first))
    try:
        return _table(reader)
    except csv.Error as exc:
        raise FileFormatError(f"CSV is malformed near line {reader.line_num}: {exc}") from exc


def _table(records: Iterable[Sequence[object]], convert: _Convert | None = None) -> list[tuple[int, dict[str, object]]]:
    """Header row then data rows, shared by CSV and XLSX."""
    it: Iterator[Sequence[object]] = iter(records)
    header: _Header | None = None
    for cells in it:
        if any(not _blank(c) for c in cells):
            header = _Header(list(cells))
            break
    if header is None:
        raise FileFormatError("file has no header row")
    rows: list[tuple[int, dict[str, object]]] = []
    for number, cells in enumerate(it, start=1):
        raw = header.row(cells, convert)
        if raw is None:
            continue
        if len(rows) >= MAX_ROWS:
            raise FileFormatError(f"more than {MAX_ROWS:,} rows; split the file")
        rows.append((number, raw))
    return rows


# --------------------------------------------------------------------------- XLSX


def _xlsx_value(fieldname: str, value: object) -> object:
    """Cell values as parse_listing reads them: numbers stay numbers, dates become text.

    Excel turns ``11-3`` typed in a cell into 3 November; in
    ``available_months`` such a date is read back as ``"11-3"``.
    """
    if isinstance(value, (datetime, date)):
        if fieldname == "available_months" and (not isinstance(value, datetime) or value.time() == time(0)):
            return f"{value.month}-{value.day}"
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    return value


def _read_xlsx(data: bytes) -> list[tuple[int, dict[str, object]]]:
    if not data.startswith(_XLSX_MAGIC):
        raise FileFormatError("not a readable .xlsx file")
    import openpyxl  # imported here: only XLSX needs it
    from openpyxl.utils.exceptions import InvalidFileException

    records: list[tuple[object, ...]] = []
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # openpyxl warns about styles and extensions it skips
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                if not wb.worksheets:
                    raise FileFormatError("the workbook has no worksheet")
                ws = wb.worksheets[0]
                # trust the cells, not the stated dimension: a sheet claiming A1:XFD1048576
                # would otherwise be padded to 16,384 columns and a million rows
                if hasattr(ws, "reset_dimensions"):
                    ws.reset_dimensions()
                non_blank = 0
                for cells in ws.iter_rows(values_only=True):
                    records.append(cells)
                    if any(not _blank(c) for c in cells):
                        non_blank += 1
                        if non_blank > MAX_ROWS + 1:  # + the header
                            raise FileFormatError(f"more than {MAX_ROWS:,} rows; split the file")
            finally:
                wb.close()
    except FileFormatError:
        raise
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, EOFError) as exc:
        raise FileFormatError("not a readable .xlsx file") from exc
    except Exception as exc:  # noqa: BLE001 - openpyxl raises assorted errors on damaged files
        raise FileFormatError("not a readable .xlsx file") from exc
    # openpyxl pads rows to the sheet's width; trailing empty cells do no harm
    return _table(records, _xlsx_value)


# --------------------------------------------------------------------------- JSON and GeoJSON


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise FileFormatError(f"key {key!r} appears twice in one object", {"key": key})
        out[key] = value
    return out


def _kind(value: object) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false", type(None): "null"}.get(
        type(value), "a number")


def _load_json(data: bytes) -> Any:
    text = _decode(data)
    try:
        return json.loads(text, object_pairs_hook=_no_duplicate_keys)
    except json.JSONDecodeError as exc:
        raise FileFormatError(f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                              {"line": exc.lineno, "column": exc.colno}) from exc
    except RecursionError as exc:
        raise FileFormatError("invalid JSON: nested too deeply") from exc
    except ValueError as exc:  # e.g. an integer with too many digits
        raise FileFormatError(f"invalid JSON: {exc}") from exc


def _read_json(data: bytes, *, geojson_only: bool) -> list[tuple[int, dict[str, object]]]:
    doc = _load_json(data)
    if isinstance(doc, dict) and doc.get("type") == "FeatureCollection":
        return _read_geojson(doc)
    if geojson_only:
        got = f"type {doc.get('type')!r}" if isinstance(doc, dict) else _kind(doc)
        raise FileFormatError(f"a .geojson file must be a FeatureCollection of Point features, not {got}")
    if isinstance(doc, dict) and isinstance(doc.get("listings"), list) and len(doc) == 1:
        items = doc["listings"]
    elif isinstance(doc, list):
        items = doc
    else:
        raise FileFormatError('expected a list of listing objects, or {"listings": [...]}, '
                              f"not {_kind(doc)}" + (f" with keys {_show(doc)}" if isinstance(doc, dict) else ""))
    if len(items) > MAX_ROWS:
        raise FileFormatError(f"more than {MAX_ROWS:,} listings; split the file")
    rows: list[tuple[int, dict[str, object]]] = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict):
            raise FileFormatError(f"listing {number} is {_kind(item)}; each listing must be an object")
        rows.append((number, _object_row(item, number)))
    _require_somewhere(rows)
    return rows


def _object_row(obj: Mapping[str, Any], number: int) -> dict[str, object]:
    out: dict[str, object] = {}
    source: dict[str, str] = {}
    unknown = []
    for key, value in obj.items():
        f = normalise_header(key)
        if f is None:
            unknown.append(key)
        elif f:
            if f in out:
                raise FileFormatError(f"listing {number}: keys {source[f]!r} and {key!r} both give {f}; keep one")
            source[f] = key
            out[f] = _canonical_value(f, value)
    if unknown:
        raise FileFormatError(f"listing {number}: unknown key(s) {_show(unknown)}; known: {', '.join(FIELDS)}; "
                              "start a key with _ or # to keep it as a note", {"keys": [str(u)[:40] for u in unknown[:50]]})
    return out


def _require_somewhere(rows: Sequence[tuple[int, Mapping[str, object]]]) -> None:
    """A required field missing from every object is a file error (like a missing CSV column)."""
    if not rows:
        return
    missing = [f for f in REQUIRED if not any(f in raw for _, raw in rows)]
    if missing:
        raise FileFormatError(f"no listing has the required key(s): {', '.join(missing)}", {"keys": missing})


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    try:
        x = float(value)
    except ValueError:
        return None
    return x if math.isfinite(x) else None


def _read_geojson(doc: Mapping[str, Any]) -> list[tuple[int, dict[str, object]]]:
    crs = doc.get("crs")
    if crs is not None:
        name = json.dumps(crs)
        if "4326" not in name and "CRS84" not in name.upper():
            raise FileFormatError(f"coordinates must be WGS84 longitude/latitude (RFC 7946), not crs {name[:80]}")
    features = doc.get("features")
    if not isinstance(features, list):
        raise FileFormatError(f"a FeatureCollection needs a list of features, not {_kind(features)}")
    if len(features) > MAX_ROWS:
        raise FileFormatError(f"more than {MAX_ROWS:,} features; split the file")
    rows: list[tuple[int, dict[str, object]]] = []
    for number, feature in enumerate(features, start=1):
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            got = _kind(feature) if not isinstance(feature, dict) else f"type {feature.get('type')!r}"
            raise FileFormatError(f"feature {number} is {got}; expected a GeoJSON Feature")
        props = feature.get("properties")
        if props is None:
            props = {}
        if not isinstance(props, dict):
            raise FileFormatError(f"feature {number}: properties must be an object, not {_kind(props)}")
        raw = _object_row(props, number)
        if "ref" not in raw and isinstance(feature.get("id"), (str, int)) and not isinstance(feature.get("id"), bool):
            raw["ref"] = str(feature["id"])
        problems: list[tuple[str, str]] = []
        geometry = feature.get("geometry")
        gtype = geometry.get("type") if isinstance(geometry, dict) else None
        coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
        if gtype != "Point":
            problems.append(("geometry", f"must be a Point, not {gtype if gtype is not None else _kind(geometry)!s}"))
        elif (not isinstance(coords, list) or len(coords) not in (2, 3)
              or any(_number(c) is None or isinstance(c, str) for c in coords)):
            problems.append(("geometry", f"Point coordinates must be [lon, lat] numbers, not {json.dumps(coords)[:60]}"))
        else:
            lon, lat = float(coords[0]), float(coords[1])
            if abs(lat) > 90 >= abs(lon):
                problems.append(("geometry", f"coordinates {json.dumps(coords[:2])} look like [lat, lon]; "
                                             "GeoJSON order is [lon, lat]"))
            for name, value in (("lat", lat), ("lon", lon)):
                stated = raw.get(name)
                if not _blank(stated):
                    x = _number(stated)
                    if x is None or abs(x - value) > 1e-6:
                        problems.append((name, f"properties give {stated!r} but the Point geometry gives {value:g} "
                                               "(GeoJSON coordinates are [lon, lat])"))
                raw[name] = value
        if problems:
            raw[ROW_PROBLEMS] = problems
        rows.append((number, raw))
    _require_somewhere([(n, {**r, "lat": 0, "lon": 0}) for n, r in rows])  # geometry may give lat/lon
    return rows


# --------------------------------------------------------------------------- validation


def validate_rows(rows: Iterable[tuple[int, Mapping[str, object]]]) -> list[Listing]:
    """Parse every row with :func:`~exchange.domain.listing.parse_listing`; all or nothing.

    Parameters
    ----------
    rows : iterable of (int, mapping)
        As returned by :func:`read_rows`.

    Returns
    -------
    list of Listing
        In file order, when every row is valid.

    Raises
    ------
    ImportRejected
        Listing a :class:`~exchange.domain.errors.RowError` for every field
        message of every bad row, and ``ref: duplicates row N`` for a
        repeated (organisation, ref) pair; sorted by row.

    >>> validate_rows([(3, {"ref": "A"})])  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    exchange.domain.errors.ImportRejected: import rejected: 7 error(s), nothing was stored
    """
    listings: list[Listing] = []
    errors: list[RowError] = []
    first_row: dict[tuple[str, str], int] = {}
    for number, raw in rows:
        problems = raw.get(ROW_PROBLEMS)
        fields = {k: v for k, v in raw.items() if k != ROW_PROBLEMS}
        if isinstance(problems, list):
            errors.extend(RowError(number, str(f), str(m)) for f, m in problems)
        key = (str(fields.get("organisation", "")).strip(), str(fields.get("ref", "")).strip())
        if not _blank(fields.get("organisation")) and not _blank(fields.get("ref")):
            if key in first_row:
                errors.append(RowError(number, "ref", f"duplicates row {first_row[key]}"))
            else:
                first_row[key] = number
        try:
            listing = parse_listing(fields)
        except ValidationError as exc:
            for fieldname, messages in exc.details.items():
                for message in messages if isinstance(messages, list) else [messages]:
                    errors.append(RowError(number, fieldname, str(message)))
            continue
        listings.append(listing)
    if errors:
        errors.sort(key=lambda e: e.row)
        raise ImportRejected(errors)
    return listings


def parse_file(filename: str, data: bytes) -> list[Listing]:
    """Read and validate a listing file: ``validate_rows(read_rows(filename, data))``.

    Raises
    ------
    FileFormatError
        The file cannot be read at all.
    ImportRejected
        Some rows are invalid; nothing should be stored.
    """
    return validate_rows(read_rows(filename, data))


# --------------------------------------------------------------------------- templates


def template_rows() -> list[dict[str, object]]:
    """Four example listings, one per material, two sources and two sinks, in Shandong.

    Every row has every column of :data:`TEMPLATE_COLUMNS` (``None`` when
    blank) and is valid under :func:`~exchange.domain.listing.parse_listing`.
    Names are examples, not real offers.

    >>> [(r["role"], r["material"]) for r in template_rows()]
    [('source', 'waste_heat'), ('sink', 'fly_ash'), ('source', 'fgd_gypsum'), ('sink', 'hydrogen')]
    """
    examples: list[dict[str, object]] = [
        {"ref": "HEAT-01", "organisation": "济南示例热电有限公司", "role": "source", "material": "waste_heat",
         "lat": 36.6912, "lon": 117.0638, "quantity": 50, "unit": "MW", "temperature_c": 110,
         "site": "Licheng district, Jinan", "hours_per_year": 2880, "max_distance_km": 15,
         "price_rmb_per_unit": 35, "available_months": "11-3", "return_temperature_c": 50,
         "description": "circulating-water waste heat, heating season"},
        {"ref": "ASH-NEED-01", "organisation": "淄博示例水泥有限公司", "role": "sink", "material": "fly_ash",
         "lat": 36.8131, "lon": 118.0549, "quantity": 120, "unit": "kt/yr", "grade": "II",
         "site": "Zhangdian district, Zibo", "max_distance_km": 150, "price_rmb_per_unit": 80,
         "description": "blended cement, grade II or better"},
        {"ref": "GYP-01", "organisation": "邹平示例发电有限公司", "role": "source", "material": "fgd_gypsum",
         "lat": 36.8631, "lon": 117.7431, "quantity": 300000, "unit": "t/yr", "purity_pct": 92,
         "site": "Zouping, Binzhou", "price_rmb_per_unit": 10, "description": "FGD gypsum, moisture under 10 %"},
        {"ref": "H2-NEED-01", "organisation": "潍坊示例加氢站", "role": "sink", "material": "hydrogen",
         "lat": 36.7069, "lon": 119.1618, "quantity": 500, "unit": "kg/d", "purity_pct": 99.97,
         "site": "Kuiwen district, Weifang", "hours_per_year": 8760, "max_distance_km": 200,
         "price_rmb_per_unit": 30000, "description": "fuel-cell grade (GB/T 37244-2018)"},
    ]
    return [{c: row.get(c) for c in TEMPLATE_COLUMNS} for row in examples]


def template_csv() -> bytes:
    """The template as CSV, UTF-8 with a BOM so that Excel opens it with the right encoding."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(TEMPLATE_COLUMNS)
    for row in template_rows():
        writer.writerow(["" if row[c] is None else row[c] for c in TEMPLATE_COLUMNS])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def _required_text(fieldname: str) -> str:
    if fieldname in REQUIRED:
        return "required 必填"
    materials = [m.key for m in CATALOGUE.values() if m.quality.attribute == fieldname]
    if materials:
        return f"required for {', '.join(materials)} 对应物料必填"
    return "optional 选填"


def template_xlsx() -> bytes:
    """The template as an XLSX workbook: sheet "listings" (bold header) and sheet "fields"."""
    import openpyxl
    from openpyxl.styles import Font

    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "listings"
    ws.append(list(TEMPLATE_COLUMNS))
    for cell in ws[1]:
        cell.font = Font(bold=True)
    for row in template_rows():
        ws.append([row[c] for c in TEMPLATE_COLUMNS])
    ws.freeze_panes = "A2"
    doc = wb.create_sheet("fields")
    doc.append(["field", "required", "meaning", "含义", "Chinese column name 中文列名"])
    for cell in doc[1]:
        cell.font = Font(bold=True)
    for f in TEMPLATE_COLUMNS:
        en, zh = FIELD_DOCS[f]
        zh_names = "、".join(a for a, target in HEADER_ALIASES.items() if target == f and not a.isascii())
        doc.append([f, _required_text(f), en, zh, zh_names])
    for sheet, widths in ((ws, {}), (doc, {"A": 22, "B": 30, "C": 70, "D": 50, "E": 30})):
        for col, width in widths.items():
            sheet.column_dimensions[col].width = width
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def template_json() -> bytes:
    """The template as a JSON list of objects (blank fields left out), UTF-8."""
    items = [{k: v for k, v in row.items() if v is not None} for row in template_rows()]
    return json.dumps(items, ensure_ascii=False, indent=2).encode("utf-8")


def template_geojson() -> bytes:
    """The template as a GeoJSON FeatureCollection of Points (coordinates ``[lon, lat]``), UTF-8."""
    features = []
    for row in template_rows():
        props = {k: v for k, v in row.items() if v is not None and k not in ("lat", "lon")}
        features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                         "properties": props})
    return json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False, indent=2).encode("utf-8")

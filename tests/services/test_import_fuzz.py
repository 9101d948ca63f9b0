"""Fuzzing the import through the service: every bad file gets a clear error and changes nothing."""

from __future__ import annotations

import io
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from exchange.domain.errors import ExchangeError, ImportRejected
from exchange.persistence import db
from exchange.persistence.models import Listing, Organisation
from exchange.services.import_formats import template_csv, template_json, template_rows, template_xlsx
from exchange.services.listings import import_file, import_rows

FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                       HealthCheck.too_slow])


def snapshot():
    rows = db.session.execute(select(Listing.ref, Listing.quantity, Listing.lat, Listing.quality).order_by(Listing.ref))
    return [tuple(r) for r in rows], db.session.scalar(select(func.count()).select_from(Organisation))


def mutate(data: bytes, cuts: list[tuple[int, int, bytes]]) -> bytes:
    out = bytearray(data)
    for pos, length, insert in cuts:
        p = pos % (len(out) + 1)
        out[p:p + length] = insert
    return bytes(out)


cells = st.one_of(st.text(max_size=12), st.integers(-10**12, 10**12), st.floats(allow_nan=True, allow_infinity=True),
                  st.none(), st.booleans())


@FUZZ
@given(data=st.data())
def test_mutated_files_are_refused_cleanly_or_imported_whole(app, data):
    import_rows([{**template_rows()[0], "ref": "KEEP"}])
    before = snapshot()
    base_name, base = data.draw(st.sampled_from([("t.csv", template_csv()), ("t.json", template_json()),
                                                 ("t.xlsx", template_xlsx())]))
    cuts = data.draw(st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 40), st.binary(max_size=20)),
                              min_size=1, max_size=4))
    blob = mutate(base, cuts)
    try:
        report = import_file(base_name, blob)
    except ExchangeError as err:
        assert err.message and err.status in (400, 413, 422)
        assert snapshot() == before, "a refused file changed stored data"
    else:
        assert report.total >= 0
        assert db.session.scalar(select(func.count()).select_from(Listing)) >= len(before[0])


@FUZZ
@given(rows=st.lists(st.dictionaries(st.sampled_from(list(template_rows()[0])), cells, max_size=8), min_size=1,
                     max_size=5))
def test_random_field_values_in_json_never_crash_and_never_half_store(app, rows):
    before = snapshot()
    full = [{**template_rows()[n % 4], **r} for n, r in enumerate(rows)]
    try:
        blob = json.dumps(full, default=str, allow_nan=True).encode()
    except (TypeError, ValueError):
        return
    try:
        import_file("x.json", blob)
    except ExchangeError:
        assert snapshot() == before
    else:
        stored = db.session.scalar(select(func.count()).select_from(Listing))
        assert stored >= len(before[0])


def test_an_xlsx_with_one_bad_row_stores_nothing(app):
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    cols = list(template_rows()[0])
    ws.append(cols)
    for n, r in enumerate(template_rows()):
        ws.append([("not-a-number" if c == "lat" and n == 2 else r[c]) for c in cols])
    buf = io.BytesIO()
    wb.save(buf)
    try:
        import_file("x.xlsx", buf.getvalue())
    except ImportRejected as err:
        assert [str(e) for e in err.errors] == ["row 3, lat: must be a number, not 'not-a-number'"]
    else:
        raise AssertionError("a bad row was accepted")
    assert snapshot() == ([], 0)

"""Importing listings into the database: atomic, upserting, errors named by row and field."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from exchange.domain.errors import FileFormatError, ImportRejected
from exchange.persistence import db
from exchange.persistence.models import Listing, Organisation
from exchange.services.listings import import_file, import_rows


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Listing))


def csv_bytes(rows: list[dict], encoding: str = "utf-8") -> bytes:
    cols = list(dict.fromkeys(k for r in rows for k in r))
    lines = [",".join(cols)] + [",".join(str(r.get(c, "")) for c in cols) for r in rows]
    return ("\n".join(lines) + "\n").encode(encoding)


def test_import_stores_canonical_quantities(app, make_row):
    report = import_file("a.csv", csv_bytes([make_row(quantity=2, unit="kt/yr"),
                                             make_row(ref="R2", role="sink", grade="II", quantity=5, unit="t/h",
                                                      hours_per_year=4000)]))
    assert (report.created, report.updated) == (2, 0)
    rows = {r.ref: r for r in db.session.scalars(select(Listing))}
    assert rows["R1"].quantity == pytest.approx(2000) and rows["R1"].unit == "t/yr"
    assert rows["R1"].entered_unit == "kt/yr"
    assert rows["R2"].quantity == pytest.approx(20000)
    assert rows["R2"].quality == {"grade": "II"}


def test_one_bad_row_rejects_the_whole_file_and_changes_nothing(app, make_row):
    import_rows([make_row(ref="KEEP", quantity=10)])
    before = count()
    data = csv_bytes([make_row(ref="KEEP", quantity=999), make_row(ref="X2"), make_row(ref="X3", lat=123),
                      make_row(ref="X4", grade="IV")])
    with pytest.raises(ImportRejected) as exc:
        import_file("bad.csv", data)
    msgs = [str(e) for e in exc.value.errors]
    assert "row 3, lat: must be between -90 and 90" in msgs
    assert any(m.startswith("row 4, grade:") for m in msgs)
    assert count() == before
    keep = db.session.scalar(select(Listing).where(Listing.ref == "KEEP"))
    assert keep.quantity == pytest.approx(10)  # not updated by the rejected file


def test_reimport_updates_by_organisation_and_ref(app, make_row):
    import_rows([make_row(quantity=10)])
    report = import_rows([make_row(quantity=20), make_row(organisation="Org B", quantity=5)])
    assert (report.created, report.updated) == (1, 1)
    assert count() == 2
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 2


def test_storage_failure_rolls_back_everything(app, make_row, monkeypatch):
    from exchange.persistence import repositories

    calls = {"n": 0}
    real = repositories.upsert_listing

    def flaky(d):
        calls["n"] += 1
        if calls["n"] == 2:
            from sqlalchemy.exc import OperationalError

            raise OperationalError("INSERT", {}, Exception("disk full"))
        return real(d)

    monkeypatch.setattr(repositories, "upsert_listing", flaky)
    from exchange.services.listings import StorageError

    with pytest.raises(StorageError):
        import_rows([make_row(ref="A"), make_row(ref="B"), make_row(ref="C")])
    assert count() == 0


def test_malformed_json_is_a_clear_error(app):
    with pytest.raises(FileFormatError):
        import_file("x.json", b'[{"ref": "a",')
    assert count() == 0


def test_json_list_imports(app, make_row):
    report = import_file("x.json", json.dumps([make_row(), make_row(ref="R2")]).encode())
    assert report.created == 2


def test_an_imported_use_is_stored_and_a_chinese_header_finds_it(app, make_row):
    data = "\n".join(["ref,organisation,role,material,lat,lon,quantity,unit,temperature_c,用途",
                      "DH-1,Jinan Heat,sink,waste_heat,36.65,117.0,50000,MWh/yr,90,district_heating",
                      "CP-1,Jinan Heat,source,waste_heat,36.66,117.1,80000,MWh/yr,120,chp plant"]).encode()
    import_file("heat.csv", data)
    rows = {r.ref: r for r in db.session.scalars(select(Listing))}
    assert rows["DH-1"].use == "district_heating" and rows["DH-1"].available_months == "1,2,3,11,12"
    assert rows["CP-1"].use == "chp_plant" and rows["CP-1"].available_months == "1,2,3,4,5,6,7,8,9,10,11,12"

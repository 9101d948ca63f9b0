"""CLI commands over the services, run with the app's test runner."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from exchange.persistence import db
from exchange.persistence.models import Link, Listing, MatchRun


def write_csv(path, rows):
    cols = list(rows[0])
    path.write_text("\n".join([",".join(cols)] + [",".join(str(r.get(c, "")) for c in cols) for r in rows]) + "\n",
                    encoding="utf-8")
    return str(path)


def test_import_then_match_json(runner, tmp_path, make_row):
    p = write_csv(tmp_path / "l.csv", [make_row(), make_row(ref="C1", organisation="Cement", role="sink", grade="II",
                                                            lat=36.7, quantity=400)])
    res = runner.invoke(args=["import-listings", p])
    assert res.exit_code == 0, res.output
    assert "imported 2 listing(s): 2 new" in res.output
    out = tmp_path / "out.json"
    res = runner.invoke(args=["match", "--json", str(out)])
    assert res.exit_code == 0, res.output
    assert "fly_ash" in res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    (link,) = data["links"]
    assert (link["source_ref"], link["sink_ref"], link["quantity"], link["unit"]) == ("R1", "C1", 400.0, "t/yr")
    assert data["summary"]["materials"]["fly_ash"]["quantity"] == 400.0
    assert [u["ref"] for u in data["unmatched"]] == ["R1"]
    assert db.session.scalar(select(func.count()).select_from(Link)) == 1
    assert db.session.scalar(select(MatchRun.status)) == "done"


def test_bad_file_goes_to_stderr_with_exit_1_and_stores_nothing(runner, tmp_path, make_row):
    p = write_csv(tmp_path / "bad.csv", [make_row(), make_row(ref="R2", lat="north")])
    res = runner.invoke(args=["import-listings", p])
    assert res.exit_code == 1
    assert "row 2, lat: must be a number" in res.stderr
    assert res.stdout == ""
    assert db.session.scalar(select(func.count()).select_from(Listing)) == 0


def test_missing_file_is_an_error(runner, tmp_path):
    res = runner.invoke(args=["import-listings", str(tmp_path / "nope.csv")])
    assert res.exit_code == 1 and "cannot read" in res.stderr


def test_seed_demo_loads_and_matches(runner):
    res = runner.invoke(args=["seed-demo"])
    assert res.exit_code == 0, res.output
    n = db.session.scalar(select(func.count()).select_from(Listing))
    assert n > 200
    assert db.session.scalar(select(func.count()).select_from(Link)) > 50
    # idempotent
    res = runner.invoke(args=["seed-demo", "--no-match"])
    assert res.exit_code == 0 and f"({0} new, {n} updated)" in res.output


def test_export_template_round_trips(runner, tmp_path):
    for ext in ("csv", "xlsx", "json", "geojson"):
        p = tmp_path / f"t.{ext}"
        assert runner.invoke(args=["export-template", str(p)]).exit_code == 0
        res = runner.invoke(args=["import-listings", str(p)])
        assert res.exit_code == 0, res.output
    assert runner.invoke(args=["export-template", str(tmp_path / "t.doc")]).exit_code == 1


def test_seed_demo_if_empty_leaves_existing_data_alone(runner, make_row):
    from exchange.services.listings import import_rows

    import_rows([make_row()])
    res = runner.invoke(args=["seed-demo", "--if-empty"])
    assert res.exit_code == 0 and "already stored" in res.output
    assert db.session.scalar(select(func.count()).select_from(Listing)) == 1

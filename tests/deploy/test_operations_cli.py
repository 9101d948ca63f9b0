"""Operations commands: check-db, worker, gaps, match timings, and the demo logins of seed-demo."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from exchange import create_app
from exchange.persistence import db
from exchange.persistence.models import Listing, User


def test_check_db_exits_0_and_names_the_schema(app, runner):
    from exchange.services.health import head_revision

    res = runner.invoke(args=["check-db"])
    assert res.exit_code == 0, res.output
    assert "database answers" in res.output and f"schema at {head_revision()}" in res.output


def test_check_db_exits_1_when_the_database_does_not_answer():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql://exchange:s3cret@127.0.0.1:1/nowhere"})
    res = app.test_cli_runner().invoke(args=["check-db"])
    assert res.exit_code == 1
    assert "does not answer" in res.stderr and "s3cret" not in res.stderr and "***" in res.stderr


def test_worker_needs_redis_url(app, runner):
    app.config["REDIS_URL"] = ""
    res = runner.invoke(args=["worker", "--burst"])
    assert res.exit_code == 1 and "REDIS_URL is not set" in res.stderr


def test_match_prints_its_time_split(app, runner, make_row):
    from exchange.services.listings import import_rows

    import_rows([make_row(), make_row(ref="C1", organisation="Cement", role="sink", grade="II", lat=36.7,
                                      quantity=400)])
    res = runner.invoke(args=["match"])
    assert res.exit_code == 0, res.output
    assert "seconds: load " in res.output and ", store " in res.output


def test_gaps_prints_what_to_attract_ranked_and_writes_json(app, runner, make_row, tmp_path):
    from exchange.services.listings import import_rows

    import_rows([
        make_row(ref="GYP", organisation="Power A", material="fgd_gypsum", grade=None, purity_pct=94,
                 lat=36.80, lon=118.25, quantity=300_000),
        make_row(ref="ASH", organisation="Power B", lat=36.70776, lon=117.08796, quantity=50_000),
    ])
    assert runner.invoke(args=["gaps"]).exit_code == 1  # no run yet
    assert runner.invoke(args=["match"]).exit_code == 0
    out = tmp_path / "gaps.json"
    res = runner.invoke(args=["gaps", "--json", str(out)])
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert "2 gap(s), best first" in lines[0]
    assert lines[2].split()[:3] == ["1", "sink", "fgd_gypsum"]  # the gypsum brings more than the ash
    assert "purity_pct at most 90" in lines[2] and "plasterboard" in res.output
    data = json.loads(out.read_text(encoding="utf-8"))
    benefits = [g["benefit_rmb_per_yr"] for g in data["gaps"]]
    assert benefits == sorted(benefits, reverse=True) and len(benefits) == 2
    assert {g["listings"][0] for g in data["gaps"]} == {"GYP", "ASH"}
    res = runner.invoke(args=["gaps", "--park", "qilu-chemical"])
    assert res.exit_code == 0 and "1 gap(s)" in res.output and "fgd_gypsum" in res.output


def test_seed_demo_creates_the_demo_logins_once_and_prints_them(app, runner):
    from exchange.services.accounts import authenticate
    from exchange.services.demo_accounts import DEMO_ACCOUNTS, DEMO_PASSWORD

    app.config.update(ARGON2_TIME_COST=1, ARGON2_MEMORY_KIB=64)
    res = runner.invoke(args=["seed-demo", "--no-match"])
    assert res.exit_code == 0, res.output
    assert f"password for each: {DEMO_PASSWORD}" in res.output
    for email, org, role, park, _ in DEMO_ACCOUNTS:
        assert email in res.output
        user = db.session.scalar(select(User).where(User.email == email))
        assert (user.role, user.park, user.organisation.name) == (role, park, org)
        assert authenticate(email, DEMO_PASSWORD) is not None
    # the two member organisations own demo listings
    for email in ("huangtai@demo.example", "cement@demo.example"):
        user = db.session.scalar(select(User).where(User.email == email))
        assert db.session.scalar(select(func.count()).select_from(Listing)
                                 .where(Listing.organisation_id == user.organisation_id)) >= 2
    parks = {u.park for u in db.session.scalars(select(User).where(User.role == "park_manager"))}
    assert parks == {"jinan-qibuqu", "qilu-chemical", "chiping-xinyuan"}
    # again, with data present: nothing new, the logins are listed as existing
    res = runner.invoke(args=["seed-demo", "--if-empty"])
    assert res.exit_code == 0 and "already stored" in res.output and "(existing)" in res.output
    assert db.session.scalar(select(func.count()).select_from(User)) == len(DEMO_ACCOUNTS)


def test_seed_demo_creates_no_logins_in_production(app, database_url, make_row):
    from exchange.services.listings import import_rows

    import_rows([make_row()])
    prod = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "EXCHANGE_ENV": "production",
                       "SECRET_KEY": "k" * 64, "LOG_FORMAT": "text"})
    res = prod.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert res.exit_code == 0 and "no demo logins created" in res.output
    assert db.session.scalar(select(func.count()).select_from(User)) == 0
    with prod.app_context():
        db.engine.dispose()

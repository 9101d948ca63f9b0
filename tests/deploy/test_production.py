"""Production settings: refusals at start, health and readiness, headers, body limit, JSON logs, pool_pre_ping."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys

import pytest

from exchange import create_app
from exchange.config import DEV_SECRET_KEY, ConfigurationError, check_production, load
from exchange.persistence import db

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
GOOD_KEY = "k" * 64


def _prod(database_url: str, **over):  # type: ignore[no-untyped-def]
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, "EXCHANGE_ENV": "production",
                       "SECRET_KEY": GOOD_KEY, "LOG_FORMAT": "text", **over})


@pytest.mark.parametrize("key, needle", [
    (None, "SECRET_KEY is missing or the development default"),
    ("", "SECRET_KEY is missing or the development default"),
    (DEV_SECRET_KEY, "SECRET_KEY is missing or the development default"),
    ("short-but-not-default", "shorter than 32 characters"),
])
def test_production_refuses_a_missing_default_or_short_secret_key(database_url, key, needle):
    with pytest.raises(ConfigurationError, match=needle) as err:
        _prod(database_url, SECRET_KEY=key)
    assert "secrets.token_hex(32)" in str(err.value)


def test_production_refuses_debug(database_url):
    with pytest.raises(ConfigurationError, match="debug mode is on"):
        _prod(database_url, DEBUG=True)
    with pytest.raises(ConfigurationError, match="debug mode is on"):
        check_production({"EXCHANGE_ENV": "production", "SECRET_KEY": GOOD_KEY}, debug=True)


def test_production_starts_with_a_real_key_and_development_starts_with_the_default(database_url):
    app = _prod(database_url)
    assert app.config["SESSION_COOKIE_SECURE"] is True and app.config["LOG_FORMAT"] == "text"
    dev = create_app({"SQLALCHEMY_DATABASE_URI": database_url})
    assert dev.config["SECRET_KEY"] == DEV_SECRET_KEY and dev.config["LOG_FORMAT"] == "text"


def test_an_unknown_environment_name_is_refused(database_url):
    with pytest.raises(ConfigurationError, match="EXCHANGE_ENV must be one of development, production"):
        create_app({"SQLALCHEMY_DATABASE_URI": database_url, "EXCHANGE_ENV": "prod"})


def test_wsgi_refuses_to_start_from_the_environment_with_a_clear_message(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "FLASK_DEBUG")}
    env.update(EXCHANGE_ENV="production", DATABASE_URL=f"sqlite:///{tmp_path}/x.db", PYTHONPATH=ROOT)
    res = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode != 0
    assert "ConfigurationError: refusing to start with EXCHANGE_ENV=production: SECRET_KEY is missing" in res.stderr
    res = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env={**env, "SECRET_KEY": GOOD_KEY,
                                                                             "FLASK_DEBUG": "1"},
                         capture_output=True, text=True, timeout=120)
    assert res.returncode != 0 and "debug mode is on" in res.stderr


def test_pool_pre_ping_and_connect_timeout_for_postgresql(app, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql://exchange@db.example:5432/exchange")
    cfg = load("/tmp")
    assert cfg["SQLALCHEMY_DATABASE_URI"].startswith("postgresql+psycopg://")
    assert cfg["SQLALCHEMY_ENGINE_OPTIONS"]["pool_pre_ping"] is True
    assert cfg["SQLALCHEMY_ENGINE_OPTIONS"]["connect_args"] == {"connect_timeout": 10}
    if db.engine.dialect.name == "postgresql":  # the suite's own engine pings before use
        assert db.engine.pool._pre_ping is True


# --------------------------------------------------------------------------- health and readiness


def test_healthz_answers_without_the_database(app, client):
    res = client.get("/healthz")
    assert res.status_code == 200 and res.get_json() == {"status": "ok"}
    assert "no-store" in res.headers["Cache-Control"]


def test_readyz_checks_the_database_and_its_schema(app, client):
    res = client.get("/readyz")
    assert res.status_code == 200, res.get_json()
    body = res.get_json()
    assert body["status"] == "ready" and body["database"] == "ok" and body["queue"] == "off"
    from exchange.services.health import head_revision

    assert body["schema"] == head_revision()


def test_readyz_is_503_in_the_one_error_format_when_the_database_is_down():
    app = create_app({"SQLALCHEMY_DATABASE_URI": "postgresql://postgres@127.0.0.1:1/nowhere"})
    res = app.test_client().get("/readyz")
    assert res.status_code == 503
    err = res.get_json()["error"]
    assert err["code"] == "unavailable" and err["message"].startswith("not ready: database:")
    assert "refused" in err["details"]["database"][0].lower()


def test_readyz_is_503_when_the_schema_is_not_migrated(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/empty.db"})
    res = app.test_client().get("/readyz")
    assert res.status_code == 503
    assert "db upgrade" in res.get_json()["error"]["details"]["schema"][0]


def test_readyz_reports_an_unreachable_queue_without_failing(app, client):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    res = client.get("/readyz")
    assert res.status_code == 200 and res.get_json()["queue"] == "unreachable"


# --------------------------------------------------------------------------- headers and limits


@pytest.mark.parametrize("path", ["/healthz", "/api/v1/listings", "/api/v1/nothing-here", "/login",
                                  "/static/js/common.js"])
def test_security_headers_on_every_response(app, client, path):
    res = client.get(path)
    res.close()  # a static file response holds the file open
    h = res.headers
    csp = h["Content-Security-Policy"]
    assert csp.startswith("default-src 'self';") and "frame-ancestors 'none'" in csp
    assert "'unsafe-eval'" not in csp and "script-src 'self' 'unsafe-hashes' 'sha256-" in csp
    assert "'unsafe-inline'" not in csp.replace("style-src-attr 'unsafe-inline'", "")
    assert h["X-Content-Type-Options"] == "nosniff" and h["X-Frame-Options"] == "DENY"
    assert h["Referrer-Policy"] == "same-origin"
    assert "Strict-Transport-Security" not in h  # development, plain HTTP


def test_hsts_only_in_production_over_https(database_url):
    app = _prod(database_url)
    res = app.test_client().get("/healthz", base_url="https://exchange.example")
    assert res.headers["Strict-Transport-Security"] == "max-age=31536000"
    assert "Strict-Transport-Security" not in app.test_client().get("/healthz").headers


def test_the_map_tile_server_is_allowed_for_images_only(app, client):
    app.config["MAP_TILE_URL"] = "https://{s}.tile.example.org/{z}/{x}/{y}.png"
    csp = client.get("/healthz").headers["Content-Security-Policy"]
    assert "img-src 'self' https://*.tile.example.org" in csp
    assert csp.count("tile.example.org") == 1


def test_no_inline_script_in_any_template():
    """The CSP lets no inline script run: templates load scripts from files (JSON data blocks are not scripts)."""
    import re

    root = os.path.join(ROOT, "exchange", "web", "templates")
    for folder, _, files in os.walk(root):
        for name in files:
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                text = fh.read()
            for tag in re.findall(r"<script\b[^>]*>", text):
                assert "src=" in tag or 'type="application/json"' in tag, f"{name}: inline script {tag}"
            handlers = re.findall(r"\son[a-z]+=\"([^\"]*)\"", text)
            assert set(handlers) <= {"return false"}, f"{name}: inline event handlers {handlers} need a CSP hash"


def test_a_body_over_the_limit_gets_413_in_the_one_error_format(app, client, make_user, bearer):
    _, token = make_user("ana@example.cn")
    big = b"{" + b" " * (25 * 2**20) + b"}"
    res = client.post("/api/v1/listings", data=big, content_type="application/json", headers=bearer(token))
    assert res.status_code == 413
    err = res.get_json()["error"]
    assert err["code"] == "too_large" and "25 MB" in err["message"]
    res = client.post("/import", data=big, content_type="application/octet-stream")
    assert res.status_code == 413 and b"25 MB" in res.data


def test_a_body_under_the_limit_is_read(app, client, make_user, bearer, make_row):
    _, token = make_user("ana@example.cn")
    body = {k: v for k, v in make_row().items() if k != "organisation"}
    body["description"] = "x" * 2000
    res = client.post("/api/v1/listings", json=body, headers=bearer(token))
    assert res.status_code == 201, res.get_json()


# --------------------------------------------------------------------------- logs


@pytest.fixture()
def json_logs(database_url):  # type: ignore[no-untyped-def]
    """An app logging JSON lines; the root handler it installs is removed afterwards."""
    root = logging.getLogger()
    before, level = list(root.handlers), root.level
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "LOG_FORMAT": "json", "TESTING": False})
    yield app
    for h in list(root.handlers):
        if h not in before:
            root.removeHandler(h)
    root.setLevel(level)


def test_json_log_lines_carry_the_request_id(json_logs, capsys):
    app = json_logs

    @app.get("/boom")
    def boom():  # type: ignore[no-untyped-def]
        logging.getLogger("exchange.test").info("about to fail", extra={"listing_id": 7})
        raise RuntimeError("kaput")

    client = app.test_client()
    res = client.get("/boom", headers={"X-Request-ID": "req-0123456789"})
    assert res.status_code == 500 and res.headers["X-Request-ID"] == "req-0123456789"
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.startswith("{")]
    info = next(x for x in lines if x["message"] == "about to fail")
    assert info["level"] == "INFO" and info["request_id"] == "req-0123456789" and info["listing_id"] == 7
    assert info["time"].endswith("Z")
    error = next(x for x in lines if x["level"] == "ERROR")
    assert error["request_id"] == "req-0123456789" and error["exc_type"] == "RuntimeError"
    assert "kaput" in error["exc"]
    res = client.get("/api/v1/boom-not-here", headers={"X-Request-ID": "bad id with spaces"})
    assert res.status_code == 404 and len(res.headers["X-Request-ID"]) == 32  # a fresh one instead


def test_an_api_500_is_in_the_one_error_format(app, client):
    @app.get("/api/v1/_boom")
    def api_boom():  # type: ignore[no-untyped-def]
        raise RuntimeError("kaput")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    res = client.get("/api/v1/_boom")
    assert res.status_code == 500
    assert res.get_json()["error"]["code"] == "internal_error"


def test_every_setting_is_documented_in_the_deploy_guide():
    with open(os.path.join(ROOT, "docs", "deploy.md"), encoding="utf-8") as fh:
        text = fh.read()
    for name in ("EXCHANGE_ENV", "SECRET_KEY", "DATABASE_URL", "REDIS_URL", "RQ_QUEUE", "MATCH_JOB_TIMEOUT",
                 "MATCH_RUN_WAIT", "RATELIMIT_STORAGE_URI", "MATCH_CAP", "MAP_TILE_URL", "LOG_FORMAT", "LOG_LEVEL",
                 "GUNICORN_WORKERS", "/healthz", "/readyz", "check-db", "flask --app wsgi worker", "gaps"):
        assert name in text, f"docs/deploy.md does not mention {name}"
    assert "| `MATCH_CAP` | candidates kept per listing | 25 |" in text
    assert load("/tmp")["MATCH_CAP"] == 25 or os.environ.get("MATCH_CAP")


def test_a_nul_character_is_refused_before_it_reaches_the_database(app, client, make_user, bearer):
    """PostgreSQL cannot hold or compare NUL: the API refuses it per field (422), the pages with 400."""
    _, token = make_user("admin@example.cn", role="admin")
    res = client.get("/api/v1/audit?action=%00", headers=bearer(token))
    assert res.status_code == 422 and res.get_json()["error"]["details"] == {
        "action": ["must not contain NUL (0x00) characters"]}
    res = client.post("/api/v1/listings", json={"ref": "A\x00", "role": "source"}, headers=bearer(token))
    assert res.status_code == 422 and "ref" in res.get_json()["error"]["details"]
    assert client.get("/map/listings.geojson?park=%00").status_code == 400
    assert client.get("/map/listings.geojson?park=qilu-chemical").status_code == 200


def test_an_id_beyond_32_bits_is_a_404_not_a_database_overflow(app, client):
    assert client.get(f"/api/v1/listings/{2**31}").status_code == 404
    assert client.get(f"/api/v1/listings/{2**31 - 1}").status_code == 404
    assert client.get(f"/map/listings/{2**40}.json").status_code == 404
    doc = client.get("/api/v1/openapi.json").get_json()
    (param,) = doc["paths"]["/api/v1/listings/{listing_id}"]["parameters"]
    assert param["schema"] == {"type": "integer", "minimum": 0, "maximum": 2**31 - 1}

"""Logging in and out, sessions, CSRF, API tokens, the login rate limit and the create-user command."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from exchange import create_app
from exchange.persistence import db
from exchange.persistence.models import AuditEntry, Listing, Organisation, User, UserSession

PASSWORD = "correct horse battery"


@pytest.fixture()
def csrf_app(app, database_url):  # type: ignore[no-untyped-def]
    """The app with CSRF protection on, as in production (same database as ``app``)."""
    csrf_on = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "WTF_CSRF_ENABLED": True,
                          "SECRET_KEY": "test-secret-key-not-for-production", "ARGON2_TIME_COST": 1,
                          "ARGON2_MEMORY_KIB": 64})
    yield csrf_on
    with csrf_on.app_context():
        db.session.remove()
        db.engine.dispose()


def _token(client, path: str = "/login") -> str:  # type: ignore[no-untyped-def]
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def _login(client, email: str, password: str = PASSWORD):  # type: ignore[no-untyped-def]
    return client.post("/login", data={"email": email, "password": password, "csrf_token": _token(client)})


def _session_cookie(client) -> str:  # type: ignore[no-untyped-def]
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def _audit(action: str) -> list[AuditEntry]:
    db.session.remove()
    return list(db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)))


def test_login_sets_a_session_that_the_api_accepts(csrf_app, make_user):
    make_user("ana@example.cn", org="Ash Plant A", password=PASSWORD)
    client = csrf_app.test_client()
    res = _login(client, "ana@example.cn")
    assert res.status_code == 302
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json["organisation"] == "Ash Plant A"
    (entry,) = _audit("login")
    assert entry.actor == "ana@example.cn" and entry.organisation_id is not None
    assert entry.at is not None


def test_wrong_password_is_refused_and_audited(csrf_app, make_user):
    make_user("ana@example.cn", password=PASSWORD)
    client = csrf_app.test_client()
    res = _login(client, "ana@example.cn", "wrong password!")
    assert res.status_code == 401 and "wrong e-mail or password" in res.get_data(as_text=True)
    assert client.get("/api/v1/me").status_code == 401
    res = _login(client, "nobody@example.cn", "wrong password!")
    assert res.status_code == 401
    assert [e.actor for e in _audit("login_failed")] == ["ana@example.cn", "nobody@example.cn"]


def test_logout_invalidates_the_session_cookie(csrf_app, make_user):
    make_user("ana@example.cn", password=PASSWORD)
    client = csrf_app.test_client()
    _login(client, "ana@example.cn")
    old_cookie = _session_cookie(client)
    assert client.get("/api/v1/me").status_code == 200
    res = client.post("/logout", data={"csrf_token": _token(client)})
    assert res.status_code == 302
    assert db.session.scalar(select(func.count()).select_from(UserSession)) == 0
    # replay the cookie from before the logout in a fresh client: the server has forgotten its session
    replay = csrf_app.test_client()
    replay.set_cookie("session", old_cookie)
    assert replay.get("/api/v1/me").status_code == 401
    assert [e.action for e in _audit("logout")] == ["logout"]


def test_logout_ends_only_that_session(csrf_app, make_user):
    make_user("ana@example.cn", password=PASSWORD)
    laptop, phone = csrf_app.test_client(), csrf_app.test_client()
    _login(laptop, "ana@example.cn")
    _login(phone, "ana@example.cn")
    laptop.post("/logout", data={"csrf_token": _token(laptop)})
    assert laptop.get("/api/v1/me").status_code == 401
    assert phone.get("/api/v1/me").status_code == 200


def test_a_forged_session_cookie_is_refused(csrf_app, make_user):
    make_user("ana@example.cn", password=PASSWORD)
    client = csrf_app.test_client()
    client.set_cookie("session", "eyJfdXNlcl9pZCI6IjEifQ.forged.signature")
    assert client.get("/api/v1/me").status_code == 401


def test_csrf_less_form_posts_are_refused(csrf_app, make_user):
    make_user("ana@example.cn", password=PASSWORD)
    client = csrf_app.test_client()
    res = client.post("/login", data={"email": "ana@example.cn", "password": PASSWORD})
    assert res.status_code == 400
    assert client.get("/api/v1/me").status_code == 401
    _login(client, "ana@example.cn")
    res = client.post("/logout")
    assert res.status_code == 400
    assert client.get("/api/v1/me").status_code == 200  # still logged in
    # every state-changing form of the site is protected, not only ours
    checked = 0
    for rule in csrf_app.url_map.iter_rules():
        for method in rule.methods & {"POST", "PUT", "PATCH", "DELETE"}:
            if rule.rule.startswith("/api/"):
                continue
            url = re.sub(r"<int:\w+>", "1", re.sub(r"<(?:string:|path:)?(\w+)>", "x", rule.rule))
            res = client.open(url, method=method, data={"anything": "1"})
            assert res.status_code == 400, (method, url, res.status_code)
            checked += 1
    assert checked >= 2


def test_session_api_writes_need_the_csrf_header_bearer_calls_do_not(csrf_app, make_user, bearer):
    _, token = make_user("ana@example.cn", org="Ash Plant A", password=PASSWORD)
    body = dict(ref="S1", role="source", material="fly_ash", lat=36.8, lon=118.25, quantity=10, unit="t/yr",
                grade="I")
    client = csrf_app.test_client()
    _login(client, "ana@example.cn")
    res = client.post("/api/v1/listings", json=body)
    assert res.status_code == 400 and res.json["error"]["code"] == "csrf_failed"
    assert db.session.scalar(select(func.count()).select_from(Listing)) == 0
    res = client.post("/api/v1/listings", json=body, headers={"X-CSRFToken": _token(client, "/login")})
    assert res.status_code == 201
    res = csrf_app.test_client().post("/api/v1/listings", json={**body, "ref": "S2"}, headers=bearer(token))
    assert res.status_code == 201


def test_a_bad_bearer_token_is_refused_even_with_a_session(csrf_app, make_user):
    make_user("ana@example.cn", password=PASSWORD)
    client = csrf_app.test_client()
    _login(client, "ana@example.cn")
    for header in ("Bearer not-a-token", "Basic YW5hOnB3", "Bearer "):
        res = client.get("/api/v1/me", headers={"Authorization": header})
        assert res.status_code == 401 and res.json["error"]["code"] == "unauthorized", header


def test_login_is_rate_limited(csrf_app, make_user):
    csrf_app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    make_user("ana@example.cn", password=PASSWORD)
    client = csrf_app.test_client()
    codes = [_login(client, "ana@example.cn", "wrong password!").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]
    # the right password does not get through either until the window passes
    assert _login(client, "ana@example.cn").status_code == 429
    assert client.get("/api/v1/me").status_code == 401


def test_the_rate_limit_storage_is_configurable(database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "RATELIMIT_STORAGE_URI": "memory://"})
    assert app.config["RATELIMIT_STORAGE_URI"] == "memory://"
    from exchange.config import load

    import os

    os.environ["RATELIMIT_STORAGE_URI"] = "redis://127.0.0.1:6379"
    try:
        assert load("/tmp")["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:6379"
    finally:
        del os.environ["RATELIMIT_STORAGE_URI"]


def test_cookie_flags(csrf_app, make_user, database_url):
    make_user("ana@example.cn", password=PASSWORD)
    client = csrf_app.test_client()
    res = _login(client, "ana@example.cn")
    cookie = res.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    prod = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "EXCHANGE_ENV": "production",
                       "SECRET_KEY": "x" * 40})
    assert prod.config["SESSION_COOKIE_SECURE"] is True and prod.config["SESSION_COOKIE_HTTPONLY"] is True
    assert prod.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_passwords_are_argon2_hashed(make_user):
    user, _ = make_user("ana@example.cn", password=PASSWORD)
    assert user.password_hash.startswith("$argon2id$") and PASSWORD not in user.password_hash


def test_login_redirects_only_to_local_paths(csrf_app, make_user):
    make_user("ana@example.cn", password=PASSWORD)
    client = csrf_app.test_client()
    data = {"email": "ana@example.cn", "password": PASSWORD, "csrf_token": _token(client)}
    res = client.post("/login?next=https://evil.example/", data=data)
    assert res.status_code == 302 and res.headers["Location"] == "/"


# --------------------------------------------------------------------------- the create-user command


def test_create_user_prints_a_working_token_last(runner, client, bearer):
    res = runner.invoke(args=["create-user", "pm@example.cn", "--org", "Qilu Park Authority", "--role",
                              "park_manager", "--park", "Qilu Chemical Industry Park (Linzi)"])
    assert res.exit_code == 0, res.output
    token = res.output.strip().splitlines()[-1]
    me = client.get("/api/v1/me", headers=bearer(token))
    assert me.status_code == 200
    assert (me.json["role"], me.json["park"], me.json["organisation"]) == (
        "park_manager", "qilu-chemical", "Qilu Park Authority")
    # the organisation is reused, not duplicated
    res = runner.invoke(args=["create-user", "clerk@example.cn", "--org", "Qilu Park Authority"])
    assert res.exit_code == 0, res.output
    assert db.session.scalar(select(func.count()).select_from(Organisation)) == 1
    # tokens are stored hashed only
    assert token not in repr(db.session.execute(select(User.__table__)).all())


def test_create_user_refuses_bad_input(runner):
    res = runner.invoke(args=["create-user", "not-an-email", "--org", "X"])
    assert res.exit_code == 1 and "email" in res.stderr
    res = runner.invoke(args=["create-user", "pm@example.cn", "--org", "X", "--role", "park_manager"])
    assert res.exit_code == 1 and "park" in res.stderr
    res = runner.invoke(args=["create-user", "pm@example.cn", "--org", "X", "--role", "park_manager",
                              "--park", "Atlantis"])
    assert res.exit_code == 1 and "unknown park" in res.stderr
    assert runner.invoke(args=["create-user", "a@example.cn", "--org", "X"]).exit_code == 0
    res = runner.invoke(args=["create-user", "A@example.cn", "--org", "X"])
    assert res.exit_code == 1 and "exists" in res.stderr


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_connect_timeout=0.5).ping())
    except Exception:
        return False


@pytest.mark.skipif(not _redis_up(), reason="no Redis on 127.0.0.1:6379")
def test_the_login_limit_lives_in_redis_where_every_worker_sees_it(app, database_url, make_user):
    """Three failed logins on one app, the fourth on a second app (a new worker, new storage client): 429.

    With the default ``memory://`` the second worker starts from zero (the control).
    """
    import uuid

    make_user("ana@example.cn", password=PASSWORD)
    prefix = f"test-{uuid.uuid4().hex}"
    made = []

    def worker(storage: str):  # type: ignore[no-untyped-def]
        w = create_app({"SQLALCHEMY_DATABASE_URI": database_url, "TESTING": True, "WTF_CSRF_ENABLED": False,
                        "RATELIMIT_STORAGE_URI": storage, "RATELIMIT_KEY_PREFIX": prefix,
                        "LOGIN_RATE_LIMIT": "3 per minute", "ARGON2_TIME_COST": 1, "ARGON2_MEMORY_KIB": 64})
        made.append(w)
        return w.test_client()

    def fail(client) -> int:  # type: ignore[no-untyped-def]
        return client.post("/login", data={"email": "ana@example.cn", "password": "wrong password!"}).status_code

    try:
        for storage, fourth in (("memory://", 401), ("redis://127.0.0.1:6379", 429)):
            first = worker(storage)
            assert [fail(first) for _ in range(3)] == [401, 401, 401]
            assert fail(worker(storage)) == fourth, storage
    finally:
        import redis

        r = redis.Redis(host="127.0.0.1", port=6379)
        for key in r.scan_iter(f"*{prefix}*"):
            r.delete(key)
        for w in made:
            with w.app_context():
                db.session.remove()
                db.engine.dispose()

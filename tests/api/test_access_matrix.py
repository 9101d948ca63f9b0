"""The access matrix: every /api/v1 endpoint x method x who is calling x own/other organisation or park.

Generated from the app's URL map: an endpoint missing from ``EXPECTED`` fails
``test_every_api_endpoint_is_in_the_matrix``. Callers: an anonymous visitor,
members of the organisation owning the resource and of others, the manager of
the resource's park and of another park, and an admin. After every request
the database is compared with a snapshot: a refused request (4xx) and every
read must change nothing but the audit log, and each 401/403 is audited as a
denial.
"""

from __future__ import annotations

from typing import Any

import pytest
from api_world import PEOPLE, fresh_world, listing_row, snapshot
from sqlalchemy import select

from exchange import create_app
from exchange.persistence import db
from exchange.persistence.models import AuditEntry

WHO = ("anonymous",) + tuple(PEOPLE)

#: status by caller; member_a owns the public source, member_b the private sink; the link joins them;
#: manager_p manages their park, manager_q another park.
ALL_200 = {w: 200 for w in WHO}
LOGGED_IN_200 = {**ALL_200, "anonymous": 401}
PARTY_STEP = {"anonymous": 401, "member_a": 200, "member_b": 200, "member_c": 404, "manager_p": 403,
              "manager_q": 404, "admin": 403}
REVIEW_STEP = {"anonymous": 401, "member_a": 403, "member_b": 403, "member_c": 403, "manager_p": 200,
               "manager_q": 404, "admin": 200}
SEE_LINK = {"anonymous": 404, "member_a": 200, "member_b": 200, "member_c": 404, "manager_p": 200,
            "manager_q": 404, "admin": 200}
SEE_PRIVATE = {"anonymous": 404, "member_a": 404, "member_b": 200, "member_c": 404, "manager_p": 200,
               "manager_q": 404, "admin": 200}


def _edit(ok: int, owner: str, hidden_from: tuple[str, ...]) -> dict[str, int]:
    out = {"anonymous": 401, "manager_p": 403, "manager_q": 403, "admin": ok}
    for m in ("member_a", "member_b", "member_c"):
        out[m] = ok if m == owner else (404 if m in hidden_from else 403)
    return out


#: (method, rule, target) -> {caller: status}; target picks the resource put in the URL
EXPECTED: dict[tuple[str, str, str], dict[str, int]] = {
    ("GET", "/api/v1/openapi.json", "-"): ALL_200,
    ("GET", "/api/v1/me", "-"): LOGGED_IN_200,
    ("GET", "/api/v1/listings", "-"): ALL_200,
    ("POST", "/api/v1/listings", "-"): {"anonymous": 401, "member_a": 201, "member_b": 201, "member_c": 201,
                                        "manager_p": 403, "manager_q": 403, "admin": 201},
    ("GET", "/api/v1/listings/<int:listing_id>", "public"): ALL_200,
    ("GET", "/api/v1/listings/<int:listing_id>", "private"): SEE_PRIVATE,
    ("PATCH", "/api/v1/listings/<int:listing_id>", "public"): _edit(200, "member_a", ()),
    ("PATCH", "/api/v1/listings/<int:listing_id>", "private"): _edit(200, "member_b", ("member_a", "member_c")),
    ("DELETE", "/api/v1/listings/<int:listing_id>", "public"): _edit(204, "member_a", ()),
    ("DELETE", "/api/v1/listings/<int:listing_id>", "private"): _edit(204, "member_b", ("member_a", "member_c")),
    ("GET", "/api/v1/links", "-"): ALL_200,
    ("GET", "/api/v1/links/<int:link_id>", "-"): SEE_LINK,
    ("POST", "/api/v1/links/<int:link_id>/interest", "-"): PARTY_STEP,
    ("POST", "/api/v1/links/<int:link_id>/accept", "-"): PARTY_STEP,
    ("POST", "/api/v1/links/<int:link_id>/decline", "-"): PARTY_STEP,
    ("POST", "/api/v1/links/<int:link_id>/approve", "-"): REVIEW_STEP,
    ("POST", "/api/v1/links/<int:link_id>/reject", "-"): REVIEW_STEP,
    # a proposed link can neither start nor end: the parties (and reviewers for end) get 409
    ("POST", "/api/v1/links/<int:link_id>/start", "-"): {**PARTY_STEP, "member_a": 409, "member_b": 409},
    ("POST", "/api/v1/links/<int:link_id>/end", "-"): {**PARTY_STEP, "member_a": 409, "member_b": 409,
                                                         "manager_p": 409, "admin": 409},
    ("POST", "/api/v1/match-runs", "-"): {"anonymous": 401, "member_a": 403, "member_b": 403, "member_c": 403,
                                          "manager_p": 201, "manager_q": 201, "admin": 201},
    ("GET", "/api/v1/match-runs/latest", "-"): LOGGED_IN_200,
    ("GET", "/api/v1/match-runs/<int:run_id>", "-"): LOGGED_IN_200,
    ("GET", "/api/v1/parks", "-"): ALL_200,
    ("GET", "/api/v1/parks/<string:key>", "-"): ALL_200,
    ("GET", "/api/v1/exports/listings.geojson", "-"): ALL_200,
    ("GET", "/api/v1/exports/listings.csv", "-"): ALL_200,
    ("GET", "/api/v1/exports/links.geojson", "-"): ALL_200,
    ("GET", "/api/v1/exports/links.csv", "-"): ALL_200,
    ("GET", "/api/v1/audit", "-"): {"anonymous": 401, "member_a": 403, "member_b": 403, "member_c": 403,
                                    "manager_p": 200, "manager_q": 200, "admin": 200},
}

#: request bodies by (method, rule)
BODIES: dict[tuple[str, str], Any] = {
    ("POST", "/api/v1/listings"): listing_row(ref="NEW-1"),
    ("PATCH", "/api/v1/listings/<int:listing_id>"): {"description": "changed"},
    ("POST", "/api/v1/links/<int:link_id>/decline"): {"reason": "too far for our trucks"},
    ("POST", "/api/v1/links/<int:link_id>/approve"): {"comment": "fits the park plan"},
    ("POST", "/api/v1/links/<int:link_id>/reject"): {"comment": "no permit for this route"},
    ("POST", "/api/v1/links/<int:link_id>/end"): {"reason": "done"},
    ("POST", "/api/v1/match-runs"): {},
}


def _api_rules() -> list[tuple[str, str]]:
    app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "TESTING": True})
    return sorted((m, r.rule) for r in app.url_map.iter_rules() if r.rule.startswith("/api/")
                  for m in r.methods - {"HEAD", "OPTIONS"})


RULES = _api_rules()
CASES = [(m, rule, target) for (m, rule) in RULES for (em, erule, target) in EXPECTED if (em, erule) == (m, rule)]


def test_every_api_endpoint_is_in_the_matrix():
    assert RULES, "no API rules found"
    missing = [(m, r) for m, r in RULES if not any((m, r) == (em, er) for em, er, _ in EXPECTED)]
    assert missing == [], f"endpoints without expected statuses: {missing}"
    stale = [k for k in EXPECTED if (k[0], k[1]) not in RULES]
    assert stale == [], f"expected statuses for endpoints that no longer exist: {stale}"


def _url(rule: str, target: str, ids: dict[str, int]) -> str:
    listing = ids["private_listing"] if target == "private" else ids["public_listing"]
    return (rule.replace("<int:listing_id>", str(listing)).replace("<int:link_id>", str(ids["link"]))
            .replace("<int:run_id>", str(ids["run"])).replace("<string:key>", "qilu-chemical"))


def _denials() -> int:
    return len(db.session.scalars(select(AuditEntry.id).where(AuditEntry.action == "denied")).all())


@pytest.mark.parametrize(("method", "rule", "target"), CASES, ids=[f"{m} {r} {t}" for m, r, t in CASES])
def test_access(app, method, rule, target):
    client = app.test_client()
    expected = EXPECTED[(method, rule, target)]
    world = fresh_world()
    failures = []
    after = snapshot()
    for who in WHO:
        before = after
        denials = _denials()
        url = _url(rule, target, world.ids)
        body = BODIES.get((method, rule))
        res = client.open(url, method=method, headers=world.auth(who), json=body)
        if res.status_code != expected[who]:
            failures.append(f"{who}: {method} {url} -> {res.status_code}, expected {expected[who]}: "
                            f"{res.get_data(as_text=True)[:200]}")
            after = snapshot()
            continue
        if res.status_code >= 400:
            assert res.is_json and set(res.json["error"]) == {"code", "message", "details"}, res.data
        after = snapshot()
        changed = after != before
        if method == "GET" or res.status_code >= 400:
            if changed:
                failures.append(f"{who}: {method} {url} -> {res.status_code} changed the database")
            if res.status_code in (401, 403) and _denials() != denials + 1:
                failures.append(f"{who}: {method} {url} -> {res.status_code} was not audited as a denial")
        elif changed:
            world = fresh_world()  # a successful write: start the next caller from the same world
            after = snapshot()
        else:
            failures.append(f"{who}: {method} {url} -> {res.status_code} but nothing changed")
    assert not failures, "\n".join(failures)

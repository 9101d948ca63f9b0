"""The OpenAPI document describes every API route, and every error has the one format."""

from __future__ import annotations

import re

import pytest


def test_the_document_lists_every_api_route_with_its_methods(app, client):
    res = client.get("/api/v1/openapi.json")
    assert res.status_code == 200
    doc = res.json
    assert doc["openapi"].startswith("3.") and doc["info"]["version"] == "v1"
    documented = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops if m != "parameters"}
    routes = {(m, re.sub(r"<(?:\w+:)?(\w+)>", r"{\1}", r.rule)) for r in app.url_map.iter_rules()
              if r.rule.startswith("/api/v1/") and r.endpoint != "api-docs.openapi_json"
              for m in r.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented
    error = doc["components"]["schemas"]["Error"]
    assert error["required"] == ["error"]
    body = doc["components"]["schemas"]["ErrorBody"]
    assert set(body["required"]) == {"code", "message", "details"}
    for path, ops in doc["paths"].items():
        for method, op in ops.items():
            if method != "parameters":
                assert "default" in op["responses"], (method, path)
    create = doc["paths"]["/api/v1/listings"]["post"]
    schema_ref = create["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    listing_in = doc["components"]["schemas"][schema_ref.rsplit("/", 1)[1]]
    assert "organisation" not in listing_in["properties"] and "visibility" in listing_in["properties"]
    assert set(listing_in["required"]) == {"ref", "role", "material", "lat", "lon", "quantity", "unit"}
    assert "bearerAuth" in doc["components"]["securitySchemes"]


@pytest.mark.parametrize(("method", "url", "status", "code"), [
    ("GET", "/api/v1/no-such-thing", 404, "not_found"),
    ("PUT", "/api/v1/listings", 405, "method_not_allowed"),
    ("GET", "/api/v1/listings/999999", 404, "not_found"),
    ("GET", "/api/v1/links?status=maybe", 422, "invalid"),
    ("GET", "/api/v1/me", 401, "unauthorized"),
    ("POST", "/api/v1/links/1/accept", 401, "unauthorized"),
])
def test_every_error_has_the_one_format(client, method, url, status, code):
    res = client.open(url, method=method)
    assert res.status_code == status
    assert res.json == {"error": {"code": code, "message": res.json["error"]["message"],
                                  "details": res.json["error"]["details"]}}
    assert res.json["error"]["message"]


def test_a_body_that_is_not_json_is_refused_in_the_same_format(client, make_user, bearer):
    _, token = make_user("ana@example.cn")
    res = client.post("/api/v1/listings", data="ref=S1", headers={**bearer(token),
                                                                  "Content-Type": "application/json"})
    assert res.status_code in (400, 422)
    assert set(res.json["error"]) == {"code", "message", "details"}

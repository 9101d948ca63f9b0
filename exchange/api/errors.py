"""One error format for every error: ``{"error": {"code", "message", "details"}}``.

``details`` maps a field to its messages, e.g. ``{"lat": ["must be between -90
and 90"]}`` (422). Domain errors carry their own status
(:mod:`exchange.domain.errors`); HTTP errors (404, 405, 429, CSRF, schema
validation by webargs) are turned into the same shape. Pages (not ``/api/``,
not asking for JSON) get a short HTML page with the same message.

Every 401 and 403 is written to the audit log as ``denied``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from exchange.domain.errors import ExchangeError

#: error codes by HTTP status where the exception does not say
CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 405: "method_not_allowed",
         409: "conflict", 413: "too_large", 415: "unsupported_media_type", 422: "invalid", 429: "rate_limited",
         500: "internal_error", 503: "unavailable"}


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"


def flatten_messages(messages: Any) -> dict[str, Any]:
    """webargs' ``{"json": {"lat": [...]}}`` -> ``{"lat": [...]}`` (locations merged)."""
    if not isinstance(messages, dict):
        return {"_": messages} if messages else {}
    out: dict[str, Any] = {}
    for location, fields in messages.items():
        if location in ("json", "query", "form", "files", "headers", "cookies", "view_args", "path") \
                and isinstance(fields, dict):
            out.update(fields)
        else:
            out[location] = fields
    return out


def _audit_denial(status: int, message: str, code: str) -> None:
    if status not in (401, 403):
        return
    from flask_login import current_user

    from exchange.services.audit import record_now

    user = current_user._get_current_object() if current_user else None  # type: ignore[attr-defined]
    record_now("denied", user, parks=[getattr(user, "park", None)],
               details={"method": request.method, "path": request.path[:300], "status": status, "code": code,
                        "message": message[:300]})


def _page(status: int, title: str, message: str):  # type: ignore[no-untyped-def]
    html = (f"<!doctype html><html><head><meta charset='utf-8'><title>{status} {escape(title)}</title></head>"
            f"<body><h1>{status} {escape(title)}</h1><p>{escape(message)}</p>"
            f"<p><a href='/'>Back to the map</a></p></body></html>")
    return html, status, {"Content-Type": "text/html; charset=utf-8"}


def register_error_handlers(app: Flask) -> None:
    """Map domain errors to their HTTP status in one place; JSON for API and JSON clients.

    Call it after every extension that registers its own handlers
    (flask-smorest does), so these win.
    """

    @app.errorhandler(ExchangeError)
    def _domain(err: ExchangeError):  # type: ignore[no-untyped-def]
        _audit_denial(err.status, err.message, err.code)
        if not wants_json():
            return _page(err.status, err.code.replace("_", " "), err.message)
        return jsonify(err.as_dict()), err.status

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):  # type: ignore[no-untyped-def]
        status = err.code or 500
        data = getattr(err, "data", None) or {}
        details = flatten_messages(data.get("messages", {})) if isinstance(data, dict) else {}
        code = CODES.get(status, (err.name or "error").lower().replace(" ", "_"))
        message = err.description or err.name
        if type(err).__name__ == "CSRFError":
            code, details = "csrf_failed", {"csrf_token": [err.description]}
            message = "CSRF token missing or invalid: send the form's csrf_token or an X-CSRFToken header"
        elif status == 400 and "json" in details:
            message = "the request body is not valid JSON"
        elif status == 422 and details:
            message = f"{len(details)} field(s) invalid: {', '.join(sorted(map(str, details))[:8])}"
        elif status == 429:
            message = f"too many attempts ({err.description}); wait and try again"
        _audit_denial(status, str(message), code)
        if not wants_json():
            if status == 429 or code == "csrf_failed":
                return _page(status, err.name or code, str(message))
            return err
        headers = dict(data.get("headers") or {}) if isinstance(data, dict) else {}
        response = err.get_response()
        for name in ("Allow", "Retry-After"):
            if name in response.headers:
                headers[name] = response.headers[name]
        body = {"error": {"code": code, "message": message, "details": details}}
        return jsonify(body), status, headers

"""One error format for every error: ``{"error": {"code", "message", "details"}}``."""

from __future__ import annotations

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException

from exchange.domain.errors import ExchangeError


def register_error_handlers(app: Flask) -> None:
    """Map domain errors to their HTTP status in one place; JSON for API and JSON clients."""

    @app.errorhandler(ExchangeError)
    def _domain(err: ExchangeError):  # type: ignore[no-untyped-def]
        return jsonify(err.as_dict()), err.status

    @app.errorhandler(HTTPException)
    def _http(err: HTTPException):  # type: ignore[no-untyped-def]
        if not (request.path.startswith("/api/") or request.accept_mimetypes.best == "application/json"):
            return err
        body = {"error": {"code": (err.name or "error").lower().replace(" ", "_"), "message": err.description,
                          "details": getattr(err, "data", {}).get("messages", {}) if hasattr(err, "data") else {}}}
        return jsonify(body), err.code or 500

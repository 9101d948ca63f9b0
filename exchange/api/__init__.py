"""JSON API (``/api/v1``), documented at ``/api/v1/openapi.json`` (flask-smorest).

Authentication: ``Authorization: Bearer <token>`` (scripts; CSRF-exempt) or the
browser session cookie (then state-changing calls need an ``X-CSRFToken``
header, e.g. from the page's ``csrf_token()``). A bearer header that is not a
valid token is refused (401) even when a session cookie comes along.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask, current_app, request
from flask_smorest import Api

from .schemas import ErrorSchema


class ExchangeApi(Api):
    """flask-smorest's Api documenting our one error format, building the document on first use.

    flask-smorest turns every schema into OpenAPI when a blueprint is
    registered (about 0.15 s); here that waits until ``openapi.json`` (or
    :meth:`spec_dict`) is first asked for, so creating an app stays cheap.
    """

    ERROR_SCHEMA = ErrorSchema

    def init_app(self, app: Flask, *, spec_kwargs: Any = None) -> None:
        self._pending_docs: list[tuple[Any, str, Any]] = []
        self._docs_lock = threading.Lock()
        super().init_app(app, spec_kwargs=spec_kwargs)

    def register_blueprint(self, blp: Any, *, parameters: Any = None, **options: Any) -> None:
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._pending_docs.append((blp, name, parameters))

    def _document_pending(self) -> None:
        with self._docs_lock:
            while self._pending_docs:
                blp, name, parameters = self._pending_docs.pop(0)
                blp.register_views_in_doc(self, self._app, self.spec, name=name, parameters=parameters)
                self.spec.tag({"name": name, "description": blp.description})

    def spec_dict(self) -> dict[str, Any]:
        """The OpenAPI document as a dict."""
        self._document_pending()
        return self.spec.to_dict()  # type: ignore[no-any-return]

    def _openapi_json(self) -> Any:
        self._document_pending()
        return super()._openapi_json()


def _authenticate_api_request() -> Any:
    """Bearer token first; session-cookie calls that change state must carry a CSRF token."""
    if not request.path.startswith("/api/"):
        return None
    from exchange.auth import LoginRequired, csrf, current_user, login_manager
    from exchange.services.accounts import user_for_api_token

    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise LoginRequired("the Authorization header must be 'Bearer <token>'")
        user = user_for_api_token(token.strip())
        if user is None:
            raise LoginRequired("unknown or revoked API token")
        login_manager._update_request_context_with_user(user)
        return None
    if request.method in current_app.config.get("WTF_CSRF_METHODS", ()) \
            and current_app.config.get("WTF_CSRF_ENABLED", True) and current_user.is_authenticated:
        csrf.protect()
    return None


def init_api(app: Flask) -> ExchangeApi:
    """Register the API blueprints and the OpenAPI document on ``app``."""
    from exchange.auth import csrf

    from .views import BLUEPRINTS

    api = ExchangeApi(app, spec_kwargs={"info": {"description": __doc__}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    api.spec.components.security_scheme("sessionCookie", {"type": "apiKey", "in": "cookie", "name": "session"})
    api.spec.options["security"] = [{"bearerAuth": []}, {"sessionCookie": []}, {}]
    for blp in BLUEPRINTS:
        csrf.exempt(blp)
        api.register_blueprint(blp)
    app.before_request(_authenticate_api_request)
    app.extensions["exchange_api"] = api
    return api

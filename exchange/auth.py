"""Who is calling: browser sessions (Flask-Login), API tokens, CSRF, login rate limit, roles.

What other modules use:

* ``login_manager`` (Flask-Login), ``current_user``;
* decorators ``login_required`` and ``roles_required(*roles)``: 401/403 in the
  one JSON error format under ``/api/``, a redirect to the login page (or a
  403 page) elsewhere;
* ``csrf`` (Flask-WTF ``CSRFProtect``): every state-changing form needs
  ``{{ csrf_token() }}``; API calls authenticated by ``Authorization: Bearer``
  are exempt, API calls riding on the session cookie need ``X-CSRFToken``;
* ``limiter`` (Flask-Limiter): failed logins are limited per address and per
  e-mail (``LOGIN_RATE_LIMIT``), counted in ``RATELIMIT_STORAGE_URI``;
* the ``auth`` blueprint: ``GET/POST /login`` and ``POST /logout``.

The session cookie carries a server-side session token, not the user id:
:func:`exchange.services.accounts.end_session` deletes it at logout, so a
replayed old cookie is anonymous.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Blueprint, Flask, g, redirect, render_template, request, url_for
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import AnonymousUserMixin, LoginManager, current_user, logout_user
from flask_wtf.csrf import CSRFProtect

from exchange.domain.errors import PermissionDenied

__all__ = ["AnonymousUser", "bp", "csrf", "current_user", "init_auth", "is_api_request", "limiter",
           "login_manager", "login_required", "roles_required"]

F = TypeVar("F", bound=Callable[..., Any])


class AnonymousUser(AnonymousUserMixin):
    """A visitor who is not logged in: no organisation, no role, no park."""

    id = None
    email = None
    role = None
    organisation_id = None
    organisation = None
    park = None
    session_token = None


login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = None  # type: ignore[assignment]
login_manager.anonymous_user = AnonymousUser
csrf = CSRFProtect()
limiter = Limiter(get_remote_address)

bp = Blueprint("auth", __name__)


def is_api_request() -> bool:
    return request.path.startswith("/api/")


@login_manager.user_loader
def _load_session_user(token: str) -> Any:
    from exchange.services.accounts import load_session_user

    return load_session_user(token)


@login_manager.request_loader
def _load_token_user(req: Any) -> Any:
    header = req.headers.get("Authorization", "")
    if not header.lower().startswith("bearer "):
        return None
    from exchange.services.accounts import user_for_api_token

    return user_for_api_token(header[7:].strip())


class LoginRequired(PermissionDenied):
    """No one is logged in (or the token is unknown)."""

    status = 401
    code = "unauthorized"


@login_manager.unauthorized_handler
def _unauthorized() -> Any:
    if is_api_request():
        raise LoginRequired("log in, or send an API token as 'Authorization: Bearer <token>'")
    return redirect(url_for("auth.login", next=_local_path(request.full_path)))


def login_required(view: F) -> F:
    """Only for logged-in users (session or API token)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if not current_user.is_authenticated:
            return login_manager.unauthorized()
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def roles_required(*roles: str) -> Callable[[F], F]:
    """Only for logged-in users having one of ``roles`` (403 otherwise)."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if current_user.role not in roles:
                raise PermissionDenied(f"this needs the role {' or '.join(roles)}",
                                       {"role": [f"you are {current_user.role}"]})
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


def _local_path(target: str | None) -> str | None:
    """``target`` if it is a path on this site (no open redirect), else None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target.rstrip("?") or "/"


def _login_limit() -> str:
    from flask import current_app

    return str(current_app.config.get("LOGIN_RATE_LIMIT", "10 per minute"))


def _email_key() -> str:
    return "login-email:" + (request.form.get("email") or "").strip().lower()[:254]


def _failed(response: Any) -> bool:
    """Only failed logins count against the limit."""
    return bool(response.status_code >= 400)


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"], deduct_when=_failed)
@limiter.limit(_login_limit, methods=["POST"], key_func=_email_key, deduct_when=_failed, scope="login-email")
def login() -> Any:
    """The login form; POST checks the password and opens a session."""
    from exchange.services.accounts import AuthenticationFailed, login_user_by_password

    next_url = _local_path(request.values.get("next"))
    error = None
    if request.method == "POST":
        try:
            login_user_by_password(request.form.get("email", ""), request.form.get("password", ""))
        except AuthenticationFailed as err:
            error = err.message
        else:
            return redirect(next_url or "/")
    status = 401 if error else 200
    return render_template("auth/login.html", error=error, next=next_url or ""), status


@bp.post("/logout")
def logout() -> Any:
    """End the session: the server forgets its token, the cookie is cleared."""
    from flask import session

    from exchange.services.accounts import end_session

    if current_user.is_authenticated:
        end_session(current_user._get_current_object())  # type: ignore[attr-defined]
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


def init_auth(app: Flask) -> None:
    """Register Flask-Login, CSRF protection, the login rate limit and the auth pages."""
    @app.before_request
    def _fresh_identity() -> None:
        # a test client may reuse one app context (and its g) for many requests: start each one anonymous
        for key in ("_login_user", "_viewers", "_private_reads"):
            g.pop(key, None)

    login_manager.init_app(app)
    csrf.init_app(app)
    limiter.init_app(app)
    app.register_blueprint(bp)

    @app.after_request
    def _audit_private_reads(response: Any) -> Any:
        if g.get("_private_reads"):
            from exchange.services.audit import flush_private_reads

            flush_private_reads(current_user._get_current_object())  # type: ignore[attr-defined]
        return response

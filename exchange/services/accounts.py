"""Accounts: organisations' users, passwords, browser sessions and API tokens.

* Passwords are hashed with argon2id (argon2-cffi's defaults, the RFC 9106
  low-memory profile: 3 passes over 64 MiB; ``ARGON2_TIME_COST`` and
  ``ARGON2_MEMORY_KIB`` change them, e.g. cheaper in tests); a login with an unknown e-mail still runs one verification, so the
  answer takes as long as for a known one.
* A browser login creates a :class:`~exchange.persistence.models.UserSession`:
  the cookie carries a random token, the table only its SHA-256. Logout
  deletes the row, so a replayed old cookie loads nobody.
* API tokens (``Authorization: Bearer <token>``) are random 32-byte strings;
  only their SHA-256 is stored, and :func:`create_user` shows a new one once.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from flask import current_app, has_app_context
from sqlalchemy import delete, select

from exchange.domain.errors import Conflict, ExchangeError, NotFound, ValidationError
from exchange.persistence import db
from exchange.persistence import repositories as repo
from exchange.persistence.models import ROLES, ApiToken, User, UserSession, utcnow

from . import audit

__all__ = ["AuthenticationFailed", "authenticate", "create_user", "end_session", "hash_password", "issue_token",
           "load_session_user", "login_user_by_password", "resolve_park", "user_for_api_token"]


@cache
def _hasher_with(time_cost: int, memory_kib: int) -> tuple[PasswordHasher, str]:
    hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_kib)
    #: verified against when the e-mail is unknown, so both answers take the same time
    return hasher, hasher.hash("not a real password; equalises timing")


def _hasher() -> PasswordHasher:
    return _hasher_and_dummy()[0]


def _hasher_and_dummy() -> tuple[PasswordHasher, str]:
    """argon2id with ``ARGON2_TIME_COST`` / ``ARGON2_MEMORY_KIB`` (defaults: RFC 9106 low-memory, 3 / 64 MiB)."""
    cfg = current_app.config if has_app_context() else {}
    return _hasher_with(int(cfg.get("ARGON2_TIME_COST", 3)), int(cfg.get("ARGON2_MEMORY_KIB", 65536)))
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 10


class AuthenticationFailed(ExchangeError):
    """Wrong e-mail or password, or a bad token (the message never says which)."""

    status = 401
    code = "unauthorized"


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def hash_password(password: str) -> str:
    return _hasher().hash(password)


def resolve_park(name: str) -> str:
    """A park key from its key or its English or Chinese name (case-insensitive).

    Raises ValidationError naming ``park`` when nothing matches.
    """
    from geodata.parks import parks

    wanted = name.strip().lower()
    for p in parks():
        if wanted in (p.key.lower(), p.name_en.lower(), p.name_zh):
            return p.key
    raise ValidationError(f"unknown park {name!r}", {"park": [f"unknown park {name!r}; use a key such as "
                                                             f"'qilu-chemical' or 'city-370100'"]})


def create_user(email: str, password: str | None, org_name: str, role: str, park: str | None = None,
                *, by: User | None = None) -> tuple[User, str]:
    """Create a user (and the organisation if new); returns the user and a new API token.

    ``password`` None: the account can only use API tokens. ``park`` (a key or
    a park's name) is required for a ``park_manager``.
    """
    errors: dict[str, list[str]] = {}
    email = (email or "").strip().lower()
    if not _EMAIL.match(email) or len(email) > 254:
        errors["email"] = ["must be an e-mail address"]
    if role not in ROLES:
        errors["role"] = [f"must be one of {', '.join(ROLES)}"]
    if password is not None and len(password) < MIN_PASSWORD:
        errors["password"] = [f"must be at least {MIN_PASSWORD} characters"]
    org_name = (org_name or "").strip()
    if not org_name or len(org_name) > 120:
        errors["org"] = ["is required (at most 120 characters)"]
    park_key = None
    if park:
        try:
            park_key = resolve_park(park)
        except ValidationError as e:
            errors.update(e.details)  # type: ignore[arg-type]
    elif role == "park_manager":
        errors["park"] = ["is required for a park_manager"]
    if errors:
        raise ValidationError(f"cannot create user: {', '.join(sorted(errors))} invalid", errors)
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict(f"a user with e-mail {email} exists", {"email": ["is taken"]})
    org = repo.organisation(org_name)
    user = User(email=email, password_hash=hash_password(password) if password else None,
                organisation_id=org.id, role=role, park=park_key)
    db.session.add(user)
    db.session.flush()
    token = _new_token(user)
    audit.record("user.create", by, target=("user", user.id), parks=[park_key],
                 details={"email": email, "role": role, "organisation": org_name},
                 actor=None if by else "command line")
    db.session.commit()
    return user, token


def _new_token(user: User) -> str:
    token = secrets.token_urlsafe(32)
    db.session.add(ApiToken(user_id=user.id, token_hash=_sha256(token)))
    return token


def issue_token(user: User) -> str:
    """A new API token for ``user`` (shown once; only its hash is stored)."""
    token = _new_token(user)
    audit.record("token.create", user, target=("user", user.id))
    db.session.commit()
    return token


def user_for_api_token(token: str) -> User | None:
    """The active user a bearer token belongs to, or None."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(select(ApiToken).where(ApiToken.token_hash == _sha256(token),
                                                   ApiToken.revoked_at.is_(None)))
    if row is None or not row.user.active:
        return None
    return row.user


def authenticate(email: str, password: str) -> User | None:
    """The user with that e-mail and password, or None (constant work either way)."""
    email = (email or "").strip().lower()
    user = db.session.scalar(select(User).where(User.email == email)) if email else None
    hasher, dummy = _hasher_and_dummy()
    stored = user.password_hash if user is not None and user.password_hash else dummy
    try:
        hasher.verify(stored, password or "")
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return None
    if user is None or not user.password_hash or not user.active:
        return None
    if hasher.check_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    return user


def _start_session(user: User) -> str:
    token = secrets.token_urlsafe(32)
    hours = float(current_app.config.get("SESSION_HOURS", 12))
    db.session.add(UserSession(user_id=user.id, token_hash=_sha256(token),
                               expires_at=utcnow() + timedelta(hours=hours)))
    user.session_token = token
    user.last_login_at = utcnow()
    return token


def login_user_by_password(email: str, password: str, *, remember: bool = False) -> User:
    """Check the password, open a server-side session and log the browser in (Flask-Login).

    Raises :class:`AuthenticationFailed` (401) on a wrong e-mail or password;
    both outcomes are audited.
    """
    import flask_login
    from flask import session

    user = authenticate(email, password)
    if user is None:
        audit.record_now("login_failed", None, actor=(email or "")[:254], details={"email": (email or "")[:254]})
        raise AuthenticationFailed("wrong e-mail or password")
    _start_session(user)
    audit.record("login", user, target=("user", user.id), parks=[user.park])
    db.session.commit()
    session.clear()  # no session fixation: a fresh session carries the new login
    flask_login.login_user(user, remember=False)
    return user


def load_session_user(token: str) -> User | None:
    """The user of an open browser session (the cookie's token), or None if it ended or expired."""
    if not token or len(token) > 200:
        return None
    row = db.session.scalar(select(UserSession).where(UserSession.token_hash == _sha256(token)))
    if row is None:
        return None
    expires = row.expires_at
    if expires.tzinfo is None:  # SQLite returns naive datetimes (stored as UTC)
        from datetime import timezone

        expires = expires.replace(tzinfo=timezone.utc)
    if expires <= utcnow() or not row.user.active:
        return None
    user = row.user
    user.session_token = token
    return user


def end_session(user: Any) -> None:
    """Delete the browser session ``user`` was loaded for (logout); old cookies then load nobody."""
    token = getattr(user, "session_token", None)
    if not isinstance(user, User):
        return
    if token:
        db.session.execute(delete(UserSession).where(UserSession.token_hash == _sha256(token)))
    audit.record("logout", user, target=("user", user.id), parks=[user.park])
    db.session.commit()


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound(f"no user {user_id}")
    return user

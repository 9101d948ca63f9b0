"""Who is looking at a page, in the terms the pages need.

Accounts, roles and the decorators live in :mod:`exchange.auth`; what a user
may do with a link is decided by the workflow (the link view's ``actions``).
"""

from __future__ import annotations

from typing import Any

from exchange.auth import current_user, login_required, roles_required

__all__ = ["can_run_matcher", "is_manager_of", "login_required", "managed_park", "roles_required", "viewer"]


def viewer() -> Any | None:
    """The logged-in user, or ``None`` for an anonymous visitor."""
    if not current_user or not current_user.is_authenticated:
        return None
    return current_user._get_current_object()  # type: ignore[attr-defined]


def is_manager_of(park_key: str | None) -> bool:
    """Whether the current user reviews links in this park (its manager, or an admin)."""
    user = viewer()
    if user is None or park_key is None:
        return False
    return user.role == "admin" or (user.role == "park_manager" and user.park == park_key)


def managed_park() -> str | None:
    """The park a park manager manages (``None`` for others)."""
    user = viewer()
    return user.park if user is not None and user.role == "park_manager" else None


def can_run_matcher(park_key: str | None = None) -> bool:
    """Admins run the matcher anywhere; a park manager for their own park."""
    user = viewer()
    if user is None:
        return False
    if user.role == "admin":
        return True
    return user.role == "park_manager" and (park_key is None or park_key == user.park)

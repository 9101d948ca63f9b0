"""Where to send the browser next."""

from __future__ import annotations


def safe_next(target: str | None, default: str) -> str:
    """A local path to go back to; anything else (another host, ``//x``, ``\\x``) gives ``default``.

    >>> safe_next("/parks/qilu-chemical?x=1", "/")
    '/parks/qilu-chemical?x=1'
    >>> safe_next("//evil.example/", "/"), safe_next("https://evil.example/", "/")
    ('/', '/')
    """
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target

"""HTML pages: the route map, listings, search, the park manager view.

Registering the blueprint also sets up Flask-Babel on the app (a
``record_once`` hook, so :func:`exchange.app.create_app` needs no web-specific
code): the UI speaks English and Simplified Chinese; see :mod:`.i18n`.
"""

from flask import Blueprint

bp = Blueprint("web", __name__, template_folder="templates")


@bp.record_once
def _setup(state):  # type: ignore[no-untyped-def]
    from .i18n import init_babel
    from .templating import init_templating

    init_babel(state.app)
    init_templating(state.app)


from . import listings, parks, search, views  # noqa: E402,F401

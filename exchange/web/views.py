"""Page views: parse input, call one service, render."""

from __future__ import annotations

from flask import render_template

from exchange.persistence import repositories as repo

from . import bp


@bp.get("/")
def index():  # type: ignore[no-untyped-def]
    """Overview of the latest match run."""
    run = repo.latest_run()
    return render_template("index.html", run=run, listings=len(repo.active_listings()))

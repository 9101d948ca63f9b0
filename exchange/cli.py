"""Thin click commands over the services: ``flask --app wsgi <command>``.

Each command creates or migrates the database first, so they work on a fresh
checkout. Errors go to stderr with exit code 1 (2 for usage errors).
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import click
from flask import Flask

from exchange.domain.errors import ExchangeError, ImportRejected


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _guarded(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Schema first; domain errors become a message on stderr and exit 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from exchange.services.schema import ensure_schema

        try:
            ensure_schema()
            return fn(*args, **kwargs)
        except ImportRejected as err:
            click.echo(f"error: {err.message}", err=True)
            for e in err.errors:
                click.echo(f"  {e}", err=True)
            sys.exit(1)
        except ExchangeError as err:
            _fail(err.message + (f" {json.dumps(err.details, ensure_ascii=False)}" if err.details else ""))

    return wrapper


def _print_summary(summary: dict[str, Any]) -> None:
    click.echo(f"{'material':<12}{'links':>6}{'quantity':>16} {'unit':<8}{'util.':>7}{'net RMB/yr':>16}{'CO2 t/yr':>14}")
    for key, m in summary["materials"].items():
        util = m["utilisation_of_supply"]
        click.echo(f"{key:<12}{m['links']:>6}{m['quantity']:>16,.0f} {m['unit']:<8}"
                   f"{(f'{util:.0%}' if util is not None else '-'):>7}{m['net_benefit_rmb_per_yr']:>16,.0f}"
                   f"{m['co2_avoided_t_per_yr']:>14,.0f}")
    click.echo(f"{'total':<12}{summary['links']:>6}{'':>25}{'':>7}{summary['net_benefit_rmb_per_yr']:>16,.0f}"
               f"{summary['co2_avoided_t_per_yr']:>14,.0f}")
    click.echo(f"listings: {summary['listings']}, with nothing matched: {summary['listings_unmatched']}")


def _redis_label(url: str) -> str:
    """A Redis URL without its password."""
    from urllib.parse import urlsplit

    u = urlsplit(url)
    return f"{u.scheme}://{u.hostname}:{u.port or 6379}{u.path}"


def register_cli(app: Flask) -> None:
    @app.cli.command("init-db")
    @_guarded
    def init_db() -> None:
        """Create or migrate the database to the latest schema."""
        click.echo(f"database ready: {app.config['SQLALCHEMY_DATABASE_URI'].split('@')[-1]}")

    @app.cli.command("import-listings")
    @click.argument("path", type=click.Path(dir_okay=False))
    @_guarded
    def import_listings(path: str) -> None:
        """Import sources and sinks from a CSV, XLSX, JSON or GeoJSON file (all rows or none)."""
        from exchange.services.listings import import_file

        try:
            with open(path, "rb") as fh:
                data = fh.read()
        except OSError as exc:
            _fail(f"cannot read {path}: {exc.strerror}")
        report = import_file(os.path.basename(path), data)
        click.echo(f"imported {report.total} listing(s): {report.created} new, {report.updated} updated")

    @app.cli.command("match")
    @click.option("--json", "json_path", type=click.Path(dir_okay=False), help="write links, unmatched and summary here")
    @click.option("--solver", type=click.Choice(["ortools", "networkx"]), default=None)
    @click.option("--cap", type=int, default=None, help="candidates kept per listing (0 = all)")
    @_guarded
    def match_cmd(json_path: str | None, solver: str | None, cap: int | None) -> None:
        """Run the matcher over all active listings and store the proposed links."""
        from exchange.services.matching import run_match

        run, result = run_match(solver=solver, cap=None if cap is None else (cap or 0))
        st = result.stats
        wall = st["materials_seconds"]
        click.echo(f"match run {run.id}: {len(result.links)} link(s), {len(result.unmatched)} listing(s) left "
                   f"(partly) unmatched; candidates {st['candidates']}, {st.get('match_seconds', wall):.2f} s")
        rest = st.get("match_seconds", 0) - wall
        click.echo(f"seconds: load {st.get('load_seconds', 0):.2f}, materials {wall:.2f} (candidates "
                   f"{st['candidate_seconds']:.2f}, solve {st['solve_seconds']:.2f}, links {st['links_seconds']:.2f}, "
                   f"summed over the materials' jobs on {st['processes']} process(es); links stored meanwhile "
                   f"{st.get('stored_while_matching_seconds', 0):.2f}), merge {max(rest, 0):.2f}, "
                   f"store {st.get('store_seconds', 0):.2f}")
        _print_summary(result.summary)
        if json_path:
            with open(json_path, "w", encoding="utf-8") as fh:
                json.dump(result.as_dict(), fh, ensure_ascii=False, indent=1)
            click.echo(f"wrote {json_path}")

    @app.cli.command("seed-demo")
    @click.option("--match/--no-match", "run", default=True, help="run the matcher after loading")
    @click.option("--if-empty", is_flag=True, help="do nothing when listings are already stored")
    @click.option("--accounts/--no-accounts", default=True,
                  help="create the demo logins (development only; never in production)")
    @_guarded
    def seed_demo_cmd(run: bool, if_empty: bool, accounts: bool) -> None:
        """Load the Shandong demo scenario built from real plants (idempotent), and demo logins."""
        from exchange.persistence import repositories as repo
        from exchange.services.seed import seed_demo

        if if_empty and repo.count_listings():
            click.echo("listings already stored: demo not loaded (drop --if-empty to reload it)")
        else:
            report = seed_demo()
            click.echo(f"demo loaded: {report.total} listing(s) ({report.created} new, {report.updated} updated)")
            if run:
                from exchange.services.matching import run_match

                _, result = run_match()
                click.echo(f"matched: {len(result.links)} link(s)")
                _print_summary(result.summary)
        if accounts:
            _demo_accounts()

    def _demo_accounts() -> None:
        from exchange.services.demo_accounts import DEMO_PASSWORD, seed_demo_accounts

        if app.config["EXCHANGE_ENV"] == "production":
            click.echo("EXCHANGE_ENV=production: no demo logins created (they have published passwords); "
                       "use create-user")
            return
        made = seed_demo_accounts()
        created = [a for a in made if a.created]
        click.echo("")
        click.echo(f"demo logins (development only; password for each: {DEMO_PASSWORD}):"
                   if created else "demo logins (already there; documented password unless changed: "
                                   f"{DEMO_PASSWORD}):")
        for a in made:
            click.echo(f"  {a.email:<34} {a.role:<13} {a.what}" + ("" if a.created else "  (existing)"))

    @app.cli.command("check-db")
    def check_db() -> None:
        """Exit 0 when the database answers (boot.sh waits on this); prints its migration."""
        from exchange.services.health import database_revision, head_revision, safe_url

        url = safe_url(app.config["SQLALCHEMY_DATABASE_URI"])
        try:
            have = database_revision()
        except Exception as exc:  # noqa: BLE001 - any failure to connect is the answer
            _fail(f"database {url} does not answer: {type(exc).__name__}: {str(exc).strip().splitlines()[0][:300]}")
        want = head_revision()
        click.echo(f"database answers: {url}; schema at {have or 'none'}"
                   + ("" if have == want else f" (this code needs {want}: run `flask --app wsgi db upgrade "
                                              f"-d exchange/migrations`)"))

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="quit when the queue is empty")
    @click.option("--simple", is_flag=True, help="run jobs in this process (no fork); for debugging")
    def worker_cmd(burst: bool, simple: bool) -> None:
        """Run the job-queue worker for match runs (RQ on REDIS_URL, queue RQ_QUEUE)."""
        from exchange.services.jobs import work

        if not app.config.get("REDIS_URL"):
            _fail("REDIS_URL is not set: match runs then run in a thread of the web process and need no worker; "
                  "set REDIS_URL=redis://host:6379/0 on the web app and the worker to use the queue")
        click.echo(f"worker for queue {app.config['RQ_QUEUE']} on {_redis_label(app.config['REDIS_URL'])}")
        work(app, burst=burst, simple=simple)

    @app.cli.command("gaps")
    @click.option("--park", default=None, help="only the gaps of this park (key)")
    @click.option("--limit", type=int, default=20, show_default=True, help="how many to print")
    @click.option("--json", "json_path", type=click.Path(dir_okay=False), help="write every gap here as JSON")
    @_guarded
    def gaps_cmd(park: str | None, limit: int, json_path: str | None) -> None:
        """What enterprise to attract: the latest run's unmatched surplus and demand, ranked by benefit."""
        from exchange.services.matching import latest_gaps

        run, found = latest_gaps(park)
        click.echo(f"match run {run.id} ({run.park or 'whole province'}): {len(found)} gap(s), best first")
        click.echo(f"{'#':>3} {'attract':<7} {'material':<11}{'park':<17}{'quantity':>14} {'unit':<7}"
                   f"{'RMB/yr':>14}{'CO2 t/yr':>11}  requirement; typical enterprises")
        for i, g in enumerate(found[:limit], 1):
            click.echo(f"{i:>3} {g['attract']:<7} {g['material']:<11}{str(g.get('park') or '-'):<17}"
                       f"{g['quantity']:>14,.0f} {g['unit']:<7}{g['benefit_rmb_per_yr']:>14,.0f}"
                       f"{g['co2_t_per_yr']:>11,.0f}  {g['requirement']}; {', '.join(g.get('kinds') or [])}")
        if json_path:
            with open(json_path, "w", encoding="utf-8") as fh:
                json.dump({"match_run": run.id, "park": park, "gaps": found}, fh, ensure_ascii=False, indent=1)
            click.echo(f"wrote {json_path}")

    @app.cli.command("create-user")
    @click.argument("email")
    @click.option("--org", "org", required=True, help="organisation name (created if it does not exist)")
    @click.option("--role", type=click.Choice(["member", "park_manager", "admin"]), default="member",
                  show_default=True)
    @click.option("--park", default=None, help="park key or name (required for park_manager)")
    @click.option("--password", default=None, help="login password; omit for an API-only account, or use "
                                                    "--ask-password")
    @click.option("--ask-password", is_flag=True, help="prompt for the password (not echoed)")
    @_guarded
    def create_user_cmd(email: str, org: str, role: str, park: str | None, password: str | None,
                        ask_password: bool) -> None:
        """Create a user (and the organisation if new); prints a new API token as the last line."""
        from exchange.services.accounts import create_user

        if ask_password:
            password = click.prompt("password", hide_input=True, confirmation_prompt=True)
        user, token = create_user(email, password, org, role, park)
        click.echo(f"created {user.role} {user.email} of {user.organisation.name}"
                   + (f" (park {user.park})" if user.park else "")
                   + ("" if password else "; no password: API token only"))
        click.echo(token)

    @app.cli.command("export-template")
    @click.argument("path", type=click.Path(dir_okay=False))
    def export_template(path: str) -> None:
        """Write an import template; the format follows the extension (.csv, .xlsx, .json, .geojson)."""
        from exchange.services import import_formats as f

        ext = os.path.splitext(path)[1].lower()
        makers = {".csv": f.template_csv, ".xlsx": f.template_xlsx, ".json": f.template_json,
                  ".geojson": f.template_geojson}
        if ext not in makers:
            _fail(f"unknown template format {ext or '(none)'}: use .csv, .xlsx, .json or .geojson")
        with open(path, "wb") as fh:
            fh.write(makers[ext]())
        click.echo(f"wrote {path}")

"""gunicorn settings: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Every value can be changed with an environment variable of the same name in
upper case with a ``GUNICORN_`` prefix (``GUNICORN_WORKERS=4``).

Logs: one JSON object per line on stdout, like the app's (``exchange.logs``):
gunicorn's own messages as ``{"time", "level", "logger", "message"}`` and one
access line per request with its ``request_id`` (the ``X-Request-ID`` the app
answers with), so an access line and the app's lines of one request join up.
"""

import json
import logging
import multiprocessing
import os
from datetime import datetime, timezone

from gunicorn.glogging import Logger


def _env(name: str, default: str) -> str:
    return os.environ.get(f"GUNICORN_{name.upper()}", default)


bind = _env("bind", "127.0.0.1:8000")
# CPU-bound matching runs in the job queue (or a background thread), so web workers mostly wait on the database
workers = int(_env("workers", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(_env("threads", "2"))
worker_class = "gthread"
# a request that takes longer is killed: match runs never do (they wait at most MATCH_RUN_WAIT, 10 s)
timeout = int(_env("timeout", "60"))
graceful_timeout = int(_env("graceful_timeout", "30"))
keepalive = int(_env("keepalive", "5"))
max_requests = int(_env("max_requests", "2000"))
max_requests_jitter = int(_env("max_requests_jitter", "200"))
# the workers' heartbeat files in memory, not on a (possibly slow, container) disk
worker_tmp_dir = _env("worker_tmp_dir", "/dev/shm" if os.path.isdir("/dev/shm") else "") or None  # noqa: S108
# logs to stdout: the service manager (systemd journal, docker) keeps them
accesslog = _env("accesslog", "-") or None  # GUNICORN_ACCESSLOG= (empty) turns it off
errorlog = "-"
loglevel = _env("loglevel", "info")
forwarded_allow_ips = _env("forwarded_allow_ips", "127.0.0.1")
# gunicorn's control socket (gunicornc) is off unless a path is given: several instances on one host
# would otherwise share $HOME/.gunicorn/gunicorn.ctl
control_socket = _env("control_socket", "")
control_socket_disable = not control_socket
# the app is created in each worker (no preload): forked workers share no database connections
preload_app = False


class JsonLogger(Logger):
    """gunicorn's logger writing JSON lines (error log through the app's formatter, access log as objects)."""

    def setup(self, cfg):  # type: ignore[no-untyped-def]
        super().setup(cfg)
        from exchange.logs import JsonFormatter

        for h in self.error_log.handlers:
            h.setFormatter(JsonFormatter())
        for h in self.access_log.handlers:
            h.setFormatter(logging.Formatter("%(message)s"))

    def access(self, resp, req, environ, request_time):  # type: ignore[no-untyped-def]
        if not self.access_log_enabled:
            return
        a = self.atoms(resp, req, environ, request_time)
        line = {
            "time": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": "INFO", "logger": "gunicorn.access",
            "remote": a.get("h"), "method": a.get("m"), "path": a.get("U"), "query": a.get("q") or None,
            "status": int(a["s"]) if str(a.get("s", "")).isdigit() else a.get("s"),
            "bytes": a.get("B"), "ms": round(request_time.total_seconds() * 1000, 1),
            "agent": a.get("a"), "request_id": a.get("{x-request-id}o"), "pid": a.get("p"),
        }
        try:
            self.access_log.info(json.dumps(line, ensure_ascii=False, default=str))
        except Exception:  # noqa: BLE001 - a log line must never fail a request
            self.error("cannot write the access log line")


logger_class = JsonLogger

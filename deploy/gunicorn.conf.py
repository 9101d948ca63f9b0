"""gunicorn settings: ``gunicorn -c deploy/gunicorn.conf.py wsgi:app``.

Every value can be changed with an environment variable of the same name in
upper case with a ``GUNICORN_`` prefix (``GUNICORN_WORKERS=4``).
"""

import multiprocessing
import os


def _env(name: str, default: str) -> str:
    return os.environ.get(f"GUNICORN_{name.upper()}", default)


bind = _env("bind", "127.0.0.1:8000")
# CPU-bound matching runs in the job queue, so web workers mostly wait on the database
workers = int(_env("workers", str(multiprocessing.cpu_count() * 2 + 1)))
threads = int(_env("threads", "2"))
worker_class = "gthread"
timeout = int(_env("timeout", "60"))
graceful_timeout = int(_env("graceful_timeout", "30"))
keepalive = int(_env("keepalive", "5"))
max_requests = int(_env("max_requests", "2000"))
max_requests_jitter = int(_env("max_requests_jitter", "200"))
# logs to stdout/stderr: the service manager (systemd journal, docker) keeps them
accesslog = "-"
errorlog = "-"
loglevel = _env("loglevel", "info")
access_log_format = '{"remote": "%(h)s", "request": "%(r)s", "status": %(s)s, "bytes": %(B)s, "ms": %(M)s, "agent": "%(a)s"}'
forwarded_allow_ips = _env("forwarded_allow_ips", "127.0.0.1")
# the app is created in each worker (no preload): forked workers share no database connections
preload_app = False

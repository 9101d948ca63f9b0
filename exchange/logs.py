"""Structured logs: one JSON object per line on stdout, each tagged with its request id.

``LOG_FORMAT=json`` (the default in production) puts one handler on the root
logger that writes lines such as::

    {"time": "2026-11-21T04:30:00.123Z", "level": "INFO", "logger": "exchange.jobs",
     "message": "match run 12 done", "request_id": "5f0c...", "run_id": 12}

Fields passed with ``extra={...}`` become keys of the object; an exception adds
``exc_type`` and ``exc`` (the traceback). The request id is the incoming
``X-Request-ID`` header when it looks like one (nginx sends ``$request_id``),
else a new random one; every response carries it back as ``X-Request-ID`` and
gunicorn's access log (``deploy/gunicorn.conf.py``) prints it, so an access
line and the application's lines of one request can be joined.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import datetime, timezone
from typing import Any

from flask import Flask, g, has_request_context, request

REQUEST_ID_HEADER = "X-Request-ID"
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{8,128}$")
#: attributes every LogRecord has; anything else on a record came in through ``extra``
_STANDARD = frozenset(vars(logging.LogRecord("x", logging.INFO, "x", 0, "", None, None))) | {"message", "asctime",
                                                                                             "taskName"}


def request_id() -> str | None:
    """The current request's id (None outside a request)."""
    if not has_request_context():
        return None
    rid = g.get("request_id")
    if rid is None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        rid = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        g.request_id = rid
    return str(rid)


class JsonFormatter(logging.Formatter):
    """A log record as one line of JSON (UTC time, level, logger, message, request id, extras).

    >>> rec = logging.LogRecord("exchange", logging.WARNING, __file__, 1, "run %s failed", (7,), None)
    >>> line = json.loads(JsonFormatter().format(rec))
    >>> line["level"], line["logger"], line["message"]
    ('WARNING', 'exchange', 'run 7 failed')
    """

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        rid = request_id()
        if rid:
            out["request_id"] = rid
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc_type"] = record.exc_info[0].__name__ if record.exc_info[0] else None
            out["exc"] = self.formatException(record.exc_info)
        if record.stack_info:
            out["stack"] = self.formatStack(record.stack_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class StdoutHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stdout`` is at the time (so a test's capture sees it too)."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property  # type: ignore[override]
    def stream(self) -> Any:
        return sys.stdout

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def install_json_logging(level: str = "INFO") -> logging.Handler:
    """Put the one JSON handler on the root logger (replacing an earlier one); returns it."""
    root = logging.getLogger()
    for h in list(root.handlers):
        if getattr(h, "_exchange_json", False):
            root.removeHandler(h)
    handler = StdoutHandler()
    handler.setFormatter(JsonFormatter())
    handler._exchange_json = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(level.upper())
    return handler


def init_logging(app: Flask) -> None:
    """JSON logs when ``LOG_FORMAT`` is ``json``; the request id on every response either way."""
    if app.config["LOG_FORMAT"] == "json":
        install_json_logging(app.config.get("LOG_LEVEL") or "INFO")
        # Flask's own handler would print the same record a second time, as text
        from flask.logging import default_handler

        app.logger.removeHandler(default_handler)

    @app.after_request
    def _tag_response(response: Any) -> Any:
        rid = request_id()
        if rid:
            response.headers[REQUEST_ID_HEADER] = rid
        return response

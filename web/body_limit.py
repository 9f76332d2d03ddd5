"""Request body limits: one mechanism for every face, chunked bodies included.

Each request may carry at most its face's limit: the blueprint's, declared with `allow`
where the face registers (station API 256 KB, webhook 64 KB), else MAX_CONTENT_LENGTH
(the cashier page, and anything added later). Flask 3.1 reads `request.max_content_length`
and Werkzeug 3.1 refuses a Content-Length above it before a byte is read (413).

For a chunked body Werkzeug's LimitedStream stops at the limit but, read with `read()`,
returns the first `limit` bytes as if they were the whole body (werkzeug/wsgi.py,
LimitedStream.readall): a truncated body, not a 413. `Request.stream` below reads one
byte past the limit instead and refuses the body there, so no view ever gets a cut body
and the server never reads more than limit + 1 bytes. Each face renders the 413
(RequestEntityTooLarge) in its own shape.
"""
from __future__ import annotations

from flask import Flask, Request as FlaskRequest, current_app
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.utils import cached_property
from werkzeug.wsgi import LimitedStream


class _Capped(LimitedStream):
    """A chunked body's stream: refuses the body once it passes `limit`. It reads up to
    one byte more, to tell a body of exactly `limit` bytes from a longer one."""

    def __init__(self, stream, limit: int):
        super().__init__(stream, limit + 1, is_max=True)

    def readinto(self, b) -> int | None:
        n = super().readinto(b)
        if self._pos >= self.limit:
            raise RequestEntityTooLarge()
        return n


class Request(FlaskRequest):
    """Flask's request with a per-face body limit that holds for chunked bodies too."""

    @property
    def max_content_length(self) -> int | None:
        if self._max_content_length is not None:  # set by a view for itself (Flask 3.1)
            return self._max_content_length
        if not current_app:
            return super().max_content_length
        limits = current_app.extensions.get("body_limits", {})
        return limits.get(self.blueprint, current_app.config["MAX_CONTENT_LENGTH"])

    @max_content_length.setter
    def max_content_length(self, value: int | None) -> None:
        self._max_content_length = value

    @cached_property
    def stream(self):
        limit = self.max_content_length
        if limit is None or self.content_length is not None or "wsgi.input_terminated" not in self.environ:
            return super().stream  # a Content-Length: checked up front, then read to exactly that
        return _Capped(self.environ["wsgi.input"], limit)


def init_app(app: Flask) -> None:
    app.request_class = Request
    app.extensions.setdefault("body_limits", {})


def allow(app: Flask, blueprint_name: str, max_bytes: int) -> None:
    """Requests routed to that blueprint may carry bodies up to max_bytes."""
    app.extensions.setdefault("body_limits", {})[blueprint_name] = max_bytes

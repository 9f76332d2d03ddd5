"""RQ jobs. Jobs take ids and plain values, never ORM objects.

A job runs inside an app context: the caller's when there is one (tests, and enqueue
from a web process running a job in-line), else this worker process's app, built once
on first use (never one app per job).
"""
from __future__ import annotations

import functools

from flask import Flask, current_app, has_app_context
from rq import Queue

from extensions import get_redis

_worker_app: Flask | None = None


def queue(name: str = "default") -> Queue:
    return Queue(name, connection=get_redis())


def worker_app() -> Flask:
    global _worker_app
    if _worker_app is None:
        from app import create_app
        _worker_app = create_app()
    return _worker_app


def in_app_context(fn):
    """Run the job inside an app context (see the module docstring)."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        if has_app_context():
            return fn(*args, **kwargs)
        with worker_app().app_context():
            return fn(*args, **kwargs)
    return wrapper


__all__ = ["queue", "in_app_context", "worker_app", "current_app"]

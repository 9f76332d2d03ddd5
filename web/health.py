"""GET /healthz: is the database reachable, is Redis reachable."""
from flask import Blueprint, jsonify
from sqlalchemy import text

from extensions import db, get_redis

bp = Blueprint("health", __name__)


def _check(probe) -> str:
    try:
        probe()
        return "ok"
    except Exception as exc:  # any failure means "down"; the reason goes in the body
        return f"down: {type(exc).__name__}"


@bp.get("/healthz")
def healthz():
    status = {
        "database": _check(lambda: db.session.execute(text("SELECT 1"))),
        "redis": _check(lambda: get_redis().ping()),
    }
    ok = all(v == "ok" for v in status.values())
    return jsonify(status=("ok" if ok else "down"), **status), (200 if ok else 503)

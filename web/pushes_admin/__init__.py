"""The operators' view of pushes, for HQ admins (role hq_admin, through the staff login
of web/cashier): the delivery log filtered by member, kind and outcome at /admin/pushes,
and the RQ queues at /admin/queues (rq-dashboard, mounted behind the same guard, its
delete actions off). A small blueprint of its own, to be folded into the /admin console.
"""
from __future__ import annotations

import functools

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, request, url_for

bp = Blueprint("pushes_admin", __name__, url_prefix="/admin/pushes")
ROLE = "hq_admin"


def hq_admin_required() -> object | None:
    """None when an active HQ admin is logged in; else the redirect to the login, or 403."""
    from web.cashier.auth import current_staff
    staff = current_staff()
    if staff is None:
        return redirect(url_for("cashier.login", next=request.full_path.rstrip("?")))
    if staff.role != ROLE:
        abort(403)
    return None


def guarded(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        return hq_admin_required() or view(*args, **kwargs)
    return wrapper


@bp.get("")
@guarded
def log_page():
    from loyalty.errors import ValidationError
    from loyalty.notices import log
    from loyalty.notices.kinds import Kind
    from loyalty.people.members import normalise_phone
    from models.delivery import OUTCOMES
    phone = (request.args.get("phone") or "").strip() or None
    kind = request.args.get("kind") or None
    outcome = request.args.get("outcome") or None
    error = None
    if phone is not None:
        try:
            phone = normalise_phone(phone)
        except ValidationError:
            error, phone = "手机号格式不正确", None
    if kind not in (None, *[k.value for k in Kind]) or outcome not in (None, *OUTCOMES):
        abort(400)
    entries = [] if error else log.entries(phone=phone, kind=kind, outcome=outcome, last=200)
    return render_template("pushes_admin/log.html", entries=list(reversed(entries)), kinds=[k.value for k in Kind],
                           outcomes=OUTCOMES, chosen={"kind": kind, "outcome": outcome}, error=error,
                           queues=queue_counts())


def queue_counts() -> dict:
    """The notify queue at a glance: waiting, running, failed, deferred jobs."""
    from jobs.notify import notify_queue
    q = notify_queue()
    return {"waiting": q.count, "running": q.started_job_registry.count, "failed": q.failed_job_registry.count,
            "scheduled": q.scheduled_job_registry.count}


def init_app(app: Flask) -> None:
    import rq_dashboard
    app.register_blueprint(bp)
    app.config.setdefault("RQ_DASHBOARD_DISABLE_DELETE", True)
    app.register_blueprint(rq_dashboard.blueprint, url_prefix="/admin/queues")

    @app.before_request
    def _queues_guard():
        if request.blueprint != "rq_dashboard":
            return None
        denied = hq_admin_required()
        if denied is not None:
            return denied
        if request.method not in ("GET", "HEAD"):
            from web.csrf import same_origin
            if not same_origin():
                abort(403)
        if not hasattr(current_app, "redis_conn"):
            from extensions import get_redis
            get_redis()  # resolves REDIS_URL (the embedded server's socket when unset)
            current_app.config["RQ_DASHBOARD_REDIS_URL"] = current_app.config["REDIS_URL"]
            rq_dashboard.web.setup_rq_connection(current_app)
        return None

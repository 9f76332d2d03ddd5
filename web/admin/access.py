"""Who may open which console page, written once as decorators.

`console_page` lets in HQ admins and station managers (a cashier gets 403, nobody logged
in goes to the login page and back); `hq_page` HQ admins only. Every POST must carry the
session's CSRF token from the same origin (web/csrf.py), or it is refused with 400.
What a station manager sees inside a page is narrowed by loyalty.people.staff_scope.
"""
from __future__ import annotations

import functools

from flask import abort, redirect, render_template, request, url_for

from loyalty.people.staff_scope import CONSOLE_ROLES
from web.csrf import csrf_ok, same_origin
from web.staff_login import current_staff


def _guard(roles: tuple[str, ...]):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            staff = current_staff()
            if staff is None:
                return redirect(url_for("cashier.login", next=request.full_path.rstrip("?")))
            if staff.role not in roles:
                return render_template("admin/error.html", message="您的账号无权打开此页面", status=403), 403
            if request.method == "POST" and not (same_origin() and csrf_ok(request.form.get("csrf_token"))):
                abort(400, description="页面已过期，请刷新后重试")
            return view(*args, **kwargs)
        return wrapper
    return decorator


console_page = _guard(CONSOLE_ROLES)
hq_page = _guard(("hq_admin",))

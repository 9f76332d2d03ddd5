"""The cashier's pages: login, logout, and the till screen (its work is done by api.py)."""
from __future__ import annotations

import logging
import math

from flask import redirect, render_template, request, url_for

from loyalty.people import staff as staff_rules
from web.cashier import auth, bp
from web.cashier.api import PAY_METHODS
from web.cashier.lines import price_board, shop_categories

log = logging.getLogger("youka.cashier")


@bp.get("/login")
def login():
    if auth.current_staff() is not None:
        return redirect(auth.safe_next(request.args.get("next")))
    return render_template("cashier/login.html", csrf=auth.csrf_token(), next=request.args.get("next", ""))


@bp.post("/login")
def login_post():
    username = staff_rules.normalise_username(request.form.get("username"))
    next_url = request.form.get("next", "")

    def refuse(message: str, status: int):
        return render_template("cashier/login.html", csrf=auth.csrf_token(), next=next_url,
                               username=username, error=message), status

    if not auth.same_origin() or not auth.csrf_ok(request.form.get("csrf_token")):
        return refuse("页面已过期，请重新登录", 400)
    # Counted before the password is checked, atomically: parallel guesses cannot all
    # slip through, and a locked-out guesser learns nothing more, not even a right password.
    wait = auth.login_attempt(username)
    if wait:
        body, status = refuse(f"登录失败次数过多，请 {math.ceil(wait / 60)} 分钟后再试", 429)
        return body, status, {"Retry-After": str(wait)}
    staff = staff_rules.authenticate(username, request.form.get("password", ""))
    if staff is None:
        log.info("cashier login failed for %r from %s", username, request.remote_addr)
        return refuse("用户名或密码错误", 401)
    auth.login_succeeded(username)
    auth.log_in(staff)
    log.info("cashier login: %s (%s)", staff.username, staff.role)
    return redirect(auth.safe_next(next_url))


@bp.post("/logout")
def logout():
    auth.require_form_csrf()
    auth.log_out()
    return redirect(url_for("cashier.login"))


@bp.get("/")
@auth.page_login_required
def screen():
    staff = auth.current_staff()
    stations = staff_rules.stations_for(staff)
    if not stations:
        return render_template("cashier/no_station.html", staff=staff, csrf=auth.csrf_token()), 403
    # HQ chooses with ?station=; everyone else always gets their own station.
    wanted = request.args.get("station")
    station = next((s for s in stations if s.code == wanted), stations[0])
    return render_template("cashier/screen.html", staff=staff, role=staff_rules.ROLE_NAMES[staff.role],
                           station=station, stations=stations, grades=price_board(station),
                           categories=shop_categories(), pay_methods=PAY_METHODS, csrf=auth.csrf_token())

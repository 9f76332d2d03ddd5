"""The writes of the H5 pages: redeem a reward, fill in the profile, choose push
categories. Each is a form post with the session's CSRF token (auth.member_write), one
transaction, then a redirect (so a reload does not post again)."""
from __future__ import annotations

import re

from flask import redirect, request, url_for

from extensions import db
from loyalty.benefits import rewards
from loyalty.errors import LoyaltyError
from loyalty.people import profile as profile_rules
from models import Member
from models.push_preference import PUSH_CATEGORIES
from web.h5 import bp
from web.h5.auth import member_write
from web.h5.pages import profile_page, rewards_page

# Business errors a member can cause; anything else is a conflict with the state.
STATUS = {"validation_error": 400, "not_found": 404, "not_allowed": 403}
_KEY = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
_ITEM = re.compile(r"^[A-Za-z0-9_]{1,32}$")


@bp.post("/rewards/redeem")
@member_write
def redeem(member: Member):
    item_code, sent_key = request.form.get("item", ""), request.form.get("request_key", "")
    if not _ITEM.match(item_code) or not _KEY.match(sent_key):
        return rewards_page(member, error="请求无效，请刷新页面后重试", status=400)
    # The page's key, scoped to the member: one member's key can never replay another's.
    key = f"h5:{member.id}:{sent_key}"
    try:
        # run_once: a second post of the form (a double tap, a racing twin) answers with the first.
        redemption = rewards.redeem_once(member, item_code, key=key).result
    except LoyaltyError as exc:
        return rewards_page(member, error=exc.message, status=STATUS.get(exc.code, 409))
    return redirect(url_for("h5.redemption_detail", redemption_id=redemption.id), 303)


@bp.post("/profile")
@member_write
def profile_save(member: Member):
    values = {name: request.form.get(name, "") for name in profile_rules.PROFILE_FIELDS}
    try:
        profile_rules.set_profile(member, values)
        db.session.commit()
    except LoyaltyError as exc:
        db.session.rollback()
        return profile_page(member, error=exc.message, status=400)
    return redirect(url_for("h5.profile", saved=1), 303)


@bp.post("/profile/notices")
@member_write
def notices_save(member: Member):
    profile_rules.set_push_preferences(member, {name: request.form.get(name) == "1" for name in PUSH_CATEGORIES})
    db.session.commit()
    return redirect(url_for("h5.profile", saved=1), 303)

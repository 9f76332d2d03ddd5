"""The e-card: a fresh member code as JSON (the page's script asks every H5_ECARD_REFRESH
seconds) and as a QR image. Codes are issued on the "h5" device, so a new one supersedes
the page's previous code (a screenshot of it is worthless) but not the chat's."""
from __future__ import annotations

from datetime import datetime, timezone

from flask import Response, current_app, render_template, request, url_for

from loyalty.qr_png import qr_png
from loyalty.till import member_codes
from models import Member
from loyalty import rate_limit
from web.h5 import bp
from web.h5.auth import api_error, member_json, member_page

DEVICE = "h5"


def fresh_code(member: Member) -> tuple[dict | None, int]:
    """A new code for the page as the JSON the script reads, or (None, seconds to wait)
    when the member asked more than H5_CODE_RATE_LIMIT allows."""
    config = current_app.config
    wait = rate_limit.hit("h5-code", config["H5_CODE_RATE_LIMIT"], str(member.id))
    if wait:
        return None, wait
    issued = member_codes.issue(member, DEVICE)
    expires_in = max(0, int((issued.expires_at - datetime.now(timezone.utc)).total_seconds()))
    refresh_in = max(1, min(int(config["H5_ECARD_REFRESH"]), expires_in))
    return {"code": issued.code, "expires_in": expires_in, "refresh_in": refresh_in,
            "grouped": member_codes.grouped(issued.code), "qr": url_for("h5.ecard_qr", code=issued.code)}, 0


@bp.get("/ecard")
@member_page
def ecard(member: Member):
    card, wait = fresh_code(member)
    return render_template("h5/ecard.html", member=member, card=card, wait=wait), 200 if card else 429


@bp.get("/ecard/code")
@member_json
def ecard_code(member: Member):
    card, wait = fresh_code(member)
    if card is None:
        body, status = api_error("rate_limited", "刷新太频繁，请稍后再试", 429)
        return body, status, {"Retry-After": str(wait)}
    return card


@bp.get("/ecard/qr.png")
@member_json
def ecard_qr(member: Member):
    # Only a code of this member's: the endpoint must not draw anyone else's code (or be a
    # free QR generator). An invalid, forged or someone else's code is the same 404.
    code = request.args.get("code", "")
    if member_codes.member_id_of(code) != member.id:
        return api_error("not_found", "会员码无效", 404)
    return Response(qr_png(code), mimetype="image/png")

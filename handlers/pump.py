"""A scan of the QR code on a pump (scene pump:<station>:<nozzle>): attach the member to
that nozzle for a few minutes, so the next sale there is theirs, and send the e-card.

The passive reply is the member code as a QR image (uploaded as temporary media); the
numeric code follows as a customer-service message, which WeChat allows right after a
scan. When the upload fails the reply is the text with the numeric code instead.
A first-time follower arrives as a subscribe event carrying the scene: they are
recorded as a follower here too, as handlers/follow.py would.
"""
from __future__ import annotations

import io
import logging

from flask import current_app, render_template

from bot.replies import Image, Text
from bot.router import Turn, router
from bot.wechat import get_client
from bot.wechat_http import WeChatAPIError
from handlers import follow, texts
from loyalty.till import member_codes, nozzles
from loyalty.errors import NotFound
from loyalty.people.bindings import member_by_openid
from loyalty.till.sales import station_by_code

log = logging.getLogger("youka.handlers.pump")


@router.scan(nozzles.SCENE_PREFIX)
def pump_scan(turn: Turn):
    welcome = follow.subscribe(turn) + "\n\n" if turn.msg.event == "subscribe" else ""
    where = nozzles.parse_scene(turn.msg.scene)
    try:
        station = station_by_code(where[0]) if where else None
    except NotFound:
        station = None
    if station is None:
        return welcome + texts.render("pump_unknown")
    member = member_by_openid(turn.openid)
    if member is None:
        return welcome + texts.render("pump_unbound")
    nozzle = where[1]
    ttl = nozzles.attach(station.code, nozzle, member)
    code = member_codes.issue(member, device="wechat")
    text = render_template("replies/pump_attached.txt", station=station.name, nozzle=nozzle, minutes=ttl // 60,
                           code=member_codes.grouped(code.code),
                           seconds=int(current_app.config["MEMBER_CODE_TTL"])).strip()
    log.info("member %s attached to %s nozzle %s", member.id, station.code, nozzle)
    try:
        media_id = get_client().upload_media("image", "ecard.png", io.BytesIO(code.qr_png()))
    except WeChatAPIError as exc:
        log.warning("e-card upload failed (%s); replying with the numeric code", exc)
        return welcome + text
    from jobs.wechat import enqueue_customer_message
    enqueue_customer_message(turn.openid, Text(welcome + text))
    return Image(media_id)

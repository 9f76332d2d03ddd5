"""The JSON the simulator page's script calls (static/simulator.js), and the media proxy.

    GET  /simulator/api/phones          the simulated phones, demo members to add, scenes
    POST /simulator/api/phones          a new phone ({name?, phone?}) or a demo member's ({openid})
    POST /simulator/api/send            {openid, text} | {openid, click} | {openid, event: follow |
                                        unfollow | pump | referral, scene?}: -> {reply: bubble | null}
    GET  /simulator/api/inbox?openid=   pushes the fake WeChat API recorded for the openid, and
                                        the console SMS to the phone's number
    GET  /simulator/media/<media_id>    an uploaded image, from the fake WeChat API
"""
from __future__ import annotations

import hashlib
import logging

import requests
from flask import Response, abort, jsonify, request
from sqlalchemy import select

from bot.channels import sms
from extensions import db
from loyalty.benefits import referral
from loyalty.errors import LoyaltyError
from loyalty.people.bindings import member_by_openid
from loyalty.till import nozzles
from models import Follower, Station
from web.simulator import bp, bubbles, phones, wechat

log = logging.getLogger("youka.simulator")
NOZZLES = [str(n) for n in range(1, 13)]  # as the cashier page's nozzle list


def _bad(message: str, status: int = 400):
    return jsonify(error={"code": "bad_request", "message": message}), status


def _body() -> dict:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _following(openid: str) -> bool:
    return bool(db.session.scalar(select(Follower.subscribed).where(Follower.openid == openid)))


def _phone_view(phone: dict) -> dict:
    member = member_by_openid(phone["openid"])
    return {**phone, "following": _following(phone["openid"]), "bound": member is not None,
            "member_phone": member.phone_masked if member else None,
            "phone_masked": phone["phone"][:3] + "****" + phone["phone"][-4:]}


@bp.get("/api/phones")
def list_phones():
    stations = db.session.execute(select(Station.code, Station.name).order_by(Station.code)).all()
    return jsonify(phones=[_phone_view(p) for p in phones.all_phones()],
                   demo_members=[{**m, "phone_masked": m["phone"][:3] + "****" + m["phone"][-4:]}
                                 for m in phones.demo_members()],
                   stations=[{"code": s.code, "name": s.name} for s in stations], nozzles=NOZZLES)


@bp.post("/api/phones")
def add_phone():
    body = _body()
    try:
        if body.get("openid"):
            found = next((m for m in phones.demo_members(200) if m["openid"] == body["openid"]), None)
            if found is None:
                return _bad("没有这个演示会员", 404)
            phone = phones.add_existing(found["openid"], found["phone"], f"{found['tier'] or '会员'} {found['phone'][-4:]}")
        else:
            phone = phones.create(body.get("name"), body.get("phone") or None)
    except LoyaltyError as exc:
        return _bad(exc.message)
    return jsonify(phone=_phone_view(phone))


def _scene_of(openid: str, body: dict) -> str | None:
    event = body.get("event")
    if event == "pump":
        try:
            return nozzles.scene(str(body.get("station") or ""), str(body.get("nozzle") or ""))
        except LoyaltyError:
            return None
    if event == "referral":
        referrer = member_by_openid(str(body.get("referrer") or ""))
        if referrer is None:
            return None
        scene = referral.scene(referral.code_of(referrer))
        db.session.commit()
        return scene
    return None


def _message_for(openid: str, body: dict) -> dict | None:
    """The message or event WeChat would send for what the page asked."""
    if isinstance(body.get("text"), str) and body["text"].strip():
        return {"text": body["text"][:600]}
    if isinstance(body.get("click"), str) and body["click"]:
        return {"event": "CLICK", "event_key": body["click"][:128]}
    event = body.get("event")
    if event == "follow":
        return {"event": "subscribe", "event_key": ""}
    if event == "unfollow":
        return {"event": "unsubscribe", "event_key": ""}
    if event in ("pump", "referral"):
        scene = _scene_of(openid, body)
        if scene is None:
            return None
        # A follower's scan is a SCAN event; someone not following follows by scanning.
        if _following(openid):
            return {"event": "SCAN", "event_key": scene, "extra": {"Ticket": "gQsimulator"}}
        return {"event": "subscribe", "event_key": "qrscene_" + scene, "extra": {"Ticket": "gQsimulator"}}
    return None


@bp.post("/api/send")
def send():
    body = _body()
    openid = body.get("openid")
    if not isinstance(openid, str) or phones.get(openid) is None:
        return _bad("没有这部手机", 404)
    message = _message_for(openid, body)
    if message is None:
        return _bad("不认识的消息或扫码")
    db.session.remove()  # the webhook writes in another request: read afresh after it
    try:
        xml = wechat.deliver(openid, **message)
    except requests.RequestException as exc:
        log.warning("the webhook did not answer the simulator: %s", exc)
        return _bad("公众号服务没有响应", 502)
    return jsonify(reply=bubbles.from_reply(xml), following=_following(openid),
                   bound=member_by_openid(openid) is not None)


def _sms_for(number: str) -> list[dict]:
    found = []
    for entry in sms.outbox(number, last=50):
        digest = hashlib.sha256(f"{entry['sent_at']}|{entry['text']}".encode()).hexdigest()[:16]
        found.append({"id": f"sms:{digest}", **bubbles.from_sms(entry)})
    return found


@bp.get("/api/inbox")
def inbox():
    openid = request.args.get("openid", "")
    phone = phones.get(openid)
    if phone is None:
        return _bad("没有这部手机", 404)
    try:
        recorded = wechat.recorded()
    except requests.RequestException as exc:
        log.warning("the fake WeChat API did not answer: %s", exc)
        return _bad("模拟微信服务器没有响应", 502)
    return jsonify(pushes=bubbles.pushes_for(recorded, openid), sms=_sms_for(phone["phone"]))


@bp.get("/media/<media_id>")
def media(media_id: str):
    found = wechat.media(media_id)
    if found is None:
        abort(404)
    content, mimetype = found
    return Response(content, mimetype=mimetype, headers={"Cache-Control": "private, max-age=600"})

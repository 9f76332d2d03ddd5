"""The webhook WeChat calls: GET to verify the server, POST for messages and events.

POST: size limit -> timestamp window -> signature -> (safe mode) msg_signature and
decryption -> parse -> dedup and dispatch (bot.dispatch) -> render -> (safe mode) encrypt.
Every refusal is a 4xx with nothing executed; no input reaches a 500.
"""
from __future__ import annotations

import re
import secrets
import time

from flask import Blueprint, Flask, Response, abort, current_app, request
from werkzeug.exceptions import RequestEntityTooLarge

from bot import dispatch, reply_cache
from bot.crypto import CryptoError, MessageCrypto, check_signature
from bot.messages import BadMessage, Message, parse_xml
from web import body_limit, sessions

MAX_BODY = 64 * 1024
_TIMESTAMP = re.compile(r"^[0-9]{1,12}$")  # ASCII: isdigit() takes "²", which int() refuses
bp = Blueprint("wechat", __name__)


def init_app(app: Flask) -> None:
    aes_key = app.config.get("WECHAT_AES_KEY")
    app.extensions["wechat_crypto"] = (
        MessageCrypto(app.config["WECHAT_TOKEN"], aes_key, app.config["WECHAT_APPID"]) if aes_key else None)
    dispatch.init_app(app)
    reply_cache.init_app(app)
    body_limit.allow(app, bp.name, MAX_BODY)
    sessions.skip(app, "/wechat")
    app.register_blueprint(bp)


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def _check_timestamp(timestamp: str) -> None:
    if not _TIMESTAMP.match(timestamp):
        abort(_text("bad timestamp", 403))
    window = current_app.config["WECHAT_REPLAY_WINDOW"]
    if window is not None and abs(time.time() - int(timestamp)) > window:
        abort(_text("stale timestamp", 403))


def _check_plain_signature() -> tuple[str, str]:
    timestamp = request.args.get("timestamp", "")
    nonce = request.args.get("nonce", "")
    _check_timestamp(timestamp)
    if not check_signature(request.args.get("signature"), current_app.config["WECHAT_TOKEN"], timestamp, nonce):
        abort(_text("invalid signature", 403))
    return timestamp, nonce


@bp.get("/wechat")
def verify():
    _check_plain_signature()
    return _text(request.args.get("echostr", ""))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    # Over MAX_BODY, chunked or not: refused while reading (web/body_limit.py), before the signature.
    return _text("message too large", 413)


@bp.post("/wechat")
def receive():
    body = request.get_data()
    timestamp, nonce = _check_plain_signature()
    crypto: MessageCrypto | None = current_app.extensions["wechat_crypto"]
    safe_mode = request.args.get("encrypt_type", "raw").lower() == "aes"
    try:
        if safe_mode:
            if crypto is None:
                abort(_text("safe mode is not configured", 400))
            encrypted = parse_xml(body).get("Encrypt", "")
            if not check_signature(request.args.get("msg_signature"), crypto.token, timestamp, nonce, encrypted):
                abort(_text("invalid msg_signature", 403))
            body = crypto.decrypt(encrypted).encode()
        msg = Message.from_xml(body)
    except BadMessage as exc:
        return _text(str(exc), 400)
    except CryptoError as exc:
        return _text(f"cannot decrypt: {exc}", 400)

    reply = dispatch.handle(msg)
    if reply is None:
        return _text("success")
    xml = reply.render(to=msg.openid, sender=msg.account)
    if safe_mode:
        xml = encrypt_reply(crypto, xml)
    return Response(xml, mimetype="application/xml")


def encrypt_reply(crypto: MessageCrypto, xml: str, timestamp: str | None = None, nonce: str | None = None) -> str:
    timestamp = timestamp or str(int(time.time()))
    nonce = nonce or secrets.token_hex(8)
    encrypted = crypto.encrypt(xml)
    sig = crypto.sign(timestamp, nonce, encrypted)
    return (f"<xml><Encrypt><![CDATA[{encrypted}]]></Encrypt><MsgSignature><![CDATA[{sig}]]></MsgSignature>"
            f"<TimeStamp>{timestamp}</TimeStamp><Nonce><![CDATA[{nonce}]]></Nonce></xml>")

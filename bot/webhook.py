"""The webhook WeChat calls: GET to verify the server, POST for messages and events.

POST: size limit -> timestamp window -> signature -> (safe mode) msg_signature and
decryption -> parse -> dedup and dispatch (bot.dispatch) -> render -> (safe mode) encrypt.
Every refusal is a 4xx with nothing executed; no input reaches a 500.
"""
from __future__ import annotations

import secrets
import time

from flask import Blueprint, Flask, Response, abort, current_app, request

from bot import dispatch
from bot.crypto import CryptoError, MessageCrypto, check_signature
from bot.messages import BadMessage, Message, parse_xml

MAX_BODY = 64 * 1024
bp = Blueprint("wechat", __name__)


def init_app(app: Flask) -> None:
    aes_key = app.config.get("WECHAT_AES_KEY")
    app.extensions["wechat_crypto"] = (
        MessageCrypto(app.config["WECHAT_TOKEN"], aes_key, app.config["WECHAT_APPID"]) if aes_key else None)
    dispatch.init_app(app)
    app.register_blueprint(bp)


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def _check_timestamp(timestamp: str) -> None:
    if not timestamp.isdigit():
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


def _read_body() -> bytes:
    if (request.content_length or 0) > MAX_BODY:
        abort(_text("message too large", 413))
    body = request.stream.read(MAX_BODY + 1)
    if len(body) > MAX_BODY:
        abort(_text("message too large", 413))
    return body


@bp.post("/wechat")
def receive():
    body = _read_body()
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

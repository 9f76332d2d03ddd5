"""The baseline for bench/webhook.py: POST /wechat in safe mode doing only the protocol
work every reply needs, and nothing of the member pipeline.

Per request: body size limit -> timestamp window -> signature -> msg_signature ->
decrypt -> parse -> a Text reply with the same content -> encrypt. No database, no
Redis, no dedup, no handler thread pool, no templates. It is a Flask app on purpose:
the real webhook runs in Flask too, so the ratio b/a measures what the pipeline adds
(dedup, dispatch, handler), not what the web framework costs.

Configured from the same env vars as the real app (WECHAT_TOKEN, WECHAT_APPID,
WECHAT_AES_KEY). Serve it with `gunicorn 'bench.echo_app:create_echo_app()'`.
"""
from __future__ import annotations

import time

from flask import Flask, Response, request

from bot.crypto import CryptoError, MessageCrypto, check_signature
from bot.messages import BadMessage, Message, parse_xml
from bot.replies import Text
from bot.webhook import MAX_BODY, encrypt_reply
from config import Config


def _text(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/plain")


def create_echo_app(config: Config | None = None) -> Flask:
    cfg = config or Config.from_env()
    if not cfg.WECHAT_AES_KEY:
        raise RuntimeError("the echo baseline serves safe mode only: set WECHAT_AES_KEY")
    crypto = MessageCrypto(cfg.WECHAT_TOKEN, cfg.WECHAT_AES_KEY, cfg.WECHAT_APPID)
    window = cfg.WECHAT_REPLAY_WINDOW
    app = Flask(__name__)

    def signed() -> tuple[str, str] | None:
        """(timestamp, nonce) when the query's plain signature is fresh and valid."""
        timestamp = request.args.get("timestamp", "")
        nonce = request.args.get("nonce", "")
        if not (timestamp.isascii() and timestamp.isdigit()) or abs(time.time() - int(timestamp)) > window:
            return None
        if not check_signature(request.args.get("signature"), crypto.token, timestamp, nonce):
            return None
        return timestamp, nonce

    @app.get("/wechat")
    def verify():
        if signed() is None:
            return _text("invalid signature", 403)
        return _text(request.args.get("echostr", ""))

    @app.post("/wechat")
    def echo():
        body = request.stream.read(MAX_BODY + 1)
        if len(body) > MAX_BODY:
            return _text("message too large", 413)
        checked = signed()
        if checked is None:
            return _text("invalid signature", 403)
        if request.args.get("encrypt_type", "raw").lower() != "aes":
            return _text("the echo baseline serves safe mode only", 400)
        try:
            encrypted = parse_xml(body).get("Encrypt", "")
            if not check_signature(request.args.get("msg_signature"), crypto.token, *checked, encrypted):
                return _text("invalid msg_signature", 403)
            msg = Message.from_xml(crypto.decrypt(encrypted).encode())
        except BadMessage as exc:
            return _text(str(exc), 400)
        except CryptoError as exc:
            return _text(f"cannot decrypt: {exc}", 400)
        xml = Text(msg.content).render(to=msg.openid, sender=msg.account)
        return Response(encrypt_reply(crypto, xml), mimetype="application/xml")

    return app

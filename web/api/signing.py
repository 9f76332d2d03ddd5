"""Station API request signing, shared by the server, the tests, the docs and the bench.

    X-Signature = hex(HMAC-SHA256(secret, METHOD \\n PATH_WITH_QUERY \\n TIMESTAMP \\n NONCE \\n SHA256_HEX(body)))

METHOD in upper case; PATH_WITH_QUERY as sent on the request line (e.g.
/api/v1/station/sales or /api/v1/station/sales/7); TIMESTAMP in unix seconds; the body's
SHA-256 in lower-case hex (of the empty string for a GET). This module has no Flask in
it, so a POS vendor can copy it as it is.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time

HEADERS = ("X-Station-Code", "X-Timestamp", "X-Nonce", "X-Signature")


def canonical(method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The string a request's signature covers."""
    return "\n".join([method.upper(), path_with_query, str(timestamp), nonce, hashlib.sha256(body).hexdigest()])


def sign(secret: str, method: str, path_with_query: str, timestamp: str, nonce: str, body: bytes) -> str:
    """The lower-case hex signature of a request."""
    message = canonical(method, path_with_query, timestamp, nonce, body).encode()
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def verify(secret: str, signature: str, method: str, path_with_query: str, timestamp: str, nonce: str,
           body: bytes) -> bool:
    """True when `signature` is the request's, compared in constant time."""
    expected = sign(secret, method, path_with_query, timestamp, nonce, body)
    # As bytes: compare_digest refuses a str with non-ASCII characters (TypeError), and a
    # header may carry any. Whole strings, so a prefix of the signature is no signature.
    return hmac.compare_digest(expected.encode(), (signature or "").lower().encode("utf-8", "replace"))


def signed_headers(station_code: str, secret: str, method: str, path_with_query: str, body: bytes = b"", *,
                   timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
    """The four headers of a signed request (a fresh nonce and the current time unless given)."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or secrets.token_hex(16)
    return {"X-Station-Code": station_code, "X-Timestamp": ts, "X-Nonce": nonce,
            "X-Signature": sign(secret, method, path_with_query, ts, nonce, body),
            **({"Content-Type": "application/json"} if body else {})}


def json_body(payload) -> bytes:
    """A payload as the bytes to send (and sign): compact UTF-8 JSON."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()

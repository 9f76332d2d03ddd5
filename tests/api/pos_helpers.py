"""Helpers of the station API tests: a signing POS terminal and small builders."""
from __future__ import annotations

import json

from web.api.signing import json_body, signed_headers

PREFIX = "/api/v1/station"


class Pos:
    """A station's POS: `post(path, payload)` and `get(path)` send signed requests."""

    def __init__(self, client, code: str, secret: str):
        self.client, self.code, self.secret = client, code, secret

    def request(self, method: str, path: str, payload=None, *, raw: bytes | None = None, **sign_kwargs):
        body = raw if raw is not None else (json_body(payload) if payload is not None else b"")
        full = PREFIX + path
        headers = signed_headers(self.code, self.secret, method, full, body, **sign_kwargs)
        return self.client.open(full, method=method, data=body, headers=headers)

    def post(self, path: str, payload=None, **kwargs):
        return self.request("POST", path, payload, **kwargs)

    def get(self, path: str, **kwargs):
        return self.request("GET", path, **kwargs)


def error_code(response) -> str:
    return response.get_json()["error"]["code"]


def fuel(litres="40.00", grade="92", price=765) -> dict:
    return {"kind": "fuel", "grade": grade, "litres": litres, "unit_price_fen": price}


def dumps(payload) -> str:
    return json.dumps(payload, ensure_ascii=False)

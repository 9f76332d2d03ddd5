"""Station authentication: signature, clock skew, nonces, replays."""
import time
from types import SimpleNamespace

import pytest
from api.pos_helpers import PREFIX, Pos, error_code, fuel

from extensions import db, get_redis
from loyalty.people.station_credentials import rotate_secret
from models import Sale
from web.api import auth
from web.api.signing import json_body, signed_headers


def resolve(pos, code, **kwargs):
    return pos.post("/member-codes/resolve", {"code": code}, **kwargs)


def test_a_signed_request_passes(pos, code):
    response = resolve(pos, code())
    assert response.status_code == 200, response.get_json()


def test_no_headers_no_entry(client, secrets_):
    response = client.post(PREFIX + "/member-codes/resolve", json={"code": "1"})
    assert response.status_code == 401 and error_code(response) == "invalid_signature"
    assert "X-Signature" in response.get_json()["error"]["message"]


@pytest.mark.parametrize("tamper", ["secret", "body", "path", "method", "station", "query", "signature",
                                    "signature cut by one", "signature's first 8", "signature plus one",
                                    "timestamp", "nonce"])
def test_anything_changed_after_signing_is_refused(client, secrets_, code, tamper):
    secret, body = secrets_["S001"], json_body({"code": code()})
    path, method, station = PREFIX + "/member-codes/resolve", "POST", "S001"
    headers = signed_headers(station, "not-the-secret" if tamper == "secret" else secret, method, path, body)
    if tamper == "body":
        body = body.replace(b'"code"', b' "code"')
    elif tamper == "path":
        path = PREFIX + "/sales/quote"
    elif tamper == "query":
        path += "?x=1"
    elif tamper == "method":
        headers = signed_headers(station, secret, "PUT", path, body)
    elif tamper == "station":
        headers["X-Station-Code"] = "S002"
    elif tamper == "signature":
        headers["X-Signature"] = headers["X-Signature"][:-1] + ("0" if headers["X-Signature"][-1] != "0" else "1")
    elif tamper == "signature cut by one":  # a check by prefix (startswith) would take these three
        headers["X-Signature"] = headers["X-Signature"][:-1]
    elif tamper == "signature's first 8":
        headers["X-Signature"] = headers["X-Signature"][:8]
    elif tamper == "signature plus one":
        headers["X-Signature"] += "0"
    elif tamper == "timestamp":  # one second earlier: still fresh, but not what was signed
        headers["X-Timestamp"] = str(int(headers["X-Timestamp"]) - 1)
    elif tamper == "nonce":
        headers["X-Nonce"] = headers["X-Nonce"][:-1] + ("0" if headers["X-Nonce"][-1] != "0" else "1")
    response = client.open(path, method=method, data=body, headers=headers)
    assert response.status_code == 401 and error_code(response) == "invalid_signature"


def test_unknown_station_and_station_without_secret_look_the_same(client, world, code):
    for station in ("S999", "S003"):  # S003 exists but was never given a secret
        response = Pos(client, station, "whatever").post("/member-codes/resolve", {"code": code()})
        assert response.status_code == 401 and error_code(response) == "invalid_signature"


def test_a_rotated_secret_stops_the_old_one_at_once(client, pos, code):
    assert resolve(pos, code()).status_code == 200
    new = rotate_secret("S001")
    assert error_code(resolve(pos, code())) == "invalid_signature"
    assert resolve(Pos(client, "S001", new), code()).status_code == 200


@pytest.mark.parametrize("skew, ok", [(-299, True), (299, True), (-301, False), (301, False), (-86400, False)])
def test_clock_skew_of_300_seconds(pos, code, skew, ok):
    response = resolve(pos, code(), timestamp=int(time.time()) + skew)
    assert (response.status_code == 200) if ok else (error_code(response) == "stale_timestamp")
    if not ok:
        assert response.status_code == 401


def test_a_replay_in_the_last_second_of_its_window_is_still_refused(pos, code, monkeypatch):
    # A timestamp is fresh from CLOCK_SKEW before it to CLOCK_SKEW after it by our clock:
    # signed 300 s ahead, first seen at t0, it is still fresh at t0 + 600.999 (whole seconds).
    # The nonce must outlive that: our clock is pinned, Redis's is moved on by as much.
    t0 = 1_800_000_000
    monkeypatch.setattr(auth, "time", SimpleNamespace(time=lambda: t0))
    stamp, nonce = t0 + auth.CLOCK_SKEW, "r" * 16
    assert resolve(pos, code(), timestamp=stamp, nonce=nonce).status_code == 200
    key = f"youka:nonce:S001:{nonce}"
    redis = get_redis()
    redis.pexpire(key, redis.pttl(key) - 600_999)  # 600.999 s pass (a key at or below 0 ms is gone)
    monkeypatch.setattr(auth, "time", SimpleNamespace(time=lambda: t0 + 600.999))
    replay = resolve(pos, code(), timestamp=stamp, nonce=nonce)
    assert replay.status_code == 401 and error_code(replay) == "nonce_reused"


def test_a_nonce_is_used_once(pos, other_pos, code):
    nonce = "n" * 16
    assert resolve(pos, code(), nonce=nonce).status_code == 200
    again = resolve(pos, code(), nonce=nonce)  # a new, correctly signed request, same nonce
    assert again.status_code == 401 and error_code(again) == "nonce_reused"
    assert resolve(other_pos, code(), nonce=nonce).status_code == 200  # each station's nonces are its own


@pytest.mark.parametrize("nonce", ["short", "x" * 65, "has space in it!!"])
def test_a_nonce_must_be_16_to_64_safe_characters(pos, code, nonce):
    response = resolve(pos, code(), nonce=nonce)
    assert response.status_code == 401 and error_code(response) == "invalid_signature"


def test_a_forged_request_does_not_burn_the_nonce(client, pos, code):
    nonce = "f" * 20
    forged = Pos(client, "S001", "wrong").post("/member-codes/resolve", {"code": code()}, nonce=nonce)
    assert error_code(forged) == "invalid_signature"
    assert resolve(pos, code(), nonce=nonce).status_code == 200


def test_a_captured_sale_replayed_is_refused_and_sells_nothing_twice(client, pos, code):
    body = json_body({"pos_txn_no": "T1", "member_code": code(), "lines": [fuel()]})
    headers = signed_headers("S001", pos.secret, "POST", PREFIX + "/sales", body)
    first = client.post(PREFIX + "/sales", data=body, headers=headers)
    replay = client.post(PREFIX + "/sales", data=body, headers=headers)
    assert first.status_code == 201
    assert replay.status_code == 401 and error_code(replay) == "nonce_reused"
    assert db.session.query(Sale).count() == 1


def test_the_openapi_document_is_public(client, world):
    assert client.get(PREFIX + "/openapi.json").status_code == 200


def test_unknown_paths_and_methods_answer_in_the_api_shape(client, pos):
    missing = pos.get("/no-such-thing")
    assert missing.status_code == 404 and error_code(missing) == "not_found"
    wrong = client.delete(PREFIX + "/sales")
    assert wrong.status_code == 405 and error_code(wrong) == "method_not_allowed"
    # Outside the API, Flask's own pages as before.
    assert client.get("/no-such-page").status_code == 404
    assert client.get("/no-such-page").mimetype == "text/html"

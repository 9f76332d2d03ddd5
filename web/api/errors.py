"""Errors of the station API: {"error": {"code", "message"}}, one HTTP status a code.

The code is the contract (stable, machine-readable); the status is a hint for generic
HTTP tooling; the message is Chinese, fit to show a cashier. Statuses:

    401 invalid_signature, stale_timestamp, nonce_reused   the request is not the station's
    402 insufficient_balance                               the balance cannot pay: take another payment
    404 not_found                                          no such sale / nozzle member / coupon (this station's)
    409 duplicate_conflict, coupon_not_applicable          the state conflicts with the request
    410 code_expired, code_used                            the member code was good but is no more: refresh it
    413 payload_too_large                                  the body is over 256 KB (chunked or not): not read further
    422 validation_error, code_invalid                     the request itself is wrong (malformed JSON too)
    422 line_amount_mismatch, unit_price_mismatch          a fuel line's amount or unit price is not what
                                                           litres x price / the station's price list say
"""
from __future__ import annotations

import logging

from flask import jsonify, request
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from loyalty.errors import LoyaltyError
from web.api import bp

log = logging.getLogger("youka.station_api")

STATUS = {
    "invalid_signature": 401, "stale_timestamp": 401, "nonce_reused": 401,
    "insufficient_balance": 402,
    "not_found": 404,
    "duplicate_conflict": 409, "coupon_not_applicable": 409,
    "code_expired": 410, "code_used": 410,
    "payload_too_large": 413,
    "validation_error": 422, "code_invalid": 422,
    "line_amount_mismatch": 422, "unit_price_mismatch": 422,
}
# Codes whose error names the request field at fault.
FIELD_CODES = ("validation_error", "line_amount_mismatch", "unit_price_mismatch")
MESSAGES = {
    "invalid_signature": "签名无效",
    "stale_timestamp": "请求时间与服务器相差超过 300 秒，请校准 POS 时钟",
    "nonce_reused": "X-Nonce 已使用过，每个请求须使用新的随机串",
    "payload_too_large": "请求体超过 256 KB",
}


class ApiError(Exception):
    """An error of the API itself (authentication), as opposed to a LoyaltyError."""

    def __init__(self, code: str, message: str | None = None):
        super().__init__(code)
        self.code, self.message = code, message or MESSAGES.get(code, code)


def error_response(code: str, message: str, status: int | None = None, field: str | None = None):
    body = {"code": code, "message": message}
    if field:
        body["field"] = field
    return jsonify(error=body), status or STATUS.get(code, 409)


@bp.errorhandler(ApiError)
def _api_error(exc: ApiError):
    return error_response(exc.code, exc.message)


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc: RequestEntityTooLarge):
    # Raised while reading the body (web/body_limit.py), before the signature is checked.
    return error_response("payload_too_large", MESSAGES["payload_too_large"])


@bp.errorhandler(LoyaltyError)
def _loyalty_error(exc: LoyaltyError):
    # Details (ids, reasons) help support; never the member code or a phone, which are not in them.
    log.info("station API %s %s -> %s %s", request.method, request.path, exc.code, exc.details)
    field = exc.details.get("field") if exc.code in FIELD_CODES else None
    message = exc.message
    if field and not message.startswith(f"{field}:"):
        message = f"{field}: {message}"  # the POS developer sees which field at once
    return error_response(exc.code, message, field=field)


def _in_api() -> bool:
    return request.path.startswith(bp.url_prefix + "/") or request.path == bp.url_prefix


@bp.app_errorhandler(404)
def _no_route(exc: HTTPException):
    # Routing errors happen before a blueprint is chosen: app-wide, answering JSON inside the API only.
    return error_response("not_found", "接口不存在", 404) if _in_api() else exc


@bp.app_errorhandler(405)
def _wrong_method(exc: HTTPException):
    return error_response("method_not_allowed", "不支持该 HTTP 方法", 405) if _in_api() else exc


@bp.errorhandler(Exception)
def _unexpected(exc: Exception):
    if isinstance(exc, HTTPException):  # e.g. 400 from werkzeug: keep its status, in our shape
        return error_response("validation_error" if exc.code < 500 else "internal_error",
                              exc.description or exc.name, exc.code)
    # A bug: logged with its traceback and context, answered in the API's shape.
    log.exception("station API %s %s failed", request.method, request.path)
    return error_response("internal_error", "服务器内部错误，请稍后重试", 500)

"""The OpenAPI 3 document of the station API, built from the code.

Each view is registered with `operation(...)`, which names its request shape (the one
`parse` validates with), its success response shape and the error codes it can answer.
The document at GET /api/v1/station/openapi.json is generated from those registrations,
so it cannot drift from what the views accept and return.
"""
from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass

from flask import jsonify, request

from loyalty.errors import ValidationError
from web.api import bp
from web.api.errors import STATUS
from web.api.schema import Obj, Schema, Str

# Answered by web/api/auth.py before any view, so any operation may give them.
AUTH_ERRORS = ("invalid_signature", "stale_timestamp", "nonce_reused", "payload_too_large")
ERROR = Obj("Error", {"error": Obj(None, {
    "code": Str(max_len=64, description="稳定的错误码，见 docs/station-api.md", example="code_used"),
    "message": Str(max_len=500, description="给收银员看的中文说明"),
    "field": Str(max_len=64, description="validation_error、unit_price_mismatch、line_amount_mismatch 时："
                                         "出错的字段，如 lines[0].litres"),
}, optional=("field",))})
_PARAM = re.compile(r"<(?:(int|string):)?(\w+)>")


@dataclass(frozen=True)
class Operation:
    method: str
    rule: str
    name: str
    summary: str
    body: Obj | None
    status: int
    response: Schema
    errors: tuple[str, ...]


OPERATIONS: list[Operation] = []


def read_json() -> object:
    """The request body as JSON; ValidationError (not a 400 page) when it is not JSON."""
    raw = request.get_data(cache=True)
    try:
        return json.loads(raw.decode("utf-8"), parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ValidationError("body: 请求体不是合法的 JSON", field="body") from None


def _no_constant(name: str):
    raise ValueError(name)  # NaN and Infinity are not JSON


def operation(method: str, rule: str, *, summary: str, response: Schema, status: int = 200,
              body: Obj | None = None, errors: tuple[str, ...] = ()):
    """Register a view on the blueprint and in the document. With `body`, the view gets
    the parsed request as its `body` argument."""
    def register(view):
        @functools.wraps(view)
        def wrapper(**kwargs):
            if body is not None:
                kwargs["body"] = body.parse(read_json())
            return view(**kwargs)
        found = ("validation_error",) if body is not None or "<" in rule else ()
        OPERATIONS.append(Operation(method, rule, view.__name__, summary, body, status, response,
                                    tuple(dict.fromkeys(errors + found))))
        bp.add_url_rule(rule, endpoint=view.__name__, view_func=wrapper, methods=[method])
        return wrapper
    return register


def _parameters(rule: str) -> list[dict]:
    return [{"name": name, "in": "path", "required": True,
             "schema": {"type": "integer", "minimum": 1, "maximum": 2 ** 62} if kind == "int"
             else {"type": "string", "pattern": "^[0-9A-Za-z]{1,8}$"}}
            for kind, name in _PARAM.findall(rule)]


def _responses(op: Operation, components: dict) -> dict:
    responses = {str(op.status): {"description": "成功", "content": {
        "application/json": {"schema": op.response.json_schema(components)}}}}
    if op.status == 201:
        responses["200"] = {"description": "重试：同一单号、同一请求，返回第一次的结果", "content": {
            "application/json": {"schema": op.response.json_schema(components)}}}
    by_status: dict[int, list[str]] = {}
    for code in AUTH_ERRORS + op.errors:
        by_status.setdefault(STATUS[code], []).append(code)
    error_ref = ERROR.json_schema(components)
    for status, codes in sorted(by_status.items()):
        responses[str(status)] = {"description": "错误码: " + ", ".join(codes),
                                  "content": {"application/json": {"schema": error_ref}}}
    return responses


def document() -> dict:
    """The OpenAPI 3.0 document of every registered operation."""
    components: dict = {}
    paths: dict = {}
    for op in OPERATIONS:
        entry = {"operationId": op.name, "summary": op.summary, "parameters": _parameters(op.rule),
                 "responses": _responses(op, components)}
        if op.body is not None:
            entry["requestBody"] = {"required": True, "content": {
                "application/json": {"schema": op.body.json_schema(components)}}}
        paths.setdefault(bp.url_prefix + _PARAM.sub(r"{\2}", op.rule), {})[op.method.lower()] = entry
    headers = {name: {"type": "apiKey", "in": "header", "name": name} for name in
               ("X-Station-Code", "X-Timestamp", "X-Nonce", "X-Signature")}
    return {
        "openapi": "3.0.3",
        "info": {"title": "Youka station API", "version": "1.0.0",
                 "description": "油站 POS 接口。签名方法、错误码与示例见 docs/station-api.md。"},
        "servers": [{"url": "/"}],
        "paths": paths,
        "components": {"schemas": components, "securitySchemes": {
            name.replace("-", ""): scheme for name, scheme in headers.items()}},
        "security": [{name.replace("-", ""): [] for name in headers}],
    }


@bp.get("/openapi.json")
def openapi_document():
    return jsonify(document())

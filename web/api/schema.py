"""A small schema registry: each request and response shape is written once, here in
Python, and serves twice: `parse` validates a request (ValidationError naming the field,
in Chinese) and returns plain values; `json_schema` describes it in the OpenAPI document.

Strict on purpose: unknown fields, floats for fen and numbers for litres are refused,
because a POS that misspells "member_code" must not quietly sell without the member.
"""
from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from loyalty.errors import ValidationError


def _fail(path: str, message: str):
    raise ValidationError(f"{path}: {message}", field=path)


class Schema:
    description: str | None = None
    example: Any = None
    nullable: bool = False  # responses only: null is allowed

    def parse(self, value, path: str):
        raise NotImplementedError

    def _schema(self, components: dict) -> dict:
        raise NotImplementedError

    def json_schema(self, components: dict) -> dict:
        """The OpenAPI 3.0 schema; named objects go into `components` and are referenced."""
        schema = self._schema(components)
        if self.description and "$ref" not in schema:
            schema["description"] = self.description
        if self.example is not None and "$ref" not in schema:
            schema["example"] = self.example
        if self.nullable and "$ref" not in schema:
            schema["nullable"] = True
        return schema


CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class Str(Schema):
    def __init__(self, min_len=1, max_len=64, pattern: str | None = None, description=None, example=None,
                 nullable=False):
        self.min_len, self.max_len, self.pattern = min_len, max_len, pattern
        self.description, self.example, self.nullable = description, example, nullable

    def parse(self, value, path):
        if not isinstance(value, str):
            _fail(path, "应为字符串")
        if not self.min_len <= len(value) <= self.max_len:
            _fail(path, f"长度应为 {self.min_len}-{self.max_len}")
        if CONTROL.search(value):
            # NUL cannot be stored in PostgreSQL text, and no field of ours means a control character.
            _fail(path, "不能包含控制字符")
        if self.pattern and not re.fullmatch(self.pattern, value):
            _fail(path, "格式不正确")
        return value

    def _schema(self, components):
        schema = {"type": "string", "minLength": self.min_len, "maxLength": self.max_len}
        if self.pattern:
            schema["pattern"] = f"^{self.pattern}$"
        return schema


class Enum(Schema):
    def __init__(self, *values: str, description=None):
        self.values, self.description = values, description

    def parse(self, value, path):
        # The type first: `in` on a request value of any JSON type must not raise.
        if not isinstance(value, str) or value not in self.values:
            _fail(path, f"只能是 {' / '.join(self.values)}")
        return value

    def _schema(self, components):
        return {"type": "string", "enum": list(self.values)}


class Bool(Schema):
    def __init__(self, description=None):
        self.description = description

    def parse(self, value, path):
        if not isinstance(value, bool):
            _fail(path, "应为 true 或 false")
        return value

    def _schema(self, components):
        return {"type": "boolean"}


class Int(Schema):
    def __init__(self, minimum: int | None = None, maximum: int | None = None, description=None, example=None,
                 nullable=False):
        self.minimum, self.maximum, self.description, self.example = minimum, maximum, description, example
        self.nullable = nullable

    def parse(self, value, path):
        if isinstance(value, bool) or not isinstance(value, int):
            _fail(path, "应为整数")
        if (self.minimum is not None and value < self.minimum) or (self.maximum is not None and value > self.maximum):
            _fail(path, f"应在 {self.minimum} 到 {self.maximum} 之间")
        return value

    def _schema(self, components):
        schema: dict = {"type": "integer", "format": "int64"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema


class Litres(Schema):
    """Litres as a decimal string ("40.00", at most 3 decimals), parsed to integer millilitres."""
    pattern = r"[0-9]{1,4}(\.[0-9]{1,3})?"

    def __init__(self, description=None, example="40.00"):
        self.description, self.example = description, example

    def parse(self, value, path):
        if not isinstance(value, str) or not re.fullmatch(self.pattern, value):
            _fail(path, "升数应为字符串形式的小数，如 \"40.00\"")
        millilitres = int(Decimal(value) * 1000)  # exact: at most 3 decimals
        if millilitres <= 0:
            _fail(path, "升数必须大于零")
        return millilitres

    def _schema(self, components):
        return {"type": "string", "pattern": f"^{self.pattern}$"}


class Arr(Schema):
    def __init__(self, item: Schema, min_items=0, max_items=50, description=None):
        self.item, self.min_items, self.max_items, self.description = item, min_items, max_items, description

    def parse(self, value, path):
        if not isinstance(value, list):
            _fail(path, "应为数组")
        if not self.min_items <= len(value) <= self.max_items:
            _fail(path, f"应有 {self.min_items}-{self.max_items} 项")
        return [self.item.parse(v, f"{path}[{i}]") for i, v in enumerate(value)]

    def _schema(self, components):
        return {"type": "array", "items": self.item.json_schema(components),
                "minItems": self.min_items, "maxItems": self.max_items}


class Obj(Schema):
    """An object with known fields; `optional` names those that may be left out (their
    value is then None); `nullable` (responses only) allows null."""

    def __init__(self, name: str | None, fields: dict[str, Schema], optional=(), nullable=False, description=None):
        self.name, self.fields, self.optional, self.nullable = name, fields, set(optional), nullable
        self.description = description

    def parse(self, value, path="body"):
        if not isinstance(value, dict):
            _fail(path, "应为 JSON 对象")
        prefix = "" if path == "body" else f"{path}."
        unknown = sorted(set(value) - set(self.fields))
        if unknown:
            _fail(prefix + unknown[0], "未知字段")
        out = {}
        for key, schema in self.fields.items():
            if key not in value or (value[key] is None and key in self.optional):
                if key not in self.optional:
                    _fail(prefix + key, "必填")
                out[key] = None
            else:
                out[key] = schema.parse(value[key], prefix + key)
        return out

    def _schema(self, components):
        body = {"type": "object", "properties": {k: s.json_schema(components) for k, s in self.fields.items()},
                "additionalProperties": False}
        required = [k for k in self.fields if k not in self.optional]
        if required:
            body["required"] = required
        if self.description:
            body["description"] = self.description
        if self.nullable:
            body["nullable"] = True
        if self.name is None:
            return body
        components[self.name] = body
        return {"$ref": f"#/components/schemas/{self.name}"}


class Tagged(Schema):
    """One of several objects told apart by a "kind" field (fuel line or shop line)."""

    def __init__(self, name: str, variants: dict[str, Obj]):
        self.name, self.variants = name, variants

    def parse(self, value, path):
        if not isinstance(value, dict):
            _fail(path, "应为 JSON 对象")
        kind = value.get("kind")
        # The type first: a list or an object as "kind" is unhashable, a dict lookup raises.
        if not isinstance(kind, str) or kind not in self.variants:
            _fail(f"{path}.kind", f"只能是 {' / '.join(self.variants)}")
        return self.variants[kind].parse(value, path)

    def _schema(self, components):
        refs = [v.json_schema(components) for v in self.variants.values()]
        components[self.name] = {"oneOf": refs, "discriminator": {"propertyName": "kind", "mapping": {
            k: r["$ref"] for k, r in zip(self.variants, refs)}}}
        return {"$ref": f"#/components/schemas/{self.name}"}

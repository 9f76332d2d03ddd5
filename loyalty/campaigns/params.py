"""A segment filter's parameters: their kinds, defaults and bounds, and the check that
turns what an operator typed (JSON or a form) into the value a filter takes."""
from __future__ import annotations

from dataclasses import dataclass

from loyalty.errors import ValidationError


@dataclass(frozen=True)
class Param:
    kind: str                     # "int", "codes" (a list of short codes), "choice", "bool"
    default: object = None        # None: required
    low: int | None = None
    high: int | None = None
    choices: tuple[str, ...] = ()
    label: str = ""



def check(label: str, name: str, param: Param, value):
    """`value` as the filter takes it, or ValidationError naming the filter and parameter."""
    bad = ValidationError(f"筛选条件 {label} 的 {param.label or name} 不对", field="filters")
    if value is None:
        if param.default is None and param.kind != "optional_int":
            raise bad
        return None
    if param.kind in ("int", "optional_int"):
        if isinstance(value, bool) or not isinstance(value, (int, str)) or not str(value).strip().isdigit():
            raise bad
        value = int(str(value).strip())
        if (param.low is not None and value < param.low) or (param.high is not None and value > param.high):
            raise bad
        return value
    if param.kind == "bool":
        if value in (True, "1", "true", "yes", 1):
            return True
        if value in (False, "0", "false", "no", 0):
            return False
        raise bad
    if param.kind == "choice":
        if value not in param.choices:
            raise bad
        return value
    if param.kind == "codes":
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, list):
            raise bad
        items = [str(v).strip() for v in items if str(v).strip()]
        if not items or len(items) > 50 or any(len(v) > 32 or not v.replace("_", "").replace("-", "").isalnum()
                                               for v in items):
            raise bad
        if param.choices and any(v not in param.choices for v in items):
            raise bad
        return items
    raise AssertionError(param.kind)

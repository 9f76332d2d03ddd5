"""A phone's last four digits as SQL: `right(phone, 4)` on PostgreSQL, `substr(phone, -4)`
on SQLite. The members table is indexed on it (models/member.py, migration 0023), so the
console's search by the last four (loyalty.people.search) is an index lookup, not a scan
of every member's phone."""
from __future__ import annotations

from sqlalchemy import String
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class phone_tail(FunctionElement):  # noqa: N801 (an SQL function, named as one)
    type = String(4)
    inherit_cache = True
    name = "phone_tail"


@compiles(phone_tail)
def _default(element, compiler, **kw) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, -4)"


@compiles(phone_tail, "postgresql")
def _postgresql(element, compiler, **kw) -> str:
    return f"right({compiler.process(element.clauses, **kw)}, 4)"

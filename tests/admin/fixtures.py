"""The console's world: the till's (demo seed, stations S001-S003, one login of each role)
plus a second HQ admin and the manager of S002, and two members, one who fuels at S001
and one who fuels at S002 only. Test modules import these fixtures by name."""
from __future__ import annotations

from datetime import timedelta

import pytest

from extensions import db
from loyalty.people import staff as staff_rules
from tests.cashier.fixtures import PASSWORD, STAFF, pinned_clock, staff_login, till  # noqa: F401  (fixtures)
from tests.factories import fuel_sale, make_member

# username -> (role, station), beside tests/cashier's li, wang (S001 manager), zhao, hq.
MORE_STAFF = {"hq2": ("hq_admin", None), "qian": ("station_manager", "S002")}
EAST_PHONE, WEST_PHONE = "13900001234", "13700005678"


@pytest.fixture
def console(till, pinned_clock):
    """The world: returns {"east": member fuelling at S001, "west": member fuelling at S002}."""
    for username, (role, station) in MORE_STAFF.items():
        staff_rules.create_staff(username, PASSWORD, role=role, station_code=station)
    db.session.commit()
    east = make_member(EAST_PHONE, plate="浙A88888", company="杭州顺达物流有限公司")
    west = make_member(WEST_PHONE, plate="浙B66666")
    at = pinned_clock - timedelta(days=1)
    fuel_sale(east, "40", at=at, station="S001", txn="E1")
    fuel_sale(west, "30", at=at, station="S002", txn="W1")
    return {"east": east.id, "west": west.id}


class Operator:
    """A logged-in test client of the console; `post` sends the session's CSRF token."""

    def __init__(self, client, username: str):
        self.client = client
        self.csrf = staff_login(client, username)

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        return self.client.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)


@pytest.fixture
def operator(console, till):
    """operator("hq") -> an Operator for that login, each on its own client (own session)."""
    return lambda username: Operator(till.test_client(), username)


def staff_id(username: str) -> int:
    from models import Staff
    return db.session.scalars(db.select(Staff.id).where(Staff.username == username)).one()


assert set(MORE_STAFF).isdisjoint(STAFF)

"""Station API fixtures: the demo world with API secrets for S001 and S002, `pos` and
`other_pos` (their POS terminals, signing with web/api/signing.py), a member with stored
value and `code()`, which issues that member a fresh member code."""
from __future__ import annotations

import pytest
from api.pos_helpers import Pos

from extensions import db
from loyalty import demo
from loyalty.till import member_codes
from loyalty.people import members
from loyalty.books import stored_value
from loyalty.people.station_credentials import rotate_secret


@pytest.fixture
def world(app):
    demo.seed()
    return app


@pytest.fixture
def secrets_(world):
    return {code: rotate_secret(code) for code in ("S001", "S002")}


@pytest.fixture
def pos(client, secrets_):
    return Pos(client, "S001", secrets_["S001"])


@pytest.fixture
def other_pos(client, secrets_):
    return Pos(client, "S002", secrets_["S002"])


@pytest.fixture
def member(world):
    """A member with 1000 yuan topped up (充1000送50: 105000 fen)."""
    ming = members.create_member("13900000001", consent=True)
    stored_value.topup(members.account_of(ming, "stored_value"), 100000, key="setup:topup")
    db.session.commit()
    return ming


@pytest.fixture
def code(member):
    """A fresh member code of `member`."""
    return lambda device="wechat", **kwargs: member_codes.issue(member, device, **kwargs).code

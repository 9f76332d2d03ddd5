"""Staff logins: creation rules, deactivation, the password check, stations, and `flask staff`."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from extensions import db
from loyalty import demo
from loyalty.people import staff as staff_rules
from loyalty.errors import DuplicateConflict, NotFound, ValidationError
from models import Staff


@pytest.fixture
def stations(any_app):
    """The demo stations, on PostgreSQL and then on SQLite."""
    demo.seed()
    return any_app


@pytest.fixture
def cli(app):
    """A CLI runner on the PostgreSQL app, with the demo stations."""
    demo.seed()
    return app.test_cli_runner()


def test_a_cashier_belongs_to_one_station_and_hq_to_none(stations):
    li = staff_rules.create_staff("Li", "long-enough", role="cashier", station_code="S001")
    hq = staff_rules.create_staff("boss", "long-enough", role="hq_admin")
    assert (li.username, li.display_name) == ("li", "li")
    assert staff_rules.can_use_station(li, "S001") and not staff_rules.can_use_station(li, "S002")
    assert all(staff_rules.can_use_station(hq, code) for code in ("S001", "S002", "S003"))
    assert [s.code for s in staff_rules.stations_for(li)] == ["S001"]
    assert not staff_rules.can_use_station(hq, "S999")


@pytest.mark.parametrize("kwargs, message", [
    ({"role": "cashier"}, "收银员和站长须指定油站"),
    ({"role": "station_manager", "station_code": "S999"}, "油站不存在"),
    ({"role": "hq_admin", "station_code": "S001"}, "总部管理员不属于某个油站"),
    ({"role": "janitor", "station_code": "S001"}, "角色只能是 hq_admin / station_manager / cashier"),
])
def test_what_a_staff_login_needs(stations, kwargs, message):
    with pytest.raises(ValidationError, match=message):
        staff_rules.create_staff("wang", "long-enough", **kwargs)


def test_a_short_password_and_a_taken_username_are_refused(stations):
    with pytest.raises(ValidationError, match="密码至少 8 位"):
        staff_rules.create_staff("wang", "short", role="hq_admin")
    staff_rules.create_staff("wang", "long-enough", role="hq_admin")
    with pytest.raises(DuplicateConflict, match="用户名已存在"):
        staff_rules.create_staff("WANG", "long-enough", role="hq_admin")


def test_authenticate(stations):
    staff_rules.create_staff("li", "long-enough", role="cashier", station_code="S001")
    assert staff_rules.authenticate(" LI ", "long-enough").username == "li"
    assert staff_rules.authenticate("li", "wrong-password") is None
    assert staff_rules.authenticate("nobody", "long-enough") is None  # pays for a hash all the same
    db.session.scalars(select(Staff)).one().active = False
    assert staff_rules.authenticate("li", "long-enough") is None


def test_a_deactivated_login_cannot_log_in_and_an_unknown_one_is_not_found(stations):
    staff_rules.create_staff("li", "long-enough", role="cashier", station_code="S001")
    assert staff_rules.deactivate_staff(" LI ").active is False
    assert staff_rules.authenticate("li", "long-enough") is None
    with pytest.raises(NotFound, match="用户名不存在"):
        staff_rules.deactivate_staff("nobody")


def test_flask_staff_deactivate_explains_an_unknown_username(cli):
    result = cli.invoke(args=["staff", "deactivate", "--username", "nobody"])
    assert result.exit_code == 1 and "用户名不存在" in result.output


def test_the_database_refuses_a_cashier_without_a_station(stations):
    db.session.add(Staff(username="x", password_hash="h", display_name="x", role="cashier", active=True))
    with pytest.raises(Exception, match="station_required"):
        db.session.flush()
    db.session.rollback()


def test_flask_staff_create_prints_json_without_the_password(cli):
    result = cli.invoke(args=["staff", "create", "--username", "li", "--role", "cashier", "--station", "S001",
                                 "--name", "李雷", "--password", "till-pass-2026"])
    assert result.exit_code == 0, result.output
    shown = json.loads(result.output)
    assert shown["username"] == "li" and shown["station"] == "S001" and shown["display_name"] == "李雷"
    assert "till-pass-2026" not in result.output and "password" not in shown
    assert staff_rules.authenticate("li", "till-pass-2026") is not None


def test_flask_staff_create_prompts_for_the_password_and_explains_errors(cli):
    result = cli.invoke(args=["staff", "create", "--username", "hq", "--role", "hq_admin"],
                           input="hq-pass-2026\nhq-pass-2026\n")
    assert result.exit_code == 0 and json.loads(result.output.splitlines()[-1])["role"] == "hq_admin"
    again = cli.invoke(args=["staff", "create", "--username", "hq", "--role", "hq_admin",
                                "--password", "hq-pass-2026"])
    assert again.exit_code == 1 and "用户名已存在" in again.output


def test_passwords_are_hashed_with_scrypt_outside_the_tests(app_factory, monkeypatch):
    """The tests hash with a cheap method (TestConfig); the service itself, from its
    environment, with scrypt, and a login still checks against either."""
    from config import Config
    monkeypatch.setenv("STAFF_PASSWORD_HASH", "plain")  # not an environment setting: ignored
    assert Config.from_env().STAFF_PASSWORD_HASH == "scrypt"
    strong = app_factory(STAFF_PASSWORD_HASH="scrypt")
    with strong.app_context():
        demo.seed()
        made = staff_rules.create_staff("li", "long-enough", role="cashier", station_code="S001")
        assert made.password_hash.startswith("scrypt:")
        assert staff_rules.authenticate("li", "long-enough") is not None
        assert staff_rules.authenticate("li", "long-enougH") is None
        db.session.rollback()

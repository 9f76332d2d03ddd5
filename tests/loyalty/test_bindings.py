"""loyalty.people.bindings: binding a proven phone, on PostgreSQL with real concurrency."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from extensions import db
from loyalty.people import bindings, members
from models import Account, Member, WeChatBinding

PHONE = "13912345678"


def test_binding_what_is_already_bound_changes_nothing(app):
    first = bindings.bind_phone("o-1", PHONE, terms_version="v1")
    again = bindings.bind_phone("o-1", PHONE, terms_version="v1")
    assert first.created and first.changed
    assert not again.created and not again.changed and again.member.id == first.member.id
    assert again.member.consent_at == first.member.consent_at


def test_a_new_terms_version_is_consented_again(app):
    bindings.bind_phone("o-1", PHONE, terms_version="v1")
    again = bindings.bind_phone("o-1", PHONE, terms_version="v2")
    assert again.changed and again.member.consent_version == "v2"


def test_two_openids_binding_one_new_phone_at_once_make_one_member(app):
    # Both threads find no member for the phone, then both insert: the unique phone lets
    # one win; the other reads the winner. The phone then belongs to whichever bound last.
    start = threading.Barrier(2)

    def bind(openid):
        with app.app_context():
            try:
                start.wait(timeout=5)
                return bindings.bind_phone(openid, PHONE, terms_version="v1").member.id
            finally:
                db.session.remove()

    with ThreadPoolExecutor(2) as pool:
        ids = list(pool.map(bind, ["o-a", "o-b"]))
    db.session.expire_all()
    assert ids[0] == ids[1]
    assert db.session.scalar(select(func.count(Member.id))) == 1
    # create_member ran once: two accounts (points, stored value), not four.
    assert db.session.scalar(select(func.count(Account.id))) == 2
    assert db.session.scalar(select(func.count(WeChatBinding.id))) == 1


def test_unbind_of_an_openid_bound_to_nobody_is_harmless(app):
    members.create_member(PHONE)
    db.session.commit()
    assert bindings.unbind("o-nobody") is None

"""Invoice requests under races and behind run_once: the database keeps one per sale."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from extensions import db
from loyalty import demo
from loyalty.errors import ValidationError
from loyalty.service import invoices
from loyalty.service.invoices import Title
from models import InvoiceRequest, InvoiceTitle, Member
from tests.factories import fuel_sale, make_member

AT = datetime(2026, 11, 25, 2, 0, tzinfo=timezone.utc)


@pytest.fixture
def sale(app):
    demo.seed()
    member = make_member("13800000051")
    return fuel_sale(member, "10.00", at=AT)  # 10 L x 7.65 = 76.50


def test_eight_concurrent_confirms_of_one_sale_queue_one_request(app, sale):
    member_id, sale_id = sale.member_id, sale.id
    gate = threading.Barrier(8, timeout=30)

    def confirm(i: int) -> bool:
        with app.app_context():
            try:
                gate.wait()
                member = db.session.get(Member, member_id)
                _, created = invoices.request_invoice(member, sale_id, Title("personal", "张三", None),
                                                      f"p{i}@example.com")
                return created
            finally:
                db.session.remove()

    with ThreadPoolExecutor(max_workers=8) as pool:
        created = list(pool.map(confirm, range(8)))
    assert created.count(True) == 1
    db.session.expire_all()
    assert db.session.scalar(select(func.count(InvoiceRequest.id))) == 1
    assert db.session.scalar(select(func.count(InvoiceTitle.id))) == 1  # the title saved once too


def test_the_database_refuses_a_second_request_for_a_sale(app, sale):
    for _ in range(2):
        db.session.add(InvoiceRequest(sale_id=sale.id, member_id=sale.member_id, amount_fen=7650,
                                      title_kind="personal", title_name="张三", email="z@example.com",
                                      status="requested"))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_a_bad_email_is_refused_before_anything_is_written(app, sale):
    member = db.session.get(Member, sale.member_id)
    for email in ("", "a@b", "a b@example.com", "@example.com", "a@example.c"):
        assert invoices.check_email(email) is None, email
    assert invoices.check_email(" Fin.Dept+inv@mail.example.com.cn ") == "Fin.Dept+inv@mail.example.com.cn"
    with pytest.raises(ValidationError):
        invoices.request_invoice(member, sale.id, Title("personal", "张三", None), "a@b")
    assert db.session.scalar(select(func.count(InvoiceRequest.id))) == 0

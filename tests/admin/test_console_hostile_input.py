"""Whatever an operator's browser (or a forged request) posts, the console answers with a
page and a 4xx, never a 500, and writes nothing it should not."""
from __future__ import annotations

from extensions import db
from models import Adjustment, ChangeRecord
from tests.admin.fixtures import console, operator  # noqa: F401  (fixtures)
from tests.cashier.fixtures import pinned_clock, till  # noqa: F401

JUNK = ["", " ", "-", "0", "-0", "1e9", "１２", "99999999999999999999999", "NaN", "<script>", "%00", "\x00", "a" * 3000]


def test_junk_in_every_form_is_a_4xx_page(operator, console):
    hq = operator("hq")
    member = f"/admin/members/{console['east']}"
    posts = {
        f"{member}/adjustments": ["account_kind", "amount", "reason", "key", "bucket"],
        f"{member}/reveal": ["reason"],
        "/admin/rules": ["yaml", "reason"],
        "/admin/rules/preview": ["yaml", "member", "station", "grade", "litres", "category", "shop_amount"],
        "/admin/tiers/silver": ["name", "threshold", "points_multiplier", "per_litre_discount_fen"],
        "/admin/config/coupon-templates": ["code", "key", "kind", "amount_fen", "valid_from", "reason"],
        "/admin/config/rewards": ["code", "key", "points_price", "stock", "starts_at", "reason"],
        "/admin/config/topup-bonus-rules": ["key", "min_topup_fen", "bonus_fen", "reason"],
        "/admin/adjustments/99999999999999999999/approve": ["x"],
        "/admin/feedback/99999999999999999999/answer": ["answer"],
        "/admin/invoices/1/issue": ["invoice_no", "pdf_url"],
        "/admin/exports": ["kind", "from", "to", "station", "reason"],
        "/admin/notice-templates/template/receipt": ["active", "template_id", "keys", "link", "reason"],
        "/admin/replies/feedback/done": ["text", "reason"],
    }
    for path, fields in posts.items():
        for junk in JUNK:
            resp = hq.post(path, {name: junk for name in fields})
            assert resp.status_code < 500, (path, junk)
    for path in ["/admin/changes?before=99999999999999999999999", "/admin/changes/x/%00", "/admin/config/nope",
                 "/admin/config/rewards/%3Cscript%3E", "/admin/config/topup-bonus-rules/99999999999999",
                 "/admin/members/99999999999999999999", "/admin/members?q=" + "9" * 100, "/admin/members?tier=nope",
                 "/admin/notice-templates/template/%00", "/admin/notice-templates/%3Cx%3E/receipt",
                 "/admin/replies/%00", "/admin/replies/" + "a/" * 500]:
        assert hq.get(path).status_code < 500, path
    # No junk value is a whole valid adjustment (account kind "0", "-", ... are none), nor a config change.
    assert db.session.query(Adjustment).count() == 0
    # Switching a kind's template off needs only a reason, which "-" is; nothing else junk is a change.
    assert {c.kind for c in db.session.query(ChangeRecord)} <= {"phone_reveal", "notice_template"}
    assert all(c.after == {"active": False} for c in db.session.query(ChangeRecord).filter_by(kind="notice_template"))

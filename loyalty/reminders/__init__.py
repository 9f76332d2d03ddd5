"""The periodic notices: who gets which notice today, written as outbox rows.

Each producer is a few set-based statements over all members (INSERT ... SELECT ...
ON CONFLICT (dedup_key) DO NOTHING), never a loop per member, and is idempotent per
business day (Asia/Shanghai): its dedup keys are deterministic (the kind, the member and
the date or sale they are about), so a rerun the same day writes nothing more. The
delivery side (channel policy, quiet hours, categories, senders) reads the rows later.

    points.write_due        points_expiring  {"points", "expires_on", "days"}   30 and 7 days ahead
    coupons.write_due       coupon_expiring  {"coupon_ids", "count", "expires_on"}   3 days ahead
    birthdays.write_due     birthday         {"coupon_id"}   with a coupon, once a year
    recall.write_due        recall           {"coupon_id", "days_since_visit"}   dormant members
    inspection.write_due    inspection       {"plate", "due_on"}   vehicle inspection ahead
    surveys.write_due       survey           {"sale_id"}   after a visit; surveys.record_reply

Every producer flushes and never commits (the job commits), and returns how many
notices it wrote. Members erased (deleted_at) or without consent to the privacy terms
(consent_at) get none; recall, marketing, only members who opted in to marketing.
See docs/notices.md.
"""

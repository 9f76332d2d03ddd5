"""Business policy knobs, in one place. Read from the app's config (LOYALTY_* keys) with
the defaults below; tests pass a Policy explicitly where they need another."""
from __future__ import annotations

from dataclasses import dataclass, fields
from zoneinfo import ZoneInfo

BUSINESS_TZ = ZoneInfo("Asia/Shanghai")


@dataclass(frozen=True)
class Policy:
    # Points expire at the end of the month N months after they were earned; 0: never.
    points_expiry_months: int = 24
    # Days after earning before points may be spent (0: at once).
    points_pending_days: int = 0
    # On a refund, points of lots that expired in between are not given back
    # ("forfeit"), or are given back in a fresh lot expiring like new points ("reissue").
    refund_expired_lots: str = "forfeit"
    # Stored value: which bucket a payment takes first, "principal" or "bonus".
    stored_value_spend_first: str = "principal"
    low_balance_threshold_fen: int = 5000
    # Tiers: the qualifying metric ("litres", "amount" or "visits") over a rolling window.
    tier_metric: str = "litres"
    tier_window_days: int = 365
    tier_trial_days: int = 30
    tier_trial_code: str | None = None
    # A member below their tier's threshold at review keeps it this many days more.
    tier_grace_days: int = 30
    # Member day (会员日): ISO weekdays in business time and a per-litre price cut in fen
    # (0: none; the points multiplier for member day is an earning rule).
    member_day_weekdays: tuple[int, ...] = (2,)
    member_day_per_litre_fen: int = 0
    # Referral (推荐): points for the referrer and for the new member, once, when the
    # new member binds after scanning the referrer's QR code (0: no points for that side).
    referral_points_referrer: int = 200
    referral_points_referred: int = 100
    # Daily check-in (签到): points per business day, and a bonus on every
    # `checkin_streak_days`-th consecutive day (7: the 7th, 14th, ...; 0: no bonus).
    checkin_points: int = 5
    checkin_streak_days: int = 7
    checkin_streak_bonus: int = 20
    # Periodic notices (loyalty/reminders/, docs/notices.md). Points expiring: one notice
    # per member and expiry date when this many days are left, counting today.
    points_expiring_days: tuple[int, ...] = (30, 7)
    coupon_expiring_days: int = 3
    # Birthday (the member's month and day in Shanghai; 29 Feb on 28 Feb in other years):
    # a coupon of this template once per member per year (None: the greeting alone).
    birthday_coupon_template: str | None = "BIRTHDAY"
    # Recall of dormant members (marketing: only members who opted in to it): no visit
    # for recall_days, or more than recall_median_factor times their own median interval
    # between visit days (with at least recall_min_intervals intervals in the last
    # recall_history_days, and at least recall_floor_days since the last visit).
    recall_days: int = 30
    recall_median_factor: int = 2
    recall_min_intervals: int = 3
    recall_floor_days: int = 7
    recall_history_days: int = 180
    recall_coupon_template: str | None = "RECALL"
    # At most one recall per member within this many days.
    recall_cooldown_days: int = 30
    # Vehicle inspection (private cars with a known registration date): remind this many
    # days before a due date (loyalty.reminders.inspection has the schedule).
    inspection_lead_days: int = 30
    # Satisfaction survey: for a sale at least survey_delay_minutes old and at most
    # survey_lookback_hours old, at most one survey per member per survey_every_days; a
    # 1-5 reply counts within survey_reply_hours of the push.
    survey_delay_minutes: int = 30
    survey_lookback_hours: int = 24
    survey_every_days: int = 30
    survey_reply_hours: int = 24
    # Manual adjustments in the console (loyalty.books.adjustments): one larger than this
    # (points, or fen of stored value, either sign) waits for a second HQ admin's approval.
    adjustment_approval_points: int = 1000
    adjustment_approval_fen: int = 50000


def current() -> Policy:
    """The policy of the running app (LOYALTY_<FIELD> config keys override the defaults)."""
    from flask import current_app
    overrides = {f.name: current_app.config[f"LOYALTY_{f.name.upper()}"]
                 for f in fields(Policy) if f"LOYALTY_{f.name.upper()}" in current_app.config}
    return Policy(**overrides)

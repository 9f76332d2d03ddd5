"""The channel policy: which channel a notice goes by, or why it does not go (yet).

A pure function of the recipient, the notice kind, the time and the configured rules:
no database, no Redis, no WeChat. Tested alone with a table of cases
(tests/notices/test_policy.py). WeChat's rules it encodes (docs/pushes.md):

- followers only on WeChat's channels; SMS only for marketing, to consenting members;
- template messages for service notices only, never marketing;
- a subscription notice only while the member holds an acceptance of its template;
- a customer-service message only within 48 hours of the member's last message, at most
  5 in that window, or within 60 s of a menu tap, follow or scan, at most 3 in that one
  (events that are no member activity open neither);
- the member's opt-out per category; quiet hours (22:00-08:00 Shanghai) defer the
  non-urgent kinds to 08:00; marketing at most `marketing_cap` a week.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from loyalty.notices.kinds import Category, Channel, spec
from loyalty.policy import BUSINESS_TZ

CUSTOM_WINDOW = timedelta(hours=48)
CUSTOM_WINDOW_MAX = 5
TAP_WINDOW = timedelta(seconds=60)   # after a menu tap, a follow or a scan
TAP_WINDOW_MAX = 3


@dataclass(frozen=True)
class Rules:
    quiet_start: time = time(22, 0)
    quiet_end: time = time(8, 0)
    marketing_cap: int = 2                      # per member per rolling 7 days
    template_kinds: frozenset[str] = frozenset()   # kinds with a template configured
    subscribe_templates: dict[str, str] = field(default_factory=dict)  # kind -> template id


@dataclass(frozen=True)
class Recipient:
    member_id: int | None
    openid: str | None = None          # the member's WeChat account (the latest binding)
    following: bool = False
    phone: str | None = None           # None for an erased member
    preferences: dict[str, bool] = field(default_factory=dict)   # category -> wanted
    last_wrote_at: datetime | None = None      # opens the 48-hour window
    custom_sent_in_window: int = 0             # CS messages sent since then
    last_tapped_at: datetime | None = None     # a menu tap, follow or scan: opens the 60-second window
    custom_sent_since_tap: int = 0             # CS messages sent since then
    acceptances: dict[str, int] = field(default_factory=dict)    # template id -> unused
    marketing_this_week: int = 0
    closed_channels: frozenset[str] = frozenset()  # finally refused for this notice (43101, 45047, ...)


@dataclass(frozen=True)
class Decision:
    channel: Channel | None = None
    reason: str | None = None          # why not: a stable code (docs/pushes.md)
    defer_until: datetime | None = None
    template_id: str | None = None     # the subscription template whose acceptance it spends

    @property
    def send(self) -> bool:
        return self.channel is not None


def quiet_until(now: datetime, rules: Rules) -> datetime | None:
    """The end of the quiet hours `now` falls in (UTC), or None outside them."""
    if rules.quiet_start == rules.quiet_end:
        return None
    local = now.astimezone(BUSINESS_TZ)
    t, start, end = local.time(), rules.quiet_start, rules.quiet_end
    if start < end:  # within one day (00:00-07:00)
        quiet, day = start <= t < end, local.date()
    else:  # across midnight (22:00-08:00): before the end it is the night that began yesterday
        quiet = start <= t or t < end
        day = local.date() if t < end else local.date() + timedelta(days=1)
    return datetime.combine(day, end, BUSINESS_TZ).astimezone(now.tzinfo) if quiet else None


def _available(channel: Channel, kind: str, category: Category, r: Recipient, now: datetime,
               rules: Rules) -> tuple[bool, str | None]:
    if channel.value in r.closed_channels:
        return False, None
    if channel is Channel.SMS:
        return (category is Category.MARKETING and r.phone is not None), None
    if not r.openid or not r.following:
        return False, None
    if channel is Channel.TEMPLATE:
        return (category is not Category.MARKETING and kind in rules.template_kinds), None
    if channel is Channel.SUBSCRIBE:  # service content only, as the template message
        template_id = rules.subscribe_templates.get(kind)
        return (category is not Category.MARKETING and template_id is not None
                and r.acceptances.get(template_id, 0) > 0), template_id
    if channel is Channel.CUSTOM:
        return _window_open(r, now), None
    return False, None


def _window_open(r: Recipient, now: datetime) -> bool:
    """A customer-service message may go: inside the 48 hours after the member last wrote
    (5 at most), or the minute after a menu tap, follow or scan (3 at most)."""
    wrote = (r.last_wrote_at is not None and now - r.last_wrote_at < CUSTOM_WINDOW
             and r.custom_sent_in_window < CUSTOM_WINDOW_MAX)
    tapped = (r.last_tapped_at is not None and now - r.last_tapped_at < TAP_WINDOW
              and r.custom_sent_since_tap < TAP_WINDOW_MAX)
    return wrote or tapped


def decide(recipient: Recipient, kind: str, now: datetime, rules: Rules) -> Decision:
    """The channel for this notice now, a reason not to send it, or when to try again."""
    entry = spec(kind)
    if recipient.member_id is None or recipient.phone is None:
        return Decision(reason="no_member")
    if not recipient.preferences.get(entry.category.value, False):
        return Decision(reason="opted_out")
    if entry.category is Category.MARKETING and recipient.marketing_this_week >= rules.marketing_cap:
        return Decision(reason="marketing_cap")
    if not entry.urgent:
        until = quiet_until(now, rules)
        if until is not None:
            return Decision(reason="quiet_hours", defer_until=until)
    for channel in entry.channels:
        ok, template_id = _available(channel, kind, entry.category, recipient, now, rules)
        if ok:
            return Decision(channel=channel, template_id=template_id)
    if not (recipient.openid and recipient.following) and Channel.SMS not in entry.channels:
        return Decision(reason="not_following")
    return Decision(reason="no_channel")

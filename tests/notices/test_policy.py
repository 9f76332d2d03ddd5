"""The channel policy alone: a table of cases, each worked out by hand from WeChat's rules
and the member's choices (docs/pushes.md). No database, no Redis, no WeChat."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, time, timedelta, timezone

import pytest

from loyalty.notices.kinds import SPECS, Category, Channel, Kind
from loyalty.notices.policy import Decision, Recipient, Rules, decide, quiet_until
from loyalty.policy import BUSINESS_TZ

# 2027-01-05 10:00 Shanghai (a Tuesday): outside quiet hours.
NOON = datetime(2027, 1, 5, 10, 0, tzinfo=BUSINESS_TZ).astimezone(timezone.utc)
NIGHT = datetime(2027, 1, 5, 23, 30, tzinfo=BUSINESS_TZ).astimezone(timezone.utc)
EARLY = datetime(2027, 1, 6, 7, 59, tzinfo=BUSINESS_TZ).astimezone(timezone.utc)
EIGHT_NEXT_DAY = datetime(2027, 1, 6, 8, 0, tzinfo=BUSINESS_TZ).astimezone(timezone.utc)

RULES = Rules(template_kinds=frozenset({"receipt", "refund", "balance_low", "tier_up", "tier_down",
                                        "coupon_issued", "points_expiring", "coupon_expiring"}),
              subscribe_templates={"points_expiring": "SUB_P", "coupon_expiring": "SUB_C", "inspection": "SUB_I",
                                   "survey": "SUB_S", "birthday": "SUB_B", "recall": "SUB_R"})
ALL_ON = {"service_notices": True, "reminders": True, "marketing": True}
DEFAULTS = {"service_notices": True, "reminders": True, "marketing": False}
FOLLOWER = Recipient(member_id=1, openid="o-1", following=True, phone="13800000001", preferences=DEFAULTS)
FAN = replace(FOLLOWER, preferences=ALL_ON)           # consented to marketing
CHATTED = replace(FAN, last_wrote_at=NOON - timedelta(hours=1))
UNFOLLOWED = replace(FAN, following=False)

CASES = [
    # (who, kind, now, expected channel, expected reason, expected defer)
    ("a follower's receipt goes by template", FOLLOWER, "receipt", NOON, Channel.TEMPLATE, None, None),
    ("a receipt is urgent: sent at night", FOLLOWER, "receipt", NIGHT, Channel.TEMPLATE, None, None),
    ("a refund is urgent too", FOLLOWER, "refund", NIGHT, Channel.TEMPLATE, None, None),
    ("low balance at night goes at once", FOLLOWER, "balance_low", NIGHT, Channel.TEMPLATE, None, None),
    ("a tier change waits for 08:00", FOLLOWER, "tier_up", NIGHT, None, "quiet_hours", EIGHT_NEXT_DAY),
    ("07:59 is still quiet", FOLLOWER, "tier_down", EARLY, None, "quiet_hours", EIGHT_NEXT_DAY),
    ("08:00 is not", FOLLOWER, "tier_down", EIGHT_NEXT_DAY, Channel.TEMPLATE, None, None),
    ("points expiry without an acceptance: the template", FOLLOWER, "points_expiring", NOON,
     Channel.TEMPLATE, None, None),
    ("points expiry with an acceptance: the subscription notice",
     replace(FOLLOWER, acceptances={"SUB_P": 1}), "points_expiring", NOON, Channel.SUBSCRIBE, None, None),
    ("an acceptance of another template does not count",
     replace(FOLLOWER, acceptances={"SUB_C": 3}), "points_expiring", NOON, Channel.TEMPLATE, None, None),
    ("a spent acceptance (0 left) does not count",
     replace(FOLLOWER, acceptances={"SUB_P": 0}), "points_expiring", NOON, Channel.TEMPLATE, None, None),
    ("inspection has no template: without acceptance or chat, nothing", FOLLOWER, "inspection", NOON,
     None, "no_channel", None),
    ("inspection inside the chat window: a CS message",
     replace(FOLLOWER, last_wrote_at=NOON - timedelta(hours=47)), "inspection", NOON, Channel.CUSTOM, None, None),
    ("the window closes at 48 hours", replace(FOLLOWER, last_wrote_at=NOON - timedelta(hours=48)),
     "inspection", NOON, None, "no_channel", None),
    ("five CS messages fill the window",
     replace(FOLLOWER, last_wrote_at=NOON - timedelta(hours=1), custom_sent_in_window=5),
     "inspection", NOON, None, "no_channel", None),
    ("four leave room for a fifth",
     replace(FOLLOWER, last_wrote_at=NOON - timedelta(hours=1), custom_sent_in_window=4),
     "inspection", NOON, Channel.CUSTOM, None, None),
    ("the survey asks in the chat first", replace(CHATTED, acceptances={"SUB_S": 1}), "survey", NOON,
     Channel.CUSTOM, None, None),
    ("marketing is opt-in: the default says no", FOLLOWER, "birthday", NOON, None, "opted_out", None),
    ("marketing never by template: SMS to a consenting member", FAN, "birthday", NOON, Channel.SMS, None, None),
    ("marketing inside the window: a CS message", CHATTED, "recall", NOON, Channel.CUSTOM, None, None),
    ("marketing never by subscription notice, even with an acceptance: SMS", replace(FAN, acceptances={"SUB_R": 1}),
     "recall", NOON, Channel.SMS, None, None),
    ("the weekly marketing cap (2) holds", replace(FAN, marketing_this_week=2), "recall", NOON,
     None, "marketing_cap", None),
    ("one under the cap still goes", replace(FAN, marketing_this_week=1), "recall", NOON, Channel.SMS, None, None),
    ("marketing waits out quiet hours", FAN, "birthday", NIGHT, None, "quiet_hours", EIGHT_NEXT_DAY),
    ("an unfollowed member gets no template", replace(FOLLOWER, following=False), "receipt", NOON,
     None, "not_following", None),
    ("an unfollowed member's marketing can go by SMS", UNFOLLOWED, "birthday", NOON, Channel.SMS, None, None),
    ("no openid bound: no WeChat channel", replace(FOLLOWER, openid=None), "receipt", NOON,
     None, "not_following", None),
    ("service notices switched off", replace(FOLLOWER, preferences={**DEFAULTS, "service_notices": False}),
     "receipt", NOON, None, "opted_out", None),
    ("reminders switched off", replace(FOLLOWER, preferences={**DEFAULTS, "reminders": False}),
     "points_expiring", NOON, None, "opted_out", None),
    ("opting out of reminders leaves service notices", replace(FOLLOWER, preferences={**DEFAULTS, "reminders": False}),
     "receipt", NOON, Channel.TEMPLATE, None, None),
    ("an erased member gets nothing", Recipient(member_id=None), "receipt", NOON, None, "no_member", None),
    ("a closed template channel falls back to the chat window",
     replace(CHATTED, closed_channels=frozenset({"template"})), "receipt", NOON, Channel.CUSTOM, None, None),
    ("45047 closed the chat: no retry on it", replace(CHATTED, closed_channels=frozenset({"custom"})),
     "inspection", NOON, None, "no_channel", None),
    # The short window: a menu tap, follow or scan allows 3 CS messages within 60 s.
    ("a menu tap opens the minute's window", replace(FOLLOWER, last_tapped_at=NOON - timedelta(seconds=30)),
     "inspection", NOON, Channel.CUSTOM, None, None),
    ("59 s after the tap is still inside", replace(FOLLOWER, last_tapped_at=NOON - timedelta(seconds=59)),
     "inspection", NOON, Channel.CUSTOM, None, None),
    ("the tap's window closes at 60 s", replace(FOLLOWER, last_tapped_at=NOON - timedelta(seconds=60)),
     "inspection", NOON, None, "no_channel", None),
    ("three CS messages fill the tap's window",
     replace(FOLLOWER, last_tapped_at=NOON - timedelta(seconds=10), custom_sent_since_tap=3),
     "inspection", NOON, None, "no_channel", None),
    ("two leave room for a third", replace(FOLLOWER, last_tapped_at=NOON - timedelta(seconds=10),
                                           custom_sent_since_tap=2), "inspection", NOON, Channel.CUSTOM, None, None),
    ("a tap does not open the 48 hours", replace(FOLLOWER, last_tapped_at=NOON - timedelta(hours=1)),
     "inspection", NOON, None, "no_channel", None),
    ("a tap reopens a chat window that five messages filled",
     replace(CHATTED, custom_sent_in_window=5, last_tapped_at=NOON - timedelta(seconds=5)),
     "inspection", NOON, Channel.CUSTOM, None, None),
    ("the tap's count does not shut an open chat window",
     replace(CHATTED, custom_sent_in_window=4, last_tapped_at=NOON - timedelta(seconds=5), custom_sent_since_tap=3),
     "inspection", NOON, Channel.CUSTOM, None, None),
    ("a tap's window lets the survey ask", replace(FAN, last_tapped_at=NOON - timedelta(seconds=1)), "survey",
     NOON, Channel.CUSTOM, None, None),
    ("43101 closed the subscription: the template instead",
     replace(FOLLOWER, acceptances={"SUB_P": 1}, closed_channels=frozenset({"subscribe"})),
     "points_expiring", NOON, Channel.TEMPLATE, None, None),
]


@pytest.mark.parametrize("who, kind, now, channel, reason, defer", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_the_policy_table(who, kind, now, channel, reason, defer):
    decision = decide(who, kind, now, RULES)
    assert (decision.channel, decision.reason, decision.defer_until) == (channel, reason, defer)


def test_a_subscription_decision_names_the_template_it_spends():
    decision = decide(replace(FOLLOWER, acceptances={"SUB_P": 1}), "points_expiring", NOON, RULES)
    assert decision == Decision(channel=Channel.SUBSCRIBE, template_id="SUB_P")


def test_a_kind_without_a_configured_template_never_goes_by_template():
    rules = replace(RULES, template_kinds=frozenset())
    assert decide(FOLLOWER, "receipt", NOON, rules).reason == "no_channel"


def test_a_configured_cap_replaces_the_default():
    assert decide(replace(FAN, marketing_this_week=2), "recall", NOON, replace(RULES, marketing_cap=3)).channel \
        is Channel.SMS


@pytest.mark.parametrize("local, expected", [
    ((21, 59), None), ((22, 0), (1, 6, 8)), ((23, 59), (1, 6, 8)), ((0, 0), (1, 5, 8)), ((7, 59), (1, 5, 8)),
    ((8, 0), None),
])
def test_quiet_hours_edges(local, expected):
    now = datetime(2027, 1, 5, *local, tzinfo=BUSINESS_TZ).astimezone(timezone.utc)
    until = quiet_until(now, RULES)
    if expected is None:
        assert until is None
    else:
        month, day, hour = expected
        assert until == datetime(2027, month, day, hour, tzinfo=BUSINESS_TZ)


@pytest.mark.parametrize("local, expected", [
    ((23, 59), None), ((0, 0), (1, 5, 7)), ((6, 59), (1, 5, 7)), ((7, 0), None), ((11, 0), None),
])
def test_quiet_hours_within_one_day(local, expected):
    """00:00-07:00 does not cross midnight: quiet only between the two, never all day."""
    rules = replace(RULES, quiet_start=time(0, 0), quiet_end=time(7, 0))
    until = quiet_until(datetime(2027, 1, 5, *local, tzinfo=BUSINESS_TZ).astimezone(timezone.utc), rules)
    assert until == (None if expected is None else datetime(2027, *expected, tzinfo=BUSINESS_TZ))


def test_marketing_kinds_never_list_the_template_or_subscription_channel():
    marketing = [k for k, s in SPECS.items() if s.category is Category.MARKETING]
    assert sorted(marketing) == sorted([Kind.BIRTHDAY, Kind.RECALL, Kind.CAMPAIGN])
    assert all(c not in SPECS[k].channels for k in marketing for c in (Channel.TEMPLATE, Channel.SUBSCRIBE))


def test_a_subscription_template_configured_for_marketing_is_still_not_used():
    """Even if an operator maps a marketing kind to a subscription template and the member
    accepted it, the policy does not send marketing that way."""
    from loyalty.notices.policy import _available
    ok, _ = _available(Channel.SUBSCRIBE, "recall", Category.MARKETING, replace(FAN, acceptances={"SUB_R": 1}),
                       NOON, RULES)
    assert not ok

"""积分: the balance, what expires soonest, the last three movements; in a family, the
pool and who earned what.

The reply is cached (bot/reply_cache.py): the next 积分 from this openid is answered from
Redis until something it was read from changes (loyalty/generations.py: the openid's binding,
the member, their points account, their family, the expiry run), the soonest points
expire, or the business day ends."""
from datetime import datetime, timedelta

from bot.router import Turn, router
from handlers import texts
from handlers.guard import member_required
from loyalty import generations
from loyalty.policy import BUSINESS_TZ
from loyalty.people.statements import points_statement


def _next_business_day(now: datetime) -> datetime:
    local = now.astimezone(BUSINESS_TZ)
    return datetime.combine(local.date() + timedelta(days=1), datetime.min.time(), BUSINESS_TZ)


@router.command("points", "积分", "我的积分", menu="MY_POINTS")
@router.cached
@member_required
def points(turn: Turn) -> str:
    s = points_statement(turn.member)
    until = _next_business_day(datetime.now(BUSINESS_TZ))
    if s.good_until is not None:
        until = min(until, s.good_until)
    turn.cache_reply(generations.keys((generations.openid(turn.openid), *s.sources)), until.timestamp())
    return texts.render("points", s=s)

"""签到: points once per business day, with a streak bonus (loyalty.benefits.checkin)."""
from bot.router import Turn, router
from handlers import texts
from handlers.guard import member_required
from loyalty.benefits import checkin as checkins
from web import clock


@router.command("checkin", "签到", "每日签到", menu="CHECKIN")
@member_required
def checkin(turn: Turn) -> str:
    done = checkins.check_in(turn.member, now=clock.now())
    row = done.checkin
    return texts.render("checkin/done" if done.created else "checkin/already",
                        points=row.points + row.bonus, bonus=row.bonus, streak=row.streak,
                        next_in=done.next_bonus_in, next_bonus=done.next_bonus)

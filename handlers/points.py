"""积分: the balance, what expires soonest, the last three movements; in a family, the
pool and who earned what."""
from bot.router import Turn, router
from handlers import texts
from handlers.guard import member_required
from loyalty.people.statements import points_statement


@router.command("points", "积分", "我的积分", menu="MY_POINTS")
@member_required
def points(turn: Turn) -> str:
    return texts.render("points", s=points_statement(turn.member))

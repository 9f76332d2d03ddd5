"""余额: stored value, principal and bonus, and the last three movements."""
from bot.router import Turn, router
from handlers import texts
from handlers.guard import member_required
from loyalty.people.statements import wallet_statement


@router.command("balance", "余额", "储值", menu="MY_BALANCE")
@router.pure
@member_required
def balance(turn: Turn) -> str:
    return texts.render("balance", s=wallet_statement(turn.member))

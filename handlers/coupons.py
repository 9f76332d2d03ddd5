"""优惠券: the coupons the member can use now, with their validity, soonest to expire first."""
from bot.router import Turn, router
from handlers import texts
from handlers.guard import member_required
from loyalty.people.statements import held_coupons


@router.command("coupons", "优惠券", "我的券", menu="MY_COUPONS")
@router.pure
@member_required
def coupons(turn: Turn) -> str:
    return texts.render("coupons", coupons=held_coupons(turn.member))

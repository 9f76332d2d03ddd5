"""等级: the member's tier, what it gives, and how far the next one is."""
from bot.router import Turn, router
from handlers import texts
from handlers.guard import member_required
from loyalty.benefits import tiers


@router.command("tier", "等级", "会员等级", menu="MY_TIER")
@router.pure
@member_required
def tier(turn: Turn) -> str:
    progress = tiers.progress(turn.member)
    return texts.render("tier", progress=progress, privileges=tiers.privileges(progress.tier))

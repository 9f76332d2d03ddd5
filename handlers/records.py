"""记录: the last five sales and a link to the full list (the H5 records page at
PUBLIC_BASE_URL + /m/records)."""
from flask import current_app

from bot.router import Turn, router
from handlers import texts
from handlers.guard import member_required
from loyalty.people.history import recent_sales

RECORDS_PATH = "/m/records"


@router.command("records", "记录", "消费记录", menu="HISTORY")
@router.pure
@member_required
def records(turn: Turn) -> str:
    link = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + RECORDS_PATH
    return texts.render("records", sales=recent_sales(turn.member, 5), link=link)

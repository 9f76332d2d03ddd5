"""帮助: the list of what a member can do. Also the answer to any text nobody else takes."""
from flask import render_template

from bot.router import Turn, router


@router.text("帮助", "?", "？", "help")
@router.click("HELP")
@router.fallback_text
def help_reply(turn: Turn) -> str:
    return render_template("replies/help.txt").strip()

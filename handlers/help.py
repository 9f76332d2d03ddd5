"""帮助: the list of what a member can do. Also the answer to any text nobody else takes."""
from flask import current_app, render_template

from bot.router import Turn, router


@router.text("帮助", "?", "？", "help")
@router.click("HELP")
@router.fallback_text
@router.quick
def help_reply(turn: Turn) -> str:
    # A static template: rendered once per app, not once per message.
    text = current_app.extensions.get("help_text")
    if text is None:
        text = current_app.extensions["help_text"] = render_template("replies/help.txt").strip()
    return text

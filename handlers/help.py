"""帮助: the list of what a member can do, generated from the registered commands (so it
never lists one that does not exist). Also the answer to any text nobody else takes."""
from flask import Flask

from bot.router import Turn, router
from handlers import texts


def check_lines(app: Flask) -> None:
    """Refuse to start when a registered command has no line in help_lines.txt, so the help
    reply never shows an empty line and every line's wording lives in templates/."""
    lines = app.extensions["reply_jinja"].get_template("replies/help_lines.txt").module.LINES
    missing = [c.name for c in router.commands if c.name not in lines]
    if missing:
        raise RuntimeError(f"no help line in templates/replies/help_lines.txt for: {', '.join(missing)}")


@router.command("help", "帮助", "?", "？", "help", menu="HELP")
@router.fallback_text
@router.quick
@router.pure
def help_reply(turn: Turn) -> str:
    # One line per registered command, in routing-table order; rendered once per app.
    return texts.static("help", commands=router.commands)

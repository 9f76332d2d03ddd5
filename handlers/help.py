"""帮助: the list of what a member can do, generated from the registered commands (so it
never lists one that does not exist). Also the answer to any text nobody else takes."""
from bot.router import Turn, router
from handlers import texts


@router.command("help", "帮助", "?", "？", "help", menu="HELP", help="查看全部功能")
@router.fallback_text
@router.quick
def help_reply(turn: Turn) -> str:
    # One line per registered command, in routing-table order; rendered once per app.
    return texts.static("help", commands=router.commands)

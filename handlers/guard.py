"""`member_required`: the guard of account commands.

    @router.command("points", "积分", menu="MY_POINTS")
    @member_required
    def points(turn): ... turn.member is the bound Member ...

It looks the member up once (loyalty.people.bindings.member_by_openid) and puts it on
the Turn; an openid bound to nobody gets the friendly templates/replies/unbound.txt
(how to bind) and the command does not run.
"""
from __future__ import annotations

import functools

from bot.router import Handler, Turn
from handlers import texts
from loyalty.people.bindings import member_by_openid


def member_required(handler: Handler) -> Handler:
    @functools.wraps(handler)
    def guarded(turn: Turn):
        turn.member = member_by_openid(turn.openid)
        if turn.member is None:
            return texts.static("unbound")
        return handler(turn)
    guarded.member_required = True
    return guarded

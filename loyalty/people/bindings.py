"""Which member a WeChat openid belongs to. The one place the chat (and later the H5
pages) turns an openid into a member; binding and unbinding will live here too."""
from __future__ import annotations

from sqlalchemy import select

from extensions import db
from models import Member, WeChatBinding


def member_by_openid(openid: str) -> Member | None:
    """The member this openid is bound to, or None when it is bound to nobody.
    One indexed lookup (wechat_bindings.openid is unique); reads only, never flushes."""
    return db.session.scalars(
        select(Member).join(WeChatBinding, WeChatBinding.member_id == Member.id)
        .where(WeChatBinding.openid == openid)).first()


def openids_of(member_id: int) -> list[str]:
    """Every openid bound to the member, oldest binding first. Reads only."""
    return list(db.session.scalars(select(WeChatBinding.openid).where(WeChatBinding.member_id == member_id)
                                   .order_by(WeChatBinding.id)))

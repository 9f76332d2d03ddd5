"""Follow and unfollow events: remember the follower, greet them."""
from datetime import datetime, timezone

from sqlalchemy import select

from bot.router import Turn, router
from extensions import db
from handlers import texts
from models import Follower


def _follower(openid: str) -> Follower:
    follower = db.session.scalars(select(Follower).where(Follower.openid == openid)).first()
    if follower is None:
        follower = Follower(openid=openid)
        db.session.add(follower)
    return follower


@router.event("subscribe")
def subscribe(turn: Turn) -> str:
    follower = _follower(turn.openid)
    follower.subscribed = True
    follower.subscribed_at = datetime.now(timezone.utc)
    follower.source_scene = turn.msg.scene
    db.session.commit()
    return texts.render("welcome")


@router.event("unsubscribe")
def unsubscribe(turn: Turn) -> None:
    follower = _follower(turn.openid)
    follower.subscribed = False
    follower.unsubscribed_at = datetime.now(timezone.utc)
    db.session.commit()
    return None

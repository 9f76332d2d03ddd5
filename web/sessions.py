"""Server-side sessions for every web face: the cashier page now, the console and the
member's H5 pages later.

Flask-Session (the well-kept library for it) keeps each session in this app's Redis under
`session:<id>`; the cookie holds only that random id (32 bytes, token_urlsafe), so ending
a session in Redis ends every copy of its cookie at once. A session that belongs to
someone names its owner ("staff:7", later "member:42"), and each owner's session ids are
kept in a Redis set, so all of one owner's sessions can be ended together:

    begin(owner, **values)  a fresh session under a new id (no fixation), remembered under owner
    end()                   this session, now (logout)
    end_all(owner)          every session of that owner (a deactivated login, a new password)

Cookie flags (Secure, HttpOnly, SameSite) and the lifetime are Flask's SESSION_COOKIE_* and
PERMANENT_SESSION_LIFETIME settings (config.py).

The member's H5 pages (/m/...) keep their session under a cookie of their own
(MEMBER_COOKIE, path /m), apart from the staff's (SESSION_COOKIE_NAME, for every other
path): one browser showing a member page and the cashier page (the simulator does) keeps
both logins, a member's sign-in never clears a cashier's session, and a member's cookie is
never sent to the staff pages.
"""
from __future__ import annotations

from flask import Flask, current_app, has_request_context, request, session
from flask_session.base import ServerSideSessionInterface
from flask_session.redis import RedisSessionInterface

from extensions import get_redis

KEY_PREFIX = "session:"
# A session nobody has logged into (a login form's CSRF token) is kept this long at most,
# so a crawler opening the login page cannot fill Redis for a whole shift.
ANONYMOUS_SECONDS = 3600


MEMBER_COOKIE = "youka_member"
MEMBER_COOKIE_PATH = "/m"


def _member_face() -> bool:
    return has_request_context() and (request.path == MEMBER_COOKIE_PATH
                                      or request.path.startswith(MEMBER_COOKIE_PATH + "/"))


def _owner_key(owner: str) -> str:
    return f"session-owner:{owner}"


class AppRedisSessions(RedisSessionInterface):
    """Flask-Session's Redis sessions on this app's own Redis client.

    `Session(app)` wants a connected client (SESSION_REDIS) when the app is built; ours is
    made on first use (extensions.get_redis, which may start the embedded Redis), and each
    app has its own (tests build apps on different Redis databases). So the client is
    looked up per use instead of stored: RedisSessionInterface.__init__ only stores it."""

    def __init__(self, app: Flask) -> None:
        ServerSideSessionInterface.__init__(self, app, key_prefix=KEY_PREFIX, permanent=True,
                                            sid_length=32, serialization_format="msgpack")

    @property
    def client(self):
        return get_redis(self.app)

    def get_cookie_name(self, app) -> str:
        return MEMBER_COOKIE if _member_face() else super().get_cookie_name(app)

    def get_cookie_path(self, app) -> str:
        return MEMBER_COOKIE_PATH if _member_face() else super().get_cookie_path(app)

    def open_session(self, app, request):
        if request.path in app.extensions.get("sessionless_paths", ()):
            return None  # Flask's null session: nothing read, nothing written
        # Flask-Session reads SESSION_COOKIE_NAME itself; this face's cookie is ours to choose.
        sid = request.cookies.get(self.get_cookie_name(app))
        data = self._retrieve_session_data(self._get_store_id(sid)) if sid else None
        if data is None:
            found = self.session_class(sid=self._generate_sid(self.sid_length), permanent=self.permanent)
        else:
            found = self.session_class(data, sid=sid)
        # The id under which this session was read from Redis; None for a new session.
        found.stored_sid = sid if data is not None else None
        return found

    def _upsert_session(self, session_lifetime, session, store_id) -> None:
        # A session read from Redis is only ever updated (SET ... XX), never re-created: a
        # request still in flight when logout or end_all deleted it cannot bring it back.
        seconds = int(session_lifetime.total_seconds())
        if "owner" not in session:
            seconds = min(seconds, ANONYMOUS_SECONDS)
        self.client.set(store_id, self.serializer.encode(session), ex=seconds,
                        xx=session.sid == getattr(session, "stored_sid", None))


def init_app(app: Flask) -> None:
    """Sessions in Redis for every request of this app."""
    app.config["SESSION_TYPE"] = "redis"  # for readers of the config; the interface is ours
    app.session_interface = AppRedisSessions(app)


def skip(app: Flask, path: str) -> None:
    """Requests to `path` never have a session (the webhook: WeChat sends no cookies, and
    the busiest endpoint should not mint a session id per message)."""
    app.extensions.setdefault("sessionless_paths", set()).add(path)


def begin(owner: str, **values) -> None:
    """Start a fresh session for `owner` holding `values`: nothing from before survives,
    and it gets a new id, so an id planted before the login (fixation) is worthless."""
    session.clear()
    session.update(values, owner=owner)
    current_app.session_interface.regenerate(session)  # also deletes the old id from Redis
    key = _owner_key(owner)
    with get_redis().pipeline() as pipe:
        pipe.sadd(key, session.sid)
        # No session outlives its lifetime, so neither need the list of them.
        pipe.expire(key, int(current_app.permanent_session_lifetime.total_seconds()))
        pipe.execute()


def end() -> None:
    """End this session now, for every copy of its cookie."""
    redis = get_redis()
    owner = session.get("owner")
    if owner:
        redis.srem(_owner_key(owner), session.sid)
    redis.delete(KEY_PREFIX + session.sid)
    session.clear()  # and Flask-Session tells the browser to drop the cookie


def end_all(owner: str) -> int:
    """End every session of `owner`, wherever its cookies are; returns how many were live."""
    redis = get_redis()
    sids = [sid.decode() for sid in redis.smembers(_owner_key(owner))]
    live = redis.delete(*(KEY_PREFIX + sid for sid in sids)) if sids else 0
    redis.delete(_owner_key(owner))
    return live

"""What the fake remembers of web-page OAuth (snsapi_base): who "is in WeChat" when a page
asks to authorise, the codes handed out, and the exchanges made. Guarded by the state's lock."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass, field
from typing import Any

CODE_TTL = 300  # WeChat: a code works once, within five minutes


@dataclass
class OAuthCode:
    appid: str
    openid: str
    snapshot: bool
    issued_at: float
    used: bool = False


@dataclass
class OAuthState:
    # The WeChat user a page's authorize request is answered for; None: the fake asks
    # (a small form, for a developer in a browser).
    user: tuple[str, bool] | None = None
    codes: dict[str, OAuthCode] = field(default_factory=dict)
    exchanges: list[dict[str, Any]] = field(default_factory=list)

    def issue(self, appid: str, openid: str, snapshot: bool) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = OAuthCode(appid, openid, snapshot, time.time())
        return code

    def take(self, appid: str, code: str) -> OAuthCode | int:
        """The code's grant, used up; or WeChat's errcode (40029 unknown or expired, 40163 used)."""
        found = self.codes.get(code)
        if found is None or found.appid != appid or time.time() - found.issued_at > CODE_TTL:
            return 40029
        if found.used:
            return 40163
        found.used = True
        self.exchanges.append({"appid": appid, "openid": found.openid, "snapshot": found.snapshot})
        return found

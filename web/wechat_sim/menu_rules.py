"""WeChat's checks on a custom menu, answered with the errcodes WeChat uses."""
from __future__ import annotations

from typing import Any

BUTTON_TYPES = {"click", "view", "scancode_push", "scancode_waitmsg", "pic_sysphoto",
                "pic_photo_or_album", "pic_weixin", "location_select", "media_id",
                "article_id", "article_view_limited", "miniprogram"}


def _leaf_errcode(button: dict[str, Any]) -> int | None:
    kind = button.get("type")
    if kind not in BUTTON_TYPES:
        return 40017
    if kind == "click" and not 0 < len(str(button.get("key", "")).encode()) <= 128:
        return 40019
    if kind == "view" and not button.get("url"):
        return 40017
    return None


def _button_errcode(button: Any) -> int | None:
    if not isinstance(button, dict):
        return 47001
    if not 0 < len(str(button.get("name", "")).encode()) <= 16:
        return 40018
    subs = button.get("sub_button")
    if not subs:
        return _leaf_errcode(button)
    if not isinstance(subs, list) or len(subs) > 5:
        return 40016
    for sub in subs:
        if not isinstance(sub, dict):
            return 47001
        if not 0 < len(str(sub.get("name", "")).encode()) <= 60:
            return 40018
        code = _leaf_errcode(sub)
        if code:
            return code
    return None


def menu_errcode(menu: dict[str, Any] | None) -> int | None:
    """None for a menu WeChat would accept, else the errcode it would answer."""
    buttons = (menu or {}).get("button")
    if not isinstance(buttons, list) or not 0 < len(buttons) <= 3:
        return 40016
    for button in buttons:
        code = _button_errcode(button)
        if code:
            return code
    return None

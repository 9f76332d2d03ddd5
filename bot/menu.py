"""The account's custom menu, as data, and its WeChat JSON.

Every button is a click button whose key is the router's menu key (see handlers/),
so tapping a button and typing its keyword reach the same handler. `flask wechat menu`
(bot/cli.py) publishes it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

# WeChat's limits; a menu over them is refused with 40016/40018/40019.
MAX_TOP_BUTTONS = 3
MAX_SUB_BUTTONS = 5
MAX_TOP_NAME_BYTES = 16
MAX_SUB_NAME_BYTES = 60
MAX_KEY_BYTES = 128


@dataclass(frozen=True)
class Button:
    name: str
    key: str


@dataclass(frozen=True)
class Submenu:
    name: str
    buttons: tuple[Button, ...]


Menu = tuple[Button | Submenu, ...]

MENU: Menu = (
    Submenu("会员卡", (
        Button("电子会员卡", "ECARD"),
        Button("我的积分", "MY_POINTS"),
        Button("余额", "MY_BALANCE"),
        Button("会员等级", "MY_TIER"),
    )),
    Submenu("积分商城", (
        Button("兑换", "REDEEM"),
        Button("我的券", "MY_COUPONS"),
        Button("签到", "CHECKIN"),
    )),
    Submenu("服务", (
        Button("绑定手机", "BIND_PHONE"),
        Button("消费记录", "HISTORY"),
        Button("发票", "INVOICE"),
        Button("反馈", "FEEDBACK"),
        Button("帮助", "HELP"),
    )),
)


class MenuError(ValueError):
    def __init__(self, errors: list[str]):
        super().__init__("; ".join(errors))
        self.errors = errors


def _size(text: str) -> int:
    return len(text.encode("utf-8"))


def _button_errors(button: Button, name_limit: int) -> list[str]:
    errors = []
    if not 0 < _size(button.name) <= name_limit:
        errors.append(f"button name {button.name!r} must be 1-{name_limit} bytes")
    if not 0 < _size(button.key) <= MAX_KEY_BYTES:
        errors.append(f"key of {button.name!r} must be 1-{MAX_KEY_BYTES} bytes")
    return errors


def _submenu_errors(submenu: Submenu) -> list[str]:
    errors = []
    if not 0 < _size(submenu.name) <= MAX_TOP_NAME_BYTES:
        errors.append(f"menu name {submenu.name!r} must be 1-{MAX_TOP_NAME_BYTES} bytes")
    if not 0 < len(submenu.buttons) <= MAX_SUB_BUTTONS:
        errors.append(f"menu {submenu.name!r} must have 1-{MAX_SUB_BUTTONS} buttons")
    for button in submenu.buttons:
        errors.extend(_button_errors(button, MAX_SUB_NAME_BYTES))
    return errors


def menu_errors(menu: Menu) -> list[str]:
    """Everything WeChat would refuse in this menu; empty when it is publishable."""
    errors = []
    if not 0 < len(menu) <= MAX_TOP_BUTTONS:
        errors.append(f"the menu must have 1-{MAX_TOP_BUTTONS} top buttons, has {len(menu)}")
    keys: list[str] = []
    for item in menu:
        if isinstance(item, Submenu):
            errors.extend(_submenu_errors(item))
            keys.extend(b.key for b in item.buttons)
        else:
            errors.extend(_button_errors(item, MAX_TOP_NAME_BYTES))
            keys.append(item.key)
    # Two buttons with one key would be indistinguishable to the router.
    errors.extend(f"key {k!r} is used twice" for k in sorted({k for k in keys if keys.count(k) > 1}))
    return errors


def _click(button: Button) -> dict[str, str]:
    return {"type": "click", "name": button.name, "key": button.key}


def menu_json(menu: Menu = MENU) -> dict[str, Any]:
    """The body of WeChat's menu/create call; raises MenuError if WeChat would refuse it."""
    errors = menu_errors(menu)
    if errors:
        raise MenuError(errors)
    return {"button": [
        {"name": item.name, "sub_button": [_click(b) for b in item.buttons]}
        if isinstance(item, Submenu) else _click(item)
        for item in menu
    ]}


def menu_keys(menu: Menu = MENU) -> list[str]:
    """Every click key in the menu, in order (the router should handle each one)."""
    return [b.key for item in menu for b in (item.buttons if isinstance(item, Submenu) else (item,))]

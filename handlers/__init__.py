"""Member commands, one module per command or flow.

ROUTING is the routing table: every handler module, in the order its routes are tried
(the first matching route wins). It is also the order of the help reply. A module that
registers routes must be listed here, or the app refuses to start (bot.router.arrange).
"""
from __future__ import annotations

import importlib

from flask import Flask

from bot.router import router

ROUTING: tuple[str, ...] = (
    "pump",      # a scan of a pump's QR code (also when it arrives as a first subscribe)
    "referral_scan",  # a scan of a member's referral QR (ref:<code>), also as a first subscribe
    "follow",    # subscribe / unsubscribe, after pump: a scene-carrying follow is a pump scan
    "survey",    # a 1-5 reply to a survey pushed in the last 24 h (else handed on: router.PASS)
    "subscribe_notices",  # subscription-notice events: acceptances from the H5 page's 订阅 button
    "points",    # 积分, 我的积分, MY_POINTS
    "balance",   # 余额, 储值, MY_BALANCE
    "tier",      # 等级, 会员等级, MY_TIER
    "coupons",   # 优惠券, 我的券, MY_COUPONS
    "records",   # 记录, 消费记录, HISTORY
    "bind_phone",  # 绑定, 绑定手机, BIND_PHONE (a flow: phone -> SMS code -> consent)
    "unbind",    # 解绑, 注销 (each a 是/否 flow)
    "ecard",     # 会员卡, 电子会员卡, 付款码, ECARD
    "referral",  # 推荐, 邀请
    "family",    # 家庭 (and its flows family_create, family_answer, family_manage)
    "feedback",  # 反馈 + text, 反馈 / FEEDBACK (a flow asking for the text)
    "invoice",   # 发票, INVOICE (a flow: sale -> title -> email -> confirm)
    "redeem",    # 兑换, 积分商城, REDEEM (a flow: pick a number -> 是/否)
    "checkin",   # 签到, 每日签到, CHECKIN
    "help",      # 帮助, ?, ？, help, HELP, and any text nobody else takes
)


def init_app(app: Flask) -> None:
    from handlers import texts
    texts.init_app(app)
    modules = tuple(f"handlers.{name}" for name in ROUTING)
    for module in modules:
        importlib.import_module(module)  # registers its routes
    router.arrange(modules)
    from handlers.help import check_lines
    check_lines(app)  # every command has its help line in templates/

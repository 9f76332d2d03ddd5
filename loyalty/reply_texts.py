"""The reply texts HQ operators may reword in the console (/admin/replies), and how an
operator's text is checked and filled.

The shipped wording stays in templates/replies/<name>.txt (Jinja, for developers). The
replies listed in EDITABLE are plain sentences with at most a few values in them; an
operator's text for one of them is stored in `reply_texts` (models.ReplyText, through
loyalty.config_changes.save_reply_text with its change record) and replaces the shipped
text, until it is reset (the shipped text again). Other replies (lists, conditions,
the help reply built from the registered commands) are not operator-editable.

An operator's text is plain text with placeholders in braces, `{number}`: only the
placeholders its reply offers, some of them required (a ticket confirmation without
the ticket number would be useless), a literal brace written `{{` or `}}`. `check`
refuses anything else, so an edit can never break a reply; `fill` puts the values in.
The texts are read with the reference data (loyalty.reference): an edit moves its
version, so every process answers with it at once.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from typing import Any, Callable

from loyalty import reference
from loyalty.changes import check_plain
from loyalty.errors import ValidationError
from loyalty.people.members import mask_phone

MAX_CHARS = 600  # well inside WeChat's 2048 bytes a passive reply may carry


@dataclass(frozen=True)
class Placeholder:
    label: str                      # what it shows
    shipped: str                    # its expression in the shipped template: "ticket.number"
    value: Callable[[dict], Any]    # its value from the reply's context


@dataclass(frozen=True)
class Editable:
    name: str       # templates/replies/<name>.txt
    label: str      # where a member reads it
    placeholders: dict[str, Placeholder] = field(default_factory=dict)
    required: tuple[str, ...] = ()


def _plain(label: str, name: str) -> dict[str, Placeholder]:
    return {name: Placeholder(label, name, lambda context: context[name])}


EDITABLE: dict[str, Editable] = {e.name: e for e in (
    Editable("welcome", "关注公众号时的欢迎语"),
    Editable("unbound", "未绑定手机号的会员使用会员功能时"),
    Editable("bind/ask_phone", "绑定手机号：请会员回复手机号"),
    Editable("bind/already", "已绑定的会员再次「绑定」",
             {"phone": Placeholder("已遮盖的手机号，如 138****1234", "phone|masked",
                                   lambda c: mask_phone(c["phone"]))}),
    Editable("feedback/ask", "「反馈」：请会员写下意见", _plain("最多字数", "limit")),
    Editable("feedback/done", "反馈已记录为工单",
             {"number": Placeholder("工单号", "ticket.number", lambda c: c["ticket"].number)}, required=("number",)),
    Editable("invoice/done", "发票申请已提交",
             {"request_id": Placeholder("申请号", "request.id", lambda c: c["request"].id)},
             required=("request_id",)),
    Editable("survey/thanks", "服务评价：感谢评分", _plain("会员给的分数（1-5）", "rating")),
    Editable("redeem/empty", "积分商城没有可兑换的商品"),
    Editable("referral/scanned", "新朋友扫了推荐二维码", _plain("绑定后新会员得到的积分", "referred_points")),
    Editable("referral/scanned_member", "会员扫了别人的推荐二维码"),
    Editable("referral/scanned_unknown", "扫了失效的推荐二维码"),
    Editable("pump_unbound", "未绑定的会员扫油枪二维码"),
    Editable("pump_unknown", "扫了停用的油枪二维码"),
    Editable("erase/done", "注销会员完成"),
    Editable("erase/kept", "会员放弃注销"),
)}


def editable(name: str) -> Editable:
    """The catalogue entry; ValidationError for a reply operators cannot reword."""
    if name not in EDITABLE:
        raise ValidationError("这条回复不能在后台修改", field="name")
    return EDITABLE[name]


def check(name: str, text: str | None) -> str:
    """The text as stored (line breaks normalised, ends stripped) if it fits its reply;
    ValidationError in Chinese otherwise."""
    entry = editable(name)
    text = (text or "").replace("\r\n", "\n").replace("\r", "\n").strip()
    if not text:
        raise ValidationError("回复内容不能为空", field="text")
    check_plain(text, "text")
    if len(text) > MAX_CHARS:
        raise ValidationError(f"回复内容最长 {MAX_CHARS} 字", field="text")
    try:
        parts = list(string.Formatter().parse(text))
    except ValueError:
        raise ValidationError("花括号不成对：占位符写作 {number}，花括号本身写作 {{ 或 }}", field="text") from None
    used = set()
    for _, name_, spec, conversion in parts:
        if name_ is None:
            continue
        if name_ not in entry.placeholders or spec or conversion:
            offered = "、".join("{" + p + "}" for p in entry.placeholders) or "无"
            raise ValidationError(f"不认识的占位符 {{{name_[:20]}}}：这条回复可用 {offered}", field="text")
        used.add(name_)
    missing = [p for p in entry.required if p not in used]
    if missing:
        raise ValidationError(f"这条回复必须包含 {'、'.join('{' + p + '}' for p in missing)}", field="text")
    return text


def fill(name: str, text: str, context: dict) -> str:
    """An operator's (checked) text with its placeholders' values from the reply's context."""
    entry = EDITABLE[name]
    used = {p for _, p, _, _ in string.Formatter().parse(text) if p}
    return text.format_map({p: entry.placeholders[p].value(context) for p in used})


def shipped(name: str) -> str:
    """The shipped wording (templates/replies/<name>.txt) written as an operator's text:
    each `{{ ticket.number }}` as its placeholder `{number}`, literal braces doubled."""
    from flask import current_app
    entry = editable(name)
    env = current_app.extensions["reply_jinja"]
    source = env.loader.get_source(env, f"replies/{name}.txt")[0].strip()
    text = source.replace("{", "{{").replace("}", "}}")
    for placeholder, p in entry.placeholders.items():
        text = re.sub(r"\{\{\{\{\s*" + re.escape(p.shipped) + r"\s*\}\}\}\}", "{" + placeholder + "}", text)
    return text


def override(name: str) -> str | None:
    """The operators' text for this reply, if they reworded it (None: the shipped text)."""
    if name not in EDITABLE:
        return None
    return reference.current().replies.get(name)

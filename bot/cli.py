"""`flask wechat ...`: publish the menu, and chat with the webhook as a member.

`flask wechat chat` plays WeChat's part (bot.member_sim): it signs each message with
WECHAT_TOKEN and, when WECHAT_AES_KEY is set, encrypts it in safe mode, so it exercises
exactly the path a real member's message takes.
"""
from __future__ import annotations

import sys
from collections.abc import Iterator

import click
import requests
from flask import Flask, current_app
from flask.cli import AppGroup

from bot.member_sim import WeChatServer, message_xml

wechat_cli = AppGroup("wechat", help="Talk to WeChat: publish the menu, chat as a member.")

CHAT_HELP = ("Type a message, or /click KEY, /event NAME [KEY] (e.g. /event subscribe, "
             "/event SCAN pump:S001:3), /quit.")
# Longer than the webhook's reply budget, so a slow handler shows as `(no reply)`, not an error.
CHAT_TIMEOUT = 15.0


def init_app(app: Flask) -> None:
    app.cli.add_command(wechat_cli)


@wechat_cli.command("menu")
def publish_menu() -> None:
    """Publish bot/menu.py's menu to the account."""
    from bot.menu import MENU, MenuError, menu_json
    from bot.wechat import get_client
    from bot.wechat_http import WeChatAPIError
    try:
        get_client().create_menu(menu_json())
    except MenuError as exc:
        raise click.ClickException(f"the menu breaks WeChat's rules: {exc}") from None
    except WeChatAPIError as exc:
        raise click.ClickException(f"WeChat refused the menu: {exc}") from None
    names = " / ".join(item.name for item in MENU)
    click.echo(f"Menu published to {current_app.config['WECHAT_API_BASE']}: {names}")


@wechat_cli.command("flows")
@click.option("--write", is_flag=True,
              help="Also write handlers/flows/<flow>.mmd and the diagrams in docs/wechat.md.")
def print_flows(write: bool) -> None:
    """Print each conversation flow of handlers/ as a Mermaid state diagram."""
    from bot import flow_docs
    for flow in flow_docs.handler_flows():
        click.echo(f"%% flow {flow.name} ({flow.module})")
        click.echo(flow.mermaid())
    if write:
        for path in flow_docs.write(current_app.root_path):
            click.echo(f"wrote {path}", err=True)


def chat_message(openid: str, line: str) -> str | None:
    """The XML for one line typed in the chat, or None when the line is not a message."""
    if not line.startswith("/"):
        return message_xml(openid, text=line)
    command, *args = line.split()
    if command == "/click" and len(args) == 1:
        return message_xml(openid, event="CLICK", event_key=args[0])
    if command == "/event" and len(args) in (1, 2):
        return message_xml(openid, event=args[0], event_key=args[1] if len(args) == 2 else None)
    return None


def describe_reply(fields: dict[str, str] | None) -> str:
    if fields is None:
        return "(no reply)"
    kind = fields.get("MsgType", "")
    if kind == "text":
        return fields.get("Content", "")
    if kind == "image":
        return f"[image {fields.get('MediaId', '')}]"
    return f"[{kind} reply]"


def post_message(server: WeChatServer, url: str, xml: str) -> str:
    signed = server.sign(xml)
    try:
        res = requests.post(f"{url}?{signed.query}", data=signed.body,
                            headers={"Content-Type": "text/xml"}, timeout=CHAT_TIMEOUT)
    except requests.RequestException as exc:
        return f"error: cannot reach {url}: {type(exc).__name__}"
    if res.status_code != 200:
        return f"error: HTTP {res.status_code}: {res.text.strip()[:300]}"
    try:
        return describe_reply(server.read_reply(res.content))
    except ValueError as exc:
        return f"error: unreadable reply: {exc}"


def _lines() -> Iterator[str]:
    for raw in sys.stdin:
        line = raw.strip()
        if line:
            yield line


@wechat_cli.command("chat")
@click.option("--openid", required=True, help="The member's openid to chat as.")
@click.option("--url", default=None, help="The webhook URL (default http://127.0.0.1:<PORT>/wechat).")
def chat(openid: str, url: str | None) -> None:
    """Chat with the webhook as a member, one line per message."""
    config = current_app.config
    url = url or f"http://127.0.0.1:{config['PORT']}/wechat"
    server = WeChatServer(config["WECHAT_TOKEN"], config["WECHAT_APPID"], config.get("WECHAT_AES_KEY"))
    mode = "safe mode (AES)" if server.crypto else "plain mode"
    click.echo(f"Chatting with {url} as {openid}, {mode}. {CHAT_HELP}", err=True)
    for line in _lines():
        if line == "/quit":
            break
        xml = chat_message(openid, line)
        if xml is None:
            click.echo(CHAT_HELP, err=True)
            continue
        click.echo(post_message(server, url, xml))

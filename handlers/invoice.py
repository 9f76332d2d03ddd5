"""发票: ask for an e-invoice for one of the recent sales (loyalty.service.invoices).

    发票 -> the status of earlier requests, then the sales that can still be invoiced
    sale          -> its number in the list
    title         -> a saved title's number, or 个人 / 单位 for a new one
    personal_name -> the person's name                      -> email
    company_name  -> the company's name -> tax_code (the unified social credit code,
                     check digit verified)                  -> email
    email         -> where the PDF goes -> confirm (是/否) -> queued for the operators
The flow's data holds only what the member was shown (the listed sales and titles), so a
number always means what the member saw; the member is looked up again at the end.
"""
from __future__ import annotations

from datetime import datetime

from bot.conversation import END, Flow, State, Step
from bot.router import Turn, router
from handlers import texts
from handlers.guard import member_required
from loyalty.errors import ValidationError
from loyalty.people.bindings import member_by_openid
from loyalty.service import credit_code, invoices
from loyalty.service.invoices import Title

NUMBER = r"^\s*(\d{1,2})\s*$"
COMPANY_WORDS = ("单位", "公司", "企业")


def _pick(items: list, number: str):
    index = int(number)
    return items[index - 1] if 1 <= index <= len(items) else None


def take_sale(turn: Turn) -> Step:
    sale = _pick(turn.data["sales"], turn.match.group(1))
    if sale is None:
        return Step(texts.render("invoice/sale_again", count=len(turn.data["sales"])), next="sale")
    titles = [Title(**t) for t in turn.data["titles"]]
    return Step(texts.render("invoice/ask_title", titles=titles), next="title", data={"sale": sale})


def take_title(turn: Turn) -> Step:
    answer = turn.match.group(1)
    if answer == "个人":
        return Step(texts.render("invoice/ask_personal_name"), next="personal_name")
    if answer in COMPANY_WORDS:
        return Step(texts.render("invoice/ask_company_name"), next="company_name")
    title = _pick(turn.data["titles"], answer)
    if title is None:
        return Step(texts.render("invoice/title_again", count=len(turn.data["titles"])), next="title")
    return Step(texts.render("invoice/ask_email"), next="email", data={"title": title})


def take_personal_name(turn: Turn) -> Step:
    title = Title("personal", turn.accepted, None)
    return Step(texts.render("invoice/ask_email"), next="email", data={"title": title.as_dict()})


def take_company_name(turn: Turn) -> Step:
    return Step(texts.render("invoice/ask_tax_code"), next="tax_code", data={"company": turn.accepted})


def take_tax_code(turn: Turn) -> Step:
    title = Title("company", turn.data["company"], turn.accepted)
    return Step(texts.render("invoice/ask_email"), next="email", data={"title": title.as_dict()})


def take_email(turn: Turn) -> Step:
    sale = {**turn.data["sale"], "at": datetime.fromisoformat(turn.data["sale"]["at"])}
    return Step(texts.render("invoice/confirm", sale=sale, title=Title(**turn.data["title"]), email=turn.accepted),
                next="confirm", data={"email": turn.accepted})


def take_confirm(turn: Turn) -> Step:
    if turn.match.group(1) == "否":
        return Step(texts.render("invoice/not_sent"), next=END)
    member = member_by_openid(turn.openid)  # may have been unbound since the question
    if member is None:
        return Step(texts.static("unbound"), next=END)
    try:
        request, created = invoices.request_invoice(member, turn.data["sale"]["id"], Title(**turn.data["title"]),
                                                    turn.data["email"])
    except ValidationError:
        return Step(texts.render("invoice/sale_gone"), next=END)
    return Step(texts.render("invoice/done" if created else "invoice/already", request=request), next=END)


invoice_flow = Flow("invoice", start="sale", timeout=900, states={
    "sale": State(take_sale, to=("sale", "title"), accepts=NUMBER, reprompt="invoice/sale_again"),
    "title": State(take_title, to=("title", "personal_name", "company_name", "email"),
                   accepts=r"^\s*(\d{1,2}|个人|单位|公司|企业)\s*$", reprompt="invoice/title_again"),
    "personal_name": State(take_personal_name, to=("email",), accepts=invoices.check_name,
                           reprompt="invoice/name_again"),
    "company_name": State(take_company_name, to=("tax_code",), accepts=invoices.check_name,
                          reprompt="invoice/name_again"),
    "tax_code": State(take_tax_code, to=("email",), accepts=credit_code.normalise, reprompt="invoice/tax_code_again"),
    "email": State(take_email, to=("confirm",), accepts=invoices.check_email, reprompt="invoice/email_again"),
    "confirm": State(take_confirm, to=(END,), accepts=r"^\s*(是|否)\s*$", reprompt="invoice/confirm_again"),
})


@router.command("invoice", "发票", "开发票", menu="INVOICE")
@member_required
def invoice(turn: Turn):
    requests = invoices.requests_of(turn.member)
    sales = invoices.invoiceable_sales(turn.member)
    reply = texts.render("invoice/start", requests=requests, sales=sales)
    if not sales:
        return reply
    data = {"sales": [{"id": s.id, "at": s.at.isoformat(), "station": s.station, "amount_fen": s.amount_fen}
                      for s in sales],
            "titles": [t.as_dict() for t in invoices.saved_titles(turn.member)]}
    return invoice_flow.begin(turn, reply, data=data)

"""The cashier's side of a sale: who the member is (a member code or the member attached
to the nozzle), the quote, the commit, and the member's summary.

Used by the station API and the cashier page (top-ups: loyalty.till.topups). Each sale
is one command of loyalty.once.run_once, keyed by the station's POS number; the ordering
that keeps "nothing is written on any error", member code and nozzle attachment included:

1. lock the reference (run_once), then look for a sale it already made: a retry, or a
   twin that was racing this request and committed while it waited, answers with that
   sale, compared with the request, before the (by then consumed) code is looked at;
2. consume the code (atomic; CodeUsed for the loser of a race), or take the nozzle's
   attachment, still under the lock, so no twin can sell without them meanwhile;
3. write the sale and commit;
4. when the write fails, release the code and put the attachment back before the lock
   ends; a retry answered with the first sale gives back anything it took.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from extensions import db
from loyalty import reference
from loyalty.benefits import coupons
from loyalty.books.ledger import as_utc
from loyalty.errors import InsufficientBalance, ValidationError
from loyalty.once import run_once
from loyalty.people.members import account_of, accounts_of
from loyalty.till import member_codes, nozzles, sales
from loyalty.till.claim import Claim
from loyalty.till.sale_request import PayWith, SaleRequest
from models import AccountKind, Member, Sale, Station

@dataclass(frozen=True)
class Sold:
    sale: Sale
    created: bool  # False: a retry answered with the first sale
    member: Member | None


def summary(member: Member, station_code: str | None = None, now: datetime | None = None) -> dict:
    """What a cashier sees of a member: masked phone, tier, points, balance, and the
    coupons usable at this station now (JSON-ready)."""
    tier = reference.current().tier(member.tier_id)
    accounts = accounts_of(member)
    return {
        "id": member.id, "phone_masked": member.phone_masked,
        "tier": {"code": tier.code, "name": tier.name} if tier else None,
        "points": accounts[AccountKind.POINTS].balance,
        "balance_fen": accounts[AccountKind.STORED_VALUE].balance,
        "coupons": [{"id": c.id, "name": c.template.name, "kind": c.template.kind,
                     "valid_until": as_utc(c.valid_until).isoformat().replace("+00:00", "Z")}
                    for c in coupons.usable(member, station_code, now)],
    }


def station_of(station: Station | str) -> Station:
    # The station API has the caller's station loaded already; the cashier page may pass a code.
    return station if isinstance(station, (Station, reference.StationRef)) else sales.station_by_code(station)


def identify(station_code: str, member_code: str | None, nozzle: str | None,
             now: datetime | None = None) -> Member | None:
    """The member a request names, without using anything up: the code's member, else the
    member attached to the nozzle, else None."""
    if member_code is not None:
        return member_codes.resolve(member_code, now)
    if nozzle is not None:
        return nozzles.attached(station_code, nozzle)
    return None


def quote(station: Station | str, lines, *, member_code: str | None = None, nozzle: str | None = None,
          coupon_ids=(), pay_with: str = PayWith.EXTERNAL,
          now: datetime | None = None) -> tuple[sales.Priced, Member | None]:
    """The quote and points of a sale, and its member; nothing is written or used up.
    With pay_with "balance" the balance must cover it (InsufficientBalance), as at commit."""
    station = station_of(station)
    member = identify(station.code, member_code, nozzle, now)
    priced = sales.price(station, lines, member=member, coupon_ids=coupon_ids, now=now)
    if pay_with == PayWith.BALANCE:
        if member is None:
            raise ValidationError("储值支付需要会员身份", field="pay_with")
        wallet = account_of(member, AccountKind.STORED_VALUE)
        if wallet.balance < priced.quote.payable_fen:
            raise InsufficientBalance(needed=priced.quote.payable_fen, balance=wallet.balance)
    return priced, member


def _first_sale(station: Station, request: SaleRequest, member_code: str | None) -> Sale | None:
    sale = sales.sale_by_txn(station, request.pos_txn_no)
    if sale is None:
        return None
    if member_code is not None:
        # The request names the code's member; a code no longer on record names the first sale's.
        request = request.naming(member_codes.member_id_of(member_code) or sale.member_id)
    return sales.first_sale(station, request)


def sell(station: Station | str, pos_txn_no: str, lines, *, member_code: str | None = None,
         nozzle: str | None = None, coupon_ids=(), pay_with: str = PayWith.EXTERNAL,
         now: datetime | None = None, nozzle_member_required: bool = False) -> Sold:
    """Commit a sale credited to the code's member (the code is used up), or with no code to
    the member attached to the nozzle (the attachment is taken). Idempotent on (station,
    pos_txn_no), as one command of loyalty.once: a racing retry waits for the first and
    answers with its sale, so the code or attachment is used once, by the sale that
    committed. On any error nothing is written and the code and attachment stay as they were.
    `nozzle_member_required`: NotFound, not a walk-in sale, when nobody is attached by then."""
    station = station_of(station)
    request = SaleRequest(station.code, pos_txn_no, lines, coupon_ids=coupon_ids, pay_with=pay_with,
                          nozzle=nozzle)
    if member_code is not None:
        member_codes.parse(member_code)
    claim = Claim(station.code, request.key, member_code, nozzle, now, nozzle_member_required)

    def write() -> Sale:
        member = claim.take()
        try:
            named = request.naming(member.id) if member_code is not None else request
            return sales.write(station, named, member, now=now)
        except Exception:
            claim.undo()  # under the run-once lock: a waiting twin then finds the attachment again
            raise

    try:
        done = run_once(request.key, lambda: _first_sale(station, request, member_code), write)
    except Exception:  # e.g. the commit failed after `write`: give the code back, raise the error
        claim.undo()
        raise
    if not done.created:
        claim.undo()  # a replay: the first sale had its own code or attachment
    sale = done.result
    return Sold(sale, done.created, db.session.get(Member, sale.member_id) if sale.member_id else None)

"""A sale as the POS or the cashier asked for it: one frozen value, passed whole from the
edge down to the writer, with the fingerprint that tells a retry from a conflict."""
from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum

from loyalty import once
from loyalty.errors import ValidationError
from loyalty.till.pricing import FuelLine, ShopLine

Line = FuelLine | ShopLine


class PayWith(StrEnum):
    """How a sale is paid; equal to its stored string ("balance" == PayWith.BALANCE)."""
    BALANCE = "balance"  # from the member's stored value
    EXTERNAL = "external"  # cash, WeChat Pay, a bank card: outside Youka


@dataclass(frozen=True)
class SaleRequest:
    """What was asked. `member_id` is the member the request names (by a member code or
    found by phone); a sale credited to the member attached to `nozzle` names none: the
    POS sent the nozzle, and a retry of the same body must match whoever took the
    attachment."""
    station_code: str
    pos_txn_no: str
    lines: tuple[Line, ...]
    member_id: int | None = None
    coupon_ids: tuple[int, ...] = ()
    pay_with: PayWith = PayWith.EXTERNAL
    nozzle: str | None = None

    def __post_init__(self):
        once.check_reference(self.pos_txn_no, "pos_txn_no", "POS 流水号")
        if self.pay_with not in tuple(PayWith):
            raise ValidationError("pay_with 只能是 balance 或 external", field="pay_with")
        object.__setattr__(self, "pay_with", PayWith(self.pay_with))
        object.__setattr__(self, "lines", tuple(self.lines))
        object.__setattr__(self, "coupon_ids", tuple(self.coupon_ids or ()))

    @property
    def key(self) -> str:
        """The run-once key: the POS number is unique per station."""
        return f"sale:{self.station_code}:{self.pos_txn_no}"

    def naming(self, member_id: int | None) -> "SaleRequest":
        """The same request naming another member (a code's member once it is known)."""
        return replace(self, member_id=member_id)

    def fingerprint(self) -> str:
        """The SHA-256 of what was asked; the same body as before this object existed, so
        sales already on record keep matching their retries."""
        return once.fingerprint({
            "member": self.member_id, "coupons": list(self.coupon_ids), "pay_with": str(self.pay_with),
            "nozzle": self.nozzle,
            "lines": [_line(line) for line in self.lines]})


def _line(line: Line) -> list:
    fields = [line.kind, line.grade, line.litres_ml, getattr(line, "unit_price_fen", None), line.category,
              line.sku, line.amount_fen]
    # Only when set, so that a line without it hashes as it always did.
    return fields + ["price_override"] if getattr(line, "price_override", False) else fields

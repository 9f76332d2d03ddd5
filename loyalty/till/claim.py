"""What one sale or top-up attempt used up to find its member: a member code it consumed,
or a nozzle attachment it took; given back when the attempt does not commit with it."""
from __future__ import annotations

from loyalty.errors import NotFound
from loyalty.till import member_codes, nozzles
from models import Member


class Claim:
    """The member code consumed, or the nozzle attachment taken, by one sale attempt."""

    def __init__(self, station_code: str, holder: str, member_code: str | None, nozzle: str | None, now,
                 nozzle_member_required: bool = False):
        self.station_code, self.holder, self.member_code, self.nozzle, self.now = \
            station_code, holder, member_code, nozzle, now
        self.nozzle_member_required = nozzle_member_required
        self.consumed: member_codes.Consumption | None = None
        self.taken: nozzles.Taken | None = None

    def take(self) -> Member | None:
        """Use up the code (CodeUsed for the loser of a race), or take the nozzle's member."""
        if self.member_code is not None:
            self.consumed = member_codes.consume(self.member_code, self.holder, self.now)
            return self.consumed.member
        if self.nozzle is not None:
            self.taken = nozzles.take(self.station_code, self.nozzle)
            if self.taken is None and self.nozzle_member_required:
                raise NotFound(f"{self.nozzle} 号油枪的会员已超时，请重新识别", field="nozzle")
            return self.taken.member if self.taken else None
        return None

    def undo(self) -> None:
        """Give back what `take` used (at most once): the sale did not commit with it."""
        if self.consumed is not None and self.consumed.fresh:  # a code this holder had already stays used
            member_codes.release(self.member_code, self.holder)
        if self.taken is not None:
            nozzles.put_back(self.taken)
        self.consumed = self.taken = None

"""Errors a member, a cashier or a POS can cause. Each has a stable `code` (the station
API returns it as is) and a Chinese `message` fit to show a member or a cashier."""
from __future__ import annotations


class LoyaltyError(Exception):
    code = "loyalty_error"
    message = "操作失败"

    def __init__(self, message: str | None = None, **details):
        super().__init__(message or self.message)
        self.message = message or self.message
        self.details = details


class ValidationError(LoyaltyError):
    code = "validation_error"
    message = "请求内容有误"


class LineAmountMismatch(LoyaltyError):
    """A fuel line's amount is not its litres x unit price (see loyalty.till.price_list)."""
    code = "line_amount_mismatch"
    message = "油品金额与升数 × 单价不符"


class UnitPriceMismatch(LoyaltyError):
    """A fuel line's unit price is not the station's listed price, and the POS did not say so."""
    code = "unit_price_mismatch"
    message = "油品单价与本站价目表不符"


class NotFound(LoyaltyError):
    code = "not_found"
    message = "未找到"


class DuplicateConflict(LoyaltyError):
    code = "duplicate_conflict"
    message = "同一单号已用于内容不同的请求"


class InsufficientBalance(LoyaltyError):
    code = "insufficient_balance"
    message = "储值余额不足"


class InsufficientPoints(LoyaltyError):
    code = "insufficient_points"
    message = "积分不足"


class CouponNotApplicable(LoyaltyError):
    code = "coupon_not_applicable"
    message = "优惠券不可用于本单"


class OutOfStock(LoyaltyError):
    code = "out_of_stock"
    message = "库存不足"


class LimitReached(LoyaltyError):
    code = "limit_reached"
    message = "已达兑换上限"


class NotAllowed(LoyaltyError):
    code = "not_allowed"
    message = "无权进行此操作"


class CodeExpired(LoyaltyError):
    """A member code past its 60 s, replaced by a newer one (details reason "superseded"),
    or signed by us but no longer on record (reason "unknown": only an old code can be)."""
    code = "code_expired"
    message = "会员码已过期，请刷新后重新出示"


class CodeUsed(LoyaltyError):
    code = "code_used"
    message = "会员码已使用，请刷新后重新出示"


class CodeInvalid(LoyaltyError):
    """Not a member code: wrong shape or a signature that does not match (forged, mistyped)."""
    code = "code_invalid"
    message = "会员码无效，请核对后重试"

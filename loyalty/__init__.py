"""The domain core: ledger, earning rules, tiers, pricing, sales, stored value, coupons,
rewards. No Flask request, no WeChat, no XML in here: callers pass plain values and
get plain values or model objects back; every public function says what it does."""

"""What membership gives: tiers, coupons, the rewards catalogue, family pools."""

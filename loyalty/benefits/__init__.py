"""What membership gives: tiers, coupons, the rewards catalogue, family pools, referrals.

family, family_roster.decline and referral (code_of, keep_ticket, remember_scan,
reward_on_bind) only flush: the caller commits."""

"""Service requests: what a member asks the operators for, and waits on.

Not benefits/ (what membership gives, earned or spent: tiers, coupons, rewards,
check-in, referral) and not people/ (who the member is): a feedback ticket and an
invoice request are requests queued for a person at head office, each with a status
the member can ask about and the operators' console (later) moves on.

    feedback.py   tickets from 反馈 (open -> answered -> closed)
    invoices.py   saved invoice titles and one e-invoice request per sale
                  (requested -> issued | rejected), with the unified social credit
                  code check (GB 32100-2015)
"""

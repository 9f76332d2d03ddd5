"""Notices: what the service pushes to members, and on which channel.

  kinds.py     the catalogue: kind -> category, urgency, channels in order of preference,
               and the formatter of its payload into named fields
  facts.py     what a kind's fields need from the database beyond its payload (a sale, a coupon)
  policy.py    the channel policy: a pure function of recipient, kind, time and WeChat's rules
  recipients.py  the policy's inputs for a batch of outbox rows, read in a few set-based queries
  delivery.py  intent before the call, outcome after, reconcile: the delivery log (commits)
  acceptances.py  subscription-notice acceptances: recorded from WeChat's events, spent one per notice
  events.py    the event-caused kinds written in their cause's transaction (flush only)

The senders live in bot/channels/ (they speak WeChat); the jobs in jobs/notify.py.
"""

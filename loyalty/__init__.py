"""The domain core: ledger, earning rules, tiers, pricing, sales, stored value, coupons,
rewards. No Flask request, no WeChat, no XML in here: callers pass plain values and
get plain values or model objects back; every public function says what it does.

Who commits. One rule, so that a caller always knows whether its own writes are still
open:

- A *command* — a whole business operation a cashier, a POS, a member or an operator
  asks for, with a reference number that makes it idempotent — commits, through
  loyalty.once.run_once, and nothing else does. Today: loyalty.till.sales.commit,
  loyalty.till.checkout.sell, loyalty.till.topups.topup and topup_member,
  loyalty.till.refunds.refund, and the console's loyalty.books.adjustments.request /
  approve / reject (on the form's one-time key). A retry answers with the first result (Done.created
  False); any error rolls back everything, and the member code or nozzle attachment the
  command took is given back.
- Set-up and admin functions that stand alone also commit: loyalty.demo.seed,
  loyalty.rules.loader.load_rules / load_rules_file (unless commit=False),
  loyalty.people.station_credentials.create_station and rotate_secret; the console's
  configuration changes (loyalty.config_changes.save_*, each with its change record), the
  audited phone reveal (loyalty.people.search.reveal_phone), the audit record of a CSV
  export (loyalty.exports.audit) and the inbox acts
  (loyalty.service.inbox). loyalty.changes.record only flushes.
- loyalty.reminders.surveys.record_reply (a member's survey rating, idempotent per sale
  by the database) commits; the producers of loyalty.reminders (write_due) only flush,
  and their jobs commit.
- Everything else only flushes into the caller's transaction: the ledger and points
  operations (loyalty.books), stored_value.topup / pay / refund_payment, coupons,
  rewards, family, tiers, members, outbox.add, and loyalty.till.sales.write (the body of
  the sale command). They are the building blocks of commands; a job, a handler or a
  new command calls them and commits once, at the end, through run_once when the
  operation has a reference to be retried by.
"""

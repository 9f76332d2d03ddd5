"""The ledger's invariants, checked on demand over the whole database.

Each rule is one set-based query (GROUP BY and joins, no per-row Python) returning the
rows that break it, and a sentence saying what is wrong with each. `check` runs them
all; `flask loyalty check` prints the result. `violations` gives the same as records
(beancount's shape): the rule, the sentence, and the rows it names as (table, id), so the
console's books-health panel can link each violation to its rows. Duplicate idempotency
keys need no rule: a unique constraint makes them impossible.
"""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text
from sqlalchemy.orm import Session

# Rows shown per rule: a systematic bug breaks a rule a million times; twenty examples
# say what it is.
SHOWN = 20

_ENTRY_SUMS = "SELECT account_id, SUM(amount) AS total FROM ledger_entries {where} GROUP BY account_id"

RULES: list[tuple[str, str]] = [
    ("account {0}: balance {1} but its entries sum to {2}",
     f"""SELECT a.id, a.balance, COALESCE(s.total, 0) FROM accounts a
         LEFT JOIN ({_ENTRY_SUMS.format(where="")}) s ON s.account_id = a.id
         WHERE a.balance <> COALESCE(s.total, 0)"""),
    ("account {0}: bonus balance {1} but its bonus entries sum to {2}",
     f"""SELECT a.id, a.bonus_balance, COALESCE(s.total, 0) FROM accounts a
         LEFT JOIN ({_ENTRY_SUMS.format(where="WHERE bucket = 'bonus'")}) s ON s.account_id = a.id
         WHERE a.bonus_balance <> COALESCE(s.total, 0)"""),
    ("points account {0}: balance {1} but its lots hold {2}",
     """SELECT a.id, a.balance, COALESCE(l.total, 0) FROM accounts a
        LEFT JOIN (SELECT account_id, SUM(remaining) AS total FROM point_lots GROUP BY account_id) l
          ON l.account_id = a.id
        WHERE a.kind = 'points' AND a.balance <> COALESCE(l.total, 0)"""),
    ("account {0}: negative or inconsistent balance {1} (bonus {2})",
     """SELECT id, balance, bonus_balance FROM accounts
        WHERE balance < 0 OR bonus_balance < 0 OR bonus_balance > balance"""),
    ("lot {0}: remaining {1} outside 0..{2}",
     "SELECT id, remaining, amount FROM point_lots WHERE remaining < 0 OR remaining > amount"),
    ("lot {0}: remaining {1} but amount {2} plus its movements {3} make {4}",
     """SELECT l.id, l.remaining, l.amount, COALESCE(m.total, 0), l.amount + COALESCE(m.total, 0)
        FROM point_lots l
        LEFT JOIN (SELECT lot_id, SUM(amount) AS total FROM lot_movements GROUP BY lot_id) m
          ON m.lot_id = l.id
        WHERE l.remaining <> l.amount + COALESCE(m.total, 0)"""),
    # Every points entry is fully explained by lots: the lots it opened plus its
    # movements (spend, expiry, restore, claw-back) add up to its amount.
    ("points entry {0} ({1}): amount {2} but its lots and movements make {3}",
     """SELECT e.id, e.kind, e.amount, COALESCE(m.total, 0) + COALESCE(l.total, 0)
        FROM ledger_entries e JOIN accounts a ON a.id = e.account_id AND a.kind = 'points'
        LEFT JOIN (SELECT entry_id, SUM(amount) AS total FROM lot_movements GROUP BY entry_id) m
          ON m.entry_id = e.id
        LEFT JOIN (SELECT entry_id, SUM(amount) AS total FROM point_lots GROUP BY entry_id) l
          ON l.entry_id = e.id
        WHERE e.amount <> COALESCE(m.total, 0) + COALESCE(l.total, 0)"""),
    ("movement {0}: entry of account {1} moves a lot of account {2}",
     """SELECT m.id, e.account_id, l.account_id FROM lot_movements m
        JOIN ledger_entries e ON e.id = m.entry_id JOIN point_lots l ON l.id = m.lot_id
        WHERE e.account_id <> l.account_id"""),
    # A lot's origin (what a refund claws back by) is the earn or reissuing refund that
    # first credited its points, wherever a family join moved them since.
    ("lot {0}: origin entry {1} is a {2} entry, not an earn or a refund",
     """SELECT l.id, o.id, o.kind FROM point_lots l JOIN ledger_entries o ON o.id = l.origin_entry_id
        WHERE o.kind NOT IN ('earn', 'refund')"""),
    ("lot {0}: held by account {1}, which is a {2} account",
     """SELECT l.id, a.id, a.kind FROM point_lots l JOIN accounts a ON a.id = l.account_id
        WHERE a.kind <> 'points'"""),
    ("entry {0}: bucket {1!r} on a {2} account",
     """SELECT e.id, e.bucket, a.kind FROM ledger_entries e JOIN accounts a ON a.id = e.account_id
        WHERE (a.kind = 'points') = (e.bucket IS NOT NULL)"""),
    # A correction reverses in the opposite direction and never by more than the original.
    ("entry {0}: amount {1} but the entries reversing it add {2}",
     """SELECT o.id, o.amount, SUM(r.amount) FROM ledger_entries r
        JOIN ledger_entries o ON o.id = r.reverses_id
        GROUP BY o.id, o.amount
        HAVING (o.amount > 0 AND (SUM(r.amount) > 0 OR -SUM(r.amount) > o.amount))
            OR (o.amount < 0 AND (SUM(r.amount) < 0 OR SUM(r.amount) > -o.amount))"""),
]


# The tables the leading columns of each rule's rows are ids of, rule by rule.
NAMES: list[tuple[str, ...]] = [
    ("accounts",), ("accounts",), ("accounts",), ("accounts",), ("point_lots",), ("point_lots",),
    ("ledger_entries",), ("lot_movements", "accounts", "accounts"), ("point_lots", "ledger_entries"),
    ("point_lots", "accounts"), ("ledger_entries",), ("ledger_entries",),
]
assert len(NAMES) == len(RULES)


@dataclass(frozen=True)
class Violation:
    rule: int                           # its index in RULES
    message: str                        # the sentence `check` prints
    rows: tuple[tuple[str, int], ...]   # the rows it concerns: (table, id)


def violations(session: Session) -> list[Violation]:
    """Every violation as a record naming its rows (at most SHOWN per rule; a rule with
    more adds one record with no rows saying how many more). Empty when the books are sound."""
    found = []
    for i, (message, sql) in enumerate(RULES):
        rows = session.execute(text(f"{sql} LIMIT {SHOWN + 1}")).all()
        for row in rows[:SHOWN]:
            named = tuple((table, int(row[j])) for j, table in enumerate(NAMES[i]))
            found.append(Violation(i, message.format(*row), named))
        if len(rows) > SHOWN:
            more = session.execute(text(f"SELECT count(*) FROM ({sql}) AS broken")).scalar_one()
            found.append(Violation(i, f"... and {more - SHOWN} more like the one above", ()))
    return found


def check(session: Session) -> list[str]:
    """Every violation of the ledger's invariants, one sentence each (at most SHOWN per
    rule, then a line saying how many more); an empty list when the books are sound."""
    return [v.message for v in violations(session)]


def counts(session: Session) -> tuple[int, int]:
    """(accounts, entries) in the books, for the checker's summary line."""
    return (session.execute(text("SELECT count(*) FROM accounts")).scalar_one(),
            session.execute(text("SELECT count(*) FROM ledger_entries")).scalar_one())

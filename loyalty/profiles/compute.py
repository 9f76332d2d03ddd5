"""The nightly profile run: member_profiles for every member, RFM scores and segments,
then member_tags from the active tag rules. A few set-based statements over all sales
(PostgreSQL and SQLite), never a loop per member; one transaction (the job commits).

As of the start of the run's business day (Asia/Shanghai): only sales before today's
00:00 in Shanghai count, so two runs on one day give the same figures whatever the hour
(idempotent: the tables are replaced, not added to). Who gets a row: every member not
erased with at least one sale (not fully refunded) before today; a member without any
has no row (and no tags): campaigns join on the profile, so "never came" is "no row".

The figures (a visit is a sale not fully refunded; "the window" the 365 Shanghai days
before today; 30d and 90d likewise):

    visits_30d, visits_90d, visits_365d   sales in those windows
    visits_per_month      visits_365d x 30 / span, span = days from the first visit in the
                          window to today (at least 30), floored to hundredths
    avg_litres_ml         the window's litres / its visits (floored); NULL without a visit
    litres_365d_ml, amount_365d_fen       the window's litres and amount (paid less refunded)
    favourite_grade       the grade with the most litres in the window's fuel lines; on a
                          tie the lower code as text ('0' before '92' before '95')
    favourite_weekday     0 Monday .. 6 Sunday, Shanghai; the weekday with the most visits
                          in the window; on a tie the earliest in the week
    favourite_hour        0-23, Shanghai; the hour with the most visits; on a tie the earliest
    weekend_share_permille    visits on Saturday or Sunday x 1000 / visits (floored)
    shop_share_permille   shop lines' amount x 1000 / all lines' amount in the window
                          (floored); NULL when the window's sales carry no lines
    first_visit_at, last_visit_at, days_since_last_visit  (ever; whole Shanghai days to today)
    median_interval_days  loyalty.profiles.intervals over the window's sales (every sale's
                          day, refunded or not, as recall counts them); at least one
                          interval, else NULL
    r_score, f_score, m_score, rfm_segment   loyalty.profiles.segments
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import text

from extensions import db
from loyalty.books.ledger import utc
from loyalty.profiles import intervals, segments, tag_rules
from loyalty.reminders import sql

log = logging.getLogger("youka.profiles")
WINDOW_DAYS = 365
KEPT = "(s.refunded_fen = 0 OR s.refunded_fen < s.payable_fen)"
TEMP = ("prof_base", "prof_median", "prof_lines")


@dataclass(frozen=True)
class Run:
    members: int
    tags: dict[str, int]
    seconds: dict[str, float]


SLOT_BITS = 20  # PostgreSQL packs a member's visit counts into one bigint: 2^20 - 1 visits a window at most


def _sqlite_grouped(sales: str) -> str:
    """SQLite: a conditional SUM for each counter (weekday d0..d6, hour h0..h23), the
    favourites the first counter equal to the largest."""
    counters = ", ".join([f"SUM(CASE WHEN s.dow = {d} THEN 1 ELSE 0 END) AS d{d}" for d in range(7)]
                         + [f"SUM(CASE WHEN s.hr = {h} THEN 1 ELSE 0 END) AS h{h}" for h in range(24)])
    favourite = lambda prefix, n: (  # noqa: E731
        f"CASE WHEN c.visits_365d = 0 THEN NULL "
        + " ".join(f"WHEN c.{prefix}{i} = max({', '.join(f'c.{prefix}{j}' for j in range(n))}) THEN {i}"
                   for i in range(n)) + " END")
    return f"""SELECT c.member_id, c.first_at, c.last_at, c.visits_30d, c.visits_90d, c.visits_365d, c.litres,
                      c.amount, c.d5 + c.d6 AS weekend, {favourite('d', 7)} AS favourite_weekday,
                      {favourite('h', 24)} AS favourite_hour
        FROM (SELECT s.member_id, MIN(s.created_at) AS first_at, MAX(s.created_at) AS last_at,
                     SUM(CASE WHEN s.created_at >= :d30_start THEN 1 ELSE 0 END) AS visits_30d,
                     SUM(CASE WHEN s.created_at >= :d90_start THEN 1 ELSE 0 END) AS visits_90d,
                     SUM(s.in_window) AS visits_365d,
                     SUM(CASE WHEN s.in_window = 1 THEN s.litres_ml ELSE 0 END) AS litres,
                     SUM(CASE WHEN s.in_window = 1 THEN s.payable_fen - s.refunded_fen ELSE 0 END) AS amount,
                     {counters}
              FROM ({sales}) s GROUP BY s.member_id) c"""


def _postgres_grouped(sales: str) -> str:
    """PostgreSQL: the cost of grouping 10,000,000 sales is in the number of aggregates, so
    the three visit counts are packed into one bigint sum (a visit adds 1, 2^20, 2^40 for
    the 30-, 90-, 365-day windows), and the favourite weekday and hour are mode(): the most
    frequent value, the lowest on a tie (its input sorted ascending, a value replaces the
    one kept only with strictly more rows), NULLs (sales outside the window) left out.
    mode() cannot run in parallel, so the sales come grouped from the index
    (member_id, created_at), without a sort or a hash table."""
    slot = 2 ** SLOT_BITS
    visits = (f"CASE WHEN s.created_at >= :d30_start THEN 1 ELSE 0 END + "
              f"CASE WHEN s.created_at >= :d90_start THEN {slot} ELSE 0 END + "
              f"s.in_window * CAST({slot ** 2} AS BIGINT)")
    return f"""SELECT g.member_id, g.first_at, g.last_at, CAST(g.visits % {slot} AS INTEGER) AS visits_30d,
                      CAST(g.visits / {slot} % {slot} AS INTEGER) AS visits_90d,
                      CAST(g.visits / {slot ** 2} AS INTEGER) AS visits_365d, g.litres, g.amount, g.weekend,
                      g.favourite_weekday, g.favourite_hour
        FROM (SELECT s.member_id, MIN(s.created_at) AS first_at, MAX(s.created_at) AS last_at,
                     CAST(SUM({visits}) AS BIGINT) AS visits,
                     CAST(SUM(CASE WHEN s.in_window = 1 THEN s.litres_ml ELSE 0 END) AS BIGINT) AS litres,
                     CAST(SUM(CASE WHEN s.in_window = 1 THEN s.payable_fen - s.refunded_fen ELSE 0 END) AS BIGINT)
                         AS amount,
                     CAST(SUM(CASE WHEN s.dow >= 5 THEN 1 ELSE 0 END) AS INTEGER) AS weekend,
                     mode() WITHIN GROUP (ORDER BY s.dow) AS favourite_weekday,
                     mode() WITHIN GROUP (ORDER BY s.hr) AS favourite_hour
              FROM ({sales}) s GROUP BY s.member_id) g"""


def _base() -> list[str]:
    if sql.postgres():  # Shanghai keeps UTC+8 all year: its clock is the epoch plus 8 hours
        local = "(CAST(EXTRACT(EPOCH FROM created_at) AS BIGINT) + 28800)"
        day, hour = f"((({local} / 86400) + 3) % 7)", f"(({local} / 3600) % 24)"
    else:
        day, hour = sql.local_weekday("created_at"), sql.local_hour("created_at")
    # Erased members drop out at the insert (a join here would cost a lookup a sale); the
    # weekday and hour only of the window's sales (NULL before it).
    sales = f"""SELECT member_id, created_at, litres_ml, payable_fen, refunded_fen,
                       CASE WHEN created_at >= :window_start THEN 1 ELSE 0 END AS in_window,
                       CASE WHEN created_at >= :window_start THEN {day} END AS dow,
                       CASE WHEN created_at >= :window_start THEN {hour} END AS hr
                FROM sales s WHERE s.member_id IS NOT NULL AND s.created_at < :as_of AND {KEPT}"""
    grouped = _postgres_grouped(sales) if sql.postgres() else _sqlite_grouped(sales)
    return [f"CREATE TEMPORARY TABLE prof_base AS {grouped}"]


def _median() -> str:
    # Every sale's day counts, refunded or not, as for recall (and the index alone serves).
    sales = """SELECT s.member_id, s.created_at FROM sales s
               WHERE s.member_id IS NOT NULL AND s.created_at >= :window_start AND s.created_at < :as_of"""
    return f"CREATE TEMPORARY TABLE prof_median AS {intervals.median_sql(sales)}"


LINES = f"""CREATE TEMPORARY TABLE prof_lines AS
    SELECT s.member_id, l.kind, l.grade_code, SUM(l.litres_ml) AS litres, SUM(l.amount_fen) AS amount
    FROM sale_lines l JOIN sales s ON s.id = l.sale_id
    WHERE s.member_id IS NOT NULL AND s.created_at >= :window_start AND s.created_at < :as_of AND {KEPT}
    GROUP BY s.member_id, l.kind, l.grade_code"""


def _insert() -> str:
    last_day = sql.local_date("b.last_at")
    days_since = sql.days_between(":today", last_day)
    since_first = sql.days_between(":today", sql.local_date("b.first_at"))
    span = f"CASE WHEN b.first_at >= :window_start THEN {since_first} ELSE {WINDOW_DAYS} END"
    part = "CASE WHEN b.visits_365d > 0 THEN 1 ELSE 0 END"
    score = lambda order: f"CASE WHEN b.visits_365d > 0 THEN {segments.quintile_sql(order, part)} END"  # noqa: E731
    columns = ("member_id, visits_30d, visits_90d, visits_365d, visits_per_month, avg_litres_ml, litres_365d_ml, "
               "amount_365d_fen, favourite_grade, favourite_weekday, favourite_hour, weekend_share_permille, "
               "shop_share_permille, first_visit_at, last_visit_at, days_since_last_visit, median_interval_days, "
               "r_score, f_score, m_score, rfm_segment, computed_at")
    return f"""INSERT INTO member_profiles ({columns})
        SELECT member_id, visits_30d, visits_90d, visits_365d, visits_per_month, avg_litres_ml, litres_365d_ml,
               amount_365d_fen, favourite_grade, favourite_weekday, favourite_hour, weekend_share_permille,
               shop_share_permille, first_visit_at, last_visit_at, days_since_last_visit, median_interval_days,
               r, f, m, {segments.case_sql()}, :now
        FROM (SELECT b.member_id, b.visits_30d, b.visits_90d, b.visits_365d,
                     (b.visits_365d * 3000 / (CASE WHEN {span} < 30 THEN 30 ELSE {span} END)) / 100.0
                         AS visits_per_month,
                     CASE WHEN b.visits_365d > 0 THEN b.litres / b.visits_365d END AS avg_litres_ml,
                     b.litres AS litres_365d_ml, b.amount AS amount_365d_fen,
                     g.grade_code AS favourite_grade,
                     b.favourite_weekday, b.favourite_hour,
                     CASE WHEN b.visits_365d > 0 THEN b.weekend * 1000 / b.visits_365d END
                         AS weekend_share_permille,
                     CASE WHEN t.amount > 0 THEN t.shop * 1000 / t.amount END AS shop_share_permille,
                     b.first_at AS first_visit_at, b.last_at AS last_visit_at, {days_since} AS days_since_last_visit,
                     md.median AS median_interval_days,
                     {score(days_since + ' DESC')} AS r, {score('b.visits_365d')} AS f, {score('b.amount')} AS m,
                     CASE WHEN b.first_at >= :new_start THEN 1 ELSE 0 END AS is_new
              FROM prof_base b
              JOIN members mb ON mb.id = b.member_id AND mb.deleted_at IS NULL
              LEFT JOIN prof_median md ON md.member_id = b.member_id
              LEFT JOIN (SELECT member_id, grade_code,
                                ROW_NUMBER() OVER (PARTITION BY member_id ORDER BY litres DESC, grade_code) AS rn
                         FROM prof_lines WHERE kind = 'fuel' AND grade_code IS NOT NULL AND litres > 0) g
                     ON g.member_id = b.member_id AND g.rn = 1
              LEFT JOIN (SELECT member_id, SUM(amount) AS amount,
                                SUM(CASE WHEN kind = 'shop' THEN amount ELSE 0 END) AS shop
                         FROM prof_lines GROUP BY member_id) t ON t.member_id = b.member_id) scored
        ORDER BY member_id"""


def _params(now: datetime) -> dict:
    today = sql.business_day(now)
    start = lambda days: sql.day_start(today - timedelta(days=days))  # noqa: E731
    return dict(now=now, today=today, as_of=sql.day_start(today), window_start=start(WINDOW_DAYS),
                d30_start=start(30), d90_start=start(90), new_start=start(segments.NEW_DAYS), min_intervals=1)


def run(now: datetime | None = None, *, timings: dict | None = None, on_step=None) -> Run:
    """Replace every member's profile and tags as of `now`'s business day (flushed, not
    committed); returns how many profiles, the members per tag, and each step's seconds
    (also handed to `on_step(name, seconds)` as each ends)."""
    import time
    now = utc(now)
    params, seconds = _params(now), {} if timings is None else timings
    sql.lock("profiles")
    if sql.postgres():
        db.session.execute(text("SET LOCAL work_mem = '256MB'"))  # the sorts and hashes of 10,000,000 sales
        db.session.execute(text("SET LOCAL jit = off"))  # compiling these plans costs more than it saves

    def step(name: str, *statements: str) -> None:
        started = time.perf_counter()
        for statement in statements:
            sql.run(statement, **params)
        seconds[name] = time.perf_counter() - started
        if on_step:
            on_step(name, seconds[name])

    step("drop", *(f"DROP TABLE IF EXISTS {t}" for t in TEMP))
    step("visits", *_base())
    step("median interval", _median())
    step("lines", LINES)
    if sql.postgres():  # temporary tables have no statistics until analysed: joins would guess
        step("analyse", *(f"ANALYZE {t}" for t in TEMP))
    step("profiles", "DELETE FROM member_profiles", _insert())
    members = int(db.session.execute(text("SELECT count(*) FROM member_profiles")).scalar())
    started = time.perf_counter()
    tags = tag_rules.apply_all()
    seconds["tags"] = time.perf_counter() - started
    if on_step:
        on_step("tags", seconds["tags"])
    step("clean up", *(f"DROP TABLE {t}" for t in TEMP))
    log.info("profiles: %d members, tags %s", members, tags)
    return Run(members, tags, seconds)

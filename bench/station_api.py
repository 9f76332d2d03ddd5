"""Signed `POST /api/v1/station/sales` through gunicorn, against bench/sales.py's direct
`loyalty.till.sales.commit`, measured in the same run on the same database.

    .venv/bin/python -m bench.station_api [--database-url URL] [--redis-url URL] [--seconds 10] [--clients 16]

(a) direct: bench.sales.sales_rate — CLIENTS threads in this process calling
    loyalty.till.sales.commit with a member id, as in bench/sales.py.
(b) HTTP: CLIENTS POS clients, each on its own keep-alive connection, POST a signed sale
    with a fresh member code (issued before timing, so the member's phone is not part of
    the POS's work) to gunicorn (-k gthread, 2 workers x 8 threads, as bench/webhook.py):
    authentication, nonce, code consumption, the commit, the member summary in the answer.

Prints both rates, checks every HTTP answer was 201 and that the ledger's invariants
hold, and prints the ratio (HTTP / direct) last. Target: >= 0.6. Uses its own database
(youka_bench_api, or --database-url) and Redis (db 15, or --redis-url / BENCH_REDIS_URL).
"""
from __future__ import annotations

import argparse
import http.client
import os
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bench.sales import (DEFAULT_REDIS_URL, build_app, fresh_database, prepare, run_clients,  # noqa: E402
                         sales_rate)
from bench.webhook import THREADS, WORKERS, Gunicorn  # noqa: E402
from config import DEV_SECRET_KEY  # noqa: E402
from web.api.signing import json_body, signed_headers  # noqa: E402

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/youka_bench_api"
STATION = "S002"  # bench.sales sells at S001; kept apart so each side's sales are countable
PATH = "/api/v1/station/sales"


class StationServer(Gunicorn):
    def wait_ready(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as resp:
                    if resp.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.tail()}")


def issue_codes(app, ids: list[int], count: int) -> list[str]:
    """`count` live member codes, round-robin over the members (one device per round, so
    no code supersedes another)."""
    from extensions import db
    from loyalty.till import member_codes
    from models import Member
    app.config["MEMBER_CODE_TTL"] = 900  # outlives the run; expiry is not what is measured
    with app.app_context():
        people = [db.session.get(Member, i) for i in ids]
        return [member_codes.issue(people[k % len(people)], device=f"b{k // len(people)}").code
                for k in range(count)]


def http_rate(app, codes: list[str], clients: int, seconds: float, warmup: float, workers: int,
              threads: int) -> tuple[float, int]:
    from loyalty.people.station_credentials import rotate_secret
    with app.app_context():
        secret = rotate_secret(STATION)
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
           "SECRET_KEY": DEV_SECRET_KEY}
    log = Path(tempfile.mkdtemp(prefix="youka-bench-api-")) / "gunicorn.log"
    server = StationServer("app:create_app()", env, log, workers=workers, threads=threads)
    failures: list[str] = []
    pool = iter(codes)
    try:
        server.wait_ready()
        conns = [http.client.HTTPConnection("127.0.0.1", server.port, timeout=30) for _ in range(clients)]

        def sell(i, rnd, n, tag):
            body = json_body({"pos_txn_no": f"{tag}{i}-{n}", "member_code": next(pool), "pay_with": "external",
                              "lines": [{"kind": "fuel", "grade": "92", "litres": f"{rnd.randint(5, 60)}.00",
                                         "unit_price_fen": 765}]})
            conns[i].request("POST", PATH, body=body, headers=signed_headers(STATION, secret, "POST", PATH, body))
            response = conns[i].getresponse()
            answer = response.read()
            if response.status != 201:
                failures.append(f"{response.status} {answer[:200]!r}")

        run_clients(clients, warmup, lambda i, rnd, n: sell(i, rnd, n, "W"))
        done = run_clients(clients, seconds, lambda i, rnd, n: sell(i, rnd, n, "H"))
    finally:
        server.stop()
    if failures:
        raise SystemExit(f"{len(failures)} HTTP sales failed, e.g. {failures[0]}\n{server.tail()}")
    return done / seconds, done


def check(app, http_done: int) -> None:
    from sqlalchemy import text

    from extensions import db
    from loyalty.books import invariants
    with app.app_context():
        problems = invariants.check(db.session)
        assert problems == [], problems
        sold = db.session.execute(text("SELECT count(*) FROM sales s JOIN stations t ON t.id = s.station_id"
                                       " WHERE t.code = :c AND s.pos_txn_no LIKE 'H%'"), {"c": STATION}).scalar()
        assert sold == http_done, f"{http_done} answered 201, {sold} sales written"
        earned = db.session.execute(text("SELECT coalesce(sum(points_earned), 0) FROM sales")).scalar()
        held = db.session.execute(text("SELECT coalesce(sum(balance), 0) FROM accounts WHERE kind = 'points'"
                                       " AND member_id IN (SELECT id FROM members WHERE phone LIKE '139%')")).scalar()
        assert earned == held, f"points lost: earned {earned}, held {held}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_URL)
    parser.add_argument("--redis-url", default=DEFAULT_REDIS_URL, help="default: BENCH_REDIS_URL, else db 15")
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=THREADS, help="gunicorn threads per worker")
    args = parser.parse_args()
    fresh_database(args.database_url)
    app = build_app(args.database_url, args.clients, args.redis_url)
    ids = prepare(app)
    direct = sales_rate(app, ids, args.clients, args.seconds)
    print(f"(a) direct loyalty.till.sales.commit: {direct:8.1f} sales/s  ({args.clients} threads, one process)")
    # Enough codes for the HTTP side to sell at the direct rate and more, warm-up included.
    codes = issue_codes(app, ids, int(direct * (args.seconds + args.warmup) * 1.5) + 500)
    rate, done = http_rate(app, codes, args.clients, args.seconds, args.warmup, args.workers, args.threads)
    check(app, done)
    print(f"(b) signed POST /sales via gunicorn: {rate:8.1f} sales/s  ({args.clients} POS clients, all 201,"
          f" invariants hold)")
    print(f"ratio http/direct: {rate / direct:.2f}")


if __name__ == "__main__":
    main()

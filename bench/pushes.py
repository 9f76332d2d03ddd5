"""Benchmark: 100,000 template messages through the outbox and 2 RQ workers to the fake
WeChat API, against a raw concurrent HTTP sender to the same fake server, in the same run.

Setup (a database and Redis db of its own: --database-url / --redis-url, or
BENCH_DATABASE_URL / BENCH_REDIS_URL; defaults youka_bench_c and Redis db 10): the
migrations, N members bound to an openid each, and N points_expiring outbox rows written
by one set-based INSERT, as the periodic producers write them. The fake WeChat API runs
as its own process (gunicorn, one process with threads: its state is in memory).

- baseline: THREADS threads, each with its own keep-alive session, POST the same
  template payloads straight to /cgi-bin/message/template/send;
- youka: the fake is reset, `jobs.notify.sweep` enqueues the rows in chunks of 200, and
  2 `rq worker -w jobs.worker.AppWorker --burst notify` processes deliver them (claim,
  token bucket, send on NOTIFY_SEND_THREADS threads, outcomes). Timed from the sweep to
  the last worker's exit; every row must end `sent` and the fake must hold N messages to
  N distinct members.

Prints `baseline: N messages/s`, `youka: N messages/s`, then the ratio (youka / baseline).

    .venv/bin/python -m bench.pushes [--messages 100000] [--workers 2]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import text

from bench.webhook import free_port

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DB = "postgresql://postgres@127.0.0.1:5432/youka_bench_c"
DEFAULT_REDIS = "redis://127.0.0.1:6379/10"
APPID, SECRET = "wxbench00000000000", "bench-secret"


def start_fake(port: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-k", "gthread", "--workers", "1", "--threads", "32",
                             "--bind", f"127.0.0.1:{port}", "--log-level", "warning", "--keep-alive", "120",
                             "web.wechat_sim:create_fake_wechat()"], cwd=ROOT)
    for _ in range(100):
        try:
            requests.get(f"http://127.0.0.1:{port}/_sim/counts", timeout=1)
            return proc
        except requests.RequestException:
            time.sleep(0.1)
    raise SystemExit("the fake WeChat API did not start")


def env_for(db_url: str, redis_url: str, fake: str) -> dict:
    return {**os.environ, "DATABASE_URL": db_url, "REDIS_URL": redis_url, "WECHAT_API_BASE": fake,
            "WECHAT_APPID": APPID, "WECHAT_SECRET": SECRET, "SECRET_KEY": "bench-secret-key",
            # The bench measures throughput, not WeChat's limits: a rate and quota it never meets,
            # and no quiet hours (it may run at night in Shanghai).
            "WECHAT_CALL_RATE": "100000", "WECHAT_DAILY_QUOTA": "10000000", "NOTICE_QUIET_HOURS": "off",
            "NOTIFY_SWEEP_GRACE": "0", "PYTHONPATH": ROOT}


def prepare(app, n: int) -> None:
    from flask_migrate import upgrade

    from extensions import db, get_redis
    with app.app_context():
        with db.engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        upgrade(revision="heads")
        db.session.execute(text(
            "INSERT INTO members (id, phone, identity, following) "
            "SELECT g, '139' || lpad(g::text, 8, '0'), 'private', true FROM generate_series(1, :n) g"), {"n": n})
        db.session.execute(text("INSERT INTO wechat_bindings (openid, member_id) "
                                "SELECT 'o-bench-' || g, g FROM generate_series(1, :n) g"), {"n": n})
        db.session.execute(text(
            "INSERT INTO outbox (kind, dedup_key, member_id, payload, created_at) "
            "SELECT 'points_expiring', 'bench:' || g, g, "
            "'{\"days\": 30, \"expires_on\": \"2027-01-31\", \"points\": 120}', now() - interval '1 minute' "
            "FROM generate_series(1, :n) g"), {"n": n})
        db.session.commit()
        db.session.execute(text("ANALYZE"))
        db.session.commit()
        get_redis().flushdb()


def baseline(fake: str, n: int, threads: int) -> float:
    token = requests.post(f"{fake}/cgi-bin/stable_token",
                          json={"grant_type": "client_credential", "appid": APPID, "secret": SECRET}).json()["access_token"]
    url = f"{fake}/cgi-bin/message/template/send?access_token={token}"
    local = threading.local()

    def send(i: int) -> int:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
        body = {"touser": f"o-bench-{i}", "template_id": "TPL_POINTS_EXPIRY", "client_msg_id": f"raw-{i}",
                "data": {"number1": {"value": "120"}, "time2": {"value": "2027-01-31"},
                         "thing3": {"value": "120积分将于30天内过期"}}}
        res = session.post(url, data=json.dumps(body, ensure_ascii=False).encode())
        return res.json()["errcode"]

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=threads) as pool:
        codes = list(pool.map(send, range(1, n + 1), chunksize=64))
    elapsed = time.perf_counter() - started
    assert codes.count(0) == n, f"baseline: {n - codes.count(0)} refused"
    return n / elapsed


def youka(app, fake: str, env: dict, n: int, workers: int) -> float:
    from extensions import db
    from jobs.notify import sweep
    requests.post(f"{fake}/_sim/reset")
    with app.app_context():
        started = time.perf_counter()
        swept = sweep(limit=n)
        procs = [subprocess.Popen([sys.executable, "-m", "rq.cli", "worker", "-w", "jobs.worker.AppWorker", "--burst",
                                   "--url", env["REDIS_URL"], "--logging_level", "WARNING", "notify"],
                                  env=env, cwd=ROOT) for _ in range(workers)]
        codes = [p.wait() for p in procs]
        elapsed = time.perf_counter() - started
        assert codes == [0] * workers, codes
        assert swept["enqueued"] == n, swept
        statuses = dict(db.session.execute(text("SELECT status, count(*) FROM outbox GROUP BY status")).all())
        assert statuses == {"sent": n}, statuses
    counts = requests.get(f"{fake}/_sim/counts").json()
    assert counts["template"] == n and counts["distinct_template_users"] == n, counts
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--threads", type=int, default=32, help="the raw sender's threads")
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB))
    parser.add_argument("--redis-url", default=os.environ.get("BENCH_REDIS_URL", DEFAULT_REDIS))
    args = parser.parse_args()
    if args.database_url.rsplit("/", 1)[-1] == "test" or args.redis_url.rstrip("/").endswith("/1"):
        raise SystemExit("refusing CI's database `test` / Redis db 1")
    port = free_port()
    fake = f"http://127.0.0.1:{port}"
    fake_proc = start_fake(port)
    try:
        env = env_for(args.database_url, args.redis_url, fake)
        os.environ.update({k: env[k] for k in ("WECHAT_CALL_RATE", "WECHAT_DAILY_QUOTA", "NOTICE_QUIET_HOURS",
                                                "NOTIFY_SWEEP_GRACE")})
        sys.path.insert(0, ROOT)
        from app import create_app
        from config import Config
        cfg = Config.from_env()
        cfg.DATABASE_URL, cfg.REDIS_URL, cfg.WECHAT_API_BASE = args.database_url, args.redis_url, fake
        cfg.WECHAT_APPID, cfg.WECHAT_SECRET = APPID, SECRET
        app = create_app(cfg)
        prepare(app, args.messages)
        raw = baseline(fake, args.messages, args.threads)
        ours = youka(app, fake, env, args.messages, args.workers)
    finally:
        fake_proc.terminate()
        fake_proc.wait()
    print(f"baseline (raw concurrent HTTP, {args.threads} threads): {raw:.0f} messages/s")
    print(f"youka (outbox, {args.workers} RQ workers): {ours:.0f} messages/s")
    print(f"ratio youka / baseline: {ours / raw:.2f}")


if __name__ == "__main__":
    main()

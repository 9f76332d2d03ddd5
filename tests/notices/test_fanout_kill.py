"""A fan-out through real worker processes: one is killed with SIGKILL in the middle, a
new one finishes, and the fake WeChat API has received every member exactly once."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
import time_machine
from sqlalchemy import func, select, text

from extensions import db
from jobs.notify import sweep
from models import Outbox

pytestmark = pytest.mark.slow
MEMBERS = 600


@pytest.fixture
def app_config(app_config):
    app_config.update(NOTIFY_SWEEP_GRACE=0)
    return app_config


def fan_out(n: int) -> None:
    """n bound members and one balance_low row each, set-based (as the periodic producers write)."""
    db.session.execute(text(
        "INSERT INTO members (id, phone, identity, following) "
        "SELECT g, '139' || lpad(g::text, 8, '0'), 'private', true FROM generate_series(1, :n) g"), {"n": n})
    db.session.execute(text("INSERT INTO wechat_bindings (openid, member_id) SELECT 'o-' || g, g "
                            "FROM generate_series(1, :n) g"), {"n": n})
    db.session.execute(text(
        "INSERT INTO outbox (kind, dedup_key, member_id, payload) "
        "SELECT 'balance_low', 'fan:' || g, g, '{\"balance_fen\": 100, \"threshold_fen\": 5000, \"sale_id\": null}' "
        "FROM generate_series(1, :n) g"), {"n": n})
    db.session.commit()


def worker(app, fake_url: str) -> subprocess.Popen:
    env = {**os.environ, "DATABASE_URL": app.config["DATABASE_URL"], "REDIS_URL": app.config["REDIS_URL"],
           "WECHAT_API_BASE": fake_url, "WECHAT_APPID": app.config["WECHAT_APPID"],
           "WECHAT_SECRET": app.config["WECHAT_SECRET"], "WECHAT_TOKEN": app.config["WECHAT_TOKEN"],
           "SECRET_KEY": app.config["SECRET_KEY"], "NOTIFY_SEND_THREADS": "4"}
    return subprocess.Popen([sys.executable, "-m", "rq.cli", "worker", "-w", "jobs.worker.AppWorker", "--burst",
                             "--url", app.config["REDIS_URL"], "notify"], env=env, cwd=app.root_path,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def test_a_worker_killed_mid_fan_out_and_restarted_reaches_every_member_once(app, fake_wechat, fake_wechat_server):
    fan_out(MEMBERS)
    assert sweep()["jobs"] == MEMBERS // 200
    fake_wechat.delay("/cgi-bin/message/template/send", 0.02)  # slow enough to be caught mid-chunk
    first = worker(app, fake_wechat_server.config["BASE_URL"])
    deadline = time.monotonic() + 60
    while len(fake_wechat.template_messages) < 50 and time.monotonic() < deadline:
        time.sleep(0.05)
    os.kill(first.pid, signal.SIGKILL)
    first.wait()
    got_before = len(fake_wechat.template_messages)
    assert 0 < got_before < MEMBERS, got_before
    db.session.expire_all()
    stuck = db.session.scalar(select(func.count()).select_from(Outbox).where(Outbox.status == "sending"))
    assert stuck > 0  # the killed worker's chunk: intent recorded, outcome never written
    fake_wechat.delay("/cgi-bin/message/template/send", 0)
    # A minute later the sweeper finds the abandoned chunk (its lease ran out) and re-enqueues it.
    with time_machine.travel(time.time() + 61, tick=True):
        result = sweep()
    assert result["resend"] == stuck
    second = worker(app, fake_wechat_server.config["BASE_URL"])
    assert second.wait(timeout=120) == 0
    counts = Counter(m["touser"] for m in fake_wechat.template_messages)
    assert len(counts) == MEMBERS and set(counts.values()) == {1}
    db.session.expire_all()
    assert dict(db.session.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all()) == \
        {"sent": MEMBERS}

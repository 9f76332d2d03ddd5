"""`make run` end to end: devstack.py brings the whole service up on embedded
defaults, `rq cron` gets the heartbeat through a worker, and one SIGINT to the
process group (a Ctrl-C) takes every process down and exits 0."""
from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psutil
import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
pytestmark = pytest.mark.slow


def free_port_pair() -> int:
    """A port P with P+1 free too: devstack serves the fake WeChat API there. Taken below
    Linux's ephemeral range (32768-60999), where every other test's servers bind port 0:
    a port that is free now cannot be handed to one of them (the suite runs in several
    processes) before devstack binds it."""
    import random
    for _ in range(200):
        port = random.randrange(20000, 32000)
        if all(_bindable(p) for p in (port, port + 1)):
            return port
    raise RuntimeError("no free pair of ports")


def _bindable(port: int) -> bool:
    with socket.socket() as sock:
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def wait_for(predicate, timeout: float, what: str, proc: subprocess.Popen):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"devstack exited early ({proc.returncode}) while waiting for {what}"
        value = predicate()
        if value:
            return value
        time.sleep(0.5)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def healthz(port: int):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except OSError:
        return None


def group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


@pytest.fixture
def devstack_env():
    """Extra environment for this test's devstack (the default: the full demo seed)."""
    return {}


@pytest.fixture
def devstack(tmp_path, devstack_env):
    instance = tmp_path / "instance"
    port = free_port_pair()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "WECHAT_API_BASE")}
    env.update(PORT=str(port), DATABASE_URL=f"sqlite:///{tmp_path / 'youka.db'}",
               YOUKA_INSTANCE_PATH=str(instance), FLASK_SKIP_DOTENV="1", **devstack_env)
    log = open(tmp_path / "devstack.log", "wb")
    proc = subprocess.Popen([sys.executable, "devstack.py"], cwd=ROOT, env=env, start_new_session=True,
                            stdout=log, stderr=subprocess.STDOUT)
    proc.log_path = tmp_path / "devstack.log"
    yield proc, port, instance
    if proc.poll() is None:  # the test failed half-way: leave nothing behind
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    log.close()
    print((tmp_path / "devstack.log").read_text(errors="replace")[-4000:])


def test_runs_the_service_and_stops_on_ctrl_c(devstack):
    proc, port, instance = devstack
    status, body = wait_for(lambda: healthz(port), 240, "/healthz", proc)  # after the whole seed
    assert status == 200
    assert body == {"status": "ok", "database": "ok", "redis": "ok"}

    # The embedded Redis the children share; `rq cron` runs an interval job once at start.
    sock = instance / "redis.sock"
    client = redis.Redis(unix_socket_path=str(sock), socket_connect_timeout=2)
    wait_for(lambda: client.get("youka:cron:last_tick"), 60, "the cron heartbeat", proc)
    client.close()

    descendants = psutil.Process(proc.pid).children(recursive=True)
    names = " ".join(" ".join(p.cmdline()) for p in descendants)
    for expected in ("gunicorn", "rq.cli worker", "rq.cli cron", "web.wechat_sim"):
        assert expected in names

    # First start: the whole demo seed, timed by the seed itself; the banner names the
    # simulator and the demo logins; `/` leads to the simulator.
    banner = wait_for(lambda: "demo logins" in proc.log_path.read_text(errors="replace")
                      and proc.log_path.read_text(errors="replace"), 30, "the banner", proc)
    seeded = re.search(r"demo data seeded in ([0-9.]+)s: 200 members, (\d+) sales", banner)
    assert seeded and int(seeded.group(2)) > 3000, banner[-3000:]
    print(f"first start: the demo seed took {seeded.group(1)} s")
    assert f"simulator   http://127.0.0.1:{port}/simulator" in banner
    assert re.search(r"cashier1 +youka-demo-2026 +cashier S001", banner)
    assert re.search(r"admin +youka-demo-2026 +hq_admin", banner)
    home = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10)
    assert home.url == f"http://127.0.0.1:{port}/simulator/" and "微信模拟器" in home.read().decode()

    os.killpg(proc.pid, signal.SIGINT)
    assert proc.wait(timeout=30) == 0
    assert_all_gone(proc, descendants, sock)


@pytest.mark.parametrize("devstack_env", [{"DEMO_MEMBERS": "0"}])
def test_a_dying_child_takes_the_stack_down(devstack):
    proc, port, instance = devstack
    wait_for(lambda: healthz(port), 90, "/healthz", proc)
    descendants = psutil.Process(proc.pid).children(recursive=True)
    cron = next(p for p in descendants if "cron" in p.cmdline())
    cron.kill()
    assert proc.wait(timeout=30) == 1
    assert_all_gone(proc, descendants, instance / "redis.sock")


def assert_all_gone(proc: subprocess.Popen, descendants: list, sock: Path) -> None:
    deadline = time.monotonic() + 20
    while group_alive(proc.pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not group_alive(proc.pid), "a process of the stack outlived it"
    assert not [p for p in descendants if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert not sock.exists(), "the embedded Redis is still running"

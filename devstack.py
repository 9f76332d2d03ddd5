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
                proc.kill()
            proc.wait()
        for server in self.redis_servers:
            _shutdown_redis(server)


def _shutdown_redis(server) -> None:
    import psutil
    import redis
    pid = server.pid
    try:
        server.shutdown(nosave=True)
    except redis.RedisError:
        pass  # already gone
    try:
        psutil.Process(pid).wait(timeout=10)
    except psutil.NoSuchProcess:
        pass
    except psutil.TimeoutExpired:
        os.kill(pid, signal.SIGKILL)


def instance_path() -> Path:
    return Path(os.environ.get("YOUKA_INSTANCE_PATH") or ROOT / "instance").resolve()


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
    if os.environ.get("WECHAT_API_BASE"):
        return
    import importlib.util
    if importlib.util.find_spec("web.wechat_sim") is None:
        log("web/wechat_sim.py is missing: no fake WeChat API; pushes would go to the real one")
        return
    stack.spawn("fake-wechat", [PY, "-c", "import sys, devstack; devstack.serve_fake_wechat(int(sys.argv[1]))",
                                str(port)])
    wait_for_port(port, stack)
    os.environ["WECHAT_API_BASE"] = f"http://127.0.0.1:{port}"


def serve_fake_wechat(port: int) -> None:
    """Entry point of the fake-WeChat child process."""
    from werkzeug.serving import make_server
    from web.wechat_sim import create_fake_wechat
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    app = create_fake_wechat()
    app.config["BASE_URL"] = f"http://127.0.0.1:{port}"
    server = make_server("127.0.0.1", port, app, threaded=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


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
    if stack.run_once(FLASK + ["db", "upgrade"]) != 0:
        raise SystemExit("devstack: `flask db upgrade` failed")
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    if stack.run_once(FLASK + ["demo", "--help"], **quiet) == 0:
        if stack.run_once(FLASK + ["demo", "seed"]) != 0:
            raise SystemExit("devstack: `flask demo seed` failed")


def start_services(stack: Stack, port: int) -> None:
    redis_url = os.environ["REDIS_URL"]
    # No control socket: its default path is per user, so two stacks (a test beside
    # `make run`) would fight over it, and nothing here uses it.
    stack.spawn("gunicorn", [PY, "-m", "gunicorn", "app:create_app()", "-b", f"0.0.0.0:{port}",
                             "--workers", "2", "--threads", "8", "-k", "gthread", "--no-control-socket"])
    stack.spawn("rq worker", [PY, "-m", "rq.cli", "worker", "--with-scheduler", "--url", redis_url, "default"])
    stack.spawn("rq cron", [PY, "-m", "rq.cli", "cron", "jobs/schedule.py", "--url", redis_url])


def banner(port: int, instance: Path) -> None:
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
        + ("  (a local fake: nothing leaves this machine)" if cfg.WECHAT_API_BASE.startswith(
            f"http://127.0.0.1:{port + 1}") else ""),
        f"  database    {os.environ['DATABASE_URL']}",
        f"  redis       {os.environ['REDIS_URL']}",
        f"  chat        {flask} --app app wechat chat --openid demo-openid",
    ]
    if instance != ROOT / "instance":
        lines.append(f"  (instance at {instance}: export YOUKA_INSTANCE_PATH for the CLI too)")
    print("\n".join(lines), flush=True)


def _on_signal(signum, _frame):
    raise Shutdown(signum)


def main() -> int:
    if not os.environ.get("FLASK_SKIP_DOTENV"):
        from dotenv import load_dotenv
        load_dotenv(ROOT / ".env")  # as the flask CLI does, so every child sees the same settings
    port = int(os.environ.get("PORT") or 5000)
    instance = instance_path()
    instance.mkdir(parents=True, exist_ok=True)
    stack = Stack()
    signal.signal(signal.SIGINT, _on_signal)
    signal.signal(signal.SIGTERM, _on_signal)
    code, grace = 1, 0.0
    try:
        os.environ.setdefault("DATABASE_URL", f"sqlite:///{instance / 'youka.db'}")
        prepare_redis(stack, instance)
        prepare_fake_wechat(stack, port + 1)
        migrate_and_seed(stack)
        start_services(stack, port)
        wait_for_port(port, stack, timeout=30)
        if not stack.dead_child():
            banner(port, instance)
        code = stack.supervise()
    except Shutdown as stop:
        log(f"got {signal.Signals(stop.args[0]).name}; stopping")
        code, grace = 0, GRACE
    finally:
        # A second Ctrl-C must not cut the clean-up short and leave orphans.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stack.stop(grace)
    log("stopped")
    return code


if __name__ == "__main__":
    sys.exit(main())

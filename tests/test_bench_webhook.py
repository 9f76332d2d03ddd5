"""A smoke run of bench/webhook.py with tiny numbers: it starts both servers, loads
them, checks every reply, stops them, and prints lines the README promises
((a), (b), (c), then ratio c/a and, last, ratio b/a).

It runs against the services this test run was given (TEST_DATABASE_URL, TEST_REDIS_URL),
never the machine's defaults, but not on the tests' own database and Redis db, which a
running session is using: a sibling database made for the run and another db number."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.siblings import sibling_database, sibling_redis

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^\((a|b|c)\) .+: requests (\d+)  errors (\d+)  throughput ([\d.]+) req/s  "
                  r"p50 ([\d.]+) ms  p99 ([\d.]+) ms$")


@pytest.fixture
def bench_database(database_url, tmp_path):
    """A database of the bench's own beside the tests' (`<name>_webhook_bench`), made afresh, dropped after."""
    with sibling_database(database_url, "webhook_bench", tmp_path) as url:
        yield url


def test_the_bench_uses_services_beside_the_tests_own():
    assert sibling_redis("redis://127.0.0.1:6379/2") == "redis://127.0.0.1:6379/10"
    assert sibling_redis("redis://127.0.0.1:6379/9") == "redis://127.0.0.1:6379/1"
    assert sibling_redis("unix:///tmp/r.sock?db=0") == "unix:///tmp/r.sock?db=8"


@pytest.mark.slow
def test_webhook_bench_smoke_run(bench_database, redis_url):
    # Few clients and a short run: this proves the harness, it measures nothing.
    proc = subprocess.run(
        [sys.executable, "bench/webhook.py", "--duration", "1", "--warmup", "0.5", "--clients", "4",
         "--database-url", bench_database, "--redis-url", sibling_redis(redis_url)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    out = proc.stdout.strip().splitlines()
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"database {bench_database};" in out[0] and f"redis {sibling_redis(redis_url)};" in out[0]
    stats = {m[1]: m for m in map(LINE.match, out) if m}
    assert set(stats) == {"a", "b", "c"}, proc.stdout
    for m in stats.values():
        assert int(m[2]) > 0 and int(m[3]) == 0 and float(m[4]) > 0
        assert 0 < float(m[5]) <= float(m[6])
    # ratio c/a just before the last line, ratio b/a the last line.
    for line, label in ((out[-2], "c"), (out[-1], "b")):
        ratio = re.fullmatch(rf"ratio {label}/a: ([\d.]+)", line)
        assert ratio, line
        expected = float(stats[label][4]) / float(stats["a"][4])
        assert float(ratio[1]) == pytest.approx(expected, abs=0.01)

"""A smoke run of bench/webhook.py with tiny numbers: it starts both servers, loads
them, checks every reply, stops them, and prints lines the README promises
((a), (b), (c), then ratio c/a and, last, ratio b/a)."""
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINE = re.compile(r"^\((a|b|c)\) .+: requests (\d+)  errors (\d+)  throughput ([\d.]+) req/s  "
                  r"p50 ([\d.]+) ms  p99 ([\d.]+) ms$")


@pytest.mark.slow
def test_webhook_bench_smoke_run():
    # Few clients and a short run: this proves the harness, it measures nothing.
    proc = subprocess.run(
        [sys.executable, "bench/webhook.py", "--duration", "1", "--warmup", "0.5", "--clients", "4"],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    out = proc.stdout.strip().splitlines()
    assert proc.returncode == 0, proc.stdout + proc.stderr
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

"""The benchmark scripts run and print their figures (no timing is asserted)."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_bench_verify_prints_rates_ratios_and_batch_memory() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_verify"), "--rounds", "1", "--n", "200",
         "--batch", "300", "--no-chain"],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for label in ("verify, full copy", "verify, derived copy", "issue (batch to JSON Lines)"):
        line = next(line for line in out.splitlines() if line.startswith(label))
        ratio = float(re.search(r"ratio to raw \w+ +([0-9.]+)", line).group(1))
        assert 0 < ratio < 1
    assert re.search(r"batch of 300: [0-9.]+ s \([0-9,]+ /s\), peak RSS [0-9]+ MiB", out)


def test_bench_checkin_prints_rates_latencies_and_ratios() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bench_checkin"), "--rounds", "1",
         "--checkins", "10", "--ping", "20", "--conns", "2"],
        capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert re.search(r"trivial route \(GET /ping\) +[0-9]+ req/s", out)
    for way in ("operator", "learner"):
        line = next(line for line in out.splitlines() if line.startswith(f"check-in {way}"))
        figures = re.search(r"([0-9]+) req/s +p50 +[0-9.]+ ms +p99 +([0-9.]+) ms +ratio "
                            r"([0-9.]+)", line)
        assert figures and int(figures.group(1)) > 0 and float(figures.group(3)) > 0

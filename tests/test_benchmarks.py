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

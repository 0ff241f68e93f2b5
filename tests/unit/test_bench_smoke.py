"""The benchmark scripts still run and their paths still agree (small scale, no timing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_footprint_benchmark_small_runs_and_agrees() -> None:
    done = subprocess.run([sys.executable, "bench/bench_footprints.py", "--small"], cwd=ROOT,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert "products/s" in done.stdout

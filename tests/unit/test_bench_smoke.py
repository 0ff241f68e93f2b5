"""The benchmark scripts still run and their paths still agree (small scale, no timing)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SMALL = ["--activities", "2000", "--technosphere-nnz", "25000", "--biosphere-nnz", "40000",
         "--flows", "470"]


@pytest.mark.parametrize(("script", "args", "expect"), [
    ("bench_footprints.py", ["--small"], "products/s"),
    ("bench_measures.py", [*SMALL, "--measures", "500", "--sample", "3", "--repeat", "1"],
     "measures/s"),
    ("bench_portfolio.py", [], "same optimum: yes"),
])
def test_benchmark_runs_and_agrees(script: str, args: list[str], expect: str) -> None:
    done = subprocess.run([sys.executable, f"bench/{script}", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    assert expect in done.stdout

#!/usr/bin/env python3
"""The README's two commands. Needs only Python 3.11+.

    python3 deploy/dev.py run   [tanji run options]   API + worker, embedded servers if unset
    python3 deploy/dev.py test  [pytest options]      ruff, then the whole test suite

Each makes (or refreshes) the virtual environment .venv beside the repo and
installs the project into it when pyproject.toml changed since the last install.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = Path(os.environ.get("TANJI_VENV", ROOT / ".venv"))
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".tanji-install-stamp"


def ensure_environment() -> None:
    """Create .venv and install the project with its test tools, when needed."""
    if sys.version_info < (3, 11):  # noqa: UP036  (runs on whatever python3 the user has)
        sys.exit("Tanji needs Python 3.11 or newer")
    wanted = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    if not (BIN / "python").exists():
        print(f"creating {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    print("installing Tanji and its dependencies (first run takes a few minutes)", flush=True)
    subprocess.check_call([str(BIN / "python"), "-m", "pip", "install", "--quiet",
                           "--upgrade", "pip"])
    subprocess.check_call([str(BIN / "python"), "-m", "pip", "install", "--quiet",
                           "-e", f"{ROOT}[dev]"])
    STAMP.write_text(wanted)


def main() -> int:
    """Dispatch to run or test."""
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "test"):
        print(__doc__)
        return 2
    ensure_environment()
    command, rest = sys.argv[1], sys.argv[2:]
    os.chdir(ROOT)
    if command == "run":
        os.execv(BIN / "tanji", [str(BIN / "tanji"), "run", *rest])
    lint = subprocess.call([str(BIN / "ruff"), "check", "."])
    if lint != 0:
        return lint
    os.execv(BIN / "python", [str(BIN / "python"), "-m", "pytest", *rest])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

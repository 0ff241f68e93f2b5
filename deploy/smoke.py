#!/usr/bin/env python3
"""Smoke test of the README's run command: start, wait ready, submit a BOM, stop, check.

Runs ``python3 deploy/dev.py run`` with embedded defaults in a fresh data
folder, reads the demo credentials it prints, submits a BOM and a footprint
job through the API, stops it with SIGINT (as Ctrl-C) and checks that no
process of it is left.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from base64 import b64encode
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(method: str, url: str, body: bytes | None = None,
         headers: dict[str, str] | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def main() -> int:
    data_dir = Path(tempfile.mkdtemp(prefix="tanji-smoke-"))
    data_dir.chmod(0o755)
    port = free_port()
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "CELERY_BROKER_URL") and not k.startswith("TANJI_")}
    env["TANJI_DATA_DIR"] = str(data_dir)
    log_path = data_dir / "run.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen([sys.executable, str(ROOT / "deploy" / "dev.py"), "run",
                                 "--port", str(port)], env=env, stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 600
        while True:
            assert proc.poll() is None, log_path.read_text()[-3000:]
            assert time.monotonic() < deadline, "not ready in time"
            try:
                if call("GET", base + "/readyz")[0] == 200:
                    break
            except OSError:
                pass
            time.sleep(0.5)
        text = log_path.read_text()
        match = re.search(r"client_id=(\S+) client_secret=(\S+)", text)
        assert match, "the run command did not print demo credentials"
        basic = b64encode(f"{match[1]}:{match[2]}".encode()).decode()
        status, token = call("POST", base + "/auth/token", b"grant_type=client_credentials",
                             {"Authorization": f"Basic {basic}",
                              "Content-Type": "application/x-www-form-urlencoded"})
        assert status == 200, token
        auth = {"Authorization": f"Bearer {token['access_token']}",
                "Content-Type": "application/json"}
        status, product = call("POST", base + "/v1/products",
                               json.dumps({"part_number": "SMOKE-1", "name": "Smoke"}).encode(),
                               auth)
        assert status == 201, product
        lines = [{"part_number": "A", "description": "Aluminium", "quantity": 1.5, "unit": "kg"}]
        status, revision = call("POST", f"{base}/v1/products/{product['id']}/boms",
                                json.dumps({"lines": lines}).encode(), auth)
        assert status == 201, revision
        status, job = call("POST", base + "/v1/footprints",
                           json.dumps({"bom_revision_id": revision["id"]}).encode(), auth)
        assert status == 202, job
        deadline = time.monotonic() + 120
        while job["state"] not in ("succeeded", "failed"):
            assert time.monotonic() < deadline, job
            time.sleep(0.5)
            job = call("GET", f"{base}/v1/jobs/{job['id']}", headers=auth)[1]
        assert job["state"] == "succeeded", job
        print(f"smoke: BOM {revision['id']} submitted, job {job['id']} {job['state']}")
        credentials = json.loads((data_dir / "demo-credentials.json").read_text())
        deadline = time.monotonic() + 600
        while True:
            status, imported = call("GET", f"{base}/v1/jobs/{credentials['import_job_id']}",
                                    headers=auth)
            assert status == 200, imported
            if imported["state"] in ("succeeded", "failed"):
                break
            assert time.monotonic() < deadline, imported
            time.sleep(2)
        assert imported["state"] == "succeeded", imported
        print(f"smoke: demo US LCI snapshot {imported['output']['snapshot_hash'][:12]} ready")
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            raise
    time.sleep(1)
    leftover = subprocess.run(["pgrep", "-f", str(data_dir)], capture_output=True, text=True)
    assert not leftover.stdout.strip(), f"processes left running: {leftover.stdout}"
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", port)) != 0, "the API port is still open"
    print(f"smoke: stopped cleanly (exit {proc.returncode}), nothing left running")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Real servers for tests: PostgreSQL (given or embedded), the API and workers as processes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port free on loopback right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_ready(base_url: str, *, timeout: float = 60.0, process: subprocess.Popen | None = None,
               path: str = "/readyz") -> None:
    """Poll until ``path`` answers 200; fail early when ``process`` exits."""
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode}")
        try:
            response = httpx.get(base_url + path, timeout=2)
            if response.status_code == 200:
                return
            last = response.text
        except httpx.HTTPError as exc:
            last = repr(exc)
        time.sleep(0.2)
    raise TimeoutError(f"{base_url}{path} not ready: {last}")


class ManagedProcess:
    """A child process of ours, started in its own process group, with its log in a file."""

    def __init__(self, name: str, command: list[str], env: dict[str, str], log_dir: Path) -> None:
        self.name = name
        self.command = command
        self.env = env
        self.log_path = log_dir / f"{name}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> ManagedProcess:
        """Start (or restart) the process."""
        log = open(self.log_path, "ab")  # noqa: SIM115  (closed with the process)
        self.process = subprocess.Popen(self.command, env=self.env, cwd=ROOT, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        return self

    def kill(self) -> None:
        """SIGKILL the whole process group: no cleanup, as a crash."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self, timeout: float = 15) -> None:
        """SIGTERM, then SIGKILL after ``timeout``."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def log(self) -> str:
        """What the process wrote so far."""
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


def api_process(env: dict[str, str], port: int, log_dir: Path) -> ManagedProcess:
    """The API under uvicorn on ``port``."""
    return ManagedProcess("api", [sys.executable, "-m", "uvicorn", "service.app:create_app",
                                  "--factory", "--host", "127.0.0.1", "--port", str(port),
                                  "--no-access-log"],
                          env, log_dir)


def worker_process(env: dict[str, str], log_dir: Path, name: str = "worker") -> ManagedProcess:
    """One Celery worker, solo pool (the task runs in the process we may kill)."""
    return ManagedProcess(name, [sys.executable, "-m", "celery", "-A", "service.jobs.tasks",
                                 "worker", "--loglevel", "INFO", "--pool", "solo",
                                 "--queues", "tanji", "--without-heartbeat", "--without-gossip",
                                 "--without-mingle", "-n", f"{name}@%h"], env, log_dir)


@contextlib.contextmanager
def serve_in_thread(app: object) -> Iterator[str]:
    """Serve an ASGI app (a test's stand-in partner or webhook receiver) on a free loopback
    port in a daemon thread; yields its base URL and stops it afterwards."""
    import uvicorn

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)

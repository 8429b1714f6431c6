"""`ioi-grader serve` in a child process: what the benchmark and the load run measure (the test
suite drives the service through it too)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _parent_of(pid: str) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


class ServeProcess:
    """`serve` on a free loopback port: its own private Redis unless `redis_url` is given.
    Use as a context manager, or `start()` / `stop()`."""

    def __init__(self, problem_dirs: list[Path], data_dir: Path, workers: int = 1, boxes_per_worker: int | None = None,
                 env: dict[str, str] | None = None, redis_url: str | None = None):
        self.problem_dirs = [Path(p) for p in problem_dirs]
        self.data_dir = Path(data_dir)
        self.workers = workers
        self.boxes_per_worker = boxes_per_worker
        self.env = dict(env or {})
        self.redis_url = redis_url
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self._log = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        key = self.env.get("IOI_GRADER_API_KEYS", "").split(",")[0]
        return {"Authorization": f"Bearer {key}"} if key else {}

    def start(self, timeout: float = 180) -> ServeProcess:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        command = [sys.executable, "-m", "ioi_grader.cli", "serve", "--port", str(self.port),
                   "--workers", str(self.workers), "--data-dir", str(self.data_dir)]
        if self.boxes_per_worker:
            command += ["--boxes-per-worker", str(self.boxes_per_worker)]
        for directory in self.problem_dirs:
            command += ["--problems", str(directory)]
        env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
        env.update(self.env)
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        self._log = open(self.data_dir / "serve.log", "ab")  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        self.wait_healthy(timeout)
        return self

    def wait_healthy(self, timeout: float = 180) -> dict:
        """Wait until /healthz is ok with every worker up; its last answer."""
        deadline = time.monotonic() + timeout
        last: dict = {}
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"serve exited: {(self.data_dir / 'serve.log').read_text()[-2000:]}")
            try:
                last = httpx.get(f"{self.url}/healthz", timeout=5, headers=self.headers).json()
                if last.get("status") == "ok" and last.get("workers", 0) >= self.workers:
                    return last
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"serve not healthy within {timeout:.0f}s: {last}; see {self.data_dir / 'serve.log'}")

    def pids(self) -> list[int]:
        """serve itself and its direct children (workers, private Redis)."""
        return [self.process.pid] + [int(e.name) for e in Path("/proc").iterdir()
                                     if e.name.isdigit() and _parent_of(e.name) == self.process.pid]

    def worker_pids(self) -> dict[str, int]:
        """Worker name -> pid, for the workers serve started."""
        found = {}
        for pid in self.pids()[1:]:
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            if b"worker" in argv and b"--name" in argv:
                found[argv[argv.index(b"--name") + 1].decode()] = pid
        return found

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log:
            self._log.close()

    def __enter__(self) -> ServeProcess:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

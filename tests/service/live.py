"""A live ioi-grader service for tests: a redis-server with append-only persistence that
tests can kill and restart, and `ioi-grader serve` running as its own process."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx
from redis import Redis
from redis.exceptions import RedisError

from paths import REPO
from support import free_port


class RedisProcess:
    def __init__(self, directory: Path):
        self.dir = directory
        self.socket = directory / "redis.sock"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [shutil.which("redis-server"), "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
             "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "always", "--save", ""],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                if Redis(unix_socket_path=str(self.socket)).ping():
                    return
            except (RedisError, OSError):
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def kill(self) -> None:
        """A crash: SIGKILL, no chance to save anything beyond what the AOF already has."""
        if self.process:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def client(self) -> Redis:
        return Redis(unix_socket_path=str(self.socket))


class ServiceProcess:
    """`ioi-grader serve` on a free loopback port."""

    def __init__(self, redis: RedisProcess, problem_dirs: list[Path], data_dir: Path, workers: int = 2,
                 env: dict[str, str] | None = None, redis_db: int = 0):
        self.redis = redis
        self.redis_url = f"{redis.url}?db={redis_db}" if redis_db else redis.url
        self.problem_dirs = problem_dirs
        self.data_dir = data_dir
        self.workers = workers
        self.port = free_port()
        self.env = env or {}
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def headers(self) -> dict[str, str]:
        key = self.env.get("IOI_GRADER_API_KEYS", "").split(",")[0]
        return {"Authorization": f"Bearer {key}"} if key else {}

    def start(self, timeout: float = 120) -> None:
        command = [str(REPO / ".venv" / "bin" / "ioi-grader"), "serve", "--port", str(self.port), "--workers",
                   str(self.workers), "--boxes-per-worker", "1", "--data-dir", str(self.data_dir)]
        for directory in self.problem_dirs:
            command += ["--problems", str(directory)]
        env = dict(os.environ, REDIS_URL=self.redis_url, **self.env)
        self.log = open(self.data_dir / "serve.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(command, env=env, stdout=self.log, stderr=subprocess.STDOUT)
        self.wait_healthy(timeout)

    def wait_healthy(self, timeout: float = 120) -> dict:
        deadline = time.monotonic() + timeout
        last = None
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
        raise RuntimeError(f"service not healthy in {timeout}s: {last}")

    def worker_pids(self) -> dict[str, int]:
        """Worker name -> pid, for the workers `serve` started."""
        pids = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == self.process.pid and b"worker" in argv and b"--name" in argv:
                pids[argv[argv.index(b"--name") + 1].decode()] = int(entry.name)
        return pids

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(60)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

"""A live ioi-grader service for tests: a redis-server with append-only persistence that
tests can kill and restart, and `ioi-grader serve` running as its own process."""

from __future__ import annotations

import shutil
import signal
import subprocess
import time
from pathlib import Path

from redis import Redis
from redis.exceptions import RedisError

from ioi_grader.bench.serve_process import ServeProcess


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


class ServiceProcess(ServeProcess):
    """`serve` for the end-to-end tests: on the tests' Redis (one database each), one box per worker."""

    def __init__(self, redis: RedisProcess, problem_dirs: list[Path], data_dir: Path, workers: int = 2,
                 env: dict[str, str] | None = None, redis_db: int = 0):
        super().__init__(problem_dirs, data_dir, workers, boxes_per_worker=1, env=env,
                         redis_url=f"{redis.url}?db={redis_db}" if redis_db else redis.url)
        self.redis = redis

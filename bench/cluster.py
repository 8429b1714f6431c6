"""The service spread over test hosts (see `netns`): host A runs Redis and the API with the
problem folders; every other host runs one worker with its own state folder and an empty
problem cache, and reaches A over TCP only. Used by the multi-host test and `bench hosts`."""

from __future__ import annotations

import os
import shutil
import sys
import time
from pathlib import Path

import httpx
from redis import Redis
from redis.exceptions import RedisError

from .netns import Host, TestNetwork

REDIS_PORT = 6379
API_PORT = 8000


class Cluster:
    def __init__(self, root: Path, problem_dirs: list[Path], *, boxes_per_worker: int = 1,
                 cache_size: str = "2GiB", api_key: str = "test-key", admin_key: str = "test-admin"):
        self.root = Path(root)
        self.problem_dirs = [Path(p) for p in problem_dirs]
        self.boxes_per_worker = boxes_per_worker
        self.cache_size = cache_size
        self.api_key, self.admin_key = api_key, admin_key
        self.network = TestNetwork()
        self.api_host: Host | None = None
        self.workers: dict[str, Host] = {}

    # -- addresses, as the operator (this process) reaches them ---------------------------------

    @property
    def url(self) -> str:
        return f"http://{self.api_host.address}:{API_PORT}"

    @property
    def redis_url(self) -> str:
        return f"redis://{self.api_host.address}:{REDIS_PORT}/0"

    def redis(self) -> Redis:
        return Redis.from_url(self.redis_url, socket_timeout=10)

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"}

    @property
    def admin_headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.admin_key}"}

    def _env(self, state: Path) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("REDIS_URL", "IOI_GRADER_API", "IOI_GRADER_ADMIN"))}
        env["IOI_GRADER_STATE_DIR"] = str(state)
        return env

    # -- lifecycle -----------------------------------------------------------------------------

    def start(self, timeout: float = 60) -> Cluster:
        self.root.mkdir(parents=True, exist_ok=True)
        self.network.start()
        host = self.api_host = self.network.add_host("a")
        state = self.root / "a"
        (state / "redis").mkdir(parents=True, exist_ok=True)
        host.popen([shutil.which("redis-server"), "--bind", host.address, "--port", str(REDIS_PORT),
                    "--protected-mode", "no", "--dir", str(state / "redis"), "--appendonly", "yes",
                    "--appendfsync", "everysec", "--save", ""], state / "redis.log")
        deadline = time.monotonic() + timeout
        while True:
            try:
                if self.redis().ping():
                    break
            except (RedisError, OSError):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Redis on host A did not start: {self.log('a', 'redis')}") from None
                time.sleep(0.1)
        env = self._env(state)
        env["IOI_GRADER_API_KEYS"], env["IOI_GRADER_ADMIN_KEYS"] = self.api_key, self.admin_key
        command = [sys.executable, "-m", "ioi_grader.cli", "api", "--redis-url", f"redis://{host.address}:{REDIS_PORT}/0",
                   "--upload-dir", str(state / "uploads"), "--host", host.address, "--port", str(API_PORT)]
        for folder in self.problem_dirs:
            command += ["--problems", str(folder)]
        host.popen(command, state / "api.log", env)
        while True:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=5).status_code in (200, 503):
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the API on host A did not start: {self.log('a', 'api')}")
            time.sleep(0.2)
        return self

    def add_worker(self, name: str) -> Host:
        """A new worker host: its own namespace, state folder and empty problem cache."""
        host = self.network.add_host(name)
        state = self.root / name
        state.mkdir(parents=True, exist_ok=True)
        host.popen([sys.executable, "-m", "ioi_grader.cli", "worker", "--redis-url", self.redis_url,
                    "--name", f"host-{name}", "--boxes", str(self.boxes_per_worker),
                    "--cache-dir", str(state / "packages"), "--cache-size", self.cache_size],
                   state / "worker.log", self._env(state))
        self.workers[name] = host
        return host

    def wait_workers(self, names: list[str], timeout: float = 180) -> None:
        """Until every named worker announces itself in Redis."""
        deadline = time.monotonic() + timeout
        wanted = {f"host-{n}" for n in names}
        while True:
            alive = {key.decode().split(":", 2)[2] for key in self.redis().scan_iter(match="ioi:worker:*")}
            if wanted <= alive:
                return
            if time.monotonic() > deadline:
                logs = "\n".join(f"--- {n}:\n{self.log(n, 'worker')}" for n in names)
                raise RuntimeError(f"workers {sorted(wanted - alive)} did not start:\n{logs}")
            time.sleep(0.3)

    def log(self, host: str, what: str, tail: int = 4000) -> str:
        try:
            return (self.root / host / f"{what}.log").read_text(errors="replace")[-tail:]
        except OSError:
            return "(no log)"

    def close(self) -> None:
        try:
            self.network.close()
        finally:
            self._remove_boxes()

    def _remove_boxes(self) -> None:
        """Boxes of killed worker hosts outlive them in the shared Docker engine: remove them."""
        try:
            from ..sandbox import SandboxSettings, docker_client
            from ..sandbox.box import remove_stale_boxes

            client = docker_client()
            for name in self.workers:
                remove_stale_boxes(client, SandboxSettings(state_dir=self.root / name))
        except Exception:  # noqa: BLE001 - best effort: the next pool start removes them too
            pass

    def __enter__(self) -> Cluster:
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc) -> None:
        self.close()

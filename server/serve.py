"""`ioi-grader serve`: the whole service on one machine, in one command.

A private redis-server with append-only persistence (unless REDIS_URL is set; restarted, from
its append-only file, if it dies), N worker processes (restarted if they die), and the API in
this process. Stopping it (Ctrl-C, SIGTERM) stops the workers after their current job and
shuts Redis down cleanly.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import uvicorn
from redis import Redis
from redis.exceptions import RedisError

from ..problems.store import ProblemStore
from ..sandbox.settings import default_state_dir
from .app import create_app
from .config import ServiceConfig

log = logging.getLogger(__name__)

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


class ServeError(RuntimeError):
    pass


class PrivateRedis:
    """redis-server on a unix socket in the data directory, appendonly with fsync always:
    an accepted submission survives a crash of Redis itself."""

    def __init__(self, data_dir: Path):
        self.dir = data_dir / "redis"
        self.socket = data_dir / "redis.sock"
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self._stopping = threading.Event()

    @property
    def url(self) -> str:
        return f"unix://{self.socket}"

    def start(self, timeout: float = 20) -> str:
        binary = shutil.which("redis-server")
        if binary is None:
            raise ServeError("redis-server is not installed (scripts/bootstrap installs it), or set REDIS_URL")
        self.dir.mkdir(parents=True, exist_ok=True)
        self.socket.unlink(missing_ok=True)
        self.process = subprocess.Popen(
            [binary, "--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700",
             "--dir", str(self.dir), "--appendonly", "yes", "--appendfsync", "always", "--save", "",
             "--logfile", str(self.dir / "redis.log")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise ServeError(f"redis-server exited; see {self.dir / 'redis.log'}")
            try:
                if Redis(unix_socket_path=str(self.socket)).ping():
                    return self.url
            except (RedisError, OSError):
                time.sleep(0.05)
        raise ServeError("redis-server did not start")

    def supervise(self, interval: float = 0.5) -> None:
        """Restart redis-server whenever it dies; it reloads its append-only file."""

        def watch() -> None:
            while not self._stopping.wait(interval):
                if self.process is not None and self.process.poll() is not None:
                    log.warning("redis-server exited with %s; restarting it", self.process.returncode)
                    try:
                        self.start()
                        self.restarts += 1
                    except ServeError as error:
                        log.error("could not restart redis-server: %s", error)

        threading.Thread(target=watch, name="redis-watch", daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()
        if self.process and self.process.poll() is None:
            try:
                Redis(unix_socket_path=str(self.socket)).shutdown(nosave=False)
            except (RedisError, OSError):
                pass
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()


class WorkerProcesses:
    """N `ioi-grader worker` processes, each restarted when it exits unexpectedly."""

    def __init__(self, count: int, command: list[str], log_dir: Path):
        self.count, self.command, self.log_dir = count, command, log_dir
        self.processes: list[subprocess.Popen | None] = [None] * count
        self._stopping = threading.Event()
        self._watcher = threading.Thread(target=self._watch, name="worker-watch", daemon=True)
        self.restarts = 0
        self._spawned = 0

    def start(self) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        for index in range(self.count):
            self._spawn(index)
        self._watcher.start()

    def _spawn(self, index: int) -> None:
        log_file = open(self.log_dir / f"worker-{index}.log", "ab")  # noqa: SIM115 - owned by the child
        self._spawned += 1
        # A new name each start: RQ keeps a SIGKILLed worker's name registered for a while.
        self.processes[index] = subprocess.Popen(
            self.command + ["--name", f"{os.uname().nodename}-serve-{os.getpid()}-{index}-{self._spawned}"],
            stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
        log_file.close()

    def _watch(self) -> None:
        while not self._stopping.wait(1.0):
            for index, process in enumerate(self.processes):
                if process is not None and process.poll() is not None and not self._stopping.is_set():
                    log.warning("worker %d exited with %s; restarting it", index, process.returncode)
                    self.restarts += 1
                    self._spawn(index)

    def stop(self, timeout: float = 30) -> None:
        self._stopping.set()
        for process in self.processes:
            if process and process.poll() is None:
                process.send_signal(signal.SIGTERM)  # RQ: warm shutdown after the current job
        deadline = time.monotonic() + timeout
        for process in self.processes:
            if process is None:
                continue
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@dataclass
class DatasetSpec:
    """A dataset `serve --dataset` imports and serves."""

    source: str
    tests: str | None = None
    years: list[int] | None = None


IMPORTED_MARKER = ".ioi-serve-imported.json"


def dataset_folder(data_dir: Path, spec: DatasetSpec) -> Path:
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in spec.source.strip("/").split("/", 1)[-1])[:40]
    digest = hashlib.sha256(json.dumps(asdict(spec), sort_keys=True).encode()).hexdigest()[:10]
    return data_dir / "datasets" / f"{slug}-{digest}"


def prepare_datasets(specs: list[DatasetSpec], data_dir: Path, refresh: bool = False) -> list[Path]:
    """Import each dataset on first start; afterwards serve the folder as it is (no network,
    no reading of the source) unless `refresh`."""
    from ..problems.importing import Progress, import_datasets

    folders = []
    for spec in specs:
        folder = dataset_folder(data_dir, spec)
        marker = folder / IMPORTED_MARKER
        if not refresh and marker.is_file():
            print(f"ioi-grader: serving {spec.source} from {folder} (imported before; --refresh-datasets "
                  "checks for changes)", file=sys.stderr)
            folders.append(folder)
            continue
        print(f"ioi-grader: importing {spec.source} into {folder}", file=sys.stderr)
        outcomes = import_datasets(spec.source, folder, tests=spec.tests, years=spec.years, progress=Progress())
        if outcomes.get("failed"):
            raise ServeError(f"{outcomes['failed']} problem(s) of {spec.source} failed to import (see above); "
                             f"fix the source or serve the rest with --problems {folder}")
        marker.write_text(json.dumps({**asdict(spec), "imported_at": time.time()}))
        folders.append(folder)
    return folders


def serve(
    *, host: str = "127.0.0.1", port: int = 8000, workers: int = 1, problem_dirs: list[Path],
    data_dir: Path | None = None, boxes_per_worker: int | None = None, results_dir: Path | None = None,
    datasets: list[DatasetSpec] | None = None, refresh_datasets: bool = False,
) -> None:
    data_dir = Path(data_dir or default_state_dir() / "service")
    data_dir.mkdir(parents=True, exist_ok=True)
    problem_dirs = list(problem_dirs) + prepare_datasets(list(datasets or []), data_dir, refresh_datasets)
    upload_dir = data_dir / "problems"
    config_probe = ServiceConfig(redis_url="redis://unused")
    if config_probe.open_access and host not in LOOPBACK:
        raise ServeError(
            f"refusing to listen on {host} without API keys: set IOI_GRADER_API_KEYS (and IOI_GRADER_ADMIN_KEYS), "
            "or bind to 127.0.0.1"
        )
    # Load the problems first: a malformed task folder stops us before anything starts.
    problems = ProblemStore(problem_dirs, upload_dir)
    redis_server = None
    redis_url = os.environ.get("REDIS_URL")
    if not redis_url:
        redis_server = PrivateRedis(data_dir)
        redis_url = redis_server.start()
        redis_server.supervise()
    boxes = boxes_per_worker or max(1, (os.cpu_count() or 1) // max(1, workers))
    command = [sys.executable, "-m", "ioi_grader.cli", "worker", "--redis-url", redis_url, "--boxes", str(boxes),
               "--upload-dir", str(upload_dir), "--cache-dir", str(data_dir / "packages")]
    for directory in problem_dirs:
        command += ["--problems", str(directory)]
    if results_dir:
        command += ["--results-dir", str(results_dir)]
    pool = WorkerProcesses(workers, command, data_dir / "logs")
    config = ServiceConfig(redis_url=redis_url, problem_dirs=problem_dirs, upload_dir=upload_dir,
                           results_dir=results_dir)
    try:
        pool.start()
        app = create_app(config, problems)
        print(f"ioi-grader: {len(problems.all())} problems, {workers} worker(s) x {boxes} box(es), "
              f"Redis {'private at ' + redis_url if redis_server else redis_url}", file=sys.stderr)
        print(f"ioi-grader: API on http://{host}:{port} (docs: http://{host}:{port}/docs)", file=sys.stderr)
        uvicorn.Server(uvicorn.Config(app, host=host, port=port, log_level="warning")).run()
    finally:
        pool.stop()
        if redis_server:
            redis_server.stop()

"""A grading worker process: one RQ worker that owns a pool of warm sandboxes.

`GradingWorker` runs jobs in its own process (no fork per job: the boxes and their
connections stay warm) and, while a job runs, heartbeats on a short TTL from a side thread,
so that a worker killed mid-job is noticed within seconds and its job retried elsewhere.
Every worker also runs the reconciler (`workers.reconcile`), on start and then periodically.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from rq import Queue
from rq.serializers import JSONSerializer
from rq.worker import SimpleWorker, WorkerStatus

from ..grading.grader import Grader
from ..problems.loader import load_problem
from ..problems.model import Problem
from ..problems.package import PackageIndex
from ..problems.store import ProblemStore, UnknownProblem
from ..sandbox import SandboxPool, SandboxSettings
from .packages import RedisPackages
from .problem_cache import DEFAULT_CACHE_BYTES, CacheEvent, Pin, ProblemCache
from .reconcile import reconcile_in_background
from .records import SubmissionRecord
from .store import QUEUE_NAME, SubmissionStore, connect
from .telemetry import WorkerMetrics

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL = 3  # seconds between heartbeats while a job runs
HEARTBEAT_TTL = 15  # a job whose worker missed heartbeats this long is abandoned
WORKER_KEY = "ioi:worker:{}"
WORKER_KEY_TTL = 30
# RQ's own worker TTL. It also sets how long an idle worker blocks in one BLMOVE (15 s less),
# so how often it runs RQ's maintenance, and the client's socket timeout (5 s more than that).
# RQ's default, 420 s, would mean an idle worker looks at abandoned jobs every 7 minutes.
RQ_WORKER_TTL = 45
RECONCILE_INTERVAL = 5.0

_runtime: WorkerRuntime | None = None


def current_runtime() -> WorkerRuntime:
    if _runtime is None:
        raise RuntimeError("grading jobs run only inside `ioi-grader worker`")
    return _runtime


@dataclass
class WorkerConfig:
    redis_url: str
    problem_dirs: list[Path]
    upload_dir: Path | None = None
    results_dir: Path | None = None
    boxes: int | None = None
    # Unique per process start: RQ refuses a name still registered by a worker that died without
    # unregistering (SIGKILL), and a restarted container keeps its hostname and, often, its pid.
    name: str = field(default_factory=lambda: f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(2)}")
    # Problem versions fetched from Redis (default: <state dir>/packages), LRU-bounded.
    cache_dir: Path | None = None
    cache_bytes: int = DEFAULT_CACHE_BYTES


class WorkerRuntime:
    def __init__(self, config: WorkerConfig):
        self.config = config
        self.name = config.name
        self.redis = connect(config.redis_url)
        self.submissions = SubmissionStore(self.redis, results_dir=config.results_dir)
        self.problems = ProblemStore(config.problem_dirs, config.upload_dir)
        settings = SandboxSettings(**({"run_boxes": config.boxes} if config.boxes else {}))
        self.metrics = WorkerMetrics(self.redis, self.name)
        self.packages = RedisPackages(self.redis)
        self.local_versions = PackageIndex()
        self.cache = ProblemCache(config.cache_dir or settings.state_dir / "packages", config.cache_bytes,
                                  self.packages.fetch, self._cache_event)
        self._pin: Pin | None = None
        self._local: dict[str, Problem] = {}
        self.current: str | None = None
        self.pool = SandboxPool(settings).start()
        self.grader = Grader(self.pool)
        self._stop = threading.Event()
        self._presence = threading.Thread(target=self._announce, name="presence", daemon=True)
        self._presence.start()
        self._reconciler = reconcile_in_background(self.submissions, self._stop, RECONCILE_INTERVAL)

    def _announce(self) -> None:
        """Keep `ioi:worker:<name>` alive for /healthz: who we are and what sandbox we run."""
        info = json.dumps({
            "name": self.name, "pid": os.getpid(), "host": socket.gethostname(),
            "image": self.pool.settings.image, "image_id": self.pool.image_id(), "boxes": self.pool.size,
            "started": time.time(),
        })
        while not self._stop.is_set():
            try:
                self.redis.set(WORKER_KEY.format(self.name), info, ex=WORKER_KEY_TTL)
                self.refresh_gauges()
            except Exception as error:  # noqa: BLE001 - Redis restarting: try again shortly
                log.warning("could not announce worker: %s", error)
            self._stop.wait(2.0)

    def refresh_gauges(self) -> None:
        self.metrics.refresh(host=socket.gethostname(), boxes=self.pool.size, boxes_busy=self.pool.busy,
                             current=self.current)

    # -- problems ------------------------------------------------------------------------------

    def _cache_event(self, event: CacheEvent) -> None:
        self.metrics.cache_event(event.hit, event.fetched_bytes)

    def problem_for(self, record: SubmissionRecord) -> Problem:
        """The exact problem version the job names: from this host's folders when they hold that
        version, else from the package cache (fetched from Redis once per host). The version
        stays pinned on disk until the next job starts (or the worker stops)."""
        self.release_problem()
        version = record.problem_version
        if version is None:  # queued by an API that does not publish versions
            return self.problems.get(record.problem_id)
        try:
            folder = self.problems.folder(record.problem_id)
        except UnknownProblem:
            folder = None
        if folder is not None and self.local_versions.content_hash(folder) == version:
            self.metrics.cache_event(hit=True)
            problem = self._local.get(version)
            if problem is None:  # loaded afresh: the store may hold what the folder was before
                problem = self._local[version] = load_problem(folder)
            return problem
        self._pin = self.cache.pin(record.problem_id, version)
        return self._pin.problem

    def release_problem(self) -> None:
        if self._pin is not None:
            self._pin.release()
            self._pin = None

    def close(self) -> None:
        self._stop.set()
        self.release_problem()
        try:
            self.redis.delete(WORKER_KEY.format(self.name))
            self.metrics.forget()
        except Exception:  # noqa: BLE001
            pass
        self.grader.close()
        self.pool.close()


def _quietly(action) -> None:
    try:
        action()
    except Exception as error:  # noqa: BLE001 - gauges must never fail a job
        log.warning("could not refresh the worker's gauges: %s", error)


class GradingWorker(SimpleWorker):
    def get_heartbeat_ttl(self, job, working_time: float = 0.0) -> int:
        return HEARTBEAT_TTL

    def execute_job(self, job, queue) -> None:
        execution = self.prepare_execution(job)
        stop = threading.Event()

        def beat() -> None:
            while not stop.wait(HEARTBEAT_INTERVAL):
                try:
                    self.maintain_heartbeats(job, execution)
                except Exception as error:  # noqa: BLE001 - Redis down: the job may be retried
                    log.warning("heartbeat failed: %s", error)

        heart = threading.Thread(target=beat, name="heartbeat", daemon=True)
        heart.start()
        runtime = _runtime
        if runtime is not None:
            runtime.current = job.args[0] if job.args else None
            _quietly(runtime.refresh_gauges)
        try:
            self.perform_job(job, queue, execution)
        finally:
            stop.set()
            heart.join()
            if runtime is not None:
                runtime.current = None
                runtime.release_problem()
                _quietly(runtime.refresh_gauges)
        self.set_state(WorkerStatus.IDLE)

    def handle_exception(self, job, *exc_info) -> None:
        """Every job error (retried or not) goes to the recent-errors list `status` shows."""
        if _runtime is not None and exc_info and exc_info[1] is not None:
            try:
                _runtime.metrics.error(f"{type(exc_info[1]).__name__}: {exc_info[1]}",
                                       job.args[0] if job.args else None)
            except Exception:  # noqa: BLE001 - Redis trouble must not mask the job's own error
                log.warning("could not record a job error")
        super().handle_exception(job, *exc_info)


def run_worker(config: WorkerConfig, burst: bool = False) -> None:
    """Start the sandboxes, then serve grading jobs until stopped (or the queue is empty with `burst`)."""
    global _runtime
    _runtime = WorkerRuntime(config)
    try:
        queue = Queue(QUEUE_NAME, connection=_runtime.redis, serializer=JSONSerializer)
        worker = GradingWorker(
            [queue], connection=_runtime.redis, serializer=JSONSerializer, name=config.name,
            maintenance_interval=30, job_monitoring_interval=HEARTBEAT_INTERVAL, worker_ttl=RQ_WORKER_TTL,
        )
        worker.work(burst=burst, logging_level="WARNING", with_scheduler=False)
    finally:
        _runtime.close()
        _runtime = None

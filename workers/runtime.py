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
from ..problems.store import ProblemStore
from ..sandbox import SandboxPool, SandboxSettings
from .metrics import Metrics
from .reconcile import reconcile_in_background
from .store import QUEUE_NAME, SubmissionStore, connect

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


class WorkerRuntime:
    def __init__(self, config: WorkerConfig):
        self.config = config
        self.name = config.name
        self.redis = connect(config.redis_url)
        self.submissions = SubmissionStore(self.redis, results_dir=config.results_dir)
        self.problems = ProblemStore(config.problem_dirs, config.upload_dir)
        settings = SandboxSettings(**({"run_boxes": config.boxes} if config.boxes else {}))
        self.pool = SandboxPool(settings).start()
        self.grader = Grader(self.pool)
        self.metrics = Metrics(self.redis)
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
            except Exception as error:  # noqa: BLE001 - Redis restarting: try again shortly
                log.warning("could not announce worker: %s", error)
            self._stop.wait(WORKER_KEY_TTL / 3)

    def close(self) -> None:
        self._stop.set()
        try:
            self.redis.delete(WORKER_KEY.format(self.name))
        except Exception:  # noqa: BLE001
            pass
        self.grader.close()
        self.pool.close()


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
        try:
            self.perform_job(job, queue, execution)
        finally:
            stop.set()
            heart.join()
        self.set_state(WorkerStatus.IDLE)


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

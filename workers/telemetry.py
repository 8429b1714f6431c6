"""Per-worker series and recent errors, kept in Redis next to the shared metrics.

Each worker owns `ioi:wstats:<name>`: counters it increments as it works (tests, compile
seconds, problem cache hits and misses, package bytes fetched) and gauges its presence thread
refreshes (boxes, boxes busy, tests per second over the last minute). The key expires with the
worker. `ioi:errors` holds the last job errors of every worker, newest first.
"""

from __future__ import annotations

import collections
import json
import threading
import time

from redis import Redis
from rq import Queue
from rq.job import Job

from ..schemas import ErrorEntry, WorkerStats
from .metrics import Metrics

WORKER_STATS = "ioi:wstats:{}"
ERRORS = "ioi:errors"
MAX_ERRORS = 50
STATS_TTL = 30
RATE_WINDOW = 60.0  # seconds over which tests per second is measured

COUNTER_FIELDS = ("jobs", "tests", "compiles", "compile_seconds", "cache_hits", "cache_misses", "fetch_bytes")


class WorkerMetrics(Metrics):
    """The shared metrics, plus this worker's own series."""

    def __init__(self, redis: Redis, worker: str):
        super().__init__(redis)
        self.worker = worker
        self.key = WORKER_STATS.format(worker)
        self._recent: collections.deque[tuple[float, int]] = collections.deque()
        self._lock = threading.Lock()

    def add(self, field: str, amount: float = 1) -> None:
        if amount:
            self.redis.hincrbyfloat(self.key, field, amount)

    def count(self, name: str, amount: float = 1, **labels: str) -> None:
        super().count(name, amount, **labels)
        if name == "ioi_grader_tests_total":
            self.add("tests", amount)
            with self._lock:
                self._recent.append((time.monotonic(), int(amount)))
        elif name == "ioi_grader_submissions_total":
            self.add("jobs", amount)

    def observe(self, name: str, value: float) -> None:
        super().observe(name, value)
        if name == "ioi_grader_compile_seconds":
            with self.redis.pipeline(transaction=False) as pipe:
                pipe.hincrbyfloat(self.key, "compiles", 1)
                pipe.hincrbyfloat(self.key, "compile_seconds", value)
                pipe.execute()

    def cache_event(self, hit: bool, fetched_bytes: int = 0) -> None:
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hincrbyfloat(self.key, "cache_hits" if hit else "cache_misses", 1)
            if fetched_bytes:
                pipe.hincrbyfloat(self.key, "fetch_bytes", fetched_bytes)
            pipe.execute()
        field = "ioi_grader_problem_cache_total"
        super().count(field, 1, result="hit" if hit else "miss")
        if fetched_bytes:
            super().count("ioi_grader_package_fetch_bytes_total", fetched_bytes)

    def tests_per_second(self) -> float:
        now = time.monotonic()
        with self._lock:
            while self._recent and self._recent[0][0] < now - RATE_WINDOW:
                self._recent.popleft()
            total = sum(count for _, count in self._recent)
        return total / RATE_WINDOW

    def refresh(self, *, host: str, boxes: int, boxes_busy: int, current: str | None) -> None:
        """The gauges, and the key's lease: called every few seconds by the worker."""
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.hset(self.key, mapping={
                "name": self.worker, "host": host, "boxes": boxes, "boxes_busy": boxes_busy,
                "tests_per_second": round(self.tests_per_second(), 3), "current": current or "",
                "updated": time.time(),
            })
            pipe.expire(self.key, STATS_TTL)
            pipe.execute()

    def error(self, message: str, submission_id: str | None = None) -> None:
        record_error(self.redis, self.worker, message, submission_id)

    def forget(self) -> None:
        self.redis.delete(self.key)


def record_error(redis: Redis, worker: str, message: str, submission_id: str | None = None) -> None:
    entry = ErrorEntry(at=time.time(), worker=worker, submission_id=submission_id, error=message[:2000])
    with redis.pipeline(transaction=False) as pipe:
        pipe.lpush(ERRORS, entry.model_dump_json())
        pipe.ltrim(ERRORS, 0, MAX_ERRORS - 1)
        pipe.execute()


def worker_stats(redis: Redis) -> list[WorkerStats]:
    names = sorted(key.decode().split(":", 2)[2] for key in redis.scan_iter(match=WORKER_STATS.format("*"), count=200))
    with redis.pipeline(transaction=False) as pipe:
        for name in names:
            pipe.hgetall(WORKER_STATS.format(name))
        raws = pipe.execute()
    found = []
    for name, raw in zip(names, raws):
        if not raw:
            continue
        data = {k.decode(): v.decode() for k, v in raw.items()}
        data["name"] = name
        data["current"] = data.get("current") or None
        found.append(WorkerStats.model_validate(data))
    return found


def recent_errors(redis: Redis, limit: int = 10) -> list[ErrorEntry]:
    return [ErrorEntry.model_validate_json(raw) for raw in redis.lrange(ERRORS, 0, limit - 1)]


def queue_age(queue: Queue) -> float:
    """Seconds the oldest queued submission has waited (0 when the queue is empty)."""
    for job_id in queue.get_job_ids(0, 4):
        try:
            job = Job.fetch(job_id, connection=queue.connection, serializer=queue.serializer)
        except Exception:  # noqa: BLE001 - finished or removed meanwhile: look at the next one
            continue
        if job.enqueued_at is not None:
            enqueued = job.enqueued_at.timestamp()
            return max(0.0, time.time() - enqueued)
    return 0.0


def render_worker_series(stats: list[WorkerStats]) -> str:
    """Prometheus text for the per-worker series (label `worker`)."""
    series = [
        ("ioi_grader_worker_boxes", "gauge", "Run boxes of the worker.", "boxes"),
        ("ioi_grader_worker_boxes_busy", "gauge", "Run boxes running a test or compilation now.", "boxes_busy"),
        ("ioi_grader_worker_tests_per_second", "gauge", "Tests finished per second, over the last minute.",
         "tests_per_second"),
        ("ioi_grader_worker_jobs_total", "counter", "Submissions the worker finished.", "jobs"),
        ("ioi_grader_worker_tests_total", "counter", "Tests the worker ran.", "tests"),
        ("ioi_grader_worker_compiles_total", "counter", "Compilations the worker ran.", "compiles"),
        ("ioi_grader_worker_compile_seconds_total", "counter", "Wall seconds the worker spent compiling.",
         "compile_seconds"),
        ("ioi_grader_worker_problem_cache_hits_total", "counter",
         "Jobs whose problem version was already on the worker's host.", "cache_hits"),
        ("ioi_grader_worker_problem_cache_misses_total", "counter",
         "Jobs that had to fetch their problem version.", "cache_misses"),
        ("ioi_grader_worker_fetch_bytes_total", "counter", "Package bytes the worker fetched from Redis.",
         "fetch_bytes"),
    ]
    lines = []
    for name, kind, help_text, field in series:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for worker in stats:
            label = json.dumps(worker.name)  # a quoted, escaped label value
            lines.append(f"{name}{{worker={label}}} {getattr(worker, field):g}")
    return "\n".join(lines) + "\n"

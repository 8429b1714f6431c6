"""`GET /v1/status`: one JSON view of the whole service for `ioi-grader status` and dashboards."""

from __future__ import annotations

import time

from redis import Redis
from rq.registry import StartedJobRegistry

from ..workers.metrics import COUNTERS
from ..workers.runtime import WORKER_KEY
from ..workers.store import SubmissionStore
from ..workers.telemetry import queue_age, recent_errors, worker_stats
from ..schemas import QueueView, StatusView


def collect_status(redis: Redis, store: SubmissionStore, errors: int = 10) -> StatusView:
    alive = {key.decode().split(":", 2)[2] for key in redis.scan_iter(match=WORKER_KEY.format("*"), count=200)}
    workers = [w for w in worker_stats(redis) if w.name in alive]
    counters = {k.decode(): float(v) for k, v in redis.hgetall(COUNTERS).items()}
    return StatusView(
        time=time.time(),
        workers=workers,
        queue=QueueView(depth=store.depth(), oldest_age_seconds=round(queue_age(store.queue), 3),
                        running=StartedJobRegistry(queue=store.queue).count),
        boxes=sum(w.boxes for w in workers),
        boxes_busy=sum(w.boxes_busy for w in workers),
        tests_per_second=round(sum(w.tests_per_second for w in workers), 3),
        submissions_done=counters.get('ioi_grader_submissions_total{state="done"}', 0.0),
        submissions_failed=counters.get('ioi_grader_submissions_total{state="failed"}', 0.0),
        errors=recent_errors(redis, errors),
    )

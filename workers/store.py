"""The Redis side of submissions: records, the queue, and abandoned-job recovery.

`SubmissionStore` is the whole contract between the API and the workers; both construct
one over the same Redis. Records live under `ioi:sub:<id>` with a TTL and can also be
mirrored to a results directory.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path

from redis import Redis
from rq import Callback, Queue, Retry
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from .records import State, SubmissionRecord

log = logging.getLogger(__name__)

QUEUE_NAME = "ioi-grader"
RECORD_KEY = "ioi:sub:{}"
STATE_KEY = "ioi:state:{}"  # the record's state alone, cheap to poll
DEFAULT_RESULT_TTL = 7 * 24 * 3600
JOB_RETRIES = 3  # attempts after the first, when a worker dies or the sandbox keeps failing


class QueueFull(RuntimeError):
    def __init__(self, depth: int, limit: int, retry_after: int):
        super().__init__(f"the queue holds {depth} submissions (limit {limit}); retry in {retry_after} s")
        self.retry_after = retry_after


class SubmissionStore:
    def __init__(
        self, redis: Redis, *, result_ttl: int = DEFAULT_RESULT_TTL, results_dir: Path | None = None,
        max_queue: int = 10_000, job_timeout: int = 3600,
    ):
        self.redis = redis
        self.result_ttl = result_ttl
        self.results_dir = Path(results_dir) if results_dir else None
        self.max_queue = max_queue
        self.job_timeout = job_timeout
        self.queue = Queue(QUEUE_NAME, connection=redis, serializer=JSONSerializer)

    # -- records -------------------------------------------------------------------------------

    def save(self, record: SubmissionRecord, ttl: int | None = None) -> None:
        record.updated_at = time.time()
        # Keep the record's own TTL (a short-lived reward record stays short-lived).
        remaining = self.redis.ttl(RECORD_KEY.format(record.id))
        ttl = ttl or (remaining if remaining and remaining > 0 else self.result_ttl)
        with self.redis.pipeline() as pipe:
            pipe.set(RECORD_KEY.format(record.id), record.model_dump_json(), ex=ttl)
            pipe.set(STATE_KEY.format(record.id), record.state.value, ex=ttl)
            pipe.execute()
        if self.results_dir is not None and record.state.final:
            self._mirror(record)

    def get(self, submission_id: str) -> SubmissionRecord | None:
        raw = self.redis.get(RECORD_KEY.format(submission_id))
        return SubmissionRecord.model_validate_json(raw) if raw else None

    def get_many(self, ids: list[str]) -> list[SubmissionRecord | None]:
        if not ids:
            return []
        raws = self.redis.mget([RECORD_KEY.format(i) for i in ids])
        return [SubmissionRecord.model_validate_json(r) if r else None for r in raws]

    def states(self, ids: list[str]) -> list[State | None]:
        """Cheaper than `get_many` for polling."""
        raws = self.redis.mget([STATE_KEY.format(i) for i in ids]) if ids else []
        return [State(raw.decode()) if raw else None for raw in raws]

    def _mirror(self, record: SubmissionRecord) -> None:
        self.results_dir.mkdir(parents=True, exist_ok=True)
        path = self.results_dir / f"{record.id}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(record.model_dump_json(exclude={"submission"}))
        os.replace(tmp, path)

    # -- queue ---------------------------------------------------------------------------------

    def depth(self) -> int:
        return self.queue.count

    def admit(self, count: int = 1) -> None:
        """Refuse new work with a retry hint once the queue is at its limit."""
        depth = self.depth()
        if depth + count > self.max_queue:
            raise QueueFull(depth, self.max_queue, retry_after=max(1, min(60, depth // 50)))

    def enqueue(self, records: Iterable[SubmissionRecord], ttl: int | None = None) -> None:
        """Save the records, then queue one grading job each (ids only: the record is the payload)."""
        records = list(records)
        with self.redis.pipeline() as pipe:
            for record in records:
                record.updated_at = time.time()
                pipe.set(RECORD_KEY.format(record.id), record.model_dump_json(), ex=ttl or self.result_ttl)
                pipe.set(STATE_KEY.format(record.id), record.state.value, ex=ttl or self.result_ttl)
            pipe.execute()
        from . import jobs  # noqa: PLC0415 - the job module imports this one

        # Functions, not strings: RQ derives the import path from the function itself.
        self.queue.enqueue_many([
            Queue.prepare_data(
                jobs.grade_submission, args=(record.id,), job_id=f"grade-{record.id}",
                timeout=self.job_timeout, retry=Retry(max=JOB_RETRIES), result_ttl=0, failure_ttl=self.result_ttl,
                on_failure=Callback(jobs.report_failure),
            )
            for record in records
        ])

    def recover_abandoned(self) -> int:
        """Requeue jobs whose worker stopped heartbeating (killed, host lost), or fail them
        once their retries are spent. Safe to call from any process, as often as wanted."""
        registry = StartedJobRegistry(queue=self.queue)
        before = registry.count
        registry.cleanup()
        return max(0, before - registry.count)

    def job(self, submission_id: str) -> Job | None:
        try:
            return Job.fetch(f"grade-{submission_id}", connection=self.redis, serializer=JSONSerializer)
        except Exception:  # noqa: BLE001 - no such job any more
            return None

    def set_state(self, record: SubmissionRecord, state: State, **changes) -> SubmissionRecord:
        record = record.model_copy(update={"state": state, **changes})
        self.save(record)
        return record


def connect(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=30, socket_connect_timeout=5, health_check_interval=15)

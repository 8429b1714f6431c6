"""The Redis side of submissions: records, the queue, and abandoned-job recovery.

`SubmissionStore` is the whole contract between the API and the workers; both construct
one over the same Redis. Records live under `ioi:sub:<id>` with a TTL and can also be
mirrored to a results directory.

Crash consistency rests on three rules:
- acceptance is one MULTI/EXEC: the record, its state, its entry in the pending index and the
  RQ job (hash + queue push) reach Redis, and its append-only file, together or not at all;
- the record is the source of truth, RQ's lists and registries only an index of who should
  grade what: `workers.reconcile` rebuilds a job whenever a pending record has none alive;
- no write takes a record out of a final state: every write is a compare-and-set (a Lua
  script), so a job that runs twice writes one result, and a superseded attempt cannot
  overwrite a newer one.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterable
from pathlib import Path

from redis import Redis
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.retry import Retry as RedisRetry
from rq import Callback, Queue, Retry
from rq.executions import ExecutionRegistry
from rq.job import Job
from rq.registry import StartedJobRegistry
from rq.serializers import JSONSerializer

from .metrics import COUNTERS
from .records import State, SubmissionRecord

log = logging.getLogger(__name__)

QUEUE_NAME = "ioi-grader"
RECORD_KEY = "ioi:sub:{}"
STATE_KEY = "ioi:state:{}"  # the record's state alone, cheap to poll
PENDING_KEY = "ioi:pending"  # sorted set of the ids not final yet (score: acceptance time)
DEFAULT_RESULT_TTL = 7 * 24 * 3600
JOB_RETRIES = 3  # attempts after the first, when a worker dies or the sandbox keeps failing
MAX_ATTEMPTS = JOB_RETRIES + 1
# A finished job's RQ hash is kept this long. Not 0: RQ 3.0 deletes a job with result_ttl=0 by
# listing its executions, and raises (turning a success into a failure and a retry) when an
# earlier, abandoned execution of the same job has already expired.
JOB_RESULT_TTL = 600
SUPPRESSED_METRIC = "ioi_grader_results_suppressed_total"

# KEYS: record, state, pending index, metric counters. ARGV: record JSON, state, attempts,
# default TTL, id, 1 if the state is final, 1 to fence on `attempts`, the metric to count a
# dropped result under. Returns 1 when written, 0 when the stored record is final already (the
# write is dropped: one result per submission), -1 when a newer attempt owns the record.
_GUARDED_SAVE = """
local current = redis.call('GET', KEYS[2])
if current == 'done' or current == 'failed' then
  if ARGV[6] == '1' then redis.call('HINCRBYFLOAT', KEYS[4], ARGV[8], 1) end
  return 0
end
if ARGV[7] == '1' then
  local stored = redis.call('GET', KEYS[1])
  if stored then
    local ok, decoded = pcall(cjson.decode, stored)
    if ok and type(decoded) == 'table' and tonumber(decoded['attempts'] or 0) > tonumber(ARGV[3]) then
      return -1
    end
  end
end
local ttl = redis.call('TTL', KEYS[1])
if ttl <= 0 then ttl = tonumber(ARGV[4]) end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ttl)
redis.call('SET', KEYS[2], ARGV[2], 'EX', ttl)
if ARGV[6] == '1' then redis.call('ZREM', KEYS[3], ARGV[5]) end
return 1
"""


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
        self._guarded_save = redis.register_script(_GUARDED_SAVE)

    # -- records -------------------------------------------------------------------------------

    def save(self, record: SubmissionRecord, ttl: int | None = None) -> int:
        """Write the record unless it is final already: 1 written, 0 dropped (the stored record
        is final: a second result never replaces the first), -1 dropped because a newer
        attempt started (a non-final write carrying fewer `attempts` than the stored record).
        The record keeps its own TTL (a short-lived reward record stays short-lived)."""
        record.updated_at = time.time()
        final = record.state.final
        written = int(self._guarded_save(
            keys=[RECORD_KEY.format(record.id), STATE_KEY.format(record.id), PENDING_KEY, COUNTERS],
            args=[record.model_dump_json(), record.state.value, record.attempts, ttl or self.result_ttl, record.id,
                  int(final), int(not final), SUPPRESSED_METRIC],
        ))
        if written == 1 and final and self.results_dir is not None:
            self._mirror(record)
        return written

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
        """Save the records and queue one grading job each (ids only: the record is the
        payload), all in one MULTI/EXEC: Redis applies it, and logs it to the append-only
        file, as a unit. With `appendfsync always` it is on disk when this returns, so the
        API answers 202 only for submissions that survive a crash of Redis."""
        records = list(records)
        with self.redis.pipeline(transaction=True) as pipe:
            for record in records:
                record.updated_at = time.time()
                pipe.set(RECORD_KEY.format(record.id), record.model_dump_json(), ex=ttl or self.result_ttl)
                pipe.set(STATE_KEY.format(record.id), record.state.value, ex=ttl or self.result_ttl)
                pipe.zadd(PENDING_KEY, {record.id: record.created_at})
            self.queue.enqueue_many([self._job_data(record.id) for record in records], pipeline=pipe)
            pipe.execute()

    def _job_data(self, submission_id: str):
        from . import jobs  # noqa: PLC0415 - the job module imports this one

        # Functions, not strings: RQ derives the import path from the function itself.
        return Queue.prepare_data(
            jobs.grade_submission, args=(submission_id,), job_id=job_id(submission_id), timeout=self.job_timeout,
            retry=Retry(max=JOB_RETRIES), result_ttl=JOB_RESULT_TTL, failure_ttl=self.result_ttl,
            on_failure=Callback(jobs.report_failure),
        )

    def requeue(self, pipe, submission_id: str, retries_left: int) -> None:
        """Queue a fresh job for a submission whose job was lost, on `pipe` (a transaction the
        caller executes): the job hash is rewritten with `retries_left`, and the job leaves the
        intermediate list RQ dequeues into, so that only this copy remains."""
        data = self._job_data(submission_id)
        job = self.queue.create_job(
            data.func, args=data.args, job_id=data.job_id, timeout=data.timeout, retry=data.retry,
            result_ttl=data.result_ttl, failure_ttl=data.failure_ttl, on_failure=data.on_failure,
        )
        job.retries_left = retries_left
        pipe.delete(job.key)  # no field of the lost job survives into the new one
        pipe.lrem(self.queue.intermediate_queue_key, 0, job.id)
        # Executions of the lost job that RQ never cleaned up: their hashes expire, their index
        # would not, and RQ fails on the mismatch when the new job finishes.
        pipe.delete(ExecutionRegistry(job.id, self.redis).key)
        self.queue.enqueue_job(job, pipeline=pipe)

    def recover_abandoned(self) -> int:
        """Requeue jobs whose worker stopped heartbeating (killed, host lost), or fail them
        once their retries are spent. Safe to call from any process, as often as wanted."""
        registry = StartedJobRegistry(queue=self.queue)
        before = registry.get_job_count(cleanup=False)
        registry.cleanup()
        return max(0, before - registry.get_job_count(cleanup=False))

    def job(self, submission_id: str) -> Job | None:
        try:
            return Job.fetch(job_id(submission_id), connection=self.redis, serializer=JSONSerializer)
        except Exception:  # noqa: BLE001 - no such job any more
            return None

    def set_state(self, record: SubmissionRecord, state: State, **changes) -> SubmissionRecord:
        """The record moved to `state`; or, if another execution finished it first, the
        stored final record (callers stop when they get a final record back). A write a
        newer attempt superseded is dropped, and the caller carries on with its own copy."""
        updated = record.model_copy(update={"state": state, **changes})
        if self.save(updated) == 0:
            return self.get(record.id) or updated
        return updated


def job_id(submission_id: str) -> str:
    return f"grade-{submission_id}"


def durability(redis: Redis) -> str | None:
    """Why an acknowledged write might not survive a crash of this Redis, or None. An
    accepted submission is only as durable as Redis' append-only file."""
    try:
        settings = {**redis.config_get("appendonly"), **redis.config_get("appendfsync")}
    except Exception:  # noqa: BLE001 - CONFIG disabled (managed Redis): nothing to check
        return None
    if settings.get("appendonly") != "yes":
        return "appendonly is off: a crash of Redis loses every submission since the last snapshot"
    if settings.get("appendfsync") != "always":
        return (f"appendfsync is {settings.get('appendfsync')!r}: a crash of the host can lose the last second "
                "of accepted submissions (use appendfsync always)")
    return None


# Reconnect for about ten seconds (jittered exponential backoff, capped at 1 s) before a
# command fails: long enough to ride out a Redis restart, so that a grading job or an API call
# does not fail over it. Timeouts are not retried: a Redis that hangs should fail fast.
RECONNECT_RETRIES = 25


def connect(url: str) -> Redis:
    retry = RedisRetry(ExponentialWithJitterBackoff(base=0.05, cap=1.0), RECONNECT_RETRIES,
                   supported_errors=(RedisConnectionError,))
    return Redis.from_url(url, socket_timeout=30, socket_connect_timeout=5, health_check_interval=15, retry=retry)

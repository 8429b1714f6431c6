"""The reconciler: after any crash, every pending submission has a job that will grade it.

The submission record is the source of truth; RQ's queue list, intermediate list and started
registry only say who should grade what next. A pending record (`queued`, `compiling`,
`running`) is safe when its job is waiting in the queue or registered as started by a worker
whose heartbeat is current. Crashes can break that link:
- Redis dies, or the reply to a worker's BLMOVE is lost (redis-py then retries the BLMOVE),
  between RQ's dequeue (queue -> intermediate list) and the execution's registration: the job
  sits in the intermediate list, which RQ sweeps only from worker maintenance, a minute later
  at best (and an idle worker blocks in BLMOVE for minutes between maintenance runs);
- RQ's abandoned-job sweep drops an expired started entry whose job never reached `started`;
- a failure callback cannot write the record (Redis down at that moment).

Each pass first runs RQ's own abandoned-job handling (heartbeats expired: retry, or fail
through `report_failure`), then takes one atomic snapshot of the pending index and RQ's
structures. A pending id with no live job becomes a suspect; a suspect still without one
`grace` seconds later is recovered, under WATCH so that a worker that picks the job up
meanwhile wins: requeued with the attempts it has left, or failed with a reason once it has
none. Any process may run passes (every worker and the API do); a short lock keeps them from
doing the same pass twice.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field

from redis.exceptions import RedisError, WatchError
from rq.executions import ExecutionRegistry
from rq.job import JobStatus
from rq.registry import StartedJobRegistry

from .metrics import Metrics
from .records import State, SubmissionRecord
from .store import MAX_ATTEMPTS, PENDING_KEY, RECORD_KEY, STATE_KEY, SubmissionStore, job_id

log = logging.getLogger(__name__)

SUSPECTS_KEY = "ioi:reconcile:suspects"  # hash: submission id -> when it was first seen without a live job
LOCK_KEY = "ioi:reconcile:lock"
BACKFILLED_KEY = "ioi:reconcile:indexed"  # set once records written before the pending index are in it
GRACE = 15.0  # seconds a suspect must stay without a live job: the heartbeat TTL of a started job
INTERVAL = 2.0
RECONCILED_METRIC = "ioi_grader_reconciled_total"


@dataclass
class ReconcilePass:
    abandoned: int = 0  # started jobs whose heartbeat expired, handed to RQ's retry-or-fail
    pending: int = 0
    suspects: int = 0
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    forgotten: int = 0  # index entries whose record is final or expired


class Reconciler:
    def __init__(self, store: SubmissionStore, grace: float = GRACE, min_interval: float = INTERVAL):
        self.store = store
        self.redis = store.redis
        self.grace = grace
        self.min_interval = min_interval
        self._started = StartedJobRegistry(queue=store.queue)

    def run_once(self, force: bool = False) -> ReconcilePass | None:
        """One pass; None when another process ran one less than `min_interval` ago."""
        if not force and not self.redis.set(LOCK_KEY, "1", nx=True, px=max(1, int(self.min_interval * 1000))):
            return None
        result = ReconcilePass(abandoned=self.store.recover_abandoned())
        self._backfill_index()
        now = time.time()
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.zrange(PENDING_KEY, 0, -1)
            pipe.lrange(self.store.queue.key, 0, -1)
            pipe.lrange(self.store.queue.intermediate_queue_key, 0, -1)
            pipe.zrange(self._started.key, 0, -1, withscores=True)
            pipe.hgetall(SUSPECTS_KEY)
            pending, queued, intermediate, started, seen = pipe.execute()
        pending = [raw.decode() for raw in pending]
        result.pending = len(pending)
        alive = {raw.decode() for raw in queued}
        alive |= {self._started.parse_job_id(entry) for entry, deadline in started if deadline > now}
        dequeued = {raw.decode() for raw in intermediate}
        suspects = {sid: self._why(job_id(sid), dequeued) for sid in pending if job_id(sid) not in alive}
        if suspects:
            ids = list(suspects)
            for sid, state in zip(ids, self.store.states(ids)):
                if state is None or state.final:  # finished (or expired) since the snapshot: no longer pending
                    self.redis.zrem(PENDING_KEY, sid)
                    result.forgotten += 1
                    del suspects[sid]
        result.suspects = len(suspects)
        seen = {key.decode(): float(value) for key, value in seen.items()}
        with self.redis.pipeline(transaction=False) as pipe:
            cleared = [sid for sid in seen if sid not in suspects]
            if cleared:
                pipe.hdel(SUSPECTS_KEY, *cleared)
            fresh = {sid: now for sid in suspects if sid not in seen}
            if fresh:
                pipe.hset(SUSPECTS_KEY, mapping=fresh)
            pipe.execute()
        for sid, reason in suspects.items():
            if sid in seen and now - seen[sid] >= self.grace:
                outcome = self.recover(sid, reason)
                if outcome in ("requeued", "failed"):
                    getattr(result, outcome).append(sid)
                    self.redis.hdel(SUSPECTS_KEY, sid)
                    Metrics(self.redis).count(RECONCILED_METRIC, action=outcome)
                    log.warning("reconciler: submission %s %s (%s)", sid, outcome, reason)
        return result

    def _why(self, job: str, dequeued: set[str]) -> str:
        if job in dequeued:
            return "its job was dequeued by a worker that never started it"
        return "its job was lost"

    def recover(self, submission_id: str, reason: str) -> str:
        """Requeue or fail one submission whose job is not alive, unless that changed.
        Returns "requeued", "failed", "alive" (a worker has it after all), "gone" (final or
        expired) or "raced" (something changed under us: the next pass looks again)."""
        job = job_id(submission_id)
        watched = [RECORD_KEY.format(submission_id), STATE_KEY.format(submission_id), f"rq:job:{job}",
                   ExecutionRegistry(job, self.redis).key]
        with self.redis.pipeline(transaction=True) as pipe:
            try:
                pipe.watch(*watched)
                raw = pipe.get(watched[0])
                record = SubmissionRecord.model_validate_json(raw) if raw else None
                if record is None or record.state.final:
                    pipe.unwatch()
                    self.redis.zrem(PENDING_KEY, submission_id)
                    return "gone"
                if self._alive(pipe, job):
                    pipe.unwatch()
                    return "alive"
                left = self._attempts_left(pipe, job, record)
                if left <= 0:
                    pipe.unwatch()
                    self.store.set_state(
                        record, State.FAILED, error=f"grading failed after {record.attempts} attempts: {reason}")
                    self.redis.lrem(self.store.queue.intermediate_queue_key, 0, job)
                    return "failed"
                pipe.multi()
                self.store.requeue(pipe, submission_id, retries_left=left - 1)
                pipe.execute()
                return "requeued"
            except WatchError:
                return "raced"

    def _alive(self, pipe, job: str) -> bool:
        if pipe.lpos(self.store.queue.key, job) is not None:
            return True
        now = time.time()
        return any(self._started.parse_job_id(entry) == job and deadline > now
                   for entry, deadline in pipe.zrange(self._started.key, 0, -1, withscores=True))

    @staticmethod
    def _attempts_left(pipe, job: str, record: SubmissionRecord) -> int:
        """Runs the submission may still get: the record counts the attempts that started; a job
        RQ failed for good gets none, and one RQ already retried no more than RQ would allow."""
        left = MAX_ATTEMPTS - record.attempts
        status, retries = pipe.hmget(f"rq:job:{job}", "status", "retries_left")
        if status is not None and status.decode() == JobStatus.FAILED.value:
            return 0
        if retries is not None and retries.decode().lstrip("-").isdigit():
            left = min(left, int(retries) + 1)
        return left

    def _backfill_index(self) -> None:
        """Records written before the pending index existed: index the unfinished ones, once."""
        if self.redis.exists(BACKFILLED_KEY):
            return
        now = time.time()
        for keys in _batches(self.redis.scan_iter(match=STATE_KEY.format("*"), count=1000), 500):
            states = self.redis.mget(keys)
            unfinished = {key.decode().rsplit(":", 1)[1]: now for key, state in zip(keys, states)
                          if state is not None and not State(state.decode()).final}
            if unfinished:
                self.redis.zadd(PENDING_KEY, unfinished, nx=True)
        self.redis.set(BACKFILLED_KEY, "1")


def _batches(iterable, size: int):
    batch = []
    for item in iterable:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def reconcile_in_background(store: SubmissionStore, stop: threading.Event, interval: float = 5.0) -> threading.Thread:
    """A daemon thread running a pass now and then every `interval` seconds until `stop`."""
    reconciler = Reconciler(store)

    def loop() -> None:
        while True:
            try:
                reconciler.run_once()
            except RedisError as error:
                log.warning("reconciler pass skipped: %s", error)
            except Exception:  # noqa: BLE001 - keep reconciling
                log.exception("reconciler pass failed")
            if stop.wait(interval):
                return

    thread = threading.Thread(target=loop, name="reconciler", daemon=True)
    thread.start()
    return thread


__all__ = ["Reconciler", "ReconcilePass", "reconcile_in_background"]

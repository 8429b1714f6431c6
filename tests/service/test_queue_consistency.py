"""Crash consistency of the queue, against a real redis-server and RQ's own dequeue: atomic
acceptance, guarded record writes, and the reconciler at each point where a crash can leave a
pending submission without a live job. No worker process here: each test builds the exact
state a crash leaves (with RQ's own calls where RQ makes it), then checks the repair.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from rq import Queue
from rq.serializers import JSONSerializer

from ioi_grader.grading.results import CompileResult, CompileStatus, GradeResult
from ioi_grader.grading.submission import Submission
from ioi_grader.workers import runtime as worker_runtime
from ioi_grader.workers.jobs import grade_submission
from ioi_grader.workers.reconcile import SUSPECTS_KEY, Reconciler
from ioi_grader.workers.records import State, SubmissionRecord
from ioi_grader.workers.store import (
    MAX_ATTEMPTS, PENDING_KEY, RECORD_KEY, STATE_KEY, SubmissionStore, durability, job_id,
)
from live import RedisProcess

pytestmark = [pytest.mark.redis]


@pytest.fixture(scope="module")
def redis_process(tmp_path_factory):
    server = RedisProcess(Path(tmp_path_factory.mktemp("redis")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis(redis_process):
    client = redis_process.client()
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def store(redis):
    return SubmissionStore(redis)


def _record(**changes) -> SubmissionRecord:
    return SubmissionRecord(problem_id="aplusb", submission=Submission(language="cpp", code="int main() {}"),
                            **changes)


def _dequeue(store: SubmissionStore):
    """What a worker's first step does: RQ moves the job from the queue to its intermediate list."""
    job, _ = Queue.dequeue_any([store.queue], None, connection=store.redis, serializer=JSONSerializer)
    return job


def _queued(store: SubmissionStore) -> list[str]:
    return [raw.decode() for raw in store.redis.lrange(store.queue.key, 0, -1)]


def _intermediate(store: SubmissionStore) -> list[str]:
    return [raw.decode() for raw in store.redis.lrange(store.queue.intermediate_queue_key, 0, -1)]


def _two_passes(reconciler: Reconciler):
    """A suspect is acted on only when a later pass, past the grace, still finds it without a job."""
    first = reconciler.run_once(force=True)
    time.sleep(reconciler.grace + 0.05)
    return first, reconciler.run_once(force=True)


# -- acceptance ----------------------------------------------------------------------------------


def _aof_commands(directory: Path) -> list[list[bytes]]:
    """The commands of the append-only file, parsed from RESP."""
    data = b"".join(path.read_bytes() for path in sorted(directory.glob("appendonlydir/*.incr.aof")))
    commands, position = [], 0
    while position < len(data):
        assert data[position:position + 1] == b"*", data[position:position + 40]
        end = data.index(b"\r\n", position)
        count, position = int(data[position + 1:end]), end + 2
        command = []
        for _ in range(count):
            end = data.index(b"\r\n", position)
            length = int(data[position + 1:end])
            command.append(data[end + 2:end + 2 + length])
            position = end + 2 + length + 2
        commands.append(command)
    return commands


def test_acceptance_is_one_transaction_in_the_append_only_file(store, redis_process):
    records = [_record() for _ in range(3)]
    store.enqueue(records)
    commands = _aof_commands(redis_process.dir)
    blocks, current = [], None
    for command in commands:
        name = command[0].upper()
        if name == b"MULTI":
            current = []
        elif name == b"EXEC":
            blocks.append(current)
            current = None
        elif current is not None:
            current.append(command)
    ours = [b for b in blocks if any(c[0].upper() == b"RPUSH" for c in b)]
    assert len(ours) == 1, "records and jobs must reach the append-only file as one transaction"
    written = {(c[0].upper(), c[1]) for c in ours[0]}
    for record in records:
        assert (b"SET", RECORD_KEY.format(record.id).encode()) in written
        assert (b"SET", STATE_KEY.format(record.id).encode()) in written
        assert (b"HSET", f"rq:job:{job_id(record.id)}".encode()) in written
    pushed = [c for c in ours[0] if c[0].upper() == b"RPUSH"]
    assert sorted(arg.decode() for c in pushed for arg in c[2:]) == sorted(job_id(r.id) for r in records)
    assert sorted(m.decode() for m in store.redis.zrange(PENDING_KEY, 0, -1)) == sorted(r.id for r in records)


# -- guarded writes --------------------------------------------------------------------------------


def test_a_second_result_never_replaces_the_first(store):
    record = _record()
    store.enqueue([record])
    first = store.set_state(record, State.DONE, error=None, attempts=1)
    assert first.state is State.DONE
    again = store.set_state(record, State.FAILED, error="a second execution of the same job", attempts=2)
    assert again.state is State.DONE and again.error is None  # the stored first result comes back
    stored = store.get(record.id)
    assert stored.state is State.DONE and stored.attempts == 1
    assert store.states([record.id]) == [State.DONE]
    assert float(store.redis.hget("ioi:metrics:counters", "ioi_grader_results_suppressed_total")) == 1
    assert store.redis.zscore(PENDING_KEY, record.id) is None  # final: out of the pending index


def test_a_superseded_attempt_cannot_move_the_record_back(store):
    record = _record()
    store.enqueue([record])
    old = store.set_state(record, State.COMPILING, attempts=1, worker="old")
    store.set_state(old, State.COMPILING, attempts=2, worker="new")
    assert store.save(old.model_copy(update={"state": State.RUNNING})) == -1
    assert store.get(record.id).worker == "new" and store.get(record.id).attempts == 2
    # The old attempt may still finish first: its result is a whole, valid one, and it stands.
    assert store.save(old.model_copy(update={"state": State.DONE})) == 1
    assert store.get(record.id).state is State.DONE


def test_writes_keep_the_records_own_ttl(store):
    record = _record()
    store.enqueue([record], ttl=100)
    store.set_state(record, State.DONE, attempts=1)
    assert 0 < store.redis.ttl(RECORD_KEY.format(record.id)) <= 100
    assert 0 < store.redis.ttl(STATE_KEY.format(record.id)) <= 100


# -- the reconciler ----------------------------------------------------------------------------------


def test_a_job_dequeued_by_a_worker_that_died_before_starting_it_is_requeued(store):
    record = _record()
    store.enqueue([record])
    job = _dequeue(store)
    assert _intermediate(store) == [job.id] and _queued(store) == []
    reconciler = Reconciler(store, grace=0.3)
    first, second = _two_passes(reconciler)
    assert first.suspects == 1 and not first.requeued  # within the grace: a worker may be starting it
    assert second.requeued == [record.id]
    assert _queued(store) == [job.id] and _intermediate(store) == []
    assert store.job(record.id).retries_left == MAX_ATTEMPTS - 1  # it never ran: every attempt left
    assert store.get(record.id).state is State.QUEUED
    assert _dequeue(store).id == job.id  # a worker gets it as usual
    assert not store.redis.hgetall(SUSPECTS_KEY)


def test_an_expired_started_entry_of_a_job_that_never_started_is_requeued(store):
    """RQ's abandoned-job sweep skips (and drops) an expired entry whose job is not `started`:
    the worker died between registering the execution and starting the job."""
    record = _record()
    store.enqueue([record])
    job = _dequeue(store)
    store.redis.zadd(f"rq:wip:{store.queue.name}", {f"{job.id}:deadexecution": time.time() - 1})
    reconciler = Reconciler(store, grace=0.3)
    _, second = _two_passes(reconciler)
    assert second.requeued == [record.id]
    assert _queued(store) == [job.id] and store.redis.zcard(f"rq:wip:{store.queue.name}") == 0


def test_a_lost_job_keeps_the_attempts_its_record_counted(store):
    record = _record()
    store.enqueue([record])
    store.set_state(record, State.RUNNING, attempts=2)
    store.redis.delete(f"rq:job:{job_id(record.id)}")
    store.redis.lrem(store.queue.key, 0, job_id(record.id))
    _, second = _two_passes(Reconciler(store, grace=0.3))
    assert second.requeued == [record.id]
    assert store.job(record.id).retries_left == MAX_ATTEMPTS - 2 - 1


def test_a_lost_job_out_of_attempts_fails_with_a_reason(store):
    record = _record()
    store.enqueue([record])
    store.set_state(record, State.RUNNING, attempts=MAX_ATTEMPTS)
    store.redis.lrem(store.queue.key, 0, job_id(record.id))
    _, second = _two_passes(Reconciler(store, grace=0.3))
    assert second.failed == [record.id]
    failed = store.get(record.id)
    assert failed.state is State.FAILED
    assert f"after {MAX_ATTEMPTS} attempts" in failed.error and "lost" in failed.error
    assert failed.result is None


def test_a_job_rq_failed_whose_failure_was_never_recorded_fails_the_record(store):
    record = _record()
    store.enqueue([record])
    store.set_state(record, State.COMPILING, attempts=1)
    store.redis.lrem(store.queue.key, 0, job_id(record.id))
    store.redis.hset(f"rq:job:{job_id(record.id)}", "status", "failed")
    _, second = _two_passes(Reconciler(store, grace=0.3))
    assert second.failed == [record.id] and store.get(record.id).state is State.FAILED


def test_live_jobs_and_final_records_are_left_alone(store):
    waiting, running, finished = _record(), _record(), _record()
    store.enqueue([waiting, running, finished])
    # `running`: dequeued and registered by a worker whose heartbeat is current.
    while True:
        job = _dequeue(store)
        if job.id == job_id(running.id):
            break
        store.redis.rpush(store.queue.key, job.id)
        store.redis.lrem(store.queue.intermediate_queue_key, 0, job.id)
    store.redis.zadd(f"rq:wip:{store.queue.name}", {f"{job.id}:liveexecution": time.time() + 60})
    store.set_state(finished, State.DONE, attempts=1)
    store.redis.lrem(store.queue.key, 0, job_id(finished.id))
    store.redis.zadd(PENDING_KEY, {finished.id: 0})  # an index entry a crash left behind
    first, second = _two_passes(Reconciler(store, grace=0.3))
    assert first.suspects == 0 and not second.requeued and not second.failed
    assert first.forgotten == 1 and store.redis.zscore(PENDING_KEY, finished.id) is None
    assert job_id(waiting.id) in _queued(store) and job_id(finished.id) not in _queued(store)
    assert store.get(running.id).state is State.QUEUED


def test_records_written_before_the_pending_index_are_found(store):
    """A record written by an older version (no index entry) and then lost its job."""
    record = _record()
    store.redis.set(RECORD_KEY.format(record.id), record.model_dump_json(), ex=3600)
    store.redis.set(STATE_KEY.format(record.id), "queued", ex=3600)
    _, second = _two_passes(Reconciler(store, grace=0.3))
    assert second.requeued == [record.id] and _queued(store) == [job_id(record.id)]


def test_recovery_stands_back_when_a_worker_picks_the_job_up(store):
    record = _record()
    store.enqueue([record])
    job = _dequeue(store)
    reconciler = Reconciler(store, grace=0.3)
    reconciler.run_once(force=True)
    time.sleep(0.35)
    # The slow worker registers its execution just before the second pass.
    store.redis.zadd(f"rq:wip:{store.queue.name}", {f"{job.id}:slowexecution": time.time() + 60})
    second = reconciler.run_once(force=True)
    assert not second.requeued and second.suspects == 0
    assert reconciler.recover(record.id, "test") == "alive"
    assert _queued(store) == []


def test_passes_are_shared_out_between_processes(store):
    first, second = Reconciler(store, min_interval=5), Reconciler(store, min_interval=5)
    assert first.run_once() is not None
    assert second.run_once() is None  # within the interval, another process's pass stands


def test_a_redis_that_could_lose_acknowledged_writes_is_named(redis):
    assert durability(redis) is None  # appendonly, appendfsync always: what serve and compose run
    redis.config_set("appendfsync", "everysec")
    try:
        assert "everysec" in durability(redis)
    finally:
        redis.config_set("appendfsync", "always")


# -- the job function, run twice -----------------------------------------------------------------


class _OverlappingGrader:
    """Test double for the grader (no sandbox): every call returns a different score, and only
    once `overlap` calls are in flight, as when RQ requeued a job whose worker it thought dead
    while that worker was still grading it."""

    def __init__(self, overlap: int):
        self.calls = 0
        self._lock = threading.Lock()
        self._barrier = threading.Barrier(overlap, timeout=20)

    def grade(self, problem, submission, options, hooks):
        with self._lock:
            self.calls += 1
            score = 10.0 * self.calls
        self._barrier.wait()
        return GradeResult(problem_id="aplusb", language="cpp", score=score, max_score=100,
                           compile=CompileResult(status=CompileStatus.OK), subtasks=[])


class _RuntimeDouble:
    """What `grade_submission` needs of a worker runtime, around a real store on real Redis."""

    def __init__(self, store: SubmissionStore, grader):
        self.submissions, self.grader, self.name = store, grader, "double"
        self.pool = SimpleNamespace(recycled=0)
        self.metrics = SimpleNamespace(count=lambda *a, **k: None, observe=lambda *a, **k: None,
                                       observe_many=lambda *a, **k: None)

    def problem_for(self, record: SubmissionRecord) -> None:
        return None  # the overlapping grader below needs no problem


@pytest.fixture
def job_runtime(store, monkeypatch):
    def install(grader):
        monkeypatch.setattr(worker_runtime, "_runtime", _RuntimeDouble(store, grader))
        return grader
    return install


def test_a_job_that_runs_twice_at_once_writes_one_result(store, job_runtime):
    grader = job_runtime(_OverlappingGrader(overlap=2))
    record = _record()
    store.enqueue([record])
    threads = [threading.Thread(target=grade_submission, args=(record.id,)) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert grader.calls == 2
    final = store.get(record.id)
    assert final.state is State.DONE and final.result.score in (10.0, 20.0)
    assert float(store.redis.hget("ioi:metrics:counters", "ioi_grader_results_suppressed_total")) == 1
    grade_submission(record.id)  # and a third run, after the fact, changes nothing
    assert store.get(record.id) == final and grader.calls == 2


def test_a_job_rerun_after_its_worker_died_past_grading_does_not_grade_again(store, job_runtime):
    grader = job_runtime(_OverlappingGrader(overlap=1))
    record = _record()
    store.enqueue([record])
    grade_submission(record.id)  # graded and recorded; then the worker dies before RQ hears of it
    first = store.get(record.id)
    grade_submission(record.id)  # RQ's abandoned-job handling runs the job again
    assert grader.calls == 1 and store.get(record.id) == first

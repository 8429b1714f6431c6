"""`ioi-grader bench acceptance`: what accepting one submission costs in Redis, now that the
record and its RQ job go in one MULTI/EXEC, against the two transactions it took before, on a
private redis-server with `appendfsync always` (fsync before every reply) and, for context,
`everysec`. Figures are per submission, median and p99 of single-submission calls; the
modes alternate in rounds so that machine noise falls on all of them alike.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import tempfile
import time
from pathlib import Path

from ..grading.submission import Submission
from ..server.serve import PrivateRedis
from ..workers.records import SubmissionRecord
from ..workers.store import RECORD_KEY, STATE_KEY, SubmissionStore, connect

CODE = (Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "solutions" / "aplusb" / "correct.cpp")


def _record() -> SubmissionRecord:
    return SubmissionRecord(problem_id="aplusb", submission=Submission(language="cpp", code=CODE.read_text()))


def _two_transactions(store: SubmissionStore, record: SubmissionRecord) -> None:
    """The acceptance path before issue 12: the record, then the job, in separate transactions."""
    with store.redis.pipeline() as pipe:
        record.updated_at = time.time()
        pipe.set(RECORD_KEY.format(record.id), record.model_dump_json(), ex=store.result_ttl)
        pipe.set(STATE_KEY.format(record.id), record.state.value, ex=store.result_ttl)
        pipe.execute()
    store.queue.enqueue_many([store._job_data(record.id)])


def _one_transaction(store: SubmissionStore, record: SubmissionRecord) -> None:
    store.enqueue([record])


def measure(per_mode: int = 300, rounds: int = 5) -> dict:
    work = Path(tempfile.mkdtemp(prefix="ioig-accept-"))
    server = PrivateRedis(work)
    try:
        redis = connect(server.start())
        store = SubmissionStore(redis)
        modes = {
            "one transaction, appendfsync always": ("always", _one_transaction),
            "two transactions, appendfsync always": ("always", _two_transactions),
            "one transaction, appendfsync everysec": ("everysec", _one_transaction),
        }
        times: dict[str, list[float]] = {name: [] for name in modes}
        for _ in range(rounds):
            for name, (fsync, accept) in modes.items():
                redis.config_set("appendfsync", fsync)
                redis.flushdb()
                records = [_record() for _ in range(per_mode // rounds)]
                for record in records:
                    started = time.perf_counter()
                    accept(store, record)
                    times[name].append(time.perf_counter() - started)
        report = {"submissions_per_mode": per_mode, "modes": {}}
        for name, values in times.items():
            values.sort()
            report["modes"][name] = {
                "median_us": round(statistics.median(values) * 1e6),
                "p99_us": round(values[int(0.99 * (len(values) - 1))] * 1e6),
            }
        now = report["modes"]["one transaction, appendfsync always"]["median_us"]
        before = report["modes"]["two transactions, appendfsync always"]["median_us"]
        report["one_over_two_transactions"] = round(now / before, 3) if before else None
        redis.close()
        return report
    finally:
        server.stop()
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ioi-grader bench acceptance", description=__doc__.split("\n\n")[0])
    parser.add_argument("--submissions", type=int, default=1000, help="per mode")
    parser.add_argument("--json", metavar="PATH")
    args = parser.parse_args(argv)
    report = measure(args.submissions)
    print(json.dumps(report, indent=1))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0


__all__ = ["measure"]

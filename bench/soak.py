"""`ioi-grader bench soak`: nothing lost while Redis, workers and sandboxes die under load.

A mixed stream of submissions and GRPO reward batches runs against `serve` (2 workers, loopback
only) for `--minutes`. Meanwhile, at random moments, `--kills` times each: Redis is SIGKILLed
(serve restarts it from its append-only file), a worker is SIGKILLed (serve restarts it), and
one of the workers' sandbox containers is killed (`docker kill`). Then the stream stops and
every submission the API accepted must end `done` with the score a quiet run of the same code
got, or `failed` with a reason. The figures: accepted, done, failed, lost (must be 0),
duplicates (must be 0), wrong scores (must be 0), latency percentiles. Exit status 0 iff the
three must-be-zero figures are zero and every kill happened.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import signal
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import docker
import httpx
from redis import Redis

from ..client import AsyncClient, GraderError
from ..sandbox.box import LABEL_BOX, LABEL_OWNER
from .serve_process import ServeProcess

REPO = Path(__file__).resolve().parents[1]
SOLUTIONS = REPO / "tests" / "fixtures" / "solutions" / "aplusb"
PROBLEM = "aplusb"
# A realistic mix: mostly quick verdicts, some compile errors and crashes, one slow program
# whose TLE tests keep a box busy for seconds (so that kills land mid-grading).
PROGRAMS = ["correct.cpp", "correct.cpp", "wrong_return_a.cpp", "wrong_large_sum.cpp", "re_div_by_b.cpp",
            "compile_error.cpp", "wrong_unless_small_or_b0.cpp", "slow_large.cpp"]
REWARD_SUBTASK = "03-full"
KINDS = ("redis", "worker", "sandbox")


@dataclass
class Accepted:
    id: str
    program: str
    kind: str  # "submission" or "reward"
    accepted_at: float
    first_final: dict | None = None  # the first final view seen: state, score, error, updated_at
    latency: float | None = None


@dataclass
class Soak:
    service: ServeProcess
    redis_socket: Path
    rng: random.Random
    stop: asyncio.Event = field(default_factory=asyncio.Event)
    accepted: dict[str, Accepted] = field(default_factory=dict)
    duplicate_ids: int = 0
    refused: Counter = field(default_factory=Counter)  # HTTP outcomes that accepted nothing
    reward_batches: Counter = field(default_factory=Counter)
    reward_latencies: list[float] = field(default_factory=list)
    reward_mismatches: int = 0
    kills: list[dict] = field(default_factory=list)
    quiet_ids: set[str] = field(default_factory=set)
    serial: int = 0

    def code(self, program: str, fenced: bool = False) -> str:
        self.serial += 1
        source = f"// soak {self.serial}\n{(SOLUTIONS / program).read_text()}"
        return f"My answer:\n```cpp\n{source}```\n" if fenced else source

    def accept(self, record: Accepted) -> None:
        if record.id in self.accepted:
            self.duplicate_ids += 1
        self.accepted[record.id] = record


def _final_view(view) -> dict:
    return {"state": view.state.value, "score": view.result.score if view.result else None,
            "error": view.error, "updated_at": view.updated_at}


async def _wait_final(client: AsyncClient, record: Accepted, deadline: float) -> None:
    while time.monotonic() < deadline:
        try:
            view = await client.submission(record.id, wait=min(20.0, max(0.1, deadline - time.monotonic())))
        except (GraderError, httpx.HTTPError):
            await asyncio.sleep(0.5)
            continue
        if view.state.final:
            if record.first_final is None:
                record.first_final = _final_view(view)
                record.latency = time.monotonic() - record.accepted_at
            return


async def _submitter(soak: Soak, client: AsyncClient, per_submission: float) -> None:
    while not soak.stop.is_set():
        program = soak.rng.choice(PROGRAMS)
        started = time.monotonic()
        try:
            submission_id = await client.submit(PROBLEM, soak.code(program))
        except GraderError as error:
            soak.refused[f"submit HTTP {error.status}"] += 1
            await asyncio.sleep(1)
            continue
        except httpx.HTTPError as error:
            soak.refused[f"submit {type(error).__name__}"] += 1
            await asyncio.sleep(1)
            continue
        record = Accepted(submission_id, program, "submission", started)
        soak.accept(record)
        await _wait_final(client, record, time.monotonic() + per_submission)


async def _rewarder(soak: Soak, client: AsyncClient, quiet: dict, batch: int, timeout: float) -> None:
    while not soak.stop.is_set():
        programs = [soak.rng.choice(PROGRAMS) for _ in range(batch)]
        items = [{"problem_id": PROBLEM, "subtask": REWARD_SUBTASK, "completion": soak.code(p, fenced=True)}
                 for p in programs]
        started = time.monotonic()
        try:
            response = await client.reward(items, timeout=timeout)
        except GraderError as error:
            soak.refused[f"reward HTTP {error.status}"] += 1
            await asyncio.sleep(1)
            continue
        except httpx.HTTPError as error:
            soak.refused[f"reward {type(error).__name__}"] += 1
            await asyncio.sleep(1)
            continue
        soak.reward_latencies.append(time.monotonic() - started)
        for program, detail in zip(programs, response.details):
            soak.reward_batches[detail.status] += 1
            if detail.submission_id:
                record = Accepted(detail.submission_id, program, "reward", started)
                soak.accept(record)
                if detail.status in ("scored", "error"):
                    record.first_final = {"state": "done" if detail.status == "scored" else "failed",
                                          "score": detail.score, "error": detail.reason or None, "updated_at": None}
                    record.latency = time.monotonic() - started
            if detail.status == "scored" and detail.reward != quiet[("reward-value", program)]:
                soak.reward_mismatches += 1


def _redis_pid(service: ServeProcess) -> int | None:
    for pid in service.pids()[1:]:
        try:
            if b"redis-server" in Path(f"/proc/{pid}/cmdline").read_bytes():
                return pid
        except OSError:
            continue
    return None


def _redis_up(socket_path: Path) -> bool:
    try:
        return bool(Redis(unix_socket_path=str(socket_path), socket_timeout=2).ping())
    except Exception:  # noqa: BLE001
        return False


def _wait_for(predicate, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return False


def _kill(soak: Soak, kind: str, docker_client) -> dict:
    """One kill of `kind`, on this service's own processes and containers only."""
    service = soak.service
    at = time.monotonic()
    if kind == "redis":
        _wait_for(lambda: _redis_pid(service) is not None and _redis_up(soak.redis_socket), 30)
        pid = _redis_pid(service)
        if pid is None:
            return {"kind": kind, "done": False, "why": "no redis-server"}
        os.kill(pid, signal.SIGKILL)
        back = _wait_for(lambda: _redis_pid(service) not in (None, pid) and _redis_up(soak.redis_socket), 60)
        return {"kind": kind, "done": True, "target": pid, "restarted_in_s": round(time.monotonic() - at, 2)
                if back else None}
    if kind == "worker":
        if not _wait_for(lambda: len(service.worker_pids()) >= service.workers, 60):
            return {"kind": kind, "done": False, "why": "workers not running"}
        name, pid = soak.rng.choice(sorted(service.worker_pids().items()))
        os.kill(pid, signal.SIGKILL)
        return {"kind": kind, "done": True, "target": name}
    boxes: list = []

    def find_boxes() -> bool:
        boxes[:] = [c for c in docker_client.containers.list(filters={"label": LABEL_BOX})
                    if _owner_pid(c.labels.get(LABEL_OWNER, "")) in service.worker_pids().values()]
        return bool(boxes)

    if not _wait_for(find_boxes, 60):
        return {"kind": kind, "done": False, "why": "no box of ours running"}
    box = soak.rng.choice(boxes)
    try:
        box.kill()
    except docker.errors.APIError as error:  # it stopped on its own meanwhile (recycled)
        return {"kind": kind, "done": False, "why": str(error)}
    return {"kind": kind, "done": True, "target": box.labels.get(LABEL_BOX)}


def _owner_pid(token: str) -> int | None:
    parts = token.split(":")
    return int(parts[1]) if len(parts) >= 2 and parts[1].isdigit() else None


def _chaos(soak: Soak, schedule: list[tuple[float, str]], started: float, halt: threading.Event) -> None:
    client = docker.from_env(timeout=60)
    try:
        for offset, kind in schedule:
            if halt.wait(max(0.0, started + offset - time.monotonic())):
                return
            outcome = _kill(soak, kind, client)
            outcome["at_s"] = round(time.monotonic() - started, 1)
            soak.kills.append(outcome)
    finally:
        client.close()


def _percentile(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, max(0, int(round(q * len(ordered))) - 1))], 2)


async def _quiet_scores(client: AsyncClient, soak: Soak) -> dict:
    """What each program scores with nothing failing: the reference for every soak result."""
    quiet: dict = {}
    for program in sorted(set(PROGRAMS)):
        view = await client.grade(PROBLEM, soak.code(program), timeout=600)
        soak.quiet_ids.add(view.id)
        if view.state.value != "done":
            raise RuntimeError(f"quiet run: {program} ended {view.state.value}: {view.error}")
        quiet[("submission", program)] = view.result.score
    items = [{"problem_id": PROBLEM, "subtask": REWARD_SUBTASK, "completion": soak.code(p, fenced=True)}
             for p in sorted(set(PROGRAMS))]
    response = await client.reward(items, timeout=600)
    for program, detail in zip(sorted(set(PROGRAMS)), response.details):
        soak.quiet_ids.add(detail.submission_id)
        if detail.status != "scored":
            raise RuntimeError(f"quiet run: reward for {program} was {detail.status}: {detail.reason}")
        quiet[("reward", program)] = detail.score
        quiet[("reward-value", program)] = detail.reward
    return quiet


def _metrics(service: ServeProcess) -> dict[str, float]:
    try:
        text = httpx.get(f"{service.url}/metrics", timeout=30).text
    except httpx.HTTPError:
        return {}
    wanted = ("ioi_grader_results_suppressed_total", "ioi_grader_reconciled_total", "ioi_grader_submissions_total")
    return {line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith(wanted)}


async def _run(soak: Soak, minutes: float, kills: int, drain: float, submitters: int, batch: int) -> dict:
    service = soak.service
    duration = minutes * 60
    async with AsyncClient(service.url, timeout=120, busy_retries=2, max_connections=50) as client:
        quiet = await _quiet_scores(client, soak)
        schedule = sorted((soak.rng.uniform(0.08, 0.85) * duration, kind) for kind in KINDS for _ in range(kills))
        halt = threading.Event()
        started = time.monotonic()
        chaos = threading.Thread(target=_chaos, args=(soak, schedule, started, halt), name="chaos", daemon=True)
        chaos.start()
        tasks = [asyncio.create_task(_submitter(soak, client, per_submission=drain)) for _ in range(submitters)]
        tasks.append(asyncio.create_task(_rewarder(soak, client, quiet, batch, timeout=min(120.0, drain))))
        await asyncio.sleep(duration)
        soak.stop.set()
        stream_seconds = time.monotonic() - started
        await asyncio.to_thread(chaos.join, 120)
        halt.set()
        # Drain: the loops finish their current request; then every accepted id must be final.
        await asyncio.wait(tasks, timeout=drain + 180)
        for task in tasks:
            task.cancel()
        deadline = time.monotonic() + drain
        pending = [r for r in soak.accepted.values() if r.first_final is None]
        await asyncio.gather(*(_wait_final(client, r, deadline) for r in pending))
        # Every record as it stands now: a final record that changed since first seen is a duplicate.
        views = {}
        for record in soak.accepted.values():
            for _ in range(10):
                try:
                    views[record.id] = await client.submission(record.id)
                    break
                except (GraderError, httpx.HTTPError) as error:
                    views[record.id] = error
                    await asyncio.sleep(1)
    return _report(soak, quiet, views, stream_seconds, minutes, kills)


def _unacknowledged(soak: Soak) -> dict:
    """Submissions the service holds that no client was told about (a 202 lost with its
    connection, or a reward batch answered 503 after its items were queued): not accepted,
    so not counted as lost, but the service must finish them all the same."""
    redis = Redis(unix_socket_path=str(soak.redis_socket), socket_timeout=30)
    known = set(soak.accepted) | soak.quiet_ids
    ids = [key.decode().rsplit(":", 1)[1] for key in redis.scan_iter(match="ioi:state:*", count=1000)]
    others = [i for i in ids if i not in known]
    states = redis.mget([f"ioi:state:{i}" for i in others]) if others else []
    redis.close()
    return {"unacknowledged": len(others),
            "unacknowledged_not_final": sum(1 for state in states if state not in (b"done", b"failed"))}


def _report(soak: Soak, quiet: dict, views: dict, stream_seconds: float, minutes: float, kills: int) -> dict:
    done = failed = lost = duplicates = wrong = 0
    reasons: Counter = Counter()
    examples: dict[str, list[str]] = {"lost": [], "duplicate": [], "wrong_score": []}
    for record in soak.accepted.values():
        view = views.get(record.id)
        if isinstance(view, Exception) or view is None or not view.state.final:
            lost += 1
            examples["lost"].append(record.id)
            continue
        now = _final_view(view)
        first = record.first_final
        if first is not None and (first["state"], first["score"]) != (now["state"], now["score"]) or (
                first is not None and first["updated_at"] is not None and first["updated_at"] != now["updated_at"]):
            duplicates += 1
            examples["duplicate"].append(record.id)
        if view.state.value == "done":
            done += 1
            key = ("reward", record.program) if record.kind == "reward" else ("submission", record.program)
            if view.result.score != quiet[key]:
                wrong += 1
                examples["wrong_score"].append(f"{record.id} {record.program}: {view.result.score} != {quiet[key]}")
        else:
            failed += 1
            reasons[(view.error or "NO REASON")[:120]] += 1
    latencies = [r.latency for r in soak.accepted.values() if r.kind == "submission" and r.latency is not None]
    by_kind = Counter(k["kind"] for k in soak.kills if k["done"])
    failed_without_reason = reasons.get("NO REASON", 0)
    report = {
        "minutes": minutes, "stream_seconds": round(stream_seconds, 1), "workers": soak.service.workers,
        "accepted": len(soak.accepted),
        "accepted_submissions": sum(1 for r in soak.accepted.values() if r.kind == "submission"),
        "accepted_reward_items": sum(1 for r in soak.accepted.values() if r.kind == "reward"),
        "done": done, "failed": failed, "lost": lost, "duplicates": duplicates + soak.duplicate_ids,
        "wrong_scores": wrong, "failed_without_reason": failed_without_reason,
        "reward_value_mismatches": soak.reward_mismatches,
        "failure_reasons": dict(reasons),
        "latency_p50_s": _percentile(latencies, 0.50), "latency_p99_s": _percentile(latencies, 0.99),
        "latency_max_s": round(max(latencies), 2) if latencies else None,
        "reward_batch_p50_s": _percentile(soak.reward_latencies, 0.50),
        "reward_batch_p99_s": _percentile(soak.reward_latencies, 0.99),
        "reward_items_by_status": dict(soak.reward_batches),
        "refused_requests": dict(soak.refused),
        "kills_planned_per_kind": kills, "kills_done": dict(by_kind), "kills": soak.kills,
        "quiet_scores": {f"{kind}:{program}": score for (kind, program), score in quiet.items()},
        "server_metrics": _metrics(soak.service),
        **_unacknowledged(soak),
        "examples": {k: v[:10] for k, v in examples.items()},
    }
    report["ok"] = (lost == 0 and report["duplicates"] == 0 and wrong == 0 and failed_without_reason == 0
                    and soak.reward_mismatches == 0 and all(by_kind.get(k, 0) == kills for k in KINDS))
    return report


def run_soak(minutes: float, kills: int, *, workers: int = 2, boxes: int = 1, seed: int | None = None,
             drain: float = 300.0, submitters: int = 3, batch: int = 4, work: Path | None = None) -> dict:
    own_work = work is None
    work = Path(work or tempfile.mkdtemp(prefix="ioig-soak-"))
    problems = work / "problems"
    problems.mkdir(parents=True, exist_ok=True)
    if not (problems / PROBLEM).exists():
        os.symlink(REPO / "examples" / "problems" / "aplusb", problems / PROBLEM)
    seed = seed if seed is not None else random.randrange(1 << 30)
    service = ServeProcess([problems], work / "serve", workers, boxes,
                           env={"IOI_GRADER_STATE_DIR": str(work / "state")})
    try:
        service.start()
        soak = Soak(service, work / "serve" / "redis.sock", random.Random(seed))
        report = asyncio.run(_run(soak, minutes, kills, drain, submitters, batch))
        report["seed"] = seed
        report["worker_restarts"] = _count_in_log(work / "serve" / "serve.log", "restarting it", "worker ")
        report["redis_restarts"] = _count_in_log(work / "serve" / "serve.log", "restarting it", "redis-server ")
        return report
    finally:
        service.stop()
        if own_work:
            shutil.rmtree(work, ignore_errors=True)


def _count_in_log(path: Path, *needles: str) -> int:
    try:
        lines = path.read_text(errors="replace").splitlines()
    except OSError:
        return 0
    return sum(1 for line in lines if all(needle in line for needle in needles))


def summary_lines(report: dict) -> list[str]:
    return [
        f"soak {report['minutes']} min, {report['workers']} workers, seed {report['seed']}: "
        f"{'OK' if report['ok'] else 'FAILED'}",
        f"  accepted {report['accepted']} ({report['accepted_submissions']} submissions, "
        f"{report['accepted_reward_items']} reward items); done {report['done']}, failed {report['failed']}, "
        f"lost {report['lost']}, duplicates {report['duplicates']}, wrong scores {report['wrong_scores']}",
        f"  submission latency p50 {report['latency_p50_s']} s, p99 {report['latency_p99_s']} s "
        f"(max {report['latency_max_s']} s); reward batch p50 {report['reward_batch_p50_s']} s, "
        f"p99 {report['reward_batch_p99_s']} s",
        f"  kills done {report['kills_done']} of {report['kills_planned_per_kind']} each; "
        f"serve restarted workers {report['worker_restarts']} times, Redis {report['redis_restarts']} times",
        f"  failures {report['failure_reasons']}",
        f"  refused requests {report['refused_requests']}; reward items {report['reward_items_by_status']}; "
        f"graded without a 202 {report['unacknowledged']} ({report['unacknowledged_not_final']} not final)",
        f"  server {report['server_metrics']}",
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="ioi-grader bench soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=float, default=10.0, help="how long the stream and the kills run")
    parser.add_argument("--kills", type=int, default=10, help="kills of each kind (Redis, worker, sandbox)")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--boxes-per-worker", type=int, default=1)
    parser.add_argument("--drain", type=float, default=300.0, help="seconds allowed to finish after the stream")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    report = run_soak(args.minutes, args.kills, workers=args.workers, boxes=args.boxes_per_worker, seed=args.seed,
                      drain=args.drain)
    print("\n".join(summary_lines(report)))
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1))
    return 0 if report["ok"] else 1

"""The service end to end: real HTTP, real Redis, real workers and Docker sandboxes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import httpx
import pytest

from ioi_grader.grading.submission import GradeOptions, Submission
from ioi_grader.problems.loader import load_problem
from ioi_grader.server.reward import RewardMode, prepare_code, reward_of
from paths import REPO
from tasks import expected, solution

pytestmark = [pytest.mark.docker, pytest.mark.redis]


def test_submission_round_trip(client):
    view = client.grade("aplusb", solution("aplusb", "correct.cpp"), timeout=120)
    assert view.state.value == "done" and view.error is None
    assert view.result.score == 100 and view.result.max_score == 100
    assert [s.name for s in view.result.subtasks] == ["00-samples", "01-smallAB", "02-bZero", "03-full"]
    test = view.result.subtasks[1].tests[0]
    assert test.status.value == "AC" and test.time > 0 and test.memory > 0 and test.message


def test_long_poll_returns_as_soon_as_the_submission_is_done(client):
    submission_id = client.submit("aplusb", solution("aplusb", "wrong_return_a.cpp"))
    started = time.monotonic()
    view = client.submission(submission_id, wait=60)
    assert view.state.value == "done" and time.monotonic() - started < 30
    assert view.result.score == expected("aplusb")["wrong_return_a.cpp"]["score"]


def _completions() -> list[tuple[dict, str]]:
    """32 rollouts over two tasks: correct, wrong, non-compiling, empty, chat-formatted."""
    aplusb = {name: solution("aplusb", name) for name in
              ("correct.cpp", "wrong_return_a.cpp", "wrong_large_sum.cpp", "compile_error.cpp", "cheat_fake_ok.cpp")}
    items = []
    for index in range(32):
        name = list(aplusb)[index % len(aplusb)]
        text = f"Let me think.\n```cpp\n{aplusb[name]}\n```\nDone."
        completion = [{"role": "assistant", "content": text}] if index % 2 else text
        items.append(({"problem_id": "aplusb", "subtask": index % 4, "completion": completion}, name))
    items[7] = ({"problem_id": "aplusb", "subtask": 1, "completion": "I cannot solve this."}, "")
    items[12] = ({"problem_id": "sumlines", "completion": "```python\nimport sys\nprint(sum(map(int, sys.stdin.read().split()[1:])))\n```",
                  "language": "python"}, "")
    return items


def test_reward_batch_of_32_matches_the_core_grader(client, grader, real_tasks):
    pairs = _completions()
    items = [item for item, _ in pairs]
    response = client.reward(items)
    assert len(response.rewards) == 32 and len(response.details) == 32
    assert all(isinstance(r, float) for r in response.rewards)
    problems = {"aplusb": load_problem(real_tasks / "aplusb"), "sumlines": load_problem(REPO / "examples/problems/sumlines")}
    for index, (item, detail) in enumerate(zip(items, response.details)):
        problem = problems[item["problem_id"]]
        code = prepare_code(item["completion"], problem, item.get("language", "cpp"))
        if not code.strip():
            assert response.rewards[index] == 0.0 and detail.status == "no_code"
            continue
        subtask = problem.subtask(item["subtask"]).name if "subtask" in item else None
        options = GradeOptions(subtasks=[subtask] if subtask else None, early_stop=True)
        direct = grader.grade(problem, Submission(language=item.get("language", "cpp"), code=code), options)
        assert response.rewards[index] == pytest.approx(reward_of(direct, RewardMode.SUBTASK)), index
        assert detail.subtask == subtask and detail.problem_id == problem.id
    assert response.rewards[0] == 1.0  # correct.cpp on the samples subtask


def test_reward_modes(client):
    code = "```cpp\n" + solution("aplusb", "wrong_large_sum.cpp") + "\n```"
    item = {"problem_id": "aplusb", "subtask": "03-full", "completion": code}
    subtask = client.reward([item], mode="subtask").rewards[0]
    problem = client.reward([item], mode="problem").rewards[0]
    tests = client.reward([item], mode="tests").rewards[0]
    assert subtask == 0.0
    assert problem == pytest.approx(expected("aplusb")["wrong_large_sum.cpp"]["score"] / 100)
    assert 0.0 < tests < 1.0


def test_open_r1_row_maps_to_problem_and_subtask(client):
    code = "```cpp\nint sum(int a, int b) { return a + b; }\n```"  # open-r1 adds the includes
    response = client.reward([{"year": 2022, "id": "ioi2022-fish", "subtask": "group3", "completion": "no code"},
                              {"id": "aplusb", "subtask": "01-smallAB", "completion": code}])
    assert response.details[0].problem_id == "ioi2022-fish" and response.details[0].status == "no_code"
    assert response.rewards[1] == 1.0


def _write_jsonl(path, rows):
    with open(path, "w") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


def _normalized(path):
    lines = {}
    for line in open(path):
        record = json.loads(line)
        if record.get("state") == "done":
            record.pop("submission_id", None)
            lines[record["key"]] = record
    return lines


def test_batch_resumes_after_interruption_with_the_same_results(service, tmp_path):
    names = sorted(expected("aplusb"))
    names = [n for n in names if n not in ("mle_3gib.cpp", "slow_large.cpp")]  # keep the test quick
    rows = [{"problem_id": "aplusb", "subtask": i % 4, "generation": f"```cpp\n{solution('aplusb', n)}\n```"}
            for i, n in enumerate(names * 2)]
    rows.append({"problem_id": "aplusb", "subtask": 2, "generation": "no code here"})
    rows.append({"id": "aplusb", "code": solution("aplusb", "correct.cpp")})
    source = tmp_path / "generations.jsonl"
    _write_jsonl(source, rows)
    command = [str(REPO / ".venv/bin/ioi-grader"), "batch", str(source), "--url", service.url, "--concurrency", "2"]
    env = dict(os.environ, COLUMNS="120")

    # Interrupted run: stopped (SIGKILL, no chance to tidy up) once a few rows are in.
    interrupted = tmp_path / "interrupted.jsonl"
    process = subprocess.Popen(command + ["--out", str(interrupted)], env=env, stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and (not interrupted.exists() or len(interrupted.read_text().splitlines()) < 4):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    partial = len(_normalized(interrupted))
    assert 4 <= partial < len(rows)

    resumed = subprocess.run(command + ["--out", str(interrupted)], env=env, capture_output=True, text=True, timeout=600)
    assert resumed.returncode == 0, resumed.stderr
    assert f"{partial} already in" in resumed.stderr
    assert "per problem" in resumed.stderr and "aplusb" in resumed.stderr

    straight = tmp_path / "straight.jsonl"
    clean = subprocess.run(command + ["--out", str(straight)], env=env, capture_output=True, text=True, timeout=600)
    assert clean.returncode == 0, clean.stderr
    assert _normalized(interrupted) == _normalized(straight)
    assert len(_normalized(straight)) == len(rows)

    simulated = subprocess.run([str(REPO / ".venv/bin/ioi-grader"), "simulate", str(straight), "--json"],
                               capture_output=True, text=True, timeout=60)
    assert simulated.returncode == 0, simulated.stderr
    assert json.loads(simulated.stdout)["aplusb"]["score"] == 100  # correct.cpp is among them


def test_healthz_and_metrics(service):
    health = httpx.get(f"{service.url}/healthz").json()
    assert health["status"] == "ok" and health["workers"] == 2 and health["redis"]
    metrics = httpx.get(f"{service.url}/metrics").text
    for name in ("ioi_grader_queue_depth", "ioi_grader_submissions_total", "ioi_grader_compile_seconds_bucket",
                 "ioi_grader_test_seconds_count", "ioi_grader_sandbox_recycles_total", "ioi_grader_workers 2"):
        assert name in metrics


def test_problems_listing_hides_tests_and_checker(client):
    problems = {p.id: p for p in client.problems()}
    assert {"aplusb", "ioi2022-fish", "guess", "relay", "sumlines"} <= set(problems)
    assert [s.points for s in problems["ioi2022-fish"].subtasks] == [0, 3, 6, 9, 14, 21, 17, 14, 16]
    detail = client.problem("aplusb")
    assert [h.name for h in detail.headers] == ["aplusb.h"]
    assert detail.tests is None and detail.checker is None


def test_per_worker_series_status_view_and_versions(service, client):
    """After some grading: /metrics has each worker's series, `ioi-grader status --once` shows the
    workers and the queue, and every problem is listed with its version and test count."""
    view = client.grade("aplusb", (REPO / "tests/fixtures/solutions/aplusb/correct.cpp").read_text())
    assert view.state.value == "done"
    metrics = httpx.get(f"{service.url}/metrics").text
    workers = set(service.worker_pids())
    for name in ("ioi_grader_worker_boxes_busy", "ioi_grader_worker_tests_per_second", "ioi_grader_queue_age_seconds",
                 "ioi_grader_worker_problem_cache_hits_total", "ioi_grader_worker_fetch_bytes_total"):
        assert name in metrics
    assert all(f'ioi_grader_worker_tests_total{{worker="{w}"}}' in metrics for w in workers)
    status = client.status()
    assert {w.name for w in status.workers} == workers and status.boxes == 2
    assert sum(w.tests for w in status.workers) >= 17 and status.submissions_done >= 1
    shown = subprocess.run([str(REPO / ".venv/bin/ioi-grader"), "status", "--once", "--url", service.url],
                           capture_output=True, text=True, timeout=60, env={**os.environ, "COLUMNS": "200"})
    assert shown.returncode == 0, shown.stderr
    assert "2 worker(s)" in shown.stdout and "queue" in shown.stdout and "last errors" in shown.stdout
    assert all(w in shown.stdout for w in workers)
    listed = {p.id: p for p in client.problems()}
    assert listed["aplusb"].test_count == 17 and len(listed["aplusb"].version) == 64
    assert listed["aplusb"].version == client.problem("aplusb").version

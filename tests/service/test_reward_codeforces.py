"""open-r1's cf_code_reward semantics on /v1/reward, through the real service (HTTP, Redis,
workers, Docker sandboxes), called the way TRL calls a reward function: `cf_reward` (sync and
async) with the `verifiable-prompts` columns `id` and `language`. A mixed batch on the
open-r1-shaped fixture's 1/A (50 tests): correct, wrong on the big tests, compile error, no
code, too slow, a language we do not grade, and the service down."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
from pathlib import Path

import pytest

from codeforces_fixture import problem_rows
from ioi_grader.client import Client
from ioi_grader.client.reward import make_cf_reward, make_cf_reward_async
from paths import FIXTURES, REPO

pytestmark = [pytest.mark.docker, pytest.mark.redis]

SOLUTIONS = FIXTURES / "solutions" / "codeforces"


def fenced(language: str, name: str) -> list[dict]:
    return [{"role": "assistant", "content": f"Here it is.\n```{language}\n{(SOLUTIONS / name).read_text()}```\n"}]


# (completion, language column)
BATCH = {
    "correct": (fenced("cpp", "sum.cpp"), "cpp"),
    "wrong": (fenced("cpp", "sum_int32.cpp"), "cpp"),  # overflows on most big tests
    "compile_error": (fenced("cpp", "sum_compile_error.cpp"), "cpp"),
    "no_code": ([{"role": "assistant", "content": "I would add the numbers."}], "python"),
    "too_slow": (fenced("python", "sum_slow.py"), "python"),
    "unknown_language": (fenced("rust", "sum.cpp"), "rust"),
}


def int32_passes() -> int:
    """The tests of 1/A whose sum a 32-bit accumulator (wrapping) gets right."""
    rows, generated = problem_rows()
    passed = 0
    for test in rows[0]["official_tests"] + generated["test_cases_0001.parquet"]:
        values = [int(v) for v in test["input"].split()[1:]]
        wrapped = 0
        for value in values:
            wrapped = (wrapped + value + 2**31) % 2**32 - 2**31
        passed += wrapped == sum(values)
    return passed


WRONG_PASSES = int32_passes()  # 24 of 50: the small tests and one big one whose sum fits


def call(service, mode: str) -> list[float | None]:
    reward = make_cf_reward(service.url, mode=mode)
    completions = [completion for completion, _ in BATCH.values()]
    return reward(completions, prompts=["Solve 1/A"] * len(BATCH), id=["1/A"] * len(BATCH),
                  language=[language for _, language in BATCH.values()])


def test_pass_fail(cf_service):
    rewards = dict(zip(BATCH, call(cf_service, "pass_fail")))
    assert rewards == {"correct": 1.0, "wrong": 0.0, "compile_error": -0.1, "no_code": -1.0, "too_slow": 0.0,
                       "unknown_language": None}


def test_partial_grades_every_test(cf_service):
    rewards = dict(zip(BATCH, call(cf_service, "partial")))
    assert rewards["correct"] == 1.0 and rewards["compile_error"] == -0.1 and rewards["no_code"] == -1.0
    assert rewards["too_slow"] == 0.0 and rewards["unknown_language"] is None
    # The tests a 32-bit sum gets right count: nothing stopped at the first failure.
    assert 0 < WRONG_PASSES < 50 and rewards["wrong"] == pytest.approx(WRONG_PASSES / 50)


def test_weighted_sum_is_pass_fail_plus_a_tenth_of_partial(cf_service):
    completions = [completion for completion, _ in BATCH.values()]
    reward = make_cf_reward_async(cf_service.url, mode="weighted_sum")
    rewards = dict(zip(BATCH, asyncio.run(reward(completions, id=["1/A"] * len(BATCH),
                                                 language=[language for _, language in BATCH.values()]))))
    assert rewards["correct"] == pytest.approx(1.1)
    assert rewards["wrong"] == pytest.approx(0.1 * WRONG_PASSES / 50)
    assert (rewards["compile_error"], rewards["no_code"], rewards["too_slow"], rewards["unknown_language"]) == (
        -0.1, -1.0, 0.0, None)


def test_details_say_why(cf_service):
    with Client(cf_service.url, timeout=300) as client:
        response = client.reward([{"id": "1/A", "completion": BATCH["unknown_language"][0], "language": "rust"},
                                  {"id": "1/A", "completion": BATCH["no_code"][0], "language": "python"}],
                                 mode="pass_fail")
    unknown, no_code = response.details
    assert (unknown.reward, unknown.status) == (None, "unsupported") and "rust" in unknown.reason
    assert (no_code.reward, no_code.status) == (-1.0, "no_code") and "python" in no_code.reason


def test_the_service_down_gives_none_not_zero():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    reward = make_cf_reward(f"http://127.0.0.1:{port}", mode="weighted_sum")
    assert reward([BATCH["correct"][0]] * 2, id=["1/A"] * 2, language=["cpp"] * 2) == [None, None]
    reward_async = make_cf_reward_async(f"http://127.0.0.1:{port}", mode="pass_fail")
    assert asyncio.run(reward_async([BATCH["correct"][0]], id=["1/A"], language=["cpp"])) == [None]


@pytest.mark.slow
def test_cf_reward_in_a_grpo_trainer_step(cf_service, tmp_path):
    """A real GRPOTrainer step with `cf_reward` in `reward_funcs` unchanged, on the mixed batch
    (scripted completions: see grpo_scripted_step.py), then the same step with the service down."""
    cases = {name: {"completion": completion[0]["content"], "id": "1/A", "language": language}
             for name, (completion, language) in BATCH.items()}
    (tmp_path / "cases.json").write_text(json.dumps(cases))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        down = f"http://127.0.0.1:{probe.getsockname()[1]}"
    env = dict(os.environ, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    run = subprocess.run([str(REPO / ".venv/bin/python"), str(Path(__file__).with_name("grpo_scripted_step.py")),
                          str(tmp_path / "cases.json"), str(tmp_path / "out"), cf_service.url, down],
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    live, unreachable = (json.loads(line.split(" ", 1)[1]) for line in run.stdout.splitlines()
                         if line.startswith("grpo-step-result "))
    expected = {"correct": 1.1, "wrong": 0.1 * WRONG_PASSES / 50, "compile_error": -0.1, "no_code": -1.0,
                "too_slow": 0.0, "unknown_language": None}
    by_case = {completion: reward for completion, reward in zip(live["completions"], live["rewards"])}
    # Two generations of each of the six prompts, each decoded back to its scripted text.
    assert len(live["completions"]) == 2 * len(cases) and set(by_case) == {c["completion"] for c in cases.values()}
    for name, case in cases.items():
        got = by_case[case["completion"]]
        assert (got is None) if expected[name] is None else got == pytest.approx(expected[name]), name
    scored = [value for value in expected.values() if value is not None]
    assert live["step"] == 1 and live["mean"] == pytest.approx(sum(scored) / len(scored))  # None left out
    # Service down: every reward is None (never 0), and the step still runs to its end.
    assert unreachable["step"] == 1 and unreachable["rewards"] == [None] * (2 * len(cases))
    assert unreachable["mean"] is None

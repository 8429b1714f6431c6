"""open-r1's cf_code_reward semantics on /v1/reward, through the real service (HTTP, Redis,
workers, Docker sandboxes), called the way TRL calls a reward function: `cf_reward` (sync and
async) with the `verifiable-prompts` columns `id` and `language`. A mixed batch on the
open-r1-shaped fixture's 1/A (50 tests): correct, wrong on the big tests, compile error, no
code, too slow, a language we do not grade, and the service down."""

from __future__ import annotations

import asyncio
import socket

import pytest

from codeforces_fixture import problem_rows, write_codeforces_fixture
from ioi_grader.client import Client
from ioi_grader.client.reward import make_cf_reward, make_cf_reward_async
from ioi_grader.problems.codeforces import load_codeforces
from live import ServiceProcess
from paths import FIXTURES

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


@pytest.fixture(scope="module")
def cf_service(redis_server, service_root):
    root = service_root / "codeforces"
    files, tests = write_codeforces_fixture(root)
    load_codeforces(str(files), tests, cache_dir=root / "problems")
    data_dir = root / "serve"
    data_dir.mkdir()
    service = ServiceProcess(redis_server, [root / "problems"], data_dir, workers=1, redis_db=9)
    service.start()
    yield service
    service.stop()


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

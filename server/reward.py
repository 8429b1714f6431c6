"""Rewards for RL rollouts, as pure functions: the code a completion holds (found and patched
as open-r1 does), and one float per graded completion according to the reward mode.

Two families of modes, after open-r1's two reward functions:
- `ioi_code_reward` (subtask, problem, tests): the last ```cpp fence, always include-patched;
  no code scores 0, a compilation error 0.
- `cf_code_reward` (pass_fail, partial, weighted_sum): the last fence tagged exactly with the
  row's language, patched only on request; no code scores -1.0, a compilation error -0.1, a
  language we do not grade or a problem without tests None.
"""

from __future__ import annotations

from ..completions import (
    cf_extract_code, cf_patch_code, code_from_completion, completion_text, extract_code, task_header,
)
from ..grading.results import CompileStatus, GradeResult, TestStatus
from ..problems.model import Problem
from ..schemas import RewardMode

__all__ = [
    "COMPILE_ERROR_REWARD", "NO_CODE_REWARD", "RewardMode", "completion_text", "extract_code", "prepare_code",
    "reward_of", "task_header", "tests_passed",
]

NO_CODE_REWARD = -1.0  # cf_code_reward: a completion without code of its language
COMPILE_ERROR_REWARD = -0.1  # cf_code_reward: code that does not compile


def prepare_code(completion, problem: Problem, language: str = "cpp", mode: RewardMode = RewardMode.SUBTASK,
                 patch: bool = False) -> str:
    if mode.codeforces:
        code = cf_extract_code(completion_text(completion), language)
        return cf_patch_code(code, language) if patch else code
    header = task_header([h.name for h in problem.headers], problem.id)
    return code_from_completion(completion, language, header)


def no_code_reward(mode: RewardMode) -> float:
    return NO_CODE_REWARD if mode.codeforces else 0.0


def tests_passed(result: GradeResult) -> tuple[int, int]:
    """(tests that passed, tests graded): a skipped test did not pass."""
    tests = list(result.tests.values())
    return sum(1 for t in tests if t.status is TestStatus.AC), len(tests)


def reward_of(result: GradeResult, mode: RewardMode) -> float | None:
    if mode.codeforces:
        if result.compile.status is CompileStatus.CE:
            return COMPILE_ERROR_REWARD
        passed, total = tests_passed(result)
        if total == 0:
            return None  # nothing to judge by: unscorable, not a zero
        all_passed = 1.0 if passed == total else 0.0
        if mode is RewardMode.PASS_FAIL:
            return all_passed
        if mode is RewardMode.PARTIAL:
            return passed / total
        return all_passed + 0.1 * passed / total
    if result.compile.status is CompileStatus.CE:
        return 0.0
    if mode is RewardMode.PROBLEM and result.max_score > 0:
        return result.score / result.max_score
    tests = list(result.tests.values())
    if not tests:
        return 0.0
    if mode is RewardMode.TESTS:
        return sum(1 for t in tests if t.status is TestStatus.AC) / len(tests)
    # SUBTASK (and PROBLEM on a problem worth nothing): open-r1's fraction, the minimum
    # outcome, unrounded (skipped tests only follow a zero, so they do not change it).
    return min(t.score for t in tests)

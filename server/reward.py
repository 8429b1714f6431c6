"""Rewards for RL rollouts, as pure functions: the code a completion holds (found and patched
as open-r1 does), and one float per graded completion according to the reward mode."""

from __future__ import annotations

from ..completions import code_from_completion, completion_text, extract_code, task_header
from ..grading.results import CompileStatus, GradeResult, TestStatus
from ..problems.model import Problem
from ..schemas import RewardMode

__all__ = ["RewardMode", "completion_text", "extract_code", "prepare_code", "reward_of", "task_header"]


def prepare_code(completion, problem: Problem, language: str = "cpp") -> str:
    header = task_header([h.name for h in problem.headers], problem.id)
    return code_from_completion(completion, language, header)


def reward_of(result: GradeResult, mode: RewardMode) -> float:
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

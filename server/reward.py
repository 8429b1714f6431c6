"""Rewards for RL rollouts, as pure functions: code extraction as open-r1 does it, and one
float per graded completion according to the reward mode (BRIEF §3)."""

from __future__ import annotations

import re
from enum import Enum

from ..grading.results import CompileStatus, GradeResult, TestStatus
from ..problems.model import Problem


class RewardMode(str, Enum):
    SUBTASK = "subtask"  # fraction of the subtask: min of its test outcomes (open-r1's ioi_code_reward)
    PROBLEM = "problem"  # fraction of the problem's points: score / max score
    TESTS = "tests"  # fraction of the graded tests that passed (outcome 1)


_FENCES = {
    "cpp": re.compile(r"```(?:cpp|c\+\+|cc|cxx)[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE),
    "python": re.compile(r"```(?:python|py|python3)[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE),
}


def completion_text(completion) -> str:
    """A completion is a string or a conversation; open-r1 reads the last message's content."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion:
        last = completion[-1]
        content = last.get("content") if isinstance(last, dict) else getattr(last, "content", None)
        return content if isinstance(content, str) else ""
    return ""


def extract_code(text: str, language: str = "cpp") -> str:
    """The last fenced block of the language (open-r1 takes the last ```cpp fence)."""
    pattern = _FENCES["python" if language == "python" else "cpp"]
    matches = pattern.findall(text)
    return matches[-1] if matches else ""


def task_header(header_names: list[str], problem_id: str) -> str | None:
    """The header a contestant includes: `<id>.h` if the task has it, else its only header."""
    headers = [name for name in header_names if name != "testlib.h"]
    if f"{problem_id}.h" in headers:
        return f"{problem_id}.h"
    return headers[0] if len(headers) == 1 else None


def add_includes(code: str, header: str | None) -> str:
    """open-r1's fix for common compile errors: prepend bits/stdc++.h, the task header when
    missing, and `using namespace std;` when the code uses neither it nor `std::`."""
    if not code.strip():
        return code
    prefix = "#include <bits/stdc++.h>\n"
    if header and f'#include "{header}"' not in code:
        prefix += f'#include "{header}"\n'
    if "using namespace std;" not in code and "std::" not in code:
        prefix += "\nusing namespace std;\n\n"
    return prefix + code


def prepare_code(completion, problem: Problem, language: str = "cpp") -> str:
    code = extract_code(completion_text(completion), language)
    if language != "python":
        code = add_includes(code, task_header([h.name for h in problem.headers], problem.id))
    return code


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

"""Every registered task type grades its own self-test task through the plain-process test
double (no Docker): each submission gets exactly the score its self-test says."""

from __future__ import annotations

import pytest
from support import write_task

from ioi_grader.errors import Rejected
from ioi_grader.grading.results import TestStatus
from ioi_grader.grading.submission import Submission
from ioi_grader.problems.tps import load_tps
from ioi_grader.tasktypes import tasktypes

CASES = [(t.name, name) for t in tasktypes for name in t.self_test.solutions]


@pytest.mark.parametrize(("task_type", "solution"), CASES, ids=[f"{t}-{s}" for t, s in CASES])
def test_self_test(fake_grader, tmp_path, task_type, solution):
    plugin = tasktypes.get(task_type)
    problem = load_tps(write_task(tmp_path / "task", dict(plugin.self_test.files)))
    assert problem.task_type.value == task_type
    language, code, score = plugin.self_test.solutions[solution]
    result = fake_grader.grade(problem, Submission(language=language, code=code))
    assert result.compile.status.value == "OK", result.compile.message
    assert result.score == score, [(t.name, t.status.value, t.message) for t in result.tests.values()]
    assert set(result.tests) == set(problem.tests)  # every test ran, once


def test_every_task_type_has_a_self_test_with_full_and_zero_scores():
    for plugin in tasktypes:
        scores = {score for _, _, score in plugin.self_test.solutions.values()}
        assert 0.0 in scores and any(score > 0 for score in scores), plugin.name


def test_batch_with_a_grader_links_the_submission_to_it(fake_grader, tmp_path):
    files = {
        "problem.json": '{"code": "add", "name": "Add", "time_limit": 2, "memory_limit": 268435456,'
                        ' "task_type_params": "{\\"task_type_parameters_Batch_compilation\\": \\"grader\\"}"}',
        "subtasks/01-all.json": '{"score": 10, "testcases": ["1"]}',
        "tests/1.in": "2 3\n", "tests/1.out": "5\n",
        "graders/add.h": "int add(int a, int b);\n",
        "graders/grader.cpp": '#include <cstdio>\n#include "add.h"\n'
                              'int main() { int a, b; scanf("%d %d", &a, &b); printf("%d\\n", add(a, b)); }\n',
    }
    problem = load_tps(write_task(tmp_path / "task", files))
    good = fake_grader.grade(problem, Submission(code='#include "add.h"\nint add(int a, int b) { return a + b; }\n'))
    assert good.score == 10
    bad = fake_grader.grade(problem, Submission(code='#include "add.h"\nint add(int a, int b) { return a * b; }\n'))
    assert bad.score == 0 and bad.subtasks[0].status is TestStatus.WA
    missing = fake_grader.grade(problem, Submission(code="int other() { return 1; }\n"))
    assert missing.compile.status.value == "CE" and "add" in missing.compile.message  # undefined reference
    with pytest.raises(Rejected, match="stdin/stdout"):
        fake_grader.grade(problem, Submission(language="python", code="print(5)"))


def test_communication_user_failures_get_their_own_verdict(fake_grader, tmp_path):
    plugin = tasktypes.get("Communication")
    problem = load_tps(write_task(tmp_path / "task", dict(plugin.self_test.files)))
    crash = fake_grader.grade(problem, Submission(code=plugin.self_test.solutions["crash.cpp"][1]))
    assert {t.status for t in crash.tests.values()} == {TestStatus.RE}
    slow = fake_grader.grade(problem, Submission(
        code='#include "twice.h"\nlong long twice(long long n) { volatile long long x = 0; for (;;) x++; }\n'))
    assert {t.status for t in slow.tests.values()} == {TestStatus.TLE}

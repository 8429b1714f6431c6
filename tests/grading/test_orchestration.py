"""The grader's orchestration through the plain-process test double (no Docker): verdict
ordering, early stop, each test once, the single retry rule, and the contest simulation
over graded results."""

from __future__ import annotations

import pytest
from support import write_task

from ioi_grader.client.simulate import choose, simulate
from ioi_grader.errors import TaskBroken, Transient
from ioi_grader.grading.results import TestStatus
from ioi_grader.grading.submission import GradeOptions, Submission
from ioi_grader.problems.tps import load_tps
from ioi_grader.sandbox.box import SandboxError

# Test "k" asks the solution to behave: 0 answer right, 1 answer wrong, 2 crash, 3 spin.
BEHAVE = """import sys
k = int(sys.stdin.readline())
if k == 1: print(-1)
elif k == 2: raise SystemExit(3)
elif k == 3:
    while True: pass
else: print(k * 10)
"""
FILES = {
    "problem.json": '{"code": "behave", "name": "Behave", "time_limit": 0.5, "memory_limit": 268435456}',
    "subtasks/00-samples.json": '{"score": 0, "testcases": ["ok"]}',
    "subtasks/01-mixed.json": '{"score": 40, "testcases": ["ok", "wrong", "crash", "spin"]}',
    "subtasks/02-clean.json": '{"score": 60, "testcases": ["ok", "ok2"]}',
    "tests/ok.in": "0\n", "tests/ok.out": "0\n",
    "tests/ok2.in": "0\n", "tests/ok2.out": "0\n",
    "tests/wrong.in": "1\n", "tests/wrong.out": "10\n",
    "tests/crash.in": "2\n", "tests/crash.out": "20\n",
    "tests/spin.in": "3\n", "tests/spin.out": "30\n",
}


@pytest.fixture
def behave(tmp_path):
    return load_tps(write_task(tmp_path / "behave", FILES))


def test_a_subtask_shows_its_most_severe_failure(fake_grader, behave):
    ran = []
    from ioi_grader.grading.grader import GradeHooks

    result = fake_grader.grade(behave, Submission(language="python", code=BEHAVE),
                               hooks=GradeHooks(on_test=lambda r: ran.append(r.name)))
    tests = result.tests
    assert (tests["ok"].status, tests["wrong"].status, tests["crash"].status, tests["spin"].status) == (
        TestStatus.AC, TestStatus.WA, TestStatus.RE, TestStatus.TLE)
    assert result.subtask("01-mixed").status is TestStatus.TLE  # TLE > RE > WA among equal outcomes
    assert result.subtask("01-mixed").score == 0 and result.subtask("02-clean").score == 60
    assert result.score == 60
    assert sorted(ran) == sorted(behave.tests)  # "ok" is in three subtasks and ran once


def test_early_stop_skips_only_what_cannot_matter(tmp_path, behave):
    from doubles.fake_sandbox import FakePool
    from ioi_grader.grading.grader import Grader

    grader = Grader(FakePool(tmp_path / "one-box", size=1))  # one box: tests run in order
    try:
        result = grader.grade(behave, Submission(language="python", code=BEHAVE), GradeOptions(early_stop=True))
    finally:
        grader.close()
    tests = result.tests
    assert tests["wrong"].status is TestStatus.WA
    # After the zero, the rest of 01-mixed cannot change its score: not started any more (a test
    # already sent in the same round trip as the zero still runs). 02-clean still runs.
    assert tests["spin"].status is TestStatus.SKIPPED and tests["crash"].status in (TestStatus.RE, TestStatus.SKIPPED)
    assert tests["ok2"].status is TestStatus.AC and result.score == 60


class FlakyBoxes:
    """Wraps the pool so that the first `failures` runs lose their box, as a killed container would."""

    def __init__(self, pool, failures: int, error: Exception):
        self.pool, self.failures, self.error, self.calls = pool, failures, error, 0

    def __getattr__(self, name):
        return getattr(self.pool, name)

    def run_box(self):
        outer = self

        class Box:
            def __enter__(self):
                self.context = outer.pool.run_box()
                box = self.context.__enter__()
                real_run_many = box.run_many

                def run_many(runs, stop_on_failure=True):
                    outer.calls += 1
                    if outer.failures > 0:
                        outer.failures -= 1
                        raise outer.error
                    return real_run_many(runs, stop_on_failure)

                box.run_many = run_many
                self.box = box
                return box

            def __exit__(self, *exc):
                del self.box.run_many
                return self.context.__exit__(*exc)

        return Box()


def test_a_lost_box_is_retried_and_changes_nothing(fake_grader, behave, monkeypatch):
    flaky = FlakyBoxes(fake_grader.pool, failures=2, error=SandboxError("box killed"))
    monkeypatch.setattr(fake_grader, "pool", flaky)
    result = fake_grader.grade(behave, Submission(language="python", code="print(int(input()) * 10)"),
                               GradeOptions(subtasks=["02-clean"]))
    assert result.score == 60 and flaky.calls >= 3


def test_a_box_that_keeps_failing_is_transient_after_bounded_attempts(fake_grader, behave, monkeypatch):
    flaky = FlakyBoxes(fake_grader.pool, failures=100, error=SandboxError("box killed"))
    monkeypatch.setattr(fake_grader, "pool", flaky)
    with pytest.raises(Transient, match="3 times"):
        fake_grader.grade(behave, Submission(language="python", code="print(0)"), GradeOptions(subtasks=["00-samples"]))
    assert flaky.calls == 3


def test_a_broken_task_is_not_retried(fake_grader, behave, monkeypatch):
    flaky = FlakyBoxes(fake_grader.pool, failures=100, error=TaskBroken("the manager crashed"))
    monkeypatch.setattr(fake_grader, "pool", flaky)
    with pytest.raises(TaskBroken):
        fake_grader.grade(behave, Submission(language="python", code="print(0)"), GradeOptions(subtasks=["00-samples"]))
    assert flaky.calls == 1


def batch_record(result, subtask: str, length: int) -> dict:
    """A results.jsonl line as `ioi-grader batch` writes it."""
    return {
        "problem_id": result.problem_id, "subtask": subtask, "compile": result.compile.status.value,
        "generation_length": length, "score": result.score, "max_score": result.max_score,
        "subtasks": [{"name": s.name, "points": s.points, "score": s.score,
                      "fraction": min((t.score for t in s.tests), default=0.0)} for s in result.subtasks],
    }


def test_the_contest_simulation_over_graded_results(fake_grader, behave):
    solves_clean = fake_grader.grade(behave, Submission(language="python", code="print(0)"))
    solves_nothing = fake_grader.grade(behave, Submission(language="python", code="print(-5)"))
    broken = fake_grader.grade(behave, Submission(language="python", code="def (:"))
    assert (solves_clean.score, solves_nothing.score, broken.compile.status.value) == (60, 0, "CE")
    records = [batch_record(solves_nothing, "02-clean", 900), batch_record(solves_clean, "02-clean", 100),
               batch_record(broken, "01-mixed", 50), batch_record(solves_nothing, "01-mixed", 10)]
    picked = choose(records, limit=2)
    # Non-compiling dropped; hardest subtask first; within a bucket the best sample score, then
    # the longest generation; a solved subtask gets no more picks.
    assert [r["subtask"] for r in picked] == ["02-clean", "01-mixed"] or len(picked) == 2
    outcome = simulate(records, limit=50)["behave"]
    assert outcome == {"submissions": 4, "picked": 3, "score": 60, "max_score": 100}

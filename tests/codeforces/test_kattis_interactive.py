"""The interactive guess-the-number Kattis package (tests/fixtures/tasks/kattis-guess: problem.yaml
says `validation: custom interactive`, the validator is output_validators/guess/) through the
real sandbox: the validator started as `validator <input> <judge_answer> <feedback_dir>` and
wired both ways to the solution, exit 42 accepting and 43 rejecting with its judgemessage.txt,
the groups scored as Kattis scores them, and the same package with a Python validator.

The solutions are the Polygon fixture's (tests/fixtures/solutions/cf_guess: the same protocol),
plus a linear search that only fits group1's question budget. Where the verdicts differ from
Polygon's it is the protocol's doing: a Kattis validator only accepts or rejects, so a solution
that exits early is WA (testlib's interactor makes end of file a PE)."""

from __future__ import annotations

import pytest

from cf_tasks import SOLUTIONS as SOLUTION_DIR
from cf_tasks import copy_kattis_guess, describe, grade_solution, statuses
from ioi_grader.checkers import CheckerFailure
from ioi_grader.grading.results import TestStatus
from ioi_grader.grading.submission import GradeOptions, Submission
from ioi_grader.problems.loader import load_problem

pytestmark = pytest.mark.docker

# (folder under tests/fixtures/solutions, file) -> (score, the status of every test that did not pass)
VERDICTS = {
    ("cf_guess", "correct.cpp"): (100.0, TestStatus.AC),
    ("cf_guess", "correct.py"): (100.0, TestStatus.AC),
    # Over 30 questions on group2's big-1 and big-2: rejected, it then reads end of file and exits
    # with code 1, and the rejection (WA) is the verdict, not that exit (RE).
    ("kattis_guess", "linear.cpp"): (30.0, TestStatus.WA),
    ("cf_guess", "wrong.cpp"): (0.0, TestStatus.WA),
    ("cf_guess", "exit_early.cpp"): (0.0, TestStatus.WA),
    ("cf_guess", "never_flush.cpp"): (0.0, TestStatus.IL),
    ("cf_guess", "tle.cpp"): (0.0, TestStatus.TLE),
    ("cf_guess", "garbage.cpp"): (0.0, TestStatus.WA),
}

PYTHON_VALIDATOR = '''"""The package's validator in Python: the same protocol and verdicts as validator.cpp."""
import os
import sys

KATTIS_ACCEPT, KATTIS_REJECT, MAX_QUESTIONS = 42, 43, 30


def main():
    input_path, answer_path, feedback_dir = sys.argv[1:4]
    n, secret = map(int, open(input_path).read().split())
    expected = int(open(answer_path).read())

    def verdict(code, why):
        with open(os.path.join(feedback_dir, "judgemessage.txt"), "w") as feedback:
            feedback.write(why + "\\n")
        sys.exit(code)

    def say(text):
        try:
            print(text, flush=True)
        except BrokenPipeError:
            # What is left in the buffer would fail again at exit and make the exit code 120.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            verdict(KATTIS_REJECT, "the submission stopped reading")

    say(n)
    for asked in range(MAX_QUESTIONS + 1):
        words = sys.stdin.readline().split()
        if not words:
            verdict(KATTIS_REJECT, "end of output before the answer")
        if len(words) != 2 or words[0] not in ("?", "!") or not words[1].isdigit() \\
                or not 1 <= int(words[1]) <= n:
            verdict(KATTIS_REJECT, "expected \\"? y\\" or \\"! y\\" with y in [1, n]")
        y = int(words[1])
        if words[0] == "!":
            if y != expected:
                verdict(KATTIS_REJECT, f"answered {y}, the number was {expected}")
            verdict(KATTIS_ACCEPT, f"found {y} with {asked} question(s)")
        if asked == MAX_QUESTIONS:
            verdict(KATTIS_REJECT, "more than 30 questions")
        say("<" if y < secret else ">" if y > secret else "=")


main()
'''


@pytest.fixture(scope="module")
def guess(tmp_path_factory):
    return load_problem(copy_kattis_guess(tmp_path_factory.mktemp("kattis-guess")))


@pytest.fixture(scope="module")
def python_guess(tmp_path_factory):
    return load_problem(copy_kattis_guess(tmp_path_factory.mktemp("kattis-guess-py"),
                                          validator={"validator.py": PYTHON_VALIDATOR}))


def test_the_package_is_interactive_with_its_validator(guess):
    params = guess.task_params
    assert guess.task_type.value == "Interactive" and params.protocol == "kattis"
    assert params.interactor.name == "interactor.cpp" and "KATTIS_ACCEPT" in params.interactor.content
    assert [f.name for f in params.support] == ["guess_protocol.h"]
    assert (guess.time_limit, guess.memory_limit) == (1.0, 256 << 20)
    assert [(s.name, s.points, s.score_type.value, s.tests) for s in guess.subtasks] == [
        ("sample", 0.0, "GroupMin", ("1",)),
        ("group1", 30.0, "GroupMin", ("small-1", "small-2", "small-3")),
        ("group2", 70.0, "GroupMin", ("big-1", "big-2", "big-3")),
    ]


def options_for(score: float, status: TestStatus) -> GradeOptions | None:
    """Early stop for the zeros (an IL costs its 3 s wall-clock guard per test); the partial and the
    accepted ones are graded in full, so that every test's verdict is checked."""
    return None if status is TestStatus.AC or score else GradeOptions(early_stop=True)


def check_verdict(result, score: float, status: TestStatus) -> None:
    assert result.compile.status.value == "OK", result.compile.message
    assert result.score == score, describe(result)
    if status is TestStatus.AC:
        assert statuses(result) == {TestStatus.AC}, describe(result)
    else:
        failing = [t for t in result.tests.values() if t.status not in (TestStatus.AC, TestStatus.SKIPPED)]
        assert failing and {t.status for t in failing} == {status}, describe(result)
    # No test outlives the solution's wall-clock guard (2 x 1 s + 1) by more than the validator's
    # grace: nothing hangs.
    assert all(t.wall < 3.0 + 2.0 for t in result.tests.values()), describe(result)


@pytest.mark.parametrize(("folder", "name"), list(VERDICTS), ids=[name for _, name in VERDICTS])
def test_solution_verdicts(grader, guess, folder, name):
    score, status = VERDICTS[(folder, name)]
    check_verdict(grade_solution(grader, guess, folder, name, options_for(score, status)), score, status)


def test_the_validators_judge_message_is_the_tests_message(grader, guess):
    result = grade_solution(grader, guess, "kattis_guess", "linear.cpp")
    by_name = {name: (t.status, t.message) for name, t in result.tests.items()}
    assert by_name["small-2"] == (TestStatus.AC, "found 20 with 19 question(s)")
    assert by_name["big-3"] == (TestStatus.AC, "found 1 with 1 question(s)")
    assert by_name["big-1"] == by_name["big-2"] == (TestStatus.WA, "more than 30 questions")
    assert [s.score for s in result.subtasks] == [0.0, 30.0, 0.0]


def test_an_accepted_solution_that_exits_with_an_error_is_re(grader, guess):
    # The validator accepts, then the solution exits with code 3: its own failure, not the validator's.
    correct = (SOLUTION_DIR / "cf_guess" / "correct.cpp").read_text()
    code = correct.replace("fflush(stdout);\n}", "fflush(stdout);\n    return 3;\n}")
    assert code.count("return 3;") == 1
    result = grader.grade(guess, Submission(code=code), GradeOptions(early_stop=True))
    ran = [t for t in result.tests.values() if t.status is not TestStatus.SKIPPED]
    assert result.score == 0.0 and {(t.status, t.message) for t in ran} == {(TestStatus.RE, "Exited with code 3")}


PYTHON_VALIDATOR_CASES = [("cf_guess", "correct.cpp"), ("kattis_guess", "linear.cpp"), ("cf_guess", "exit_early.cpp"),
                          ("cf_guess", "never_flush.cpp")]


@pytest.mark.parametrize(("folder", "name"), PYTHON_VALIDATOR_CASES, ids=[n for _, n in PYTHON_VALIDATOR_CASES])
def test_a_python_validator_judges_the_same(grader, python_guess, folder, name):
    assert python_guess.task_params.interactor.name == "interactor.py"
    score, status = VERDICTS[(folder, name)]
    check_verdict(grade_solution(grader, python_guess, folder, name, options_for(score, status)), score, status)


def test_a_validator_exit_code_other_than_42_or_43_is_the_tasks_fault(grader, tmp_path):
    broken = copy_kattis_guess(tmp_path, validator={"validator.cpp": "int main() { return 0; }\n"})
    correct = (SOLUTION_DIR / "cf_guess" / "correct.cpp").read_text()
    with pytest.raises(CheckerFailure, match=r"exited with 0 \(42 accepts, 43 rejects\)"):
        grader.grade(load_problem(broken), Submission(code=correct), GradeOptions(early_stop=True))

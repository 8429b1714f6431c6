"""The interactive guess-the-number Polygon package, through the real sandbox: the testlib
interactor wired both ways, the checker judging what it wrote to tout, and every way a solution
can misbehave getting its own verdict (IL, WA, PE, TLE), never a hang; a slow or crashing
interactor is the task's fault, never the solution's."""

from __future__ import annotations

import pytest

from cf_tasks import SOLUTIONS as SOLUTION_DIR
from cf_tasks import copy_guess, describe, expected, grade_solution, statuses
from ioi_grader.checkers import CheckerFailure
from ioi_grader.grading.results import TestStatus
from ioi_grader.grading.submission import GradeOptions, Submission
from ioi_grader.problems.loader import load_problem

pytestmark = pytest.mark.docker

SOLUTIONS = expected("cf_guess")


@pytest.fixture(scope="module")
def guess(tmp_path_factory):
    return load_problem(copy_guess(tmp_path_factory.mktemp("guess")))


def test_the_package_is_interactive(guess):
    assert guess.task_type.value == "Interactive" and guess.task_params.protocol == "testlib"
    assert guess.task_params.interactor.name == "interactor.cpp"
    assert [f.name for f in guess.task_params.support] == ["testlib.h"]
    assert guess.checker.kind.value == "testlib" and len(guess.tests) == 10
    assert {(s.path.name, s.verdict, s.expected_score) for s in guess.solutions} == {
        ("correct.cpp", "main", 100.0), ("wrong.cpp", "wrong-answer", 0.0)}


@pytest.mark.parametrize("name", list(SOLUTIONS))
def test_solution_verdicts(grader, guess, name):
    want = SOLUTIONS[name]
    status = TestStatus(want["status"])
    options = None if status is TestStatus.AC else GradeOptions(early_stop=True)
    result = grade_solution(grader, guess, "cf_guess", name, options)
    assert result.score == want["score"], describe(result)
    if status is TestStatus.AC:
        assert statuses(result) == {TestStatus.AC}
    else:
        assert status in statuses(result), describe(result)
        failing = [t for t in result.tests.values() if t.status not in (TestStatus.AC, TestStatus.SKIPPED)]
        assert {t.status for t in failing} == {status}, describe(result)
    # No test outlives the solution's wall-clock guard (2 x 1 s + 1): nothing hangs.
    assert all(t.wall < 3.0 + 1.0 for t in result.tests.values())


def test_cpu_time_is_the_solutions_own(grader, guess):
    result = grade_solution(grader, guess, "cf_guess", "correct.cpp")
    # The interactor's work is not charged: a binary search takes next to no CPU.
    assert max(t.time for t in result.tests.values()) < 0.2, describe(result)


SLOW_INTERACTOR = r"""
#include "testlib.h"
int main(int argc, char *argv[]) {
    registerInteraction(argc, argv);
    volatile unsigned long long x = 1;
    for (;;) x = x * 3 + 1;  // never answers
}
"""
CRASHING_INTERACTOR = r"""
#include "testlib.h"
#include <cstdlib>
int main(int argc, char *argv[]) {
    registerInteraction(argc, argv);
    printf("%lld\n", inf.readLong());
    fflush(stdout);
    ouf.readToken();
    abort();  // a bug of the task's
}
"""


@pytest.mark.parametrize(("source", "message"), [(SLOW_INTERACTOR, "too slow"), (CRASHING_INTERACTOR, "signal 6")],
                         ids=["slow", "crashing"])
def test_a_broken_interactor_is_the_tasks_fault(grader, tmp_path, source, message):
    problem = load_problem(copy_guess(tmp_path, interactor=source))
    correct = (SOLUTION_DIR / "cf_guess" / "correct.cpp").read_text()
    with pytest.raises(CheckerFailure, match=message):  # refused, not hung, and not the solution's 0
        grader.grade(problem, Submission(code=correct), GradeOptions(early_stop=True))


def test_an_interactive_solution_cannot_read_the_interactors_input(grader, guess):
    # It looks for the test's input (which holds the secret) everywhere a process can look.
    code = r"""
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <string>
#include <unistd.h>
static long long n;
// Non-blocking, so that a pipe (its own stdin among them) is tried without waiting on it.
static bool tried(const std::string &path) {
    int fd = open(path.c_str(), O_RDONLY | O_NONBLOCK);
    if (fd < 0) return false;
    char buffer[256] = {0};
    ssize_t got = read(fd, buffer, sizeof buffer - 1);
    close(fd);
    long long a, b;
    if (got > 0 && sscanf(buffer, "%lld %lld", &a, &b) == 2 && a == n) {
        printf("! %lld\n", b); fflush(stdout); return true;
    }
    return false;
}
int main() {
    if (scanf("%lld", &n) != 1) return 1;
    const char *roots[] = {"/io/in", "/io", "/proc/1/fd", "/proc/self/fd", "/scratch/trusted", "/trusted"};
    for (const char *root : roots) {
        DIR *dir = opendir(root);
        if (!dir) continue;
        while (dirent *entry = readdir(dir))
            if (tried(std::string(root) + "/" + entry->d_name)) return 0;
        closedir(dir);
    }
    for (int pid = 1; pid < 4096; ++pid) for (int fd = 0; fd < 16; ++fd)
        if (tried("/proc/" + std::to_string(pid) + "/fd/" + std::to_string(fd))) return 0;
    printf("! 1\n"); fflush(stdout);
}
"""
    result = grader.grade(guess, Submission(code=code))
    # Only the tests whose secret is 1 pass: the input was out of reach.
    passed = {name for name, t in result.tests.items() if t.status is TestStatus.AC}
    secrets = {name: (guess.tests[name].answer.read_text().strip()) for name in guess.tests}
    assert passed == {name for name, secret in secrets.items() if secret == "1"}, describe(result)

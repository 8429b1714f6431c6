"""A submission must not be able to make itself ungradable (issue 9): whatever it does gets a
verdict with 0 points, never a grading error, which RL would read as "no reward either way".

- Output a checker cannot afford is stopped by the sandbox's bounds on stdout before it
  reaches the checker, here a real one that keeps every token in memory (as generic checkers
  do), which a flood used to run out of memory and turn into a GradingError.
- A scratch the supervisor cannot wipe in time is the submission's doing: the test scores RE
  ("Security violation") and the box is replaced, so the next submission grades normally.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from ioi_grader.grading.grader import Grader
from ioi_grader.grading.results import TestStatus
from ioi_grader.grading.submission import GradeOptions, Submission
from ioi_grader.problems.tps import load_tps
from ioi_grader.sandbox import SandboxPool, SandboxSettings
from paths import EXAMPLES, FIXTURES
from test_attacks import SUBTASK, attack_source, sandbox_processes

pytestmark = pytest.mark.docker

# CMS convention: checker <input> <correct output> <contestant output>.
TOKEN_KEEPING_CHECKER = r"""
// Compares the contestant's tokens with the expected ones, reading each file whole into a
// vector first: fine for any real output, gigabytes for a flood of tiny tokens.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>
int main(int argc, char** argv) {
    if (argc < 4) return 1;
    std::ifstream correct(argv[2]), contestant(argv[3]);
    std::vector<std::string> expected, given;
    std::string token;
    while (correct >> token) expected.push_back(token);
    while (contestant >> token) given.push_back(token);
    bool same = given == expected;
    printf("%d\n", same ? 1 : 0);
    fprintf(stderr, "%s\n", same ? "translate:success" : "translate:wrong");
}
"""


@pytest.fixture(scope="module")
def token_keeping_task(tmp_path_factory):
    """aplusb (the examples' copy) judged by TOKEN_KEEPING_CHECKER."""
    folder = tmp_path_factory.mktemp("tasks") / "aplusb"
    source = EXAMPLES / "aplusb"
    folder.mkdir()
    shutil.copy(source / "problem.json", folder / "problem.json")
    for name in ("subtasks", "tests", "graders"):
        os.symlink(source / name, folder / name)
    (folder / "checker").mkdir()
    (folder / "checker" / "checker.cpp").write_text(TOKEN_KEEPING_CHECKER)
    return load_tps(folder)


def correct_solution() -> Submission:
    return Submission(code=(FIXTURES / "solutions" / "aplusb" / "correct.cpp").read_text())


def test_the_token_keeping_checker_judges_real_output(grader, token_keeping_task):
    result = grader.grade(token_keeping_task, correct_solution(), GradeOptions(subtasks=[SUBTASK]))
    assert result.score == 30 and {t.status for t in result.tests.values()} == {TestStatus.AC}


@pytest.mark.parametrize("name", ["checker_long_line", "checker_token_flood"])
def test_output_that_would_exhaust_the_checker_scores_zero(grader, token_keeping_task, name):
    result = grader.grade(token_keeping_task, Submission(code=attack_source(name)), GradeOptions(subtasks=[SUBTASK]))
    assert result.score == 0 and len(result.tests) == 6
    for test in result.tests.values():
        assert test.status is TestStatus.RE, (test.name, test.status, test.message)
        assert test.message == "Output has more than 16777216 tokens"


def test_a_scratch_that_cannot_be_wiped_in_time_scores_re_and_replaces_the_box(state_dir):
    # A budget the 100000 nested directories of `nested_dirs_deep` cannot be wiped within, and
    # that an ordinary run's scratch (a few files at most) never comes near.
    settings = SandboxSettings(state_dir=state_dir, run_boxes=1, scratch_wipe_seconds=0.5)
    aplusb = load_tps(EXAMPLES / "aplusb")
    with SandboxPool(settings) as pool:
        grader = Grader(pool)
        try:
            result = grader.grade(aplusb, Submission(code=attack_source("nested_dirs_deep")),
                                  GradeOptions(subtasks=[SUBTASK]))
            assert result.score == 0 and len(result.tests) == 6
            violations = [t for t in result.tests.values() if t.status is TestStatus.RE]
            assert violations, [(t.name, t.status, t.message) for t in result.tests.values()]
            for test in violations:
                assert test.message.startswith("Security violation: left a scratch directory that cannot be wiped")
            assert {t.status for t in result.tests.values()} <= {TestStatus.RE, TestStatus.TLE}
            assert pool.recycled >= len(violations)  # each such box was replaced
            assert sandbox_processes() == []
            after = grader.grade(aplusb, correct_solution(), GradeOptions(subtasks=[SUBTASK]))
            assert after.score == 30
        finally:
            grader.close()

"""The open-r1/codeforces-shaped parquet fixture (the dataset's exact columns, official tests in
the rows, generated tests in per-contest files) loaded with `load_codeforces` and graded through
the real sandbox: stdio and file I/O, the Python generated_checker, the statement's float
tolerance and any-case YES/NO, -DONLINE_JUDGE (C++17 and C++20), and the refusals (interactive, no
tests)."""

from __future__ import annotations

import re

import pytest

from cf_tasks import describe, expected, grade_solution, statuses
from codeforces_fixture import write_codeforces_fixture
from ioi_grader.grading.results import TestStatus
from ioi_grader.grading.submission import GradeOptions
from ioi_grader.languages import languages
from ioi_grader.problems.codeforces import load_codeforces
from ioi_grader.problems.model import ProblemFormatError

EXPECTED = expected("codeforces")


@pytest.fixture(scope="module")
def fixture_files(tmp_path_factory):
    return write_codeforces_fixture(tmp_path_factory.mktemp("openr1-cf"))


@pytest.fixture(scope="module")
def imported(fixture_files, tmp_path_factory):
    problems, tests = fixture_files
    return load_codeforces(str(problems), tests, cache_dir=tmp_path_factory.mktemp("cf-cache"))


def test_every_gradable_problem_loads_with_its_tests_and_checker(imported):
    problems = imported.problems
    assert sorted(problems) == ["1/A", "2/B", "3/C", "4/D", "5/E"]
    assert len(problems["1/A"].tests) == 3 + 47  # official plus the contest file's generated tests
    assert len(problems["3/C"].tests) == 2 + 8
    assert (problems["2/B"].task_params.input_file, problems["2/B"].task_params.output_file) == (
        "input.txt", "output.txt")
    assert problems["3/C"].checker.kind == "python_checker"
    # Relaxed only as the statement says: exact tokens elsewhere.
    assert problems["1/A"].checker.kind == "tokens" and problems["1/A"].checker.flags == ()
    assert problems["4/D"].checker.flags == ("float_tolerance", "1e-6")
    assert problems["5/E"].checker.flags == ("yes_no_any_case",)
    assert all(p.compile_defines == ("ONLINE_JUDGE",) for p in problems.values())
    assert all((p.time_limit, p.memory_limit) == (1.0, 256 << 20) for p in problems.values())


def test_interactive_and_testless_problems_are_refused_with_the_reason(imported, fixture_files, tmp_path):
    assert "interactor" in imported.refused["6/F"]
    assert "no tests" in imported.refused["7/G"]
    problems, tests = fixture_files
    with pytest.raises(ProblemFormatError, match="7/G cannot be graded: no tests"):
        load_codeforces(str(problems), tests, cache_dir=tmp_path, problem_ids=["7/G"])
    with pytest.raises(ProblemFormatError, match="no such problem"):
        load_codeforces(str(problems), tests, cache_dir=tmp_path, problem_ids=["9/Z"])


def test_without_the_generated_tests_folder_the_official_tests_are_graded_and_noted(fixture_files, tmp_path):
    problems, _ = fixture_files
    alone = load_codeforces(str(problems), None, cache_dir=tmp_path)
    assert len(alone.problems["1/A"].tests) == 3
    assert "47 generated tests" in alone.notes["1/A"]


def test_per_problem_checker_flags_override_the_statement(fixture_files, tmp_path):
    problems, tests = fixture_files
    exact = load_codeforces(str(problems), tests, cache_dir=tmp_path, problem_ids=["4/D"],
                            checker_flags={"4/D": []})
    assert exact.problems["4/D"].checker.flags == ()


CASES = [(problem_id, name) for problem_id, solutions in EXPECTED.items() for name in solutions]


@pytest.mark.docker
@pytest.mark.parametrize(("problem_id", "name"), CASES, ids=[f"{p}-{n}" for p, n in CASES])
def test_solution_verdicts(grader, imported, problem_id, name):
    want = EXPECTED[problem_id][name]
    problem = imported.problems[problem_id]
    result = grade_solution(grader, problem, "codeforces", name, GradeOptions())
    status = TestStatus(want["status"])
    passed = sum(t.status is TestStatus.AC for t in result.tests.values())
    if status is TestStatus.AC:
        assert statuses(result) == {TestStatus.AC} and result.score == 100, describe(result)
    elif status is TestStatus.CE:
        assert result.compile.status.value == "CE" and result.score == 0, (result.compile, describe(result))
    else:
        assert status in statuses(result) and result.score == 0, describe(result)
    if "passed" in want:
        assert passed == want["passed"], describe(result)


def test_cpp20_compiles_as_codeforces_compiles(imported):
    argv = languages.get("cpp20").compile_argv("sum", [], imported.problems["1/A"].compile_defines)
    assert "-std=gnu++20" in argv and "-DONLINE_JUDGE" in argv and "-DEVAL" not in argv


@pytest.mark.docker
def test_a_cpp20_program_is_accepted_under_cpp20_and_a_compile_error_under_cpp17(grader, imported):
    # sum_cpp20.cpp #errors unless ONLINE_JUDGE is defined and EVAL is not.
    problem = imported.problems["1/A"]
    result = grade_solution(grader, problem, "codeforces", "sum_cpp20.cpp", GradeOptions(), language="cpp20")
    assert result.language == "cpp20" and result.compile.status.value == "OK", result.compile.message
    assert statuses(result) == {TestStatus.AC} and len(result.tests) == 50 and result.score == 100, describe(result)
    older = grade_solution(grader, problem, "codeforces", "sum_cpp20.cpp", GradeOptions(), language="cpp17")
    assert older.compile.status.value == "CE" and older.score == 0 and statuses(older) == {TestStatus.CE}
    # Failed on the C++20 features, not on the macros.
    assert re.search(r"error: .consteval. does not name a type", older.compile.message), older.compile.message
    assert "#error" not in older.compile.message

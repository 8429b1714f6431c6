"""The real Polygon package of ../shared (cf-polygon-smallest-amount: 63 tests, no checker or
solutions in it) graded through the real sandbox with the checker and solutions we wrote from its
README: the package's own checker tests give the verdicts problem.xml states, the main solution
(which prints no final newline) passes all 63 tests, the others fail with their verdicts."""

from __future__ import annotations

import warnings

import pytest

from cf_tasks import assemble_smallest_amount, describe, expected, grade_solution, statuses
from ioi_grader.checkers import JudgeContext, conventions
from ioi_grader.grading.results import TestStatus
from ioi_grader.grading.submission import GradeOptions
from ioi_grader.languages import languages
from ioi_grader.problems.loader import load_problem
from ioi_grader.problems.model import TestCase
from ioi_grader.problems.polygon import PolygonWarning

pytestmark = pytest.mark.docker

VERDICTS = {"ok": 1.0, "wrong-answer": 0.0, "presentation-error": 0.0}


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    folder = assemble_smallest_amount(tmp_path_factory.mktemp("polygon"))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        problem = load_problem(folder)
    assert any(issubclass(w.category, PolygonWarning) for w in caught)  # its solutions are not in ../shared
    return folder, problem


def test_the_package_loads_as_codeforces_judges_it(package):
    _, problem = package
    assert problem.id == "min-branch-dfs" and problem.name == "Наименьшая сумма"
    assert (problem.time_limit, problem.memory_limit) == (1.0, 256 << 20)
    assert len(problem.tests) == 63 and [s.points for s in problem.subtasks] == [100.0]
    assert problem.compile_defines == ("ONLINE_JUDGE",)
    assert problem.checker.kind.value == "testlib"
    assert problem.task_params.input_file == "" and problem.task_params.output_file == ""
    assert problem.checker.support == ()  # files/testlib.h is not in ../shared: the image's testlib.h serves


def test_the_checker_gives_the_verdicts_problem_xml_states(grader, package):
    folder, problem = package
    import xml.etree.ElementTree as ElementTree

    tests = ElementTree.parse(folder / "problem.xml").getroot().findall("assets/checker/testset/tests/test")
    programs = grader.programs.programs(problem, languages.get("cpp"))
    context = JudgeContext(problem=problem, checker=programs.checker, judge_box=grader.pool.judge_box)
    base = folder / "files" / "tests" / "checker-tests"
    items = [(TestCase(name=f"{i:02d}", input=base / f"{i:02d}", answer=base / f"{i:02d}.a"), base / f"{i:02d}.o")
             for i in range(1, len(tests) + 1)]
    verdicts = conventions.get("testlib").judge_many(context, items)
    assert [v.outcome for v in verdicts] == [VERDICTS[t.get("verdict")] for t in tests]
    assert [v.status for v in verdicts] == [None, None, None, "PE", None]  # test 04: a 0-byte output


@pytest.mark.parametrize("name", list(expected("smallest_amount")))
def test_solutions(grader, package, name):
    _, problem = package
    want = expected("smallest_amount")[name]
    # A failing solution needs only its first failures to show its verdict.
    options = None if want["status"] == "AC" else GradeOptions(early_stop=True)
    result = grade_solution(grader, problem, "smallest_amount", name, options)
    assert result.score == want["score"], describe(result)
    status = TestStatus(want["status"])
    if status is TestStatus.AC:
        assert statuses(result) == {TestStatus.AC} and len(result.tests) == 63
    else:
        assert status in statuses(result) and result.subtasks[0].status is status, describe(result)

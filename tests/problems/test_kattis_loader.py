"""Kattis package loading: the real IOI 2022 fish data and the format's corners."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

import pytest
from problem_loader_helpers import MakeKattis

from ioi_grader.problems import (
    CheckerKind,
    ProblemDataWarning,
    ProblemFormatError,
    ScoreType,
    load_kattis,
)

FISH_GROUPS = ["sample"] + [f"group{i}" for i in range(1, 9)]
FISH_POINTS = [0, 3, 6, 9, 14, 21, 17, 14, 16]
# Every link of the shared copy resolves: the 16 inputs once missing from the published package
# were regenerated with the task's official generator (see ../shared/README.md).
FISH_MISSING = 0


@pytest.fixture(scope="module")
def fish(shared_data: Path):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        problem = load_kattis(shared_data / "ioi2022-fish")
    return problem, [w for w in caught if issubclass(w.category, ProblemDataWarning)]


def test_fish_limits_and_subtasks(fish) -> None:
    problem, _ = fish
    assert problem.id == "ioi2022-fish"
    assert problem.name == "ioi2022-fish"  # problem.yaml has no name
    assert problem.time_limit == 1.0  # only time_multiplier in the package: the official 1.0 s
    assert problem.memory_limit == 2048 * 1024 * 1024
    assert [s.name for s in problem.subtasks] == FISH_GROUPS
    assert [s.points for s in problem.subtasks] == FISH_POINTS
    assert problem.max_score == 100
    assert all(s.score_type is ScoreType.GROUP_MIN for s in problem.subtasks)
    assert problem.checker.kind is CheckerKind.TOKEN_DIFF and problem.checker.flags == ()
    assert problem.compilation == "alone" and problem.graders == ()


def test_fish_tests_are_deduplicated(fish, shared_data: Path) -> None:
    problem, dropped = fish
    data = shared_data / "ioi2022-fish" / "data"
    files = list(data.rglob("*.in"))
    assert len(files) == 210  # every group stores its own copy (or link) of each test
    members = sum(len(s.tests) for s in problem.subtasks)
    assert members == len(files) - FISH_MISSING
    # One test per distinct data file: exactly the files that hold data rather than a link.
    real = [f for f in files if not f.read_bytes().startswith(b"../")]
    assert len(problem.tests) == len(real) == 72
    assert [len(s.tests) for s in problem.subtasks] == [1, 6, 17, 8, 15, 27, 37, 27, 72 - FISH_MISSING]
    shared = "002-firstcolumnoftwocolumns-01"
    assert [s.name for s in problem.subtasks if shared in s.tests] == ["group1", "group2", "group8"]
    assert problem.tests[shared].input.resolve() == (data / "secret" / "group1" / f"{shared}.in").resolve()
    # The group copies of the sample link to it: the sample is run once.
    assert "1" in problem.subtask("group4").tests and "001-1" not in problem.tests
    for test in problem.tests.values():
        assert test.answer is not None
        assert not test.input.read_bytes().startswith(b"../"), test.name
    assert dropped == []  # nothing dangles, so nothing is dropped
    assert "006-sumall-01" in problem.subtask("group1").tests and "006-sumall-01" in problem.subtask("group8").tests


def test_fish_strict_loads_the_complete_data(fish, shared_data: Path) -> None:
    strict = load_kattis(shared_data / "ioi2022-fish", strict=True)
    assert [s.tests for s in strict.subtasks] == [s.tests for s in fish[0].subtasks]


def test_strict_refuses_a_link_to_missing_data(make_kattis: MakeKattis) -> None:
    folder = make_kattis(
        groups={"group8": ({"t": ("1\n", "1\n"), "gone": ("../group9/gone.in", "../group9/gone.ans")},
                           "accept_score: 5\n")}
    )
    with pytest.raises(ProblemFormatError) as info:
        load_kattis(folder, strict=True)
    assert info.value.path.parent.name == "group8" and "test data missing" in str(info.value)


def test_fish_explicit_limits_win(shared_data: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ProblemDataWarning)
        problem = load_kattis(shared_data / "ioi2022-fish", time_limit=2.5, memory_limit=512)
        in_bytes = load_kattis(shared_data / "ioi2022-fish", memory_limit=3 * 1024**3)
    assert problem.time_limit == 2.5 and problem.memory_limit == 512 * 1024**2
    assert in_bytes.memory_limit == 3 * 1024**3


def test_same_name_different_content_is_qualified(make_kattis: MakeKattis) -> None:
    folder = make_kattis(
        groups={
            "group1": ({"t": ("1\n", "1\n"), "u": ("7\n", "7\n")}, "accept_score: 10\ngrader_flags: min\n"),
            "group2": ({"t": ("2\n", "2\n"), "u": ("7\n", "7\n")}, "accept_score: 20\ngrader_flags: min\n"),
        }
    )
    problem = load_kattis(folder)
    assert problem.subtask("group1").tests == ("t", "u")
    assert problem.subtask("group2").tests == ("group2/t", "u")  # identical "u" copies are one test
    assert problem.tests["group2/t"].input.read_text() == "2\n"
    assert list(problem.tests) == ["1", "t", "u", "group2/t"]


def test_natural_group_order_sum_groups_and_inheritance(make_kattis: MakeKattis) -> None:
    groups = {
        f"group{i}": ({f"t{i}a": (f"{i}\n", "x\n"), f"t{i}b": (f"{i}b\n", "x\n")}, f"accept_score: {i}\n")
        for i in (1, 2, 10)
    }
    groups["group2"] = (groups["group2"][0], "accept_score: 2\ngrader_flags: min\n")
    folder = make_kattis(groups=groups, secret_yaml="grader_flags: first_error\n")
    problem = load_kattis(folder)
    assert [s.name for s in problem.subtasks] == ["sample", "group1", "group2", "group10"]
    g1, g2, g10 = problem.subtasks[1:]
    # Without `min`, Kattis sums its tests: each is worth accept_score.
    assert g1.score_type is ScoreType.SUM and g1.points == 2 * 1
    assert g2.score_type is ScoreType.GROUP_MIN and g2.points == 2
    assert g10.score_type is ScoreType.SUM and g10.points == 2 * 10
    # A group without its own grader_flags inherits the parent's (here: no `min`).
    inherited = make_kattis(
        name="inherit",
        groups={"g": ({"a": ("1\n", "1\n"), "b": ("2\n", "2\n")}, "accept_score: 5\n")},
        secret_yaml="grader_flags: min\n",
    )
    sub = load_kattis(inherited).subtask("g")
    assert sub.score_type is ScoreType.GROUP_MIN and sub.points == 5


def test_ungrouped_secret_names_and_limits(make_kattis: MakeKattis) -> None:
    folder = make_kattis(
        problem_yaml=(
            "name:\n  sv: Fisk\n  en: Fish\n"
            "limits:\n  time_limit: 3\n  memory: 256\n"
            "validator_flags: float_tolerance 1e-6\n"
        ),
        groups={"": ({"x": ("1\n", "1\n"), "y": ("2\n", "2\n")}, "")},
        sample={},
    )
    problem = load_kattis(folder)
    assert problem.name == "Fish"
    assert problem.time_limit == 3.0 and problem.memory_limit == 256 * 1024**2
    assert [(s.name, s.points, s.score_type) for s in problem.subtasks] == [("secret", 2.0, ScoreType.SUM)]
    assert problem.checker.flags == ("float_tolerance", "1e-6")


def test_timelimit_file_and_first_language(make_kattis: MakeKattis) -> None:
    folder = make_kattis(problem_yaml="name: {sv: Fisk}\n", files={".timelimit": "1.5\n"})
    problem = load_kattis(folder)
    assert problem.name == "Fisk" and problem.time_limit == 1.5
    assert problem.memory_limit == 1024 * 1024**2  # Kattis default


def test_include_graders_and_submissions(make_kattis: MakeKattis) -> None:
    folder = make_kattis(
        files={
            "include/cpp/grader.cpp": "g",
            "include/cpp/kpkg.h": "h",
            "include/cpp/run.sh": "sh",
            "submissions/accepted/ok.cpp": "",
            "submissions/wrong_answer/wa.py": "",
        }
    )
    problem = load_kattis(folder)
    assert problem.compilation == "grader"
    assert [f.name for f in problem.graders] == ["grader.cpp", "kpkg.h"]
    verdicts = {s.path.name: (s.verdict, s.expected_score) for s in problem.solutions}
    assert verdicts == {"ok.cpp": ("accepted", 40.0), "wa.py": ("wrong_answer", None)}


def test_real_symlinks_are_one_test(make_kattis: MakeKattis) -> None:
    folder = make_kattis(
        groups={
            "group1": ({"t": ("1\n", "1\n")}, "accept_score: 10\ngrader_flags: min\n"),
            "group2": ({}, "accept_score: 20\ngrader_flags: min\n"),
        }
    )
    group2 = folder / "data" / "secret" / "group2"
    os.symlink("../group1/t.in", group2 / "renamed.in")
    os.symlink("../group1/t.ans", group2 / "renamed.ans")
    problem = load_kattis(folder)
    assert problem.subtask("group2").tests == ("t",)


def test_output_validators_are_refused(make_kattis: MakeKattis) -> None:
    folder = make_kattis(files={"output_validators/check/check.cpp": "int main(){}"})
    with pytest.raises(ProblemFormatError, match="custom Kattis output validators are supported for interactive problems only") as info:
        load_kattis(folder)
    assert info.value.field == "output_validators"


def test_stub_to_missing_data_drops_with_warning(make_kattis: MakeKattis) -> None:
    folder = make_kattis(
        groups={
            "group1": (
                {"t": ("1\n", "1\n"), "gone": ("../group9/gone.in", "../group9/gone.ans")},
                "accept_score: 5\n",
            )
        }
    )
    with pytest.warns(ProblemDataWarning, match="gone.in"):
        problem = load_kattis(folder)
    assert problem.subtask("group1").tests == ("t",)

"""TPS export loading: the real IOI 2024 aplusb data and the format's corners."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from problem_loader_helpers import APLUSB_H, CHECKER_CPP, GRADER_CPP, MakeTps, write

from ioi_grader.problems import (
    CheckerKind,
    Language,
    ProblemFormatError,
    ScoreType,
    TaskType,
    UserIO,
    load_tps,
)

COMM_PARAMS = {
    "task_type_parameters_Communication_num_processes": 2,
    "task_type_parameters_Communication_user_io": "fifo_io",
    "task_type_parameters_Communication_manager_args": ["--seed", "7"],
}


def test_raw_shared_aplusb_fails_naming_the_missing_grader(shared_data: Path) -> None:
    with pytest.raises(ProblemFormatError) as info:
        load_tps(shared_data / "ioi2024-aplusb")
    assert info.value.path.name == "grader.cpp" and info.value.path.parent.name == "graders"
    assert "graders/grader.cpp" in str(info.value)
    assert info.value.field == "task_type_params"


def test_aplusb(aplusb: Path) -> None:
    problem = load_tps(aplusb)
    assert problem.id == "aplusb" and problem.name == "A + B"
    assert problem.task_type is TaskType.BATCH and problem.communication is None
    assert problem.time_limit == 1.0
    assert problem.memory_limit == 2 * 1024**3
    assert problem.score_precision == 2
    assert [s.name for s in problem.subtasks] == ["00-samples", "01-smallAB", "02-bZero", "03-full"]
    assert [s.points for s in problem.subtasks] == [0, 20, 30, 50]
    assert [len(s.tests) for s in problem.subtasks] == [2, 10, 6, 17]
    assert all(s.score_type is ScoreType.GROUP_MIN for s in problem.subtasks)
    assert problem.max_score == 100
    # Tests are shared between subtasks: 2+10+6+17 = 35 memberships, 17 distinct tests (34 files).
    assert len(problem.tests) == 17 == len(list((aplusb / "tests").glob("*.in")))
    assert list(problem.tests) == problem.unique_tests()
    assert list(problem.tests)[:4] == ["0-01", "0-02", "1-01", "1-02"]
    test = problem.tests["0-01"]
    assert test.input.read_text() == "TYv1tXn9bbd1pidxKjU7LZiPKbwtMK8q\n1 1\n"
    assert test.answer is not None and test.answer.read_text().splitlines() == [
        "zX1mLX7DidLevjch8wEUpdRnPEZgvTmq",
        "OK",
        "2",
    ]
    assert problem.compilation == "grader"
    assert {f.name: f.content for f in problem.graders} == {"aplusb.h": APLUSB_H, "grader.cpp": GRADER_CPP}
    assert [f.name for f in problem.headers] == ["aplusb.h"]
    assert problem.checker.kind is CheckerKind.CMS
    assert problem.checker.source is not None and problem.checker.source.content == CHECKER_CPP
    assert problem.origin == str(aplusb.absolute())
    assert problem.year is None


def test_manager_is_never_a_grader_and_other_files_are_ignored(make_tps: MakeTps) -> None:
    folder = make_tps(
        meta={"task_type": "Communication", "task_type_params": json.dumps(COMM_PARAMS)},
        tests={"s1": ("1\n", None), "t1": ("2\n", "")},
        files={
            "graders/stub.cpp": "stub",
            "graders/tiny.h": "h",
            "graders/manager.cpp": "SECRET manager",
            "graders/tiny.cpp": "template the contestant replaces",
            "graders/grader.java": "java",
            "graders/compile_cpp.sh": "sh",
            "graders/testlib.h": "testlib",
        },
    )
    problem = load_tps(folder)
    assert problem.task_type is TaskType.COMMUNICATION
    assert [f.name for f in problem.graders] == ["stub.cpp", "testlib.h", "tiny.h"]
    assert all("SECRET" not in f.content for f in problem.graders)
    comm = problem.communication
    assert comm is not None
    assert comm.manager.name == "manager.cpp" and comm.manager.content == "SECRET manager"
    assert comm.num_processes == 2 and comm.user_io is UserIO.FIFO_IO
    assert comm.manager_args == ("--seed", "7")
    # Communication tests may lack an answer.
    assert problem.tests["s1"].answer is None
    assert problem.tests["t1"].answer is not None


def test_communication_defaults(make_tps: MakeTps) -> None:
    folder = make_tps(
        meta={"task_type": "Communication", "task_type_params": "{}"},
        files={"graders/stub.cpp": "stub", "graders/manager.cpp": "m"},
    )
    comm = load_tps(folder).communication
    assert (
        comm is not None
        and comm.num_processes == 1
        and comm.user_io is UserIO.STD_IO
        and comm.manager_args == ()
    )


def test_checker_conventions(make_tps: MakeTps) -> None:
    files = {"checker/checker.cpp": "chk", "checker/testlib.h": "tl", "checker/README.md": "x"}
    testlib = load_tps(make_tps(meta={"checker_convention": "testlib"}, files=files)).checker
    assert testlib.kind is CheckerKind.TESTLIB
    assert testlib.source is not None and testlib.source.name == "checker.cpp"
    assert [f.name for f in testlib.support] == ["testlib.h"]
    assert load_tps(make_tps(files=files)).checker.kind is CheckerKind.CMS
    plain = load_tps(make_tps()).checker
    assert plain.kind is CheckerKind.WHITE_DIFF and plain.source is None
    token = load_tps(
        make_tps(meta={"checker_convention": "token_diff", "checker_flags": ["case_sensitive"]})
    ).checker
    assert token.kind is CheckerKind.TOKEN_DIFF and token.flags == ("case_sensitive",)


def test_memory_limit_in_mib_and_defaults(make_tps: MakeTps) -> None:
    # Older TPS exports state MiB: anything below 65536 cannot be bytes.
    problem = load_tps(make_tps(meta={"memory_limit": 256, "score_precision": None, "name": None}))
    assert problem.memory_limit == 256 * 1024 * 1024
    assert problem.score_precision == 2
    assert problem.name == "tiny"
    assert problem.compilation == "alone"


def test_tests_order_first_appearance_then_sorted(make_tps: MakeTps) -> None:
    folder = make_tps(
        subtasks={
            "00-a": {"score": 10, "testcases": ["z", "m"]},
            "01-b": {"score": 90, "testcases": ["m", "c"]},
        },
        tests={name: (f"{name}\n", f"{name}\n") for name in ["c", "m", "z", "extra2", "extra1"]},
    )
    problem = load_tps(folder)
    assert list(problem.tests) == ["z", "m", "c", "extra1", "extra2"]


def test_solutions(make_tps: MakeTps) -> None:
    folder = make_tps(
        files={
            "solutions/correct/full.cpp": "",
            "solutions/time_limit/slow.py": "",
            "solutions/wrong/notes.txt": "",
            "solutions/flat.cpp": "",
            "solutions/override.cpp": "",
            "solutions.json": json.dumps(
                {"flat.cpp": {"verdict": "model_solution"}, "override.cpp": {"verdict": "incorrect"}}
            ),
        }
    )
    solutions = {s.path.name: s for s in load_tps(folder).solutions}
    assert set(solutions) == {"full.cpp", "slow.py", "flat.cpp", "override.cpp"}
    assert solutions["full.cpp"].verdict == "correct" and solutions["full.cpp"].expected_score == 100
    assert solutions["flat.cpp"].verdict == "model_solution" and solutions["flat.cpp"].expected_score == 100
    assert solutions["slow.py"].language is Language.PYTHON and solutions["slow.py"].expected_score is None
    assert (
        solutions["override.cpp"].verdict == "incorrect" and solutions["override.cpp"].expected_score is None
    )


def test_link_stub_tests_are_followed(make_tps: MakeTps) -> None:
    # A symlink checked out as a text file must not become the test's input.
    folder = make_tps(tests={"s1": ("1 2\n", "3\n"), "t1": ("../tests/s1.in", "../tests/s1.out")})
    problem = load_tps(folder)
    assert problem.tests["t1"].input.read_text() == "1 2\n"
    assert problem.tests["t1"].answer is not None and problem.tests["t1"].answer.read_text() == "3\n"


def test_subtask_name_extension_and_nested_test_names(make_tps: MakeTps) -> None:
    folder = make_tps(
        subtasks={"00-group10": {"name": "group10", "score": 5, "testcases": ["group10/a"]}},
        tests={"group10/a": ("1\n", "1\n")},
    )
    problem = load_tps(folder)
    assert [s.name for s in problem.subtasks] == ["group10"]
    assert list(problem.tests) == ["group10/a"]


def test_link_stub_pointing_outside_the_package_is_refused(make_tps: MakeTps, tmp_path: Path) -> None:
    write(tmp_path / "outside.in", "secret\n")
    folder = make_tps(tests={"s1": ("1\n", "1\n"), "t1": ("../../outside.in", "1\n")})
    with pytest.raises(ProblemFormatError, match="outside the package"):
        load_tps(folder)


def test_subtask_score_types_come_from_the_registry(make_tps: MakeTps) -> None:
    subtasks = {"00-a": {"score": 10, "testcases": ["s1"], "score_type": "GroupMul"},
                "01-b": {"score": 10, "testcases": ["s1"]}}
    problem = load_tps(make_tps(subtasks=subtasks))
    assert [s.score_type.value for s in problem.subtasks] == ["GroupMul", "GroupMin"]
    with pytest.raises(ProblemFormatError, match="unknown score type 'Best'") as info:
        load_tps(make_tps(subtasks={"00-a": {"score": 1, "testcases": ["s1"], "score_type": "Best"}}))
    assert info.value.field == "score_type"

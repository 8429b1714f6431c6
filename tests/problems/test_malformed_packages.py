"""Malformed packages: every error is a ProblemFormatError naming the file and the field."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from problem_loader_helpers import MakeKattis, MakeTps, write

from ioi_grader.problems import ProblemFormatError, load_kattis, load_problem, load_tps

COMM = {"task_type": "Communication"}


def _comm(params: dict[str, Any]) -> dict[str, Any]:
    return {**COMM, "task_type_params": json.dumps(params)}


COMM_FILES = {"graders/stub.cpp": "s", "graders/manager.cpp": "m"}

# (id, make_tps kwargs or a mutator of the folder, expected file (relative), expected field, text in message)
TPS_CASES: list[tuple[str, dict[str, Any], str, str | None, str]] = [
    ("time_limit-string", {"meta": {"time_limit": "fast"}}, "problem.json", "time_limit", "'fast'"),
    ("time_limit-zero", {"meta": {"time_limit": 0}}, "problem.json", "time_limit", "positive"),
    ("time_limit-bool", {"meta": {"time_limit": True}}, "problem.json", "time_limit", "expected"),
    ("time_limit-missing", {"meta": {"time_limit": None}}, "problem.json", "time_limit", "missing"),
    ("code-missing", {"meta": {"code": None}}, "problem.json", "code", "missing"),
    ("code-unsafe", {"meta": {"code": "../evil"}}, "problem.json", "code", "not a valid problem code"),
    ("memory-list", {"meta": {"memory_limit": [1]}}, "problem.json", "memory_limit", "expected"),
    ("memory-negative", {"meta": {"memory_limit": -5}}, "problem.json", "memory_limit", "positive"),
    (
        "memory-fractional-bytes",
        {"meta": {"memory_limit": 100000.5}},
        "problem.json",
        "memory_limit",
        "whole",
    ),
    ("precision", {"meta": {"score_precision": 99}}, "problem.json", "score_precision", "between"),
    (
        "task_type-unknown",
        {"meta": {"task_type": "OutputOnly"}},
        "problem.json",
        "task_type",
        "unknown task type",
    ),
    (
        "params-not-json",
        {"meta": {"task_type_params": "{compilation: grader"}},
        "problem.json",
        "task_type_params",
        "not valid JSON",
    ),
    (
        "params-not-object",
        {"meta": {"task_type_params": "[1, 2]"}},
        "problem.json",
        "task_type_params",
        "JSON object",
    ),
    (
        "compilation-bad",
        {"meta": {"task_type_params": json.dumps({"task_type_parameters_Batch_compilation": "stub"})}},
        "problem.json",
        "task_type_params.task_type_parameters_Batch_compilation",
        "'grader' or 'alone'",
    ),
    (
        "compilation-grader-missing",
        {"meta": {"task_type_params": json.dumps({"task_type_parameters_Batch_compilation": "grader"})}},
        "graders/grader.cpp",
        "task_type_params",
        "graders/grader.cpp is missing",
    ),
    (
        "checker-convention",
        {"meta": {"checker_convention": "kattis"}, "files": {"checker/checker.cpp": "c"}},
        "problem.json",
        "checker_convention",
        "'cms' or 'testlib'",
    ),
    (
        "testlib-without-source",
        {"meta": {"checker_convention": "testlib"}},
        "checker/checker.cpp",
        "checker_convention",
        "needs checker/checker.cpp",
    ),
    (
        "subtask-unknown-test",
        {"subtasks": {"00-a": {"score": 10, "testcases": ["s1", "nope"]}}},
        "subtasks/00-a.json",
        "testcases",
        "tests/nope.in does not exist",
    ),
    (
        "subtask-score-string",
        {"subtasks": {"00-a": {"score": "ten", "testcases": ["s1"]}}},
        "subtasks/00-a.json",
        "score",
        "expected a number",
    ),
    (
        "subtask-score-negative",
        {"subtasks": {"00-a": {"score": -1, "testcases": ["s1"]}}},
        "subtasks/00-a.json",
        "score",
        ">= 0",
    ),
    (
        "subtask-testcases-missing",
        {"subtasks": {"00-a": {"score": 1}}},
        "subtasks/00-a.json",
        "testcases",
        "missing",
    ),
    (
        "subtask-testcases-ints",
        {"subtasks": {"00-a": {"score": 1, "testcases": [1, 2]}}},
        "subtasks/00-a.json",
        "testcases",
        "strings",
    ),
    (
        "subtask-bad-json",
        {"subtasks": {"00-a": '{"score": 1,\n "testcases": ["s1",]}'}},
        "subtasks/00-a.json",
        None,
        "line 2",
    ),
    (
        "subtask-duplicate-name",
        {
            "subtasks": {
                "00-a": {"score": 1, "testcases": ["s1"]},
                "01-b": {"name": "00-a", "score": 1, "testcases": ["s1"]},
            }
        },
        "problem.json",
        None,
        "unique",
    ),
    ("no-subtasks", {"subtasks": {}}, "subtasks", "subtasks", "subtasks/NN-name.json"),
    (
        "in-without-out",
        {"tests": {"s1": ("1\n", "1\n"), "t1": ("2\n", None)}},
        "tests/t1.out",
        "tests",
        "no .out",
    ),
    (
        "comm-no-manager",
        {"meta": _comm({}), "files": {"graders/stub.cpp": "s"}},
        "graders/manager.cpp",
        "task_type",
        "manager",
    ),
    (
        "comm-no-stub",
        {"meta": _comm({}), "files": {"graders/manager.cpp": "m"}},
        "graders/stub.cpp",
        "task_type",
        "stub.cpp",
    ),
    (
        "comm-processes",
        {"meta": _comm({"task_type_parameters_Communication_num_processes": 0}), "files": COMM_FILES},
        "problem.json",
        "task_type_params.task_type_parameters_Communication_num_processes",
        "between 1 and 8",
    ),
    (
        "comm-user-io",
        {"meta": _comm({"task_type_parameters_Communication_user_io": "pipes"}), "files": COMM_FILES},
        "problem.json",
        "task_type_params.task_type_parameters_Communication_user_io",
        "std_io",
    ),
    (
        "solutions-json",
        {"files": {"solutions.json": json.dumps({"a.cpp": "correct"})}},
        "solutions.json",
        "a.cpp",
        "verdict",
    ),
    ("grader-not-utf8", {"files": {"checker/checker.cpp": "x"}}, "checker/checker.cpp", None, "not UTF-8"),
]


@pytest.mark.parametrize("case", TPS_CASES, ids=[c[0] for c in TPS_CASES])
def test_tps_errors_name_file_and_field(make_tps: MakeTps, case) -> None:
    name, kwargs, file, field, text = case
    folder = make_tps(**kwargs)
    if name == "grader-not-utf8":
        (folder / "checker" / "checker.cpp").write_bytes(b"// caf\xe9\n")
    with pytest.raises(ProblemFormatError) as info:
        load_tps(folder)
    error = info.value
    assert error.path == (folder / file).absolute(), str(error)
    assert error.field == field, str(error)
    assert text in str(error)
    assert str(folder / file) in str(error) or str((folder / file).absolute()) in str(error)
    if field:
        assert repr(field) in str(error)


def test_tps_missing_problem_json(tmp_path: Path) -> None:
    (tmp_path / "task").mkdir()
    with pytest.raises(ProblemFormatError, match="missing problem.json") as info:
        load_tps(tmp_path / "task")
    assert info.value.path.name == "problem.json"


def test_tps_bad_json_names_the_line(make_tps: MakeTps) -> None:
    folder = make_tps()
    (folder / "problem.json").write_text('{\n  "code": "x",\n  "time_limit": 1.0\n  "memory_limit": 5\n}\n')
    with pytest.raises(ProblemFormatError, match="line 4") as info:
        load_tps(folder)
    assert info.value.path.name == "problem.json"


KATTIS_CASES: list[tuple[str, Callable[[Path], None], str, str | None, str]] = [
    (
        "yaml-syntax",
        lambda f: write(f / "problem.yaml", "name: x\nlimits: [1,\n  memory: 3\n"),
        "problem.yaml",
        None,
        "line",
    ),
    ("yaml-not-mapping", lambda f: write(f / "problem.yaml", "- a\n- b\n"), "problem.yaml", None, "mapping"),
    (
        "memory-string",
        lambda f: write(f / "problem.yaml", "limits:\n  memory: lots\n"),
        "problem.yaml",
        "memory",
        "expected a number",
    ),
    (
        "time-string",
        lambda f: write(f / "problem.yaml", "limits:\n  time_limit: fast\n"),
        "problem.yaml",
        "time_limit",
        "'fast'",
    ),
    (
        "limits-list",
        lambda f: write(f / "problem.yaml", "limits: [1]\n"),
        "problem.yaml",
        "limits",
        "mapping",
    ),
    ("name-list", lambda f: write(f / "problem.yaml", "name: [a, b]\n"), "problem.yaml", "name", "string"),
    (
        "validation-custom",
        lambda f: write(f / "problem.yaml", "validation: custom\n"),
        "problem.yaml",
        "validation",
        "not supported",
    ),
    (
        "timelimit-file",
        lambda f: write(f / ".timelimit", "soon\n"),
        ".timelimit",
        "time_limit",
        "number of seconds",
    ),
    (
        "accept-score",
        lambda f: write(f / "data/secret/group1/testdata.yaml", "accept_score: lots\n"),
        "data/secret/group1/testdata.yaml",
        "accept_score",
        "expected a number",
    ),
    (
        "validator-flags-unbalanced-quote",
        lambda f: write(f / "problem.yaml", "validator_flags: \"float_tolerance '1e-6\"\n"),
        "problem.yaml",
        "validator_flags",
        "cannot be split into flags",
    ),
    (
        "grader-flags-trailing-backslash",
        lambda f: write(f / "data/secret/group1/testdata.yaml", "grader_flags: \"min \\\\\"\n"),
        "data/secret/group1/testdata.yaml",
        "grader_flags",
        "cannot be split into flags",
    ),
    (
        "testdata-yaml-syntax",
        lambda f: write(f / "data/secret/group1/testdata.yaml", "accept_score: 1\n  x: [\n"),
        "data/secret/group1/testdata.yaml",
        None,
        "invalid YAML at line",
    ),
    (
        "in-without-ans",
        lambda f: (f / "data/secret/group1/a.ans").unlink(),
        "data/secret/group1/a.ans",
        "data",
        "no .ans",
    ),
    ("no-secret", lambda f: __import__("shutil").rmtree(f / "data/secret"), "data/secret", "data", "missing"),
    ("empty-group", lambda f: (f / "data/secret/group2").mkdir(), "data/secret/group2", "data", "no tests"),
    (
        "no-problem-yaml",
        lambda f: (f / "problem.yaml").unlink(),
        "problem.yaml",
        None,
        "missing problem.yaml",
    ),
]


@pytest.mark.parametrize("case", KATTIS_CASES, ids=[c[0] for c in KATTIS_CASES])
def test_kattis_errors_name_file_and_field(make_kattis: MakeKattis, case) -> None:
    _, mutate, file, field, text = case
    folder = make_kattis()
    mutate(folder)
    with pytest.raises(ProblemFormatError) as info:
        load_kattis(folder)
    error = info.value
    assert error.path == (folder / file).absolute(), str(error)
    assert error.field == field, str(error)
    assert text in str(error)


def test_no_marker_file(tmp_path: Path) -> None:
    with pytest.raises(ProblemFormatError, match="missing problem.json .* or problem.yaml"):
        load_problem(tmp_path)


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**40), 2**40)
    | st.floats(allow_nan=True)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)
FIELDS = [
    "code",
    "name",
    "time_limit",
    "memory_limit",
    "score_precision",
    "task_type",
    "task_type_params",
    "checker_convention",
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(FIELDS), value=JSON_VALUES)
def test_any_problem_json_value_is_loaded_or_refused_cleanly(
    make_tps: MakeTps, field: str, value: Any
) -> None:
    """No KeyError/TypeError/ValidationError escapes, whatever a field holds."""
    folder = make_tps(meta={field: value} if value is not None else {field: None})
    try:
        load_tps(folder)
    except ProblemFormatError as error:
        assert error.path.name in {"problem.json", "grader.cpp", "stub.cpp", "manager.cpp", "checker.cpp"}


FINITE_AND_NOT = st.sampled_from([float("inf"), float("-inf"), float("nan"), -1, 0, 1e308, 2**70])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(field=st.sampled_from(["time_limit", "memory_limit"]), value=FINITE_AND_NOT | JSON_VALUES)
def test_limits_edge_values_are_refused_cleanly(make_tps: MakeTps, field: str, value: Any) -> None:
    folder = make_tps(meta={field: value})
    try:
        problem = load_tps(folder)
    except ProblemFormatError as error:
        assert error.field == field
    else:
        assert problem.time_limit > 0 and problem.memory_limit > 0


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(key=st.sampled_from(["score", "testcases", "name"]), value=FINITE_AND_NOT | JSON_VALUES)
def test_any_subtask_value_is_loaded_or_refused_cleanly(make_tps: MakeTps, key: str, value: Any) -> None:
    data: dict[str, Any] = {"score": 10, "testcases": ["s1"], key: value}
    folder = make_tps(subtasks={"00-a": json.dumps(data)})
    try:
        load_tps(folder)
    except ProblemFormatError as error:
        assert error.path.name in {"00-a.json", "problem.json"}


YAML_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | st.floats() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    key=st.sampled_from(
        [
            "name",
            "limits",
            "validator_flags",
            "validation",
            "limits.memory",
            "limits.time_limit",
            "accept_score",
            "grader_flags",
        ]
    ),
    value=YAML_VALUES,
)
def test_any_kattis_value_is_loaded_or_refused_cleanly(
    make_kattis: MakeKattis, tmp_path: Path, key: str, value: Any
) -> None:
    import yaml

    folder = make_kattis(name=f"k{abs(hash((key, repr(value))))}")
    if key in ("accept_score", "grader_flags"):
        write(folder / "data/secret/group1/testdata.yaml", yaml.safe_dump({key: value}))
    elif key.startswith("limits."):
        write(folder / "problem.yaml", yaml.safe_dump({"limits": {key.split(".")[1]: value}}))
    else:
        write(folder / "problem.yaml", yaml.safe_dump({key: value}))
    try:
        load_kattis(folder)
    except ProblemFormatError as error:
        assert error.path.name in {"problem.yaml", "testdata.yaml"}

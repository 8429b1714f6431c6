"""open-r1 datasets: Problem -> rows -> parquet -> load_openr1 round trips (no hub access)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import datasets
import pytest
from problem_loader_helpers import MakeKattis, MakeTps

from ioi_grader.problems import (
    CheckerKind,
    Problem,
    ProblemFormatError,
    ScoreType,
    TaskType,
    UserIO,
    load_kattis,
    load_openr1,
    load_tps,
    openr1_rows,
)
from ioi_grader.problems import openr1 as openr1_module
from ioi_grader.problems.openr1 import PROBLEM_COLUMNS, TEST_COLUMNS

# The hub datasets' columns, verbatim, in their order (open-r1/ioi and open-r1/ioi-test-cases).
BRIEF_PROBLEM_COLUMNS = (
    "year, name, id, day, subtask, statement, score, time_limit, memory_limit, "
    "score_precision, task_type, test_names, starting_code, grader_files, problem"
).split(", ")
BRIEF_TEST_COLUMNS = "year, day, problem_name, problem_id, test_name, test_input, test_output".split(", ")


@pytest.fixture(autouse=True)
def _private_datasets_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keep the Arrow caches `load_dataset("parquet", ...)` writes out of the user's ~/.cache."""
    monkeypatch.setattr(datasets.config, "HF_DATASETS_CACHE", tmp_path_factory.getbasetemp() / "hf-datasets")


def write_parquet(
    folder: Path, problems: list[tuple[Problem, int]], *, split: str = "test", test_layout: str = "file"
) -> tuple[Path, Path]:
    """Write the two datasets for `problems` as the hub lays them out; returns (problems, tests)."""
    problem_rows: list[dict[str, Any]] = []
    tests_by_year: dict[int, list[dict[str, Any]]] = {}
    for problem, year in problems:
        rows, tests = openr1_rows(problem, year, day=1, statement=f"Statement of {problem.name}.")
        problem_rows += rows
        tests_by_year.setdefault(year, []).extend(tests)
    problems_file = folder / f"{split}-00000-of-00001.parquet"
    datasets.Dataset.from_list(problem_rows).to_parquet(str(problems_file))
    tests_dir = folder / "tests"
    for year, rows in tests_by_year.items():
        target = (
            tests_dir / f"{year}.parquet"
            if test_layout == "file"
            else tests_dir / str(year) / "train-0.parquet"
        )
        target.parent.mkdir(parents=True, exist_ok=True)
        datasets.Dataset.from_list(rows).to_parquet(str(target))
    return problems_file, tests_dir


def assert_same_problem(loaded: Problem, original: Problem) -> None:
    assert loaded.id == original.id and loaded.name == original.name
    assert loaded.task_type is original.task_type
    assert loaded.time_limit == original.time_limit and loaded.memory_limit == original.memory_limit
    assert loaded.score_precision == original.score_precision
    assert loaded.subtasks == original.subtasks
    assert list(loaded.tests) == list(original.tests)
    for name, test in original.tests.items():
        got = loaded.tests[name]
        assert got.input.read_bytes() == test.input.read_bytes(), name
        if test.answer is None:
            assert got.answer is None
        else:
            assert got.answer is not None and got.answer.read_bytes() == test.answer.read_bytes(), name
    assert loaded.compilation == original.compilation
    assert loaded.graders == original.graders
    assert loaded.checker == original.checker
    assert loaded.communication == original.communication
    assert loaded.fingerprint() == original.fingerprint()


@pytest.fixture
def aplusb_problem(aplusb: Path) -> Problem:
    return load_tps(aplusb)


def test_rows_have_the_brief_columns_and_types(aplusb_problem: Problem, tmp_path: Path) -> None:
    assert list(PROBLEM_COLUMNS) == BRIEF_PROBLEM_COLUMNS and list(TEST_COLUMNS) == BRIEF_TEST_COLUMNS
    rows, tests = openr1_rows(aplusb_problem, 2024)
    assert len(rows) == 4 and len(tests) == 17
    assert all(list(row) == BRIEF_PROBLEM_COLUMNS for row in rows)
    assert all(list(row) == BRIEF_TEST_COLUMNS for row in tests)
    row = rows[1]
    assert (row["year"], row["id"], row["name"], row["subtask"]) == (2024, "aplusb", "A + B", "01-smallAB")
    assert row["score"] == 20 and isinstance(row["score"], int)
    assert row["time_limit"] == 1.0 and isinstance(row["time_limit"], float)
    assert row["memory_limit"] == 2048  # MiB on the hub
    assert row["score_precision"] == 2 and row["task_type"] == "Batch"
    assert len(row["test_names"]) == 10
    files = dict(row["grader_files"])
    assert set(files) == {
        "graders/grader.cpp",
        "graders/aplusb.h",
        "graders/grader_config.json",
        "checker/checker.cpp",
    }
    config = json.loads(files["graders/grader_config.json"])
    assert config == {"task_type": "Batch", "code": "aplusb", "time_limit": 1.0, "memory_limit": 2 * 1024**3}
    assert "A + B" in row["problem"] and "aplusb.h" in row["problem"]
    assert tests[0]["test_input"].startswith("TYv1tXn9bbd1pidxKjU7LZiPKbwtMK8q\n")
    problems_file, tests_dir = write_parquet(tmp_path, [(aplusb_problem, 2024)])
    # The parquet files carry exactly the dataset columns.
    assert datasets.Dataset.from_parquet(str(problems_file)).column_names == BRIEF_PROBLEM_COLUMNS
    assert datasets.Dataset.from_parquet(str(tests_dir / "2024.parquet")).column_names == BRIEF_TEST_COLUMNS
    features = datasets.Dataset.from_parquet(str(problems_file)).features
    assert features["grader_files"].feature.feature.dtype == "string"
    assert features["year"].dtype == "int64" and features["time_limit"].dtype == "float64"


def test_aplusb_round_trip(aplusb_problem: Problem, tmp_path: Path) -> None:
    problems_file, tests_dir = write_parquet(tmp_path, [(aplusb_problem, 2024)])
    cache = tmp_path / "cache"
    loaded = load_openr1(str(problems_file), str(tests_dir), cache_dir=cache)
    assert list(loaded) == ["aplusb"]
    problem = loaded["aplusb"]
    assert problem.year == 2024
    assert_same_problem(problem, aplusb_problem)
    assert problem.checker.kind is CheckerKind.CMS
    assert [len(s.tests) for s in problem.subtasks] == [2, 10, 6, 17]
    folder = cache / "2024-aplusb"
    assert problem.origin == str(folder)
    assert (folder / "subtasks" / "00-samples.json").is_file()
    assert not (folder / "graders" / "manager.cpp").exists()


def test_materialisation_is_idempotent_and_drops_stale_files(aplusb_problem: Problem, tmp_path: Path) -> None:
    problems_file, tests_dir = write_parquet(tmp_path, [(aplusb_problem, 2024)])
    cache = tmp_path / "cache"
    load_openr1(problems_file, tests_dir, cache_dir=cache)
    folder = cache / "2024-aplusb"
    test_file = folder / "tests" / "0-01.in"
    before = test_file.stat().st_mtime_ns, test_file.stat().st_ino
    (folder / "tests" / "stale.in").write_text("old revision\n")
    (folder / "subtasks" / "99-stale.json").write_text('{"score": 5, "testcases": []}')
    again = load_openr1(problems_file, tests_dir, cache_dir=cache)["aplusb"]
    assert (test_file.stat().st_mtime_ns, test_file.stat().st_ino) == before  # not rewritten
    assert "stale" not in again.tests and len(again.subtasks) == 4
    assert not list(folder.rglob("*.tmp"))


def test_problem_folder_split_selection_and_filter(
    aplusb_problem: Problem, make_tps: MakeTps, tmp_path: Path
) -> None:
    other = load_tps(make_tps())
    data = tmp_path / "hub"
    data.mkdir()
    write_parquet(data, [(aplusb_problem, 2024), (other, 2023)], test_layout="folder")
    # A train split next to it must not be mixed in.
    train_rows, _ = openr1_rows(other.model_copy(update={"id": "trainonly"}), 2023)
    datasets.Dataset.from_list(train_rows).to_parquet(str(data / "train-00000-of-00001.parquet"))
    both = load_openr1(data, data / "tests", split="test", cache_dir=tmp_path / "cache")
    assert list(both) == ["aplusb", "tiny"]
    assert both["tiny"].year == 2023 and both["aplusb"].year == 2024
    only = load_openr1(data, data / "tests", cache_dir=tmp_path / "cache", problem_ids=["2023-tiny"])
    assert list(only) == ["tiny"]
    with pytest.raises(ProblemFormatError, match="no such problem.*nile"):
        load_openr1(data, data / "tests", cache_dir=tmp_path / "cache", problem_ids=["nile"])


def test_communication_round_trip(make_tps: MakeTps, tmp_path: Path) -> None:
    params = {
        "task_type_parameters_Communication_num_processes": 2,
        "task_type_parameters_Communication_user_io": "fifo_io",
        "task_type_parameters_Communication_manager_args": ["--mode", "2"],
    }
    folder = make_tps(
        meta={
            "code": "talk",
            "name": "Talk",
            "task_type": "Communication",
            "task_type_params": json.dumps(params),
        },
        tests={"s1": ("secret-in\n1\n", None), "t1": ("secret-in\n2\n", None)},
        files={
            "graders/stub.cpp": '#include "talk.h"\nint main(int argc, char** argv) {}\n',
            "graders/talk.h": "void talk();\n",
            "graders/manager.cpp": "// manager: trusted\n",
            "checker/checker.cpp": "// unused by managers\n",
        },
    )
    original = load_tps(folder)
    assert original.communication is not None
    rows, tests = openr1_rows(original, 2021, day=2)
    config = json.loads(dict(rows[0]["grader_files"])["graders/grader_config.json"])
    assert config["task_type_parameters_Communication_num_processes"] == 2
    assert config["task_type_parameters_Communication_user_io"] == "fifo_io"
    assert config["task_type_parameters_Communication_manager_args"] == ["--mode", "2"]
    assert all(t["test_output"] == "" for t in tests)
    problems_file, tests_dir = write_parquet(tmp_path, [(original, 2021)])
    loaded = load_openr1(problems_file, tests_dir, cache_dir=tmp_path / "cache")["talk"]
    assert_same_problem(loaded, original)
    assert loaded.task_type is TaskType.COMMUNICATION
    assert loaded.communication is not None and loaded.communication.user_io is UserIO.FIFO_IO
    assert [f.name for f in loaded.graders] == ["stub.cpp", "talk.h"]  # the manager stays private


def test_kattis_groups_round_trip(make_kattis: MakeKattis, tmp_path: Path) -> None:
    # group10 sorts before group2 as a file name: the subtask files get an index prefix and keep
    # their names inside; a qualified test name ("group2/t") becomes a nested path.
    folder = make_kattis(
        problem_yaml="name: Groups\nlimits:\n  memory: 256\nvalidator_flags: case_sensitive\n",
        groups={
            "group1": ({"t": ("1\n", "1\n")}, "accept_score: 10\ngrader_flags: min\n"),
            "group2": ({"t": ("2\n", "2\n")}, "accept_score: 20\ngrader_flags: min\n"),
            "group10": ({"u": ("3\n", "3 \n")}, "accept_score: 70\ngrader_flags: min\n"),
        },
    )
    original = load_kattis(folder)
    assert "group2/t" in original.tests
    problems_file, tests_dir = write_parquet(tmp_path, [(original, 2022)])
    cache = tmp_path / "cache"
    loaded = load_openr1(problems_file, tests_dir, cache_dir=cache)["kpkg"]
    assert_same_problem(loaded, original)
    assert loaded.checker.kind is CheckerKind.TOKEN_DIFF and loaded.checker.flags == ("case_sensitive",)
    assert sorted(p.name for p in (cache / "2022-kpkg" / "subtasks").iterdir())[0] == "00-sample.json"


def test_sum_subtasks_cannot_be_exported(make_kattis: MakeKattis) -> None:
    problem = load_kattis(
        make_kattis(groups={"g": ({"a": ("1\n", "1\n"), "b": ("2\n", "2\n")}, "accept_score: 5\n")})
    )
    assert problem.subtask("g").score_type is ScoreType.SUM
    with pytest.raises(ValueError, match="GroupMin"):
        openr1_rows(problem, 2022)


def test_missing_test_rows_are_reported(aplusb_problem: Problem, tmp_path: Path) -> None:
    rows, tests = openr1_rows(aplusb_problem, 2024)
    datasets.Dataset.from_list(rows).to_parquet(str(tmp_path / "p.parquet"))
    (tmp_path / "tests").mkdir()
    datasets.Dataset.from_list([t for t in tests if t["test_name"] != "3-04"]).to_parquet(
        str(tmp_path / "tests" / "2024.parquet")
    )
    with pytest.raises(ProblemFormatError, match="'3-04' absent from the test cases") as info:
        load_openr1(tmp_path / "p.parquet", tmp_path / "tests", cache_dir=tmp_path / "cache")
    assert info.value.field == "test_names"
    with pytest.raises(ProblemFormatError, match="no such problems file"):
        load_openr1(tmp_path / "absent.parquet", tmp_path / "tests", cache_dir=tmp_path / "cache")


def test_missing_year_of_test_cases(make_tps: MakeTps, tmp_path: Path) -> None:
    rows, _ = openr1_rows(load_tps(make_tps()), 2023)
    datasets.Dataset.from_list(rows).to_parquet(str(tmp_path / "p.parquet"))
    (tmp_path / "tests").mkdir()
    with pytest.raises(ProblemFormatError, match="no test cases for 2023: expected 2023.parquet or 2023/"):
        load_openr1(tmp_path / "p.parquet", tmp_path / "tests", cache_dir=tmp_path / "cache")


def test_unsafe_names_in_rows_are_refused(make_tps: MakeTps, tmp_path: Path) -> None:
    rows, tests = openr1_rows(load_tps(make_tps()), 2023)
    rows[1]["test_names"] = ["s1", "../../escape"]
    tests.append({**tests[0], "test_name": "../../escape"})
    rows[0]["grader_files"].append(["../outside.cpp", "x"])
    datasets.Dataset.from_list(rows).to_parquet(str(tmp_path / "p.parquet"))
    (tmp_path / "tests").mkdir()
    datasets.Dataset.from_list(tests).to_parquet(str(tmp_path / "tests" / "2023.parquet"))
    with pytest.raises(ProblemFormatError, match="unsafe test name"):
        load_openr1(tmp_path / "p.parquet", tmp_path / "tests", cache_dir=tmp_path / "cache")
    assert not (tmp_path / "escape.in").exists() and not (tmp_path / "outside.cpp").exists()


def test_hub_ids_use_the_real_dataset_calls(
    aplusb_problem: Problem, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The hub path cannot reach the network here: check the calls it makes instead."""
    rows, tests = openr1_rows(aplusb_problem, 2024)
    calls: list[tuple[tuple[Any, ...], dict[str, Any]]] = []

    def fake_load_dataset(*args: Any, **kwargs: Any) -> datasets.Dataset:
        calls.append((args, kwargs))
        return datasets.Dataset.from_list(tests if kwargs.get("name") else rows)

    monkeypatch.setattr(datasets, "load_dataset", fake_load_dataset)
    loaded = load_openr1(cache_dir=tmp_path / "cache")
    assert calls == [
        (("open-r1/ioi",), {"split": "test"}),
        (("open-r1/ioi-test-cases",), {"name": "2024", "split": "train"}),
    ]
    assert_same_problem(loaded["aplusb"], aplusb_problem)
    assert openr1_module.default_cache_dir().parts[-2:] == ("ioi-grader", "open-r1")

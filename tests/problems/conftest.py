"""Fixtures for the loader tests: the real shared tasks and small task folders built in tmp."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from problem_loader_helpers import APLUSB, FISH, SHARED_DATA, build_aplusb, write


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not APLUSB.is_dir() or not FISH.is_dir():
        pytest.fail(f"shared task data not found at {SHARED_DATA.resolve()}")
    return SHARED_DATA


@pytest.fixture
def aplusb(tmp_path: Path, shared_data: Path) -> Path:
    return build_aplusb(tmp_path / "aplusb")


@pytest.fixture
def make_tps(tmp_path: Path) -> Callable[..., Path]:
    """Build a small valid Batch TPS folder; keyword arguments patch problem.json / add files.

    make_tps(meta={...}, subtasks={"00-a": {...}}, tests={"t1": ("in", "out")}, files={"rel": text})
    A meta value of None deletes the key.
    """
    counter = iter(range(1000))

    def make(
        meta: dict[str, Any] | None = None,
        subtasks: dict[str, Any] | None = None,
        tests: dict[str, tuple[str, str | None]] | None = None,
        files: dict[str, str] | None = None,
        name: str | None = None,
    ) -> Path:
        folder = tmp_path / (name or f"task{next(counter)}")
        base = {
            "code": "tiny",
            "name": "Tiny",
            "time_limit": 2.0,
            "memory_limit": 268435456,
            "score_precision": 2,
            "task_type": "Batch",
            "task_type_params": json.dumps({"task_type_parameters_Batch_compilation": "alone"}),
        }
        for key, value in (meta or {}).items():
            if value is None:
                base.pop(key, None)
            else:
                base[key] = value
        write(folder / "problem.json", json.dumps(base))
        if subtasks is None:
            subtasks = {
                "00-samples": {"score": 0, "testcases": ["s1"]},
                "01-all": {"score": 100, "testcases": ["s1", "t1"]},
            }
        for stem, data in subtasks.items():
            write(folder / "subtasks" / f"{stem}.json", data if isinstance(data, str) else json.dumps(data))
        if tests is None:
            tests = {"s1": ("1 2\n", "3\n"), "t1": ("5 5\n", "10\n")}
        for test, (test_in, test_out) in tests.items():
            write(folder / "tests" / f"{test}.in", test_in)
            if test_out is not None:
                write(folder / "tests" / f"{test}.out", test_out)
        for relative, content in (files or {}).items():
            write(folder / relative, content)
        return folder

    return make


@pytest.fixture
def make_kattis(tmp_path: Path) -> Callable[..., Path]:
    """Build a small Kattis package: groups maps group -> ({test: (in, ans)}, testdata.yaml text)."""

    def make(
        name: str = "kpkg",
        problem_yaml: str = "name: Kattis Tiny\nlimits:\n  memory: 512\n",
        groups: dict[str, tuple[dict[str, tuple[str, str]], str]] | None = None,
        sample: dict[str, tuple[str, str]] | None = None,
        secret_yaml: str | None = None,
        files: dict[str, str] | None = None,
    ) -> Path:
        folder = tmp_path / name
        write(folder / "problem.yaml", problem_yaml)
        if sample is None:
            sample = {"1": ("1\n", "1\n")}
        for test, (test_in, test_ans) in sample.items():
            write(folder / "data" / "sample" / f"{test}.in", test_in)
            write(folder / "data" / "sample" / f"{test}.ans", test_ans)
        if groups is None:
            groups = {"group1": ({"a": ("2\n", "2\n")}, "accept_score: 40\ngrader_flags: min\n")}
        (folder / "data" / "secret").mkdir(parents=True, exist_ok=True)
        if secret_yaml is not None:
            write(folder / "data" / "secret" / "testdata.yaml", secret_yaml)
        for group, (tests, testdata) in groups.items():
            base = folder / "data" / "secret" / group if group else folder / "data" / "secret"
            if testdata:
                write(base / "testdata.yaml", testdata)
            for test, (test_in, test_ans) in tests.items():
                write(base / f"{test}.in", test_in)
                write(base / f"{test}.ans", test_ans)
        for relative, content in (files or {}).items():
            write(folder / relative, content)
        return folder

    return make

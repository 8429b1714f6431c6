"""`ioi-grader problems import` of an open-r1/codeforces-shaped dataset (the fixture's exact
columns, local parquet and through `datasets.load_dataset`): the same folders as
`load_codeforces` writes, refusals listed with their reasons, and a second run skipped."""

from __future__ import annotations

import io
import subprocess
import sys

import datasets
import pytest

from codeforces_fixture import write_codeforces_fixture
from ioi_grader.problems.codeforces import load_codeforces
from ioi_grader.problems.importing import DatasetImportError, Progress, import_datasets, importer_kind
from ioi_grader.problems.loader import load_problem
from ioi_grader.problems.package import content_hash

GRADABLE = {"1_A", "2_B", "3_C", "4_D", "5_E"}  # 6/F is interactive and 7/G has no tests


@pytest.fixture(scope="module")
def fixture(tmp_path_factory):
    return write_codeforces_fixture(tmp_path_factory.mktemp("cf-import"))


def quiet() -> Progress:
    return Progress(stream=io.StringIO())


def test_the_kind_is_told_from_the_source(fixture):
    problems, _ = fixture
    assert importer_kind(str(problems)).kind == "open-r1/codeforces"
    assert importer_kind("open-r1/codeforces").kind == "open-r1/codeforces"
    assert importer_kind("open-r1/ioi").kind == "open-r1/ioi"


def test_import_writes_what_load_codeforces_writes(fixture, tmp_path):
    problems, tests = fixture
    progress = quiet()
    outcomes = import_datasets(str(problems), tmp_path / "out", tests=str(tests), progress=progress)
    assert outcomes == {"imported": 5, "refused": 2}
    log = progress.stream.getvalue()
    assert "6_F: refused (interactive problem" in log and "7_G: refused (no tests" in log
    assert {p.name for p in (tmp_path / "out").iterdir() if not p.name.startswith(".")} >= GRADABLE
    assert not (tmp_path / "out" / "6_F").exists() and not (tmp_path / "out" / "7_G").exists()
    load_codeforces(str(problems), tests, cache_dir=tmp_path / "loaded")
    for name in GRADABLE:
        assert content_hash(tmp_path / "out" / name) == content_hash(tmp_path / "loaded" / name), name
    sum_problem = load_problem(tmp_path / "out" / "1_A")
    assert len(sum_problem.tests) == 50 and sum_problem.checker.kind == "tokens"
    assert load_problem(tmp_path / "out" / "3_C").checker.kind == "python_checker"
    # A second run reads the rows again but rewrites nothing.
    assert import_datasets(str(problems), tmp_path / "out", tests=str(tests), progress=quiet()) == {
        "already imported": 5, "refused": 2}


def test_through_the_hub_path(fixture, tmp_path, monkeypatch):
    problems, tests = fixture
    real = datasets.load_dataset

    def offline(path, *args, **kwargs):
        assert path == "open-r1/codeforces" and kwargs.get("split") == "train"
        return real("parquet", data_files=[str(problems)], split="train")

    monkeypatch.setattr(datasets, "load_dataset", offline)
    outcomes = import_datasets("open-r1/codeforces", tmp_path / "hub", tests=str(tests), problem_ids=["1/A"],
                               progress=quiet())
    assert outcomes == {"imported": 1}
    assert len(load_problem(tmp_path / "hub" / "1_A").tests) == 50


def test_a_refused_problem_asked_for_by_id_is_an_error(fixture, tmp_path):
    problems, tests = fixture
    with pytest.raises(DatasetImportError, match="6/F cannot be graded: interactive"):
        import_datasets(str(problems), tmp_path / "o", tests=str(tests), problem_ids=["6/F"], progress=quiet())
    run = subprocess.run([sys.executable, "-m", "ioi_grader.cli", "problems", "import", str(problems), "--tests",
                          str(tests), "--years", "2024", "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert run.returncode == 2 and "--problem ID" in run.stderr and "Traceback" not in run.stderr

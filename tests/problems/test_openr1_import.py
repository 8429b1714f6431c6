"""`ioi-grader problems import` of the open-r1 IOI datasets, on generated parquet with the exact
columns (no hub access): streaming, resuming, skipping, failing per problem, and memory."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import datasets
import pyarrow.parquet as pq
import pytest

from ioi_grader.bench.openr1_fixture import write_fixture
from ioi_grader.problems import openr1_import
from ioi_grader.problems.importing import Progress, import_datasets
from ioi_grader.problems.loader import load_problem
from ioi_grader.problems.openr1 import PROBLEM_COLUMNS, TEST_COLUMNS
from ioi_grader.problems.package import content_hash
from ioi_grader.problems.store import ProblemStore


def quiet() -> Progress:
    return Progress(stream=io.StringIO())


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    root = tmp_path_factory.mktemp("fixture")
    # Row groups of about four rows, so an interruption leaves some of them done.
    problems, tests, years = write_fixture(root, years=(2023, 2024), problems_per_year=2, tests_per_problem=8,
                                           test_bytes=20_000, row_group_bytes=80_000)
    return problems, tests, years


def test_the_fixture_has_the_exact_columns(small):
    problems, tests, _ = small
    assert tuple(pq.ParquetFile(problems).schema_arrow.names) == PROBLEM_COLUMNS
    assert tuple(pq.ParquetFile(tests / "2024.parquet").schema_arrow.names) == TEST_COLUMNS


def test_import_writes_servable_task_folders(small, tmp_path):
    problems, tests, years = small
    outcomes = import_datasets(str(problems), tmp_path / "out", tests=str(tests), progress=quiet())
    assert outcomes == {"imported": 4}
    store = ProblemStore([tmp_path / "out"])
    assert sorted(p.id for p in store.all()) == sorted(pid for y in years for pid in y.problem_ids)
    problem = store.find(year=2024, task="sum24a")
    assert problem.year == 2024 and [s.points for s in problem.subtasks] == [0, 20, 30, 50]
    assert len(problem.tests) == 8 and problem.compilation == "grader"
    assert problem.tests["0-01"].input.read_text().startswith("TYv1tXn9bbd1pidxKjU7LZiPKbwtMK8q\n")
    assert (tmp_path / "out" / "2024-sum24a" / "graders" / "sum24a.h").is_file()


def test_rerun_skips_without_reading_and_unchanged_content_keeps_its_version(small, tmp_path, monkeypatch):
    problems, tests, _ = small
    out = tmp_path / "out"
    import_datasets(str(problems), out, tests=str(tests), progress=quiet())
    version = content_hash(out / "2024-sum24a").content_hash
    inode = (out / "2024-sum24a").stat().st_ino

    def no_reading(*args, **kwargs):
        raise AssertionError("read the tests again")

    monkeypatch.setattr(openr1_import.OpenR1IOIImport, "_stream_local", no_reading)
    assert import_datasets(str(problems), out, tests=str(tests), progress=quiet()) == {"already imported": 4}
    monkeypatch.undo()
    # The source looks different (touched) but holds the same content: same folder, same version.
    os.utime(tests / "2024.parquet")
    assert import_datasets(str(problems), out, tests=str(tests), years=[2024], progress=quiet()) == {"unchanged": 2}
    assert content_hash(out / "2024-sum24a").content_hash == version
    assert (out / "2024-sum24a").stat().st_ino == inode


def test_an_interrupted_import_resumes_where_it_stopped(small, tmp_path, monkeypatch):
    problems, tests, _ = small
    out = tmp_path / "out"
    written: list[str] = []
    original = openr1_import._Pending.write_test

    def interrupted(self, test, test_input, test_output, which):
        if len(written) == 20:
            raise KeyboardInterrupt
        written.append(f"{self.name}/{test}.{which}")
        return original(self, test, test_input, test_output, which)

    monkeypatch.setattr(openr1_import._Pending, "write_test", interrupted)
    with pytest.raises(KeyboardInterrupt):
        import_datasets(str(problems), out, tests=str(tests), years=[2023], progress=quiet())
    assert not any((out / name).exists() for name in ("2023-sum23a", "2023-sum23b"))  # nothing half-done
    first_run = list(written)
    written.clear()
    monkeypatch.setattr(openr1_import._Pending, "write_test",
                        lambda self, *a: (written.append(f"{self.name}/{a[0]}.{a[3]}"), original(self, *a))[1])
    assert import_datasets(str(problems), out, tests=str(tests), years=[2023], progress=quiet()) == {"imported": 2}
    # Tests fully written before the interruption are not written again.
    assert len(written) < 32 and len(first_run) + len(written) >= 32
    assert load_problem(out / "2023-sum23a").tests.keys() == load_problem(out / "2023-sum23b").tests.keys()


def test_a_problem_with_missing_tests_fails_alone(small, tmp_path):
    problems, tests, _ = small
    rows = pq.read_table(problems).to_pylist()
    for row in rows:
        if row["id"] == "sum24b" and row["subtask"] == "03-full":
            row["test_names"] = row["test_names"] + ["9-99"]
    broken = tmp_path / "broken.parquet"
    datasets.Dataset.from_list(rows).to_parquet(str(broken))
    progress = quiet()
    outcomes = import_datasets(str(broken), tmp_path / "out", tests=str(tests), years=[2024], progress=progress)
    assert outcomes == {"imported": 1, "failed": 1}
    assert "9-99" in progress.stream.getvalue() and not (tmp_path / "out" / "2024-sum24b").exists()


def test_the_hub_streaming_path(small, tmp_path, monkeypatch):
    """The hub path minus the network: `datasets` streams the same rows from local parquet."""
    problems, tests, _ = small
    real = datasets.load_dataset

    def offline(path, *args, **kwargs):
        name = path
        if name == "open-r1/ioi":
            return real("parquet", data_files=[str(problems)], **({"split": "train"} if kwargs.get("split") else {}))
        if name == "open-r1/ioi-test-cases":
            assert kwargs["streaming"] and kwargs["split"] == "train"
            return real("parquet", data_files=[str(tests / f"{kwargs['name']}.parquet")], split="train", streaming=True)
        return real(path, *args, **kwargs)

    monkeypatch.setattr(datasets, "load_dataset", offline)
    hub = tmp_path / "hub"
    assert import_datasets("open-r1/ioi", hub, years=[2024], progress=quiet()) == {"imported": 2}
    local = tmp_path / "local"
    import_datasets(str(problems), local, tests=str(tests), years=[2024], progress=quiet())
    assert content_hash(hub / "2024-sum24a") == content_hash(local / "2024-sum24a")


def test_bad_sources_are_named(tmp_path, small):
    problems, tests, _ = small
    run = subprocess.run([sys.executable, "-m", "ioi_grader.cli", "problems", "import", str(tmp_path / "none.parquet"),
                          "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert run.returncode == 2 and "none.parquet" in run.stderr and "Traceback" not in run.stderr
    run = subprocess.run([sys.executable, "-m", "ioi_grader.cli", "problems", "import", str(problems), "--tests",
                          str(tests), "--years", "1999", "--out", str(tmp_path / "o")], capture_output=True, text=True)
    assert run.returncode == 2 and "1999" in run.stderr and "Traceback" not in run.stderr


@pytest.mark.slow
def test_a_year_sized_import_streams_in_bounded_memory(tmp_path):
    """At least 200 MB of tests (a real year's size), in hub-sized row groups: peak RSS < 500 MB."""
    problems, tests, (year,) = write_fixture(tmp_path / "fixture", problems_per_year=6, tests_per_problem=40,
                                             test_bytes=900_000)
    assert year.test_bytes >= 200_000_000
    run = subprocess.run([sys.executable, "-m", "ioi_grader.cli", "problems", "import", str(problems),
                          "--tests", str(tests), "--out", str(tmp_path / "out")], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr[-3000:]
    # The import's own high-water mark (VmHWM): getrusage of a child counts this test process too.
    stderr = run.stderr
    peak_mib = float(re.search(r"peak memory (\d+) MiB", stderr).group(1))
    print(f"import of {year.test_bytes / 1e6:.0f} MB of tests: {stderr.splitlines()[-1]}")
    assert peak_mib < 500
    assert "6 imported" in stderr
    written = sum(f.stat().st_size for f in (tmp_path / "out").rglob("tests/*"))
    assert written == year.test_bytes


@pytest.mark.docker
def test_an_imported_problem_grades(small, tmp_path, grader):
    from ioi_grader.bench.openr1_fixture import CORRECT_SOLUTION
    from ioi_grader.grading.submission import Submission
    from ioi_grader.server.reward import prepare_code

    problems, tests, _ = small
    import_datasets(str(problems), tmp_path / "out", tests=str(tests), years=[2024], progress=quiet())
    problem = load_problem(tmp_path / "out" / "2024-sum24a")
    code = prepare_code(f"```cpp\n{CORRECT_SOLUTION}```", problem)  # what the reward endpoint grades
    assert grader.grade(problem, Submission(code=code)).score == 100.0
    wrong = prepare_code("```cpp\nint sum(int A, int B) { return A - B; }\n```", problem)
    assert grader.grade(problem, Submission(code=wrong)).score == 0.0


def test_serve_imports_a_dataset_once_then_serves_the_cache(small, tmp_path, monkeypatch):
    from ioi_grader.server import serve as serve_module

    problems, tests, _ = small
    spec = serve_module.DatasetSpec(source=str(problems), tests=str(tests), years=[2024])
    (folder,) = serve_module.prepare_datasets([spec], tmp_path / "data")
    assert sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) == ["2024-sum24a", "2024-sum24b"]

    def no_import(*args, **kwargs):
        raise AssertionError("imported again")

    monkeypatch.setattr("ioi_grader.problems.importing.import_datasets", no_import)
    assert serve_module.prepare_datasets([spec], tmp_path / "data") == [folder]

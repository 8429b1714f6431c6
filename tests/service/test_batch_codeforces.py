"""`ioi-grader batch --codeforces` over local `open-r1/codeforces-cots`-shaped subsets, against the
real service (HTTP, Redis, a worker, Docker sandboxes) serving the open-r1/codeforces fixture's
problems: rows joined by `id` (the rows' `problem` column is the prompt), the language from the
subset (a `solutions` folder is C++; `--subset solutions_py` is Python) and never from the fence,
each row's result line, the per-problem summary, and a rerun that grades only what failed."""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from cots_fixture import cots_row, write_cots_subset
from paths import FIXTURES, REPO

pytestmark = [pytest.mark.docker, pytest.mark.redis]

SOLUTIONS = FIXTURES / "solutions" / "codeforces"


def answer(language: str, name: str) -> str:
    """An R1-style generation: its reasoning, then the program in a fence."""
    return (f"<think>\nRead the input, compute, print.\n</think>\n\nHere is the solution.\n\n"
            f"```{language}\n{(SOLUTIONS / name).read_text()}```\n")


CPP_ROWS = [  # the `solutions` subset: C++
    cots_row("1/A", answer("cpp", "sum.cpp")),
    cots_row("1/A", answer("cpp", "sum_int32.cpp")),  # overflows on the big tests
    cots_row("5/E", "<think>\nEven numbers are those divisible by two, so", finish_reason="length"),  # cut off
    cots_row("1/A", answer("python", "sum.py")),  # the subset is C++: a Python fence is no code
    cots_row("9/Z", answer("cpp", "sum.cpp")),  # a problem the service does not have
]
PYTHON_ROWS = [  # the `solutions_py` subset
    cots_row("1/A", answer("python", "sum.py")),
    cots_row("5/E", answer("python", "even.py")),
]


def batch(service, *args: str) -> subprocess.CompletedProcess:
    # Wide enough that the summary table's cells are not wrapped.
    env = dict(os.environ, COLUMNS="200")
    command = [str(REPO / ".venv/bin/ioi-grader"), "batch", *args, "--codeforces", "--url", service.url,
               "--concurrency", "2"]
    run = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    return run


def summary_rows(stderr: str) -> dict[str, list[str]]:
    """The per-problem table's rows (problem -> cells), after its header (drawn with ┃, the rows with │)."""
    table = stderr[stderr.index("per problem"):].replace("┃", "│")
    rows = [[cell.strip() for cell in line.strip().strip("│").split("│")] for line in table.splitlines()
            if line.count("│") > 2]
    header, *body = rows
    assert header == ["problem", "rows", "graded", "failed", "no code", "CE", "accepted", "mean score", "best",
                      "IOI task score"]
    return {row[0]: row[1:] for row in body}


def comparable(record: dict) -> dict:
    return {key: value for key, value in record.items() if key not in ("key", "submission_id")}


def test_codeforces_cots_subsets_are_graded_by_id_in_the_subsets_language(cf_service, tmp_path):
    cpp = write_cots_subset(tmp_path / "codeforces-cots" / "solutions" / "train-00000-of-00001.parquet", CPP_ROWS)
    python = write_cots_subset(tmp_path / "cots-py.parquet", PYTHON_ROWS)
    results = tmp_path / "results.jsonl"

    first = batch(cf_service, str(cpp), "--out", str(results))
    assert "5 rows, 0 already in" in first.stderr and "5 to grade" in first.stderr
    second = batch(cf_service, str(python), "--subset", "solutions_py", "--out", str(results))
    assert "2 rows, 0 already in" in second.stderr and "2 to grade" in second.stderr

    lines = [json.loads(line) for line in results.read_text().splitlines()]
    assert len(lines) == 7 and all(line["submission_id"] for line in lines if line["state"] == "done"
                                   and line["compile"] != "EMPTY")
    by_row = {(line["language"], line["row"]): comparable(line) for line in lines}
    correct_cpp = (SOLUTIONS / "sum.cpp").read_text()
    wrong = by_row.pop(("cpp", 1))
    assert by_row == {
        ("cpp", 0): {
            "row": 0, "problem_id": "1/A", "subtask": None, "language": "cpp", "code_length": len(correct_cpp),
            "generation_length": len(CPP_ROWS[0]["generation"]), "state": "done", "score": 100.0,
            "max_score": 100.0, "compile": "OK", "tests_passed": 50, "tests_total": 50,
            "subtasks": [{"name": "01-tests", "points": 100.0, "score": 100.0, "status": "AC", "fraction": 1.0}]},
        ("cpp", 2): {
            "row": 2, "problem_id": "5/E", "subtask": None, "language": "cpp", "code_length": 0,
            "generation_length": len(CPP_ROWS[2]["generation"]), "state": "done", "error": "no code",
            "score": 0.0, "compile": "EMPTY", "subtasks": [], "max_score": None},
        ("cpp", 3): {
            "row": 3, "problem_id": "1/A", "subtask": None, "language": "cpp", "code_length": 0,
            "generation_length": len(CPP_ROWS[3]["generation"]), "state": "done", "error": "no code",
            "score": 0.0, "compile": "EMPTY", "subtasks": [], "max_score": None},
        ("cpp", 4): {
            "row": 4, "problem_id": "9/Z", "subtask": None, "language": "cpp", "code_length": len(correct_cpp),
            "generation_length": len(CPP_ROWS[4]["generation"]), "state": "failed",
            "error": "problem_id: unknown problem '9/Z'", "score": 0.0},
        ("python", 0): {
            "row": 0, "problem_id": "1/A", "subtask": None, "language": "python",
            "code_length": len((SOLUTIONS / "sum.py").read_text()),
            "generation_length": len(PYTHON_ROWS[0]["generation"]), "state": "done", "score": 100.0,
            "max_score": 100.0, "compile": "OK", "tests_passed": 50, "tests_total": 50,
            "subtasks": [{"name": "01-tests", "points": 100.0, "score": 100.0, "status": "AC", "fraction": 1.0}]},
        ("python", 1): {
            "row": 1, "problem_id": "5/E", "subtask": None, "language": "python",
            "code_length": len((SOLUTIONS / "even.py").read_text()),
            "generation_length": len(PYTHON_ROWS[1]["generation"]), "state": "done", "score": 100.0,
            "max_score": 100.0, "compile": "OK", "tests_passed": 4, "tests_total": 4,
            "subtasks": [{"name": "01-tests", "points": 100.0, "score": 100.0, "status": "AC", "fraction": 1.0}]},
    }
    # Graded up to its first failed test (which of the tests ran before it depends on scheduling).
    passed = wrong.pop("tests_passed")
    assert wrong == {
        "row": 1, "problem_id": "1/A", "subtask": None, "language": "cpp",
        "code_length": len((SOLUTIONS / "sum_int32.cpp").read_text()),
        "generation_length": len(CPP_ROWS[1]["generation"]), "state": "done", "score": 0.0, "max_score": 100.0,
        "compile": "OK", "tests_total": 50,
        "subtasks": [{"name": "01-tests", "points": 100.0, "score": 0.0, "status": "WA", "fraction": 0.0}]}
    assert 0 <= passed < 50  # the int32 sum is wrong on 26 of the 50

    # The summary of the whole results file, after the second run: per problem, in id order.
    assert summary_rows(second.stderr) == {
        "1/A": ["4", "3", "0", "1", "0", "2 (50%)", "66.67", "100", "100"],
        "5/E": ["2", "1", "0", "1", "0", "1 (50%)", "100.00", "100", "100"],
        "9/Z": ["1", "0", "1", "0", "0", "0 (0%)", "0.00", "0", "0"],
    }

    # Rerun: the rows done are skipped; the one the service refused is tried again (and refused again).
    before = results.read_text().splitlines()
    again = batch(cf_service, str(cpp), "--out", str(results))
    assert "5 rows, 4 already in" in again.stderr and "1 to grade" in again.stderr
    after = results.read_text().splitlines()
    assert after[:len(before)] == before and len(after) == len(before) + 1
    assert comparable(json.loads(after[-1])) == by_row[("cpp", 4)]


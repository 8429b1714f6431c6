"""Local parquet shaped exactly like `open-r1/ioi` and `open-r1/ioi-test-cases`, generated at run
time (nothing large is committed), for the import's tests and benchmark.

Each generated problem is a Batch task compiled with a grader, in the style of IOI 2024's
practice task "A + B": the grader checks an input secret line, reads `A B`, calls
`int sum(int A, int B)` declared in `<id>.h`, and prints the output secret, `OK` and the
result, which a CMS checker compares. Inputs are padded after `A B` with lines of numbers the
grader does not read, so a year reaches a real year's size (hundreds of MB) while every test
stays gradable. Test rows are interleaved across problems and written in row groups of at most
100 MB uncompressed, as `datasets` writes the hub's parquet.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from pathlib import Path

from ..problems.openr1 import PROBLEM_COLUMNS, TEST_COLUMNS

INPUT_SECRET = "TYv1tXn9bbd1pidxKjU7LZiPKbwtMK8q"
OUTPUT_SECRET = "zX1mLX7DidLevjch8wEUpdRnPEZgvTmq"
ROW_GROUP_BYTES = 100 * 1000 * 1000  # datasets' config.MAX_ROW_GROUP_SIZE ("100MB")
REPO = Path(__file__).resolve().parents[1]
APLUSB = REPO / "examples" / "problems" / "aplusb"

CORRECT_SOLUTION = "int sum(int A, int B) { return A + B; }\n"


@dataclass
class FixtureYear:
    year: int
    problem_ids: list[str]
    tests: int
    test_bytes: int  # test_input + test_output, as stored in the rows


def _grader_files(problem_id: str) -> list[list[str]]:
    grader = (APLUSB / "graders" / "grader.cpp").read_text().replace('"aplusb.h"', f'"{problem_id}.h"')
    header = (APLUSB / "graders" / "aplusb.h").read_text().replace("APLUSB_H", f"{problem_id.upper()}_H")
    config = ('{"task_type": "Batch", "code": "%s", "time_limit": 1.0, "memory_limit": 268435456}\n' % problem_id)
    return [
        ["graders/grader.cpp", grader],
        [f"graders/{problem_id}.h", header],
        ["graders/grader_config.json", config],
        ["checker/checker.cpp", (APLUSB / "checker" / "checker.cpp").read_text()],
    ]


def _subtasks(tests_per_problem: int) -> list[tuple[str, int, list[str]]]:
    """(name, points, test names): samples, then three subtasks over growing ranges of tests."""
    samples = ["0-01", "0-02"]
    main = [f"1-{i:03d}" for i in range(1, tests_per_problem - len(samples) + 1)]
    third = max(1, len(main) // 3)
    return [
        ("00-samples", 0, samples),
        ("01-small", 20, samples + main[:third]),
        ("02-medium", 30, main[:2 * third]),
        ("03-full", 50, samples + main),
    ]


def write_fixture(folder: Path, *, years: tuple[int, ...] = (2024,), problems_per_year: int = 6,
                  tests_per_problem: int = 40, test_bytes: int = 900_000, seed: int = 11,
                  split: str = "test", row_group_bytes: int = ROW_GROUP_BYTES) -> tuple[Path, Path, list[FixtureYear]]:
    """Write `<folder>/ioi/<split>-00000-of-00001.parquet` and `<folder>/ioi-test-cases/<year>.parquet`;
    returns (problems file, tests folder, what each year holds). Memory stays at one row group."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(seed)
    # A block of random number lines to cut padding from (gzip sees no repetition in its window).
    block = "".join(rng.choices("0123456789", k=1 << 16))
    pool = "\n".join(" ".join(block[j:j + 9] for j in range(i, i + 90, 10)) for i in range(0, len(block) - 100, 97))
    pool = (pool * (1 + (8 << 20) // len(pool)))[: 8 << 20]
    problem_rows = []
    tests_dir = folder / "ioi-test-cases"
    tests_dir.mkdir(parents=True, exist_ok=True)
    years_written = []
    test_schema = pa.schema([("year", pa.int64()), ("day", pa.int64()), ("problem_name", pa.string()),
                             ("problem_id", pa.string()), ("test_name", pa.string()), ("test_input", pa.string()),
                             ("test_output", pa.string())])
    assert tuple(test_schema.names) == TEST_COLUMNS
    for year in years:
        ids = [f"sum{year % 100:02d}{chr(ord('a') + i)}" for i in range(problems_per_year)]
        subtasks = _subtasks(tests_per_problem)
        for index, problem_id in enumerate(ids):
            for name, points, tests in subtasks:
                problem_rows.append({
                    "year": year, "name": f"Sum {problem_id}", "id": problem_id, "day": 1 + index // 3,
                    "subtask": name, "statement": f"Implement int sum(int A, int B) ({problem_id}).",
                    "score": points, "time_limit": 1.0, "memory_limit": 256, "score_precision": 2,
                    "task_type": "Batch", "test_names": tests, "starting_code": CORRECT_SOLUTION,
                    "grader_files": _grader_files(problem_id),
                    "problem": f"Implement `int sum(int A, int B)` in {problem_id}.cpp. Subtask {name}.",
                })
        all_tests = [(pid, test) for pid in ids for test in subtasks[-1][2]]
        rng.shuffle(all_tests)  # rows of different problems interleave, as nothing promises order
        per_row = test_bytes + 64
        rows_per_group = max(1, row_group_bytes // per_row)
        total = 0
        path = tests_dir / f"{year}.parquet"
        with pq.ParquetWriter(path, test_schema) as writer:
            batch: list[dict] = []
            for number, (problem_id, test) in enumerate(all_tests):
                a, b = rng.randint(-10**8, 10**8), rng.randint(-10**8, 10**8)
                small = test.startswith("0-")
                size = 0 if small else rng.randint(test_bytes // 2, test_bytes * 3 // 2)
                start = rng.randrange(0, len(pool) - size - 1)
                test_input = f"{INPUT_SECRET}\n{a} {b}\n" + pool[start:start + size]
                test_output = f"{OUTPUT_SECRET}\nOK\n{a + b}\n"
                total += len(test_input) + len(test_output)
                batch.append({"year": year, "day": 1, "problem_name": f"Sum {problem_id}", "problem_id": problem_id,
                              "test_name": test, "test_input": test_input, "test_output": test_output})
                if len(batch) >= rows_per_group or number == len(all_tests) - 1:
                    writer.write_table(pa.Table.from_pylist(batch, schema=test_schema), row_group_size=len(batch))
                    batch = []
        years_written.append(FixtureYear(year, ids, len(all_tests), total))
    problems_dir = folder / "ioi"
    problems_dir.mkdir(parents=True, exist_ok=True)
    problems_file = problems_dir / f"{split}-00000-of-00001.parquet"
    table = pa.Table.from_pylist(problem_rows)
    assert tuple(table.column_names) == PROBLEM_COLUMNS
    pq.write_table(table, problems_file)
    return problems_file, tests_dir, years_written

"""An `open-r1/codeforces`-shaped fixture: parquet files with the dataset's exact columns (and
types), plus per-contest generated-test files, built in a temporary folder. Problems:

- 1/A "Sum": stdin/stdout, 3 official + 47 generated tests, exact token comparison.
- 2/B "Reverse": `input_mode: file` (input.txt / output.txt).
- 3/C "Split": several right answers, judged by a Python `generated_checker`.
- 4/D "Average": the statement accepts an absolute or relative error of 10^{-6}.
- 5/E "Even": YES / NO "in any case".
- 6/F "Guess": interactive (`interaction_format`): refused, the dataset has no interactor.
- 7/G "Empty": no tests at all: refused.
"""

from __future__ import annotations

import random
from pathlib import Path

import datasets

from ioi_grader.problems.codeforces import CODEFORCES_COLUMNS, GENERATED_TEST_COLUMNS, PROMPT_COLUMNS

SPLIT_CHECKER = '''import sys

def main():
    input_path, correct_path, output_path = sys.argv[1:4]
    n = int(open(input_path).read().split()[0])
    try:
        parts = [int(token) for token in open(output_path).read().split()]
    except ValueError:
        print(0)
        return
    # Any split of n into at most 3 positive parts, each at most 10**9, is right.
    print(1 if 1 <= len(parts) <= 3 and all(0 < p <= 10**9 for p in parts) and sum(parts) == n else 0)

if __name__ == "__main__":
    main()
'''


def _row(problem_id: str, title: str, **fields) -> dict:
    contest, index = problem_id.split("/")
    row = {
        "id": problem_id, "aliases": [], "contest_id": contest, "contest_name": f"Fixture Round {contest}",
        "contest_type": "CF", "contest_start": 1700000000 + int(contest), "contest_start_year": 2023,
        "index": index, "title": title, "description": "", "input_format": "", "output_format": "",
        "interaction_format": None, "note": None, "examples": [], "editorial": None, "rating": 800,
        "tags": ["implementation"], "time_limit": 1.0, "memory_limit": 256.0, "testset_size": 0,
        "official_tests": [], "official_tests_complete": True, "input_mode": "stdio", "generated_checker": None,
        "executable": True, "generated_tests": 0,
    }
    row.update(fields)
    row["testset_size"] = len(row["official_tests"]) + row["generated_tests"]
    return row


def _sum_test(rng: random.Random, count: int, big: bool) -> dict:
    values = [rng.randint(-10**9, 10**9) if big else rng.randint(-100, 100) for _ in range(count)]
    return {"input": f"{count}\n{' '.join(map(str, values))}\n", "output": f"{sum(values)}\n"}


def problem_rows() -> tuple[list[dict], dict[str, list[dict]]]:
    """The problem rows, and the generated tests per contest file name."""
    rng = random.Random(2025)
    sum_official = [_sum_test(rng, n, False) for n in (1, 3, 5)]
    sum_generated = [_sum_test(rng, rng.randint(1, 2000), index >= 20) for index in range(47)]
    words = ["alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta"]
    reverse_official = []
    for count in (1, 4, 8):
        chosen = rng.sample(words, count)
        reverse_official.append({"input": " ".join(chosen) + "\n", "output": " ".join(reversed(chosen)) + "\n"})
    split_official = [{"input": "5\n", "output": "5\n"}, {"input": "2000000000\n", "output": "1000000000 1000000000\n"}]
    split_generated = [{"input": f"{n}\n", "output": f"{n}\n"} for n in rng.sample(range(1, 10**9), 8)]
    average_official = []
    for count in (2, 3, 7):
        values = [rng.randint(1, 10**6) for _ in range(count)]
        average_official.append({"input": f"{count}\n{' '.join(map(str, values))}\n",
                                 "output": f"{sum(values) / count:.9f}\n"})
    even_official = [{"input": f"{n}\n", "output": "YES\n" if n % 2 == 0 else "NO\n"} for n in (4, 7, 10, 1)]
    rows = [
        _row("1/A", "Sum", description="Print the sum of the numbers.", official_tests=sum_official,
             generated_tests=len(sum_generated), examples=sum_official[:1]),
        _row("2/B", "Reverse", input_mode="file", official_tests=reverse_official,
             input_format="The file input.txt holds one line of words.",
             output_format="Write the words in reverse order to output.txt."),
        _row("3/C", "Split", official_tests=split_official, generated_tests=len(split_generated),
             generated_checker=SPLIT_CHECKER,
             output_format="Print at most 3 positive integers, each at most $$$10^9$$$, that sum to $$$n$$$. "
                           "If there are several answers, print any of them."),
        _row("4/D", "Average", official_tests=average_official,
             output_format="Print the average. Your answer is considered correct if its absolute or relative error "
                           "does not exceed $$$10^{-6}$$$."),
        _row("5/E", "Even", official_tests=even_official,
             output_format='Print "YES" if $$$n$$$ is even, else "NO". You can output the answer in any case (upper '
                           'or lower). For example, the strings "yEs", "yes", "Yes", and "YES" will be recognized as '
                           "positive responses."),
        _row("6/F", "Guess", interaction_format="Ask questions \"? y\", answer \"! x\".",
             official_tests=[{"input": "10 3\n", "output": "3\n"}]),
        _row("7/G", "Empty", official_tests=[], official_tests_complete=False),
    ]
    generated = {
        "test_cases_0001.parquet": [{"problem_id": "1/A", **t} for t in sum_generated],
        "test_cases_0003.parquet": [{"problem_id": "3/C", **t} for t in split_generated],
    }
    return rows, generated


def _features(prompts: bool) -> datasets.Features:
    """The hub's column types (the fixture's nulls must not make them `null` columns)."""
    text, integer, real, flag = (datasets.Value(t) for t in ("string", "int64", "float64", "bool"))
    pair = {"input": text, "output": text}
    types = {
        "id": text, "aliases": [text], "contest_id": text, "contest_name": text, "contest_type": text,
        "contest_start": integer, "contest_start_year": integer, "index": text, "title": text, "description": text,
        "input_format": text, "output_format": text, "interaction_format": text, "note": text, "examples": [pair],
        "editorial": text, "rating": integer, "tags": [text], "time_limit": real, "memory_limit": real,
        "testset_size": integer, "official_tests": [pair], "official_tests_complete": flag, "input_mode": text,
        "generated_checker": text, "executable": flag, "generated_tests": integer,
    }
    assert tuple(types) == CODEFORCES_COLUMNS
    if prompts:
        types |= {"prompt": text, "language": text}
    return datasets.Features(types)


def write_codeforces_fixture(root: Path, prompts: bool = False) -> tuple[Path, Path]:
    """The problems parquet file and the generated-tests folder; with `prompts`, the
    `verifiable-prompts` shape (a `prompt` and a `language` column, one row per language)."""
    rows, generated = problem_rows()
    assert tuple(rows[0]) == CODEFORCES_COLUMNS
    if prompts:
        rows = [{**row, "prompt": f"Solve {row['title']} in {language}.", "language": language}
                for row in rows for language in ("python", "cpp")]
        assert tuple(rows[0])[-len(PROMPT_COLUMNS):] == PROMPT_COLUMNS
    root.mkdir(parents=True, exist_ok=True)
    problems = root / ("codeforces-prompts.parquet" if prompts else "codeforces.parquet")
    datasets.Dataset.from_list(rows, features=_features(prompts)).to_parquet(str(problems))
    tests = root / "generated_tests"
    tests.mkdir(exist_ok=True)
    for name, test_rows in generated.items():
        assert tuple(test_rows[0]) == GENERATED_TEST_COLUMNS
        features = datasets.Features({column: datasets.Value("string") for column in GENERATED_TEST_COLUMNS})
        datasets.Dataset.from_list(test_rows, features=features).to_parquet(str(tests / name))
    return problems, tests

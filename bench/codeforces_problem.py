"""The Codeforces workload's problem, written at run time as `open-r1/codeforces` rows (the
dataset's columns and types) plus a per-contest generated-tests file, and loaded through
`load_codeforces` exactly as an import of the real dataset is.

"Two Sum": print two indices whose values sum to s, or -1. Any right pair is accepted, so the
row has a Python `generated_checker`, as open-r1's rows for problems with several answers do.
50 tests (3 official, 47 generated) of growing size, up to n = 2 * 10^5. The inputs are built
so that every fixture solution is far from the time limit on each test (a quadratic solution
either finishes in well under a tenth of it or runs many times over it): modes must agree.
"""

from __future__ import annotations

import random
from pathlib import Path

from ..problems.codeforces import CODEFORCES_COLUMNS, GENERATED_TEST_COLUMNS, load_codeforces
from ..problems.model import Problem

PROBLEM_ID = "9000/B"
CONTEST_ID = 9000

CHECKER = '''import sys


def main():
    input_path, correct_path, output_path = sys.argv[1:4]
    data = open(input_path).read().split()
    n, s = int(data[0]), int(data[1])
    a = data[2:2 + n]
    expected = open(correct_path).read().split()
    try:
        got = [int(token) for token in open(output_path).read().split()]
    except ValueError:
        print(0)
        return
    if expected == ["-1"]:
        print(1 if got == [-1] else 0)
        return
    if len(got) != 2:
        print(0)
        return
    i, j = got
    print(1 if 1 <= i <= n and 1 <= j <= n and i != j and int(a[i - 1]) + int(a[j - 1]) == s else 0)


if __name__ == "__main__":
    main()
'''

# (tests, n range): a quadratic Python solution is fast up to n = 1000 and several times over
# the limit from n = 15000; a quadratic C++ one is fast up to n = 25000 and far over it at 2 * 10^5.
GENERATED_SIZES = ((20, (2, 50)), (12, (100, 1000)), (9, (15_000, 25_000)), (6, (200_000, 200_000)))
OFFICIAL = ("4 9\n2 7 11 15\n", "3 6\n3 1 4\n", "5 0\n-2 5 1 2 7\n")


def _test(rng: random.Random, n: int, big: bool) -> str:
    """One input. Every filler value is 1 mod 4 and s is 0 mod 4, so two fillers (2 mod 4) or a
    filler and a planted value (1 mod 4) never sum to s: only planted values pair up, and -1
    is right when none is planted. Planted pairs sit at the end of large inputs (a
    quadratic search scans everything); some inputs hold a lone s / 2, which pairs with itself
    only if i = j is (wrongly) allowed."""
    bound = 10**9 if big else 100
    s = 4 * rng.randint(-bound // 8, bound // 8)
    values = [4 * rng.randint(-bound // 4, bound // 4 - 1) + 1 for _ in range(n)]
    planted = rng.choice((0, 1, 1, 2)) if n >= 2 else 0
    slots = list(range(n - 2 * planted, n)) if n >= 1000 else rng.sample(range(n), 2 * planted)
    for first, second in zip(slots[::2], slots[1::2]):
        low = 4 * rng.randint(-bound // 8, bound // 8)
        if low * 2 == s:
            low += 4  # the pair's values differ: a lone s / 2 stays the only one
        values[first], values[second] = low, s - low
    free = [i for i in range(n) if i not in slots]
    if free and rng.random() < 0.4:
        values[min(free)] = s // 2  # early: a same-index search meets it before most planted pairs
    return f"{n} {s}\n{' '.join(map(str, values))}\n"


def answer(test_input: str) -> str:
    """The reference solution's output (the first j whose complement came before it)."""
    head, rest = test_input.split("\n", 1)
    n, s = map(int, head.split())
    seen: dict[int, int] = {}
    for j, value in enumerate(map(int, rest.split()[:n])):
        if s - value in seen:
            return f"{seen[s - value] + 1} {j + 1}\n"
        seen.setdefault(value, j)
    return "-1\n"


def tests(seed: int = 9000) -> tuple[list[str], list[str]]:
    """(official inputs, generated inputs)."""
    rng = random.Random(seed)
    generated = []
    for count, (low, high) in GENERATED_SIZES:
        for index in range(count):
            n = rng.randint(low, high)
            generated.append(_test(rng, n, big=index % 2 == 1 or low >= 1000))
    return list(OFFICIAL), generated


def _row(official: list[str], generated_count: int) -> dict:
    pairs = [{"input": given, "output": answer(given)} for given in official]
    return {
        "id": PROBLEM_ID, "aliases": [], "contest_id": str(CONTEST_ID), "contest_name": "Bench Round",
        "contest_type": "CF", "contest_start": 1735689600, "contest_start_year": 2025, "index": "B",
        "title": "Two Sum",
        "description": "You are given $$$n$$$ integers $$$a_1, \\ldots, a_n$$$ and an integer $$$s$$$. Find two "
                       "indices $$$i \\ne j$$$ such that $$$a_i + a_j = s$$$.",
        "input_format": "The first line holds $$$n$$$ and $$$s$$$ ($$$1 \\le n \\le 2 \\cdot 10^5$$$, "
                        "$$$|s| \\le 10^9$$$), the second $$$a_1, \\ldots, a_n$$$ ($$$|a_i| \\le 10^9$$$).",
        "output_format": "Print $$$i$$$ and $$$j$$$, or -1 if there are no such indices. If there are several "
                         "answers, print any of them.",
        "interaction_format": None, "note": None, "examples": pairs[:2], "editorial": None, "rating": 1000,
        "tags": ["sortings", "two pointers"], "time_limit": 1.0, "memory_limit": 256.0,
        "testset_size": len(pairs) + generated_count, "official_tests": pairs, "official_tests_complete": True,
        "input_mode": "stdio", "generated_checker": CHECKER, "executable": True, "generated_tests": generated_count,
    }


def write_and_load(work: Path, problems_dir: Path) -> Problem:
    """Write the dataset files under `work` and import the problem into `problems_dir` (the
    folder the service serves)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    official, generated = tests()
    text, integer, real, flag = pa.string(), pa.int64(), pa.float64(), pa.bool_()
    pair = pa.list_(pa.struct([("input", text), ("output", text)]))
    types = {
        "id": text, "aliases": pa.list_(text), "contest_id": text, "contest_name": text, "contest_type": text,
        "contest_start": integer, "contest_start_year": integer, "index": text, "title": text, "description": text,
        "input_format": text, "output_format": text, "interaction_format": text, "note": text, "examples": pair,
        "editorial": text, "rating": integer, "tags": pa.list_(text), "time_limit": real, "memory_limit": real,
        "testset_size": integer, "official_tests": pair, "official_tests_complete": flag, "input_mode": text,
        "generated_checker": text, "executable": flag, "generated_tests": integer,
    }
    assert tuple(types) == CODEFORCES_COLUMNS
    root = work / "open-r1-codeforces"
    (root / "generated_tests").mkdir(parents=True, exist_ok=True)
    rows = root / "codeforces.parquet"
    pq.write_table(pa.Table.from_pylist([_row(official, len(generated))], schema=pa.schema(types)), rows)
    test_rows = [{"problem_id": PROBLEM_ID, "input": given, "output": answer(given)} for given in generated]
    pq.write_table(pa.Table.from_pylist(test_rows, schema=pa.schema({c: text for c in GENERATED_TEST_COLUMNS})),
                   root / "generated_tests" / f"test_cases_{CONTEST_ID:04d}.parquet")
    loaded = load_codeforces(str(rows), root / "generated_tests", cache_dir=problems_dir, problem_ids=[PROBLEM_ID])
    return loaded.problems[PROBLEM_ID]

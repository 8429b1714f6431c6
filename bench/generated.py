"""Generated Batch tasks for the reward-batch workload: each has a sample and subtasks of
growing input size (up to 10^5 numbers), and solutions the way RL completions go: correct,
wrong on some inputs, too slow on the large ones, crashing, not compiling.
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from pathlib import Path

SIZES = {"01-small": 100, "02-medium": 3000, "03-large": 100_000}
POINTS = {"01-small": 20, "02-medium": 30, "03-large": 50}
TESTS_PER_SUBTASK = 4

READ = "#include <bits/stdc++.h>\nusing namespace std;\nint main() { int n; scanf(\"%d\", &n); " \
       "vector<long long> a(n); for (auto &x : a) scanf(\"%lld\", &x);\n"


@dataclass(frozen=True)
class GeneratedTask:
    name: str
    values: tuple[int, int]  # range of the numbers
    answer: object  # list[int] -> the expected output text
    solutions: dict[str, str]  # label -> C++ source


def _sum(a):
    return f"{sum(a)}\n"


def _max_pair(a):
    first, second = sorted(a)[-2:]
    return f"{first + second}\n"


def _distinct(a):
    return f"{len(set(a))}\n"


def _sorted(a):
    return " ".join(map(str, sorted(a))) + "\n"


TASKS = (
    GeneratedTask("sumbig", (-10**12, 10**12), _sum, {
        "correct": READ + "long long s = 0; for (auto x : a) s += x; printf(\"%lld\\n\", s); }\n",
        "wrong": READ + "int s = 0; for (auto x : a) s += (int)x; printf(\"%d\\n\", s); }\n",
        "slow": READ + "long long s = 0; for (int i = 0; i < n; i++) for (int j = 0; j <= i; j++) "
                "if (j == i) s += a[j]; else s += a[j] - a[j]; printf(\"%lld\\n\", s); }\n",
        "ce": READ + "long long s = 0; for (auto x : a) s += x printf(\"%lld\\n\", s); }\n",
    }),
    GeneratedTask("maxpair", (0, 10**9), _max_pair, {
        "correct": READ + "sort(a.begin(), a.end()); printf(\"%lld\\n\", a[n - 1] + a[n - 2]); }\n",
        "wrong": READ + "printf(\"%lld\\n\", 2 * *max_element(a.begin(), a.end())); }\n",
        "slow": READ + "long long best = LLONG_MIN; for (int i = 0; i < n; i++) for (int j = i + 1; j < n; j++) "
                "best = max(best, a[i] + a[j]); printf(\"%lld\\n\", best); }\n",
        "crash": READ + "int *p = n > 1000 ? nullptr : new int[2]; p[1] = 1; sort(a.begin(), a.end()); "
                 "printf(\"%lld\\n\", a[n - 1] + a[n - 2]); }\n",
    }),
    GeneratedTask("distinct", (0, 5000), _distinct, {
        "correct": READ + "sort(a.begin(), a.end()); printf(\"%d\\n\", (int)(unique(a.begin(), a.end()) - a.begin())); }\n",
        "wrong": READ + "int c = n > 0; for (int i = 1; i < n; i++) c += a[i] != a[i - 1]; printf(\"%d\\n\", c); }\n",
        "slow": READ + "int c = 0; for (int i = 0; i < n; i++) { bool seen = false; "
                "for (int j = 0; j < i; j++) seen |= a[j] == a[i]; c += !seen; } printf(\"%d\\n\", c); }\n",
        "ce": READ + "printf(\"%d\\n\", distinct(a)); }\n",
    }),
    GeneratedTask("sortnums", (-10**9, 10**9), _sorted, {
        "correct": READ + "sort(a.begin(), a.end()); for (auto x : a) printf(\"%lld \", x); puts(\"\"); }\n",
        "wrong": READ + "sort(a.rbegin(), a.rend()); for (auto x : a) printf(\"%lld \", x); puts(\"\"); }\n",
        "slow": READ + "for (int i = 1; i < n; i++) for (int j = i; j > 0 && a[j] < a[j - 1]; j--) "
                "swap(a[j], a[j - 1]); for (auto x : a) printf(\"%lld \", x); puts(\"\"); }\n",
        "crash": READ + "vector<long long> b(1000); for (int i = 0; i < n; i++) b.at(i) = a[i]; "
                 "sort(a.begin(), a.end()); for (auto x : a) printf(\"%lld \", x); puts(\"\"); }\n",
    }),
)


def write_task(task: GeneratedTask, root: Path, seed: int = 11) -> Path:
    """The task in TPS layout under root/<name> (idempotent for a given seed)."""
    folder = root / task.name
    (folder / "tests").mkdir(parents=True, exist_ok=True)
    (folder / "subtasks").mkdir(exist_ok=True)
    rng = random.Random(f"{task.name}-{seed}")
    low, high = task.values

    def test(name: str, numbers: list[int]) -> None:
        (folder / "tests" / f"{name}.in").write_text(f"{len(numbers)}\n{' '.join(map(str, numbers))}\n")
        (folder / "tests" / f"{name}.out").write_text(task.answer(numbers))

    test("0-01", [rng.randint(low, high) for _ in range(5)])
    subtasks = {"00-samples": ["0-01"]}
    for number, (subtask, size) in enumerate(SIZES.items(), start=1):
        names = []
        for index in range(TESTS_PER_SUBTASK):
            name = f"{number}-{index + 1:02d}"
            test(name, [rng.randint(low, high) for _ in range(rng.randint(size // 2, size))])
            names.append(name)
        subtasks[subtask] = names
    (folder / "subtasks" / "00-samples.json").write_text(json.dumps({"score": 0, "testcases": subtasks["00-samples"]}))
    for subtask, names in subtasks.items():
        if subtask != "00-samples":
            (folder / "subtasks" / f"{subtask}.json").write_text(json.dumps({"score": POINTS[subtask], "testcases": names}))
    (folder / "problem.json").write_text(json.dumps({
        "code": task.name, "name": task.name, "time_limit": 1.0, "memory_limit": 256 << 20, "score_precision": 2,
        "task_type": "Batch", "task_type_params": json.dumps({"task_type_parameters_Batch_compilation": "alone"}),
    }))
    return folder

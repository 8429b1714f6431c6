"""Attacks on Codeforces-style problems (the open-r1-shaped fixture), through the real sandbox.
Each attack answers right only if it worked, so any accepted test is a breach: it must score 0.

- planting a `checker.py` (and the checker's own file names) wherever the Python
  generated_checker might look for them: the checker runs trusted in the judge box, from files
  the submission never touches;
- `output.txt` tricks in a file-mode problem: a FIFO, a directory, a symlink out of the
  scratch, a sparse giant: a 0-point verdict, never a hang or an infrastructure error;
- files left for the next test (scratch, /tmp, $HOME): each test starts from a clean scratch;
- reading the expected answer by any path (files named like answers, other processes' fds and
  working folders)."""

from __future__ import annotations

import pytest

from codeforces_fixture import write_codeforces_fixture
from ioi_grader.grading.results import TestStatus
from ioi_grader.grading.submission import GradeOptions, Submission
from ioi_grader.problems.codeforces import load_codeforces

pytestmark = pytest.mark.docker

S = TestStatus

PLANT_CHECKER = r'''
import os
fake = "print(1)\n"
for folder in (".", "..", "/tmp", os.environ.get("HOME", "."), "/scratch", "/io", "/trusted"):
    for name in ("checker.py", "input.txt", "correct_output.txt", "solution_output.txt"):
        try:
            with open(os.path.join(folder, name), "w") as handle:
                handle.write(fake if name == "checker.py" else "1\n")
        except OSError:
            pass
print(0)  # a wrong split: only a planted checker accepts it
'''

# 2/B reverses the words of input.txt into output.txt. Each trick leaves something other than a
# regular file where the output is collected, then exits cleanly.
OUTPUT_TRICKS = {
    "fifo": 'import os\nos.mkfifo("output.txt")\n',
    "directory": 'import os\nos.mkdir("output.txt")\nopen("output.txt/x", "w").write("x")\n',
    "symlink_out": 'import os\nos.symlink("/etc/passwd", "output.txt")\n',
    "symlink_input": 'import os\nos.symlink("/proc/self/fd/0", "output.txt")\n',
    "sparse_giant": 'f = open("output.txt", "wb")\nf.seek(1 << 40)\nf.write(b"x")\n',
}

CARRY_OVER = r'''
import os
words = open("input.txt").read().split()
places = [".", "/tmp", os.environ.get("HOME", "."), "/dev/shm"]
seen = any(os.path.exists(os.path.join(folder, ".marker")) for folder in places)
for folder in places:
    try:
        open(os.path.join(folder, ".marker"), "w").write("1")
    except OSError:
        pass
# Right only from the second test on, and only if a marker survived a test.
open("output.txt", "w").write(" ".join(reversed(words)) if seen else "wrong")
'''

READ_ANSWERS = r'''
import os, sys
data = sys.stdin.read().split()
n, values = int(data[0]), data[1:]
mine = " ".join(data)
def candidates():
    for root in ("/", "/io", "/scratch", "/tmp", "/trusted", "/proc/1/cwd", "/proc/1/root/io"):
        for folder, dirs, files in os.walk(root):
            if folder.startswith(("/proc", "/sys", "/usr", "/lib", "/bin", "/sbin", "/etc")) and root == "/":
                dirs[:] = []
                continue
            for name in files:
                yield os.path.join(folder, name)
    for pid in os.listdir("/proc"):
        if pid.isdigit():
            for fd in range(3, 32):
                yield f"/proc/{pid}/fd/{fd}"
for path in candidates():
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
        text = os.read(fd, 1 << 16).decode(errors="replace").split()
        os.close(fd)
    except OSError:
        continue
    # An answer file is one integer; a test's input is the one this process was given.
    if len(text) == 1 and text[0].lstrip("-").isdigit() and text[0] != data[0]:
        print(text[0])
        sys.exit(0)
print(0)
'''


@pytest.fixture(scope="module")
def problems(tmp_path_factory):
    root = tmp_path_factory.mktemp("cf-attacks")
    files, tests = write_codeforces_fixture(root)
    return load_codeforces(str(files), tests, cache_dir=root / "cache").problems


def _grade(grader, problem, code: str):
    return grader.grade(problem, Submission(language="python", code=code), GradeOptions())


def _verdicts(result) -> set[TestStatus]:
    return {t.status for t in result.tests.values()}


def test_a_planted_checker_is_never_run(grader, problems):
    result = _grade(grader, problems["3/C"], PLANT_CHECKER)
    assert result.score == 0 and _verdicts(result) == {S.WA}, [(t.name, t.status, t.message) for t in result.tests.values()]


@pytest.mark.parametrize("trick", list(OUTPUT_TRICKS))
def test_output_file_tricks_score_zero(grader, problems, trick):
    result = _grade(grader, problems["2/B"], OUTPUT_TRICKS[trick])
    assert result.score == 0, [(t.name, t.status, t.message) for t in result.tests.values()]
    assert _verdicts(result) <= {S.WA, S.RE, S.PE}, [(t.name, t.status, t.message) for t in result.tests.values()]
    # The next submission grades normally: the box is clean.
    fine = _grade(grader, problems["2/B"], 'w = open("input.txt").read().split()\n'
                                           'open("output.txt", "w").write(" ".join(reversed(w)))\n')
    assert fine.score == 100


def test_files_left_for_the_next_test_are_gone(grader, problems):
    result = _grade(grader, problems["2/B"], CARRY_OVER)
    assert result.score == 0 and _verdicts(result) == {S.WA}, [(t.name, t.status) for t in result.tests.values()]


def test_the_answer_cannot_be_read_by_any_path(grader, problems):
    result = _grade(grader, problems["1/A"], READ_ANSWERS)
    accepted = [t.name for t in result.tests.values() if t.status is S.AC]
    assert not accepted and result.score == 0, [(t.name, t.status, t.message) for t in result.tests.values()]

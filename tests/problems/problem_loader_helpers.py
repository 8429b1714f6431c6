"""Helpers for the loader tests (a uniquely named module: `conftest` is not importable safely)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

# ../shared next to the project root (the same in CI: the clone sits beside shared/).
SHARED_DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data"
APLUSB = SHARED_DATA / "ioi2024-aplusb"
FISH = SHARED_DATA / "ioi2022-fish"

# Placeholder sources: the loaders only carry text; the real graders live in tests/fixtures/.
GRADER_CPP = '#include "aplusb.h"\nint main() { return 0; }\n'
APLUSB_H = "int sum(int A, int B);\n"
CHECKER_CPP = "// CMS checker placeholder\nint main() { return 0; }\n"


def write(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    return path


def build_aplusb(folder: Path) -> Path:
    """The shared aplusb data (symlinked, it is read-only) plus minimal graders and a checker."""
    folder.mkdir(parents=True)
    for name in ("problem.json", "subtasks", "tests"):
        (folder / name).symlink_to((APLUSB / name).resolve())
    write(folder / "graders" / "grader.cpp", GRADER_CPP)
    write(folder / "graders" / "aplusb.h", APLUSB_H)
    write(folder / "checker" / "checker.cpp", CHECKER_CPP)
    return folder


# Signatures of the make_tps / make_kattis fixtures (see conftest.py).
MakeTps = Callable[..., Path]
MakeKattis = Callable[..., Path]

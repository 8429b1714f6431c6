"""Small helpers the integration tests share."""

from __future__ import annotations

import subprocess
import time
import uuid
from pathlib import Path

from ioi_grader.bench.serve_process import free_port  # noqa: F401 - shared with the tests


def wait_until(predicate, timeout: float, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")


def install_static_program(box, source: str, work: Path, name: str) -> str:
    """Compile C++ `source` on the host into a static binary and install it in `box` as /box/`name`
    (for raw sandbox tests that need a program with no runtime dependencies). Returns its path."""
    work.mkdir(parents=True, exist_ok=True)
    (work / f"{name}.cpp").write_text(source)
    subprocess.run(["g++", "-O2", "-static", "-s", "-o", str(work / name), str(work / f"{name}.cpp")], check=True)
    return box.install(work / name, name, f"{name}-{uuid.uuid4().hex}")


def write_task(root: Path, files: dict[str, str]) -> Path:
    """A task folder from {relative path: text}."""
    for relative, text in files.items():
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root

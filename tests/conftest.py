"""Shared fixtures: paths, and one real sandbox pool for the whole session.

Tests that use `sandbox_pool` or `grader` run against the real Docker engine and the real
sandbox image (`scripts/test` starts the engine and builds the image first).
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

import sys

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/paths.py, tests/tasks.py

from paths import EXAMPLES, FIXTURES, REPO, SHARED_DATA  # noqa: E402,F401
import verdict_matrix  # noqa: E402


@pytest.fixture(scope="session")
def state_dir():
    # Short and private: box sockets live under it and unix socket paths are limited to 108 bytes.
    path = Path(tempfile.mkdtemp(prefix="ioig-test-"))
    yield path
    import shutil

    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(scope="session")
def sandbox_pool(state_dir):
    from ioi_grader.sandbox import SandboxPool, SandboxSettings

    settings = SandboxSettings(state_dir=state_dir, run_boxes=int(os.environ.get("IOI_GRADER_TEST_BOXES", "2")))
    pool = SandboxPool(settings).start()
    yield pool
    pool.close()


@pytest.fixture(scope="session")
def grader(sandbox_pool):
    from ioi_grader.grading.grader import Grader

    grader = verdict_matrix.recording(Grader(sandbox_pool))
    yield grader
    grader.close()


@pytest.fixture(scope="session")
def fake_grader(tmp_path_factory):
    """A grader over the plain-process TEST DOUBLE sandbox (no Docker, no isolation): for unit
    tests of task types, checkers and orchestration. Its task-program cache lasts the session."""
    from doubles.fake_sandbox import FakePool
    from ioi_grader.grading.grader import Grader

    grader = Grader(FakePool(tmp_path_factory.mktemp("fake-sandbox")))
    yield grader
    grader.close()


@pytest.fixture(autouse=True)
def _name_the_verdict_matrix_row(request):
    verdict_matrix.current_test = request.node.nodeid

"""Paths the tests share: the repository, ../shared/data, examples and fixtures."""

from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = (REPO / ".." / "shared" / "data").resolve()
EXAMPLES = REPO / "examples" / "problems"
FIXTURES = REPO / "tests" / "fixtures"

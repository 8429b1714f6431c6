"""Small helpers the integration tests share."""

from __future__ import annotations

import time

from ioi_grader.server.process import free_port  # noqa: F401 - shared with the tests


def wait_until(predicate, timeout: float, interval: float = 0.05):
    """Poll `predicate` until it returns something truthy; that value is returned."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"condition not met within {timeout}s")

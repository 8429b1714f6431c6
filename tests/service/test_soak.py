"""The crash soak, CI-sized: two minutes of submissions and reward batches against `serve` with
two workers, while Redis, a worker and a sandbox container are each killed three times at
random moments. Every accepted submission must end done with its quiet-run score, or failed
with a reason; none lost, none with two results. The 10-minute version with 10 kills of each
kind is `ioi-grader bench soak`; its figures go in the issue note."""

from __future__ import annotations

import json
import subprocess

import pytest

from paths import REPO

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.slow]


def test_soak_loses_nothing_while_redis_workers_and_sandboxes_die(tmp_path):
    report_path = tmp_path / "soak.json"
    run = subprocess.run([str(REPO / ".venv/bin/ioi-grader"), "bench", "soak", "--minutes", "2", "--kills", "3",
                          "--drain", "240", "--json", str(report_path)],
                         capture_output=True, text=True, timeout=1200)
    assert report_path.exists(), run.stderr[-3000:] + run.stdout[-2000:]
    report = json.loads(report_path.read_text())
    summary = run.stdout[-3000:]
    assert report["kills_done"] == {"redis": 3, "worker": 3, "sandbox": 3}, report["kills"]
    assert report["lost"] == 0, (summary, report["examples"])
    assert report["duplicates"] == 0, (summary, report["examples"])
    assert report["wrong_scores"] == 0 and report["reward_value_mismatches"] == 0, (summary, report["examples"])
    assert report["failed_without_reason"] == 0, report["failure_reasons"]
    assert report["done"] + report["failed"] == report["accepted"]
    # A stream that accepted almost nothing would prove nothing.
    assert report["accepted_submissions"] >= 10 and report["accepted_reward_items"] >= 4, summary
    assert run.returncode == 0, summary

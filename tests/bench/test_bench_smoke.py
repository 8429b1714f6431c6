"""`bench --quick` and a small load run as CI smoke tests: they must run end to end and every
mode must agree on the scores. No timing is asserted here; the figures go in the issue notes."""

from __future__ import annotations

import json
import subprocess

import pytest

from paths import REPO

pytestmark = [pytest.mark.docker, pytest.mark.slow]


def test_bench_quick_runs_and_every_mode_agrees(tmp_path):
    report_path = tmp_path / "bench.json"
    run = subprocess.run([str(REPO / ".venv/bin/ioi-grader"), "bench", "--quick", "--json", str(report_path)],
                         capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(report_path.read_text())
    assert [w["name"] for w in report["workloads"]] == ["fish", "reward", "many-small", "codeforces", "reward-batch"]
    *single, batch = report["workloads"]
    for workload in report["workloads"]:
        assert workload["scores_agree"], workload["name"]
        assert workload["ours_over_floor"]
        assert 0 <= workload["wasted_cpu_fraction"] <= 1 and 0 <= workload["floor_wasted_cpu_fraction"] <= 1
    for workload in single:
        assert workload["anchor_over_ours"]
        modes = {row["mode"] for row in workload["rows"]}
        assert {"floor", "ours (core)", "anchor", "ours (service, 1 worker)"} <= modes
    assert {row["mode"] for row in batch["rows"]} == {"floor", "ours (service, 2 workers x 1 box)"}
    assert batch["service_2wx1b_completions_per_second"] > 0 and len(batch["service_2wx1b_core_busy"]) >= 1
    assert report["workloads"][2]["per_test_overhead_ms"] is not None
    codeforces = report["workloads"][3]
    assert codeforces["reward_mode"] == "weighted_sum" and codeforces["submissions"] == 8
    rows = {row["mode"]: row for row in codeforces["rows"]}
    rewards = rows["ours (service, 1 worker)"]["scores"]  # what POST /v1/reward answered
    assert rewards == rows["floor"]["scores"] == rows["ours (core)"]["scores"] and len(rewards) == 8
    assert all(-0.1 <= r <= 1.1 for r in rewards)
    assert 1.1 in rewards and -0.1 in rewards  # every test passed; did not compile (C++ and Python)
    assert any(0 < r < 0.1 for r in rewards)  # passed some tests: weighted_sum's partial credit
    # weighted_sum grades every one of the 50 tests of whatever compiled: none skipped or cancelled.
    compiled = sum(1 for r in rewards if r != -0.1)
    assert codeforces["tests_run"] == rows["floor"]["tests"] == rows["ours (service, 1 worker)"]["tests"] == 50 * compiled
    assert codeforces["wasted_cpu_fraction"] == 0 and codeforces["floor_wasted_cpu_fraction"] == 0
    assert "extrapolated" in rows["anchor"]["note"]
    assert set(report["compile_seconds"]) >= {"plain", "pch", "pch_bfd_linker", "ours_in_sandbox"}
    assert {"cc1plus with the precompiled header (-S)", "static link, gold"} <= set(report["compile_stages"])


def test_load_smoke_every_result_correct(tmp_path):
    run = subprocess.run([str(REPO / ".venv/bin/ioi-grader"), "bench", "load", "--submissions", "100",
                          "--clients", "10", "--json", str(tmp_path / "load.json")],
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:] + run.stdout[-2000:]
    report = json.loads((tmp_path / "load.json").read_text())
    assert report["correct"] == report["results"] == 100

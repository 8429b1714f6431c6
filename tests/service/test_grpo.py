"""TRL's GRPOTrainer (tiny random model, CPU) calls `ioi_reward` through the service."""

from __future__ import annotations

import json
import os
import re
import subprocess

import httpx
import pytest

from paths import REPO

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.slow]


def reward_items(service) -> float:
    metrics = httpx.get(f"{service.url}/metrics").text
    return sum(float(v) for v in re.findall(r'^ioi_grader_reward_items_total\{[^}]*\} (\S+)$', metrics, re.M))


def test_grpo_step_uses_the_service_for_rewards(service, tmp_path):
    before = reward_items(service)
    env = dict(os.environ, IOI_GRADER_URL=service.url, HF_HUB_OFFLINE="1", TOKENIZERS_PARALLELISM="false")
    run = subprocess.run([str(REPO / ".venv/bin/python"), str(REPO / "examples/grpo_tiny.py"), str(tmp_path)],
                         env=env, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stderr[-3000:]
    history = json.loads(run.stdout.strip().splitlines()[-1])
    step = next(entry for entry in history if "rewards/ioi_reward/mean" in entry)
    assert step["step"] == 1 and step["rewards/ioi_reward/mean"] == 0.0  # a random model writes no code
    # Every completion of the step was answered by the service (not dropped as None locally).
    assert reward_items(service) - before >= 4

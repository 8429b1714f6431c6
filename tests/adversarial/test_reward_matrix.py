"""The rule issue 9 pins: nothing a submission does yields `None` or a failed job. Every attack
of tests/adversarial/attacks goes through a real `serve` (API, Redis, workers, warm sandboxes)
to `/v1/reward` on the IOI 2024 aplusb task and must come back scored: a float, 0.0, since no
attack may earn a point. A `None` here would be a free pass for a model under RL pressure:
TRL drops the sample, so crashing the grader costs it nothing."""

from __future__ import annotations

import httpx
import pytest

from ioi_grader.bench.serve_process import ServeProcess
from tasks import assemble_aplusb
from test_attacks import ATTACKS, EXPECTED, TestStatus, attack_source

pytestmark = [pytest.mark.docker, pytest.mark.redis]

ATTACK_NAMES = sorted(p.stem for p in ATTACKS.glob("*.cpp"))


@pytest.fixture(scope="module")
def serve(tmp_path_factory):
    root = tmp_path_factory.mktemp("reward-matrix")
    assemble_aplusb(root / "tasks")
    with ServeProcess([root / "tasks"], root / "serve", workers=2, boxes_per_worker=1) as process:
        yield process


def test_every_attack_gets_a_float_reward(serve):
    items = [{"problem_id": "aplusb", "completion": f"```cpp\n{attack_source(name)}\n```"} for name in ATTACK_NAMES]
    response = httpx.post(f"{serve.url}/v1/reward", json={"items": items, "mode": "problem", "timeout": 3000},
                          headers=serve.headers, timeout=3100)
    assert response.status_code == 200, response.text
    body = response.json()
    outcome = {name: (detail["reward"], detail["status"], detail["reason"])
               for name, detail in zip(ATTACK_NAMES, body["details"])}
    unscored = {name: got for name, got in outcome.items() if got[1] != "scored" or not isinstance(got[0], float)}
    assert not unscored, f"attacks that made themselves ungradable: {unscored}"
    assert all(reward == 0.0 for reward, _, _ in outcome.values()), outcome
    # Each attack really ran: only the compile-time ones stop at compilation.
    compiled_out = {name for name, (_, _, reason) in outcome.items() if reason == "compilation failed"}
    assert compiled_out == {name for name in ATTACK_NAMES if TestStatus.CE in EXPECTED[name][0]}

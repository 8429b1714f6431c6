"""Every registered score type reproduces its examples, and its `decided` predicate is sound:
once it says a subtask is decided, no outcome of the remaining tests changes the fraction."""

from __future__ import annotations

import itertools

import pytest

from ioi_grader.scoretypes import scoretypes

NAMES = scoretypes.names()


@pytest.mark.parametrize("name", NAMES)
def test_examples(name):
    plugin = scoretypes.get(name)
    assert plugin.examples, f"{name} has no examples"
    for outcomes, fraction in plugin.examples:
        assert plugin.reduce(outcomes) == pytest.approx(fraction), (outcomes, fraction)


@pytest.mark.parametrize("name", NAMES)
def test_decided_means_the_rest_cannot_matter(name):
    plugin = scoretypes.get(name)
    values = (0.0, 0.5, 1.0)
    for known in itertools.chain.from_iterable(itertools.product(values, repeat=n) for n in range(1, 4)):
        if not plugin.decided(known, remaining=2):
            continue
        fractions = {plugin.reduce(known + rest) for rest in itertools.product(values, repeat=2)}
        assert len(fractions) == 1, (name, known, fractions)


@pytest.mark.parametrize("name", NAMES)
def test_everything_run_is_decided(name):
    assert scoretypes.get(name).decided((1.0, 0.5), remaining=0)


def test_the_ioi_rule_is_decided_by_a_zero_and_sum_never_early():
    assert scoretypes.get("GroupMin").decided((1.0, 0.0), remaining=5)
    assert not scoretypes.get("GroupMin").decided((1.0, 0.5), remaining=5)
    assert not scoretypes.get("Sum").decided((0.0, 0.0), remaining=1)

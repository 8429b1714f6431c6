"""Checkers are pure functions: comparisons and the reading of checker program results."""

import pytest

from ioi_grader.checkers import (
    CheckerFailure, argument_order, cms_verdict, token_diff, white_diff,
)
from ioi_grader.checkers import testlib_verdict as read_testlib
from ioi_grader.problems.model import CheckerKind


@pytest.mark.parametrize("output", [b"1 2\n3\n", b"  1   2 \n3", b"1\t2\r\n3\n\n\n"])
def test_white_diff_ignores_whitespace_runs_and_trailing_blank_lines(output):
    assert white_diff(output, b"1 2\n3\n").outcome == 1


@pytest.mark.parametrize("output", [b"1 2 3\n", b"1 2\n4\n", b"1 2\n", b"1 2\n3\n4\n", b"12\n3\n"])
def test_white_diff_is_line_sensitive(output):
    verdict = white_diff(output, b"1 2\n3\n")
    assert verdict.outcome == 0 and verdict.message


def test_token_diff_ignores_line_structure_but_not_tokens():
    assert token_diff(b"1\n2 3", b"1 2\n3").outcome == 1
    assert token_diff(b"1 2", b"1 2 3").outcome == 0
    assert token_diff(b"YES", b"yes").outcome == 1
    assert token_diff(b"YES", b"yes", ("case_sensitive",)).outcome == 0
    assert token_diff(b"0.3333", b"0.33333333", ("float_tolerance", "1e-3")).outcome == 1
    assert token_diff(b"0.3", b"0.33333333", ("float_tolerance", "1e-3")).outcome == 0


def test_argument_orders_of_the_two_conventions():
    assert argument_order(CheckerKind.CMS, "in", "ans", "out") == ["in", "ans", "out"]
    assert argument_order(CheckerKind.TESTLIB, "in", "ans", "out") == ["in", "out", "ans"]


def test_cms_verdict_reads_outcome_and_translates_message():
    verdict = cms_verdict(0, b"0.5\nextra", b"translate:partial\n")
    assert verdict.outcome == 0.5 and verdict.message == "Output is partially correct"
    assert cms_verdict(0, b"1\n", b"translate:success").message == "Output is correct"
    assert cms_verdict(0, b"0\n", b"Protocol violation\n").message == "Protocol violation"


def test_cms_outcomes_outside_unit_interval_are_clamped():
    assert cms_verdict(0, b"1.7\n", b"").outcome == 1
    assert cms_verdict(0, b"-3\n", b"").outcome == 0


@pytest.mark.parametrize("stdout", [b"", b"OK\n", b"nan\n"])
def test_cms_checker_without_a_number_is_a_checker_failure(stdout):
    with pytest.raises(CheckerFailure):
        cms_verdict(0, stdout, b"")


def test_testlib_exit_codes():
    assert read_testlib(0, b"", b"ok 5 numbers\n").outcome == 1
    assert read_testlib(1, b"", b"wrong answer 3rd numbers differ").outcome == 0
    assert read_testlib(2, b"", b"wrong output format").outcome == 0
    partial = read_testlib(7, b"", b"points 0.25 close enough\n")
    assert partial.outcome == 0.25 and partial.message == "close enough"
    with pytest.raises(CheckerFailure):
        read_testlib(3, b"", b"FAIL answer is wrong")
    with pytest.raises(CheckerFailure):
        read_testlib(None, b"", b"")

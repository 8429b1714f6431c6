"""One error taxonomy for grading: whose fault a failure is decides what happens next.

- `Rejected`: the submission's own fault (an unsupported language for the task, an unknown
  subtask, a source too large). Reported at once; never retried.
- `TaskBroken`: the task is broken (its checker, manager or grader does not compile or fails on
  the reference answer). The submission fails once, clearly, and the operator is told; running it
  again cannot help.
- `Transient`: the infrastructure hiccuped (a box was lost, Docker or Redis stumbled). Only these
  are retried, on another box or by the queue.

A submission's own misbehaviour at run time (crashes, limits, attacks) is none of these: it is a
verdict with 0 points.
"""

from __future__ import annotations


class GradingFailure(Exception):
    """Base of every failure that stops a submission from being graded."""

    retryable = False


class Rejected(GradingFailure, ValueError):
    """The submission cannot be graded as sent; the message says what to change."""


class TaskBroken(GradingFailure):
    """The task's own programs or data are broken; the message is for the task's operator."""


class Transient(GradingFailure):
    """A failure of the infrastructure that another attempt may not meet."""

    retryable = True

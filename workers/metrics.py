"""Service metrics kept in Redis, so that every worker process contributes and the API
renders one Prometheus view of all of them."""

from __future__ import annotations

import logging

from redis import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

COUNTERS = "ioi:metrics:counters"
HISTOGRAM = "ioi:metrics:hist:{}"

# Seconds: covers a sub-millisecond test up to a long compile.
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

HELP = {
    "ioi_grader_submissions_total": ("counter", "Submissions finished, by final state."),
    "ioi_grader_tests_total": ("counter", "Tests run, by status."),
    "ioi_grader_sandbox_recycles_total": ("counter", "Sandbox boxes replaced (aged out or broken)."),
    "ioi_grader_reward_items_total": ("counter", "Completions answered by /v1/reward, by outcome."),
    "ioi_grader_problem_cache_total": ("counter", "Jobs by whether their problem version was on the worker's host."),
    "ioi_grader_package_fetch_bytes_total": ("counter", "Problem package bytes workers fetched from Redis."),
    "ioi_grader_task_errors_total": ("counter", "Submissions failed because their task is broken, by problem."),
    "ioi_grader_solution_cpu_seconds_total": ("counter", "CPU seconds submissions used in their tests."),
    "ioi_grader_wasted_cpu_seconds_total": (
        "counter", "Of which, spent after the test could no longer change a score (before its cancel took effect)."),
    "ioi_grader_tests_cancelled_total": ("counter", "Tests cancelled in a box once no undecided subtask needed them."),
    "ioi_grader_results_suppressed_total": (
        "counter", "Results dropped because the submission was final already (a job that ran twice)."),
    "ioi_grader_reconciled_total": (
        "counter", "Pending submissions whose job was lost, requeued or failed by the reconciler."),
    "ioi_grader_compile_seconds": ("histogram", "Wall time of one submission's compilation."),
    "ioi_grader_test_seconds": ("histogram", "Wall time of one test run, as measured by the sandbox."),
}


def _series(name: str, labels: dict[str, str] | None) -> str:
    if not labels:
        return name
    inner = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    return f"{name}{{{inner}}}"


class Metrics:
    def __init__(self, redis: Redis):
        self.redis = redis

    def count(self, name: str, amount: float = 1, **labels: str) -> None:
        if amount:
            try:
                self.redis.hincrbyfloat(COUNTERS, _series(name, labels), amount)
            except RedisError as error:  # a sample lost while Redis restarts must not fail the job
                log.debug("metric %s not counted: %s", name, error)

    def observe(self, name: str, value: float) -> None:
        self.observe_many(name, [value])

    def observe_many(self, name: str, values: list[float]) -> None:
        """Several observations of one histogram, in one round trip."""
        if not values:
            return
        counts = {f"{bound}": sum(1 for v in values if v <= bound) for bound in BUCKETS}
        try:
            with self.redis.pipeline(transaction=False) as pipe:
                key = HISTOGRAM.format(name)
                for bound, count in counts.items():
                    if count:
                        pipe.hincrby(key, bound, count)
                pipe.hincrby(key, "+Inf", len(values))
                pipe.hincrbyfloat(key, "sum", sum(values))
                pipe.execute()
        except RedisError as error:  # a sample lost while Redis restarts must not fail the job
            log.debug("metric %s not observed: %s", name, error)

    def render(self, gauges: dict[str, tuple[str, float]]) -> str:
        """Prometheus text format: the shared counters and histograms plus `gauges`
        ({name: (help, value)}) computed by the caller at scrape time."""
        lines: list[str] = []
        for name, (help_text, value) in gauges.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {value}"]
        counters = {k.decode(): float(v) for k, v in self.redis.hgetall(COUNTERS).items()}
        for name, (kind, help_text) in HELP.items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
            if kind == "counter":
                series = {k: v for k, v in counters.items() if k == name or k.startswith(name + "{")}
                for key, value in sorted(series.items()) or [(name, 0.0)]:
                    lines.append(f"{key} {value:g}")
            else:
                raw = {k.decode(): float(v) for k, v in self.redis.hgetall(HISTOGRAM.format(name)).items()}
                for bound in BUCKETS:
                    lines.append(f'{name}_bucket{{le="{bound}"}} {raw.get(str(bound), 0):g}')
                lines.append(f'{name}_bucket{{le="+Inf"}} {raw.get("+Inf", 0):g}')
                lines.append(f"{name}_sum {raw.get('sum', 0):g}")
                lines.append(f"{name}_count {raw.get('+Inf', 0):g}")
        return "\n".join(lines) + "\n"

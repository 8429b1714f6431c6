"""Human-readable rendering of a `GradeResult` (the CLI's table)."""

from __future__ import annotations

from rich import box
from rich.console import Console
from rich.table import Table
from rich.text import Text

from .results import GradeResult, TestStatus

_STYLE = {
    TestStatus.AC: "green", TestStatus.PA: "yellow", TestStatus.WA: "red", TestStatus.TLE: "magenta",
    TestStatus.MLE: "magenta", TestStatus.RE: "red", TestStatus.CE: "red", TestStatus.SKIPPED: "dim",
    TestStatus.PE: "red", TestStatus.IL: "magenta",
}


def _status(status: TestStatus) -> Text:
    return Text(status.value, style=_STYLE.get(status, ""))


def _memory(value: int) -> str:
    return f"{value / (1 << 20):.1f} MiB" if value else "-"


def render(result: GradeResult, console: Console | None = None, show_tests: bool = True) -> None:
    console = console or Console()
    compile_line = f"compile: {result.compile.status.value} ({result.compile.time:.2f} s)"
    console.print(f"[bold]{result.problem_id}[/bold] ({result.language})  {compile_line}")
    if result.compile.message.strip():
        console.print(Text(result.compile.message.rstrip(), style="dim" if result.compile.status.value == "OK" else "red"))
    table = Table(box=box.SIMPLE_HEAD, show_lines=False)
    for column, justify in (("subtask / test", "left"), ("points", "right"), ("score", "right"), ("status", "left"),
                            ("CPU", "right"), ("memory", "right"), ("message", "left")):
        table.add_column(column, justify=justify, overflow="fold")
    for subtask in result.subtasks:
        table.add_row(Text(subtask.name, style="bold"), f"{subtask.points:g}", f"{subtask.score:g}",
                      _status(subtask.status), "", "", "")
        if show_tests:
            for test in subtask.tests:
                table.add_row(f"  {test.name}", "", f"{test.score:g}", _status(test.status), f"{test.time:.3f} s",
                              _memory(test.memory), test.message[:80])
    console.print(table)
    console.print(f"[bold]score {result.score:g} / {result.max_score:g}[/bold]")

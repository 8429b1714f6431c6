"""What a language is to the grader, and the registry that finds each one by name.

A language is one module in this folder (or a third-party entry point in the
`ioi_grader.languages` group) defining one `Language` subclass: how a source file is named,
compiled and started, whether it can link a task's C++ grader or stub, which Debian packages
the sandbox image needs for it, how code is found in a model's completion, and a self-test
program that the test suite compiles and runs in the real sandbox.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar

from ..plugins import Plugin, Registry


# The macros CMS defines when it compiles a submission (and what a task states unless it says otherwise).
DEFAULT_DEFINES: tuple[str, ...] = ("EVAL",)


@dataclass(frozen=True)
class SelfTest:
    """A program that must print `stdout` when given `stdin` (checked after token splitting)."""

    source: str
    stdin: str
    stdout: str


def source_stem(problem_id: str) -> str:
    """The contestant file is named after the task code, as in CMS (`<code>.cpp`)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", problem_id) or "solution"


class Language(Plugin, ABC):
    extensions: ClassVar[tuple[str, ...]] = ()  # source file suffixes, e.g. (".cpp", ".cc")
    fence_tags: ClassVar[tuple[str, ...]] = ()  # Markdown code fence tags a completion may use
    image_packages: ClassVar[tuple[str, ...]] = ()  # Debian packages the sandbox image needs
    links_task_code: ClassVar[bool] = False  # can link a task's grader.cpp / stub.cpp objects
    compile_cpus: ClassVar[float] = 1.0  # CPU bandwidth of the compilation (g++ -pipe uses 2)
    self_test: ClassVar[SelfTest]

    def source_name(self, stem: str) -> str:
        return f"{stem}{self.extensions[0]}"

    def program_name(self, stem: str) -> str:
        """The file compilation leaves behind in the scratch folder, and the box runs."""
        return self.source_name(stem)

    @abstractmethod
    def compile_argv(self, stem: str, link_objects: list[str], defines: Sequence[str] = DEFAULT_DEFINES) -> list[str]:
        """The compiler command, run in the scratch folder that holds the source, the task's
        headers and the task's object files `link_objects`. `defines` are the macros the task's
        judge defines (`Problem.compile_defines`: EVAL for CMS, ONLINE_JUDGE for Codeforces), for
        languages that have macros."""

    @abstractmethod
    def run_argv(self, program_path: str) -> list[str]:
        """How to start the installed program."""

    def task_unit_argv(self, unit: str, output: str, defines: Sequence[str] = DEFAULT_DEFINES) -> list[str] | None:
        """How to compile the task's grader or stub `unit` into the object `output` that
        `compile_argv` links; None when this language cannot link task code."""
        return None

    def prepare_completion(self, code: str, header: str | None) -> str:
        """Code taken from a model's completion, made ready to compile (open-r1's patching)."""
        return code

    # -- code in completions -------------------------------------------------------------------

    def fence_pattern(self) -> re.Pattern[str]:
        tags = "|".join(re.escape(tag) for tag in self.fence_tags)
        return re.compile(rf"```(?:{tags})[ \t]*\n(.*?)```", re.DOTALL | re.IGNORECASE)

    def extract_code(self, text: str) -> str:
        """The last fenced block of this language (open-r1 takes the last ```cpp fence)."""
        matches = self.fence_pattern().findall(text)
        return matches[-1] if matches else ""


languages: Registry[Language] = Registry("language", Language, "ioi_grader.languages", "ioi_grader.languages")


def language_for_file(name: str, default: str = "cpp") -> Language:
    """The language of a source file, by its suffix (`solution.py` is Python)."""
    for language in languages:
        if any(name.endswith(suffix) for suffix in language.extensions):
            return language
    return languages.get(default)


def image_packages() -> list[str]:
    """Every Debian package the registered languages need in the sandbox image."""
    packages: dict[str, None] = {}
    for language in languages:
        for package in language.image_packages:
            packages.setdefault(package, None)
    return list(packages)

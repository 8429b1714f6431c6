"""Executors: how a language compiles and how its program is started (DMOJ's split).

Adding a language is adding an `Executor` to `EXECUTORS`; nothing else changes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..problems.model import Language, Problem

# CMS's flags (BRIEF §2), kept in one place: the precompiled header in the image is built
# for exactly these, and the benchmark's floor compiles with them too.
CXX = "/usr/bin/g++"
CXX_COMPILE_FLAGS = ("-DEVAL", "-O2", "-pipe")
CXX_LINK_FLAGS = ("-static", "-s")
PYTHON = "/usr/bin/python3"


def cxx_flags(std: str) -> list[str]:
    return [CXX_COMPILE_FLAGS[0], f"-std={std}", *CXX_COMPILE_FLAGS[1:]]


def file_stem(problem: Problem) -> str:
    """The contestant file is named after the task code, as in CMS (`<code>.cpp`)."""
    return re.sub(r"[^A-Za-z0-9_.-]", "_", problem.id) or "solution"


@dataclass(frozen=True)
class Executor:
    language: Language
    std: str | None = None  # C++ standard, e.g. gnu++17

    def source_name(self, problem: Problem) -> str:
        raise NotImplementedError

    def program_name(self, problem: Problem) -> str:
        """The file compilation leaves behind and the box runs."""
        raise NotImplementedError

    def compile_argv(self, problem: Problem, link_objects: list[str]) -> list[str]:
        raise NotImplementedError

    def run_argv(self, installed_path: str) -> list[str]:
        raise NotImplementedError

    @property
    def needs_link_objects(self) -> bool:
        """Whether task grader/stub objects are linked in (compiled languages only)."""
        return False


@dataclass(frozen=True)
class CppExecutor(Executor):
    def source_name(self, problem: Problem) -> str:
        return f"{file_stem(problem)}.cpp"

    def program_name(self, problem: Problem) -> str:
        return file_stem(problem)

    def compile_argv(self, problem: Problem, link_objects: list[str]) -> list[str]:
        return [
            CXX, *cxx_flags(self.std or "gnu++17"), *CXX_LINK_FLAGS,
            "-o", self.program_name(problem), *link_objects, self.source_name(problem),
        ]

    def run_argv(self, installed_path: str) -> list[str]:
        return [installed_path]

    @property
    def needs_link_objects(self) -> bool:
        return True


@dataclass(frozen=True)
class PythonExecutor(Executor):
    """CPython on stdin/stdout tasks. "Compiling" is a syntax check, so that a syntax error
    is a CE with the interpreter's message, as in CMS."""

    def source_name(self, problem: Problem) -> str:
        return "solution.py"

    def program_name(self, problem: Problem) -> str:
        return "solution.py"

    def compile_argv(self, problem: Problem, link_objects: list[str]) -> list[str]:
        check = (
            "import py_compile, sys\n"
            "try:\n    py_compile.compile('solution.py', doraise=True)\n"
            "except py_compile.PyCompileError as error:\n    sys.exit(error.msg)\n"
        )
        return [PYTHON, "-I", "-c", check]

    def run_argv(self, installed_path: str) -> list[str]:
        return [PYTHON, "-I", "-B", installed_path]


EXECUTORS: dict[str, Executor] = {
    "cpp": CppExecutor(Language.CPP, "gnu++17"),
    "cpp17": CppExecutor(Language.CPP, "gnu++17"),
    "cpp20": CppExecutor(Language.CPP, "gnu++20"),
    "python": PythonExecutor(Language.PYTHON),
}


def executor_for(language: str) -> Executor:
    try:
        return EXECUTORS[language]
    except KeyError:
        raise ValueError(f"unknown language {language!r}; known: {', '.join(EXECUTORS)}") from None

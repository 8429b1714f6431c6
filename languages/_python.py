"""Python interpreters on stdin/stdout tasks. "Compiling" is a syntax check, so that a
syntax error is a CE with the interpreter's message, as in CMS."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from .base import Language, SelfTest

# Run in the scratch folder that holds solution.py; exits with the error's message on a syntax error.
SYNTAX_CHECK = (
    "import py_compile, sys\n"
    "try:\n    py_compile.compile('solution.py', doraise=True)\n"
    "except py_compile.PyCompileError as error:\n    sys.exit(error.msg)\n"
)


class PythonInterpreter(Language):
    interpreter: ClassVar[str]
    extensions = (".py",)
    fence_tags = ("python", "py", "python3")
    self_test = SelfTest(source="a, b = map(int, input().split())\nprint(a + b)\n", stdin="40 2\n", stdout="42\n")

    def source_name(self, stem: str) -> str:
        return "solution.py"

    def compile_argv(self, stem: str, link_objects: list[str], defines: Sequence[str] = ()) -> list[str]:
        return [self.interpreter, "-I", "-c", SYNTAX_CHECK]

    def run_argv(self, program_path: str) -> list[str]:
        return [self.interpreter, "-I", "-B", program_path]

"""Every registered language: its declaration is complete, the sandbox image is built with its
packages, completions are read with its fences, and its self-test program compiles and prints
what it should — through the test double where the host has the toolchain (fast, no Docker)
and through the real sandbox for every language."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from ioi_grader.completions import code_from_completion
from ioi_grader.grading.submission import Submission
from ioi_grader.languages import image_packages, language_for_file, languages
from ioi_grader.problems.model import Problem, Subtask, TestCase
from paths import REPO

NAMES = languages.names()


def self_test_problem(tmp_path: Path, name: str) -> Problem:
    test = languages.get(name).self_test
    (tmp_path / "1.in").write_text(test.stdin)
    (tmp_path / "1.out").write_text(test.stdout)
    tests = {"1": TestCase(name="1", input=tmp_path / "1.in", answer=tmp_path / "1.out")}
    return Problem(id="selftest", name="self-test", time_limit=5, memory_limit=512 << 20,
                   subtasks=(Subtask(name="all", points=100, tests=("1",)),), tests=tests)


def on_host(name: str) -> bool:
    """Whether the host has the toolchain the language runs (for the test double)."""
    argv = languages.get(name).compile_argv("x", [])
    return shutil.which(argv[0]) is not None


@pytest.mark.parametrize("name", NAMES)
def test_declaration_is_complete(name):
    language = languages.get(name)
    assert language.summary and language.fence_tags and language.image_packages
    assert language.self_test.source and language.self_test.stdout
    assert language.run_argv("/box/program")[-1] == "/box/program"
    assert language.compile_argv("task", [])[0].startswith("/")


def test_the_dockerfile_default_installs_every_language():
    dockerfile = (REPO / "sandbox" / "image" / "Dockerfile").read_text()
    default = re.search(r'ARG LANGUAGE_PACKAGES="([^"]*)"', dockerfile).group(1).split()
    assert sorted(default) == sorted(image_packages()), (
        "add the new language's Debian packages to LANGUAGE_PACKAGES in sandbox/image/Dockerfile")


def test_file_names_pick_a_language():
    assert language_for_file("a.cpp").name == "cpp17"
    assert language_for_file("a.py").name == "python"  # CPython; PyPy only when asked by name


@pytest.mark.parametrize("name", NAMES)
def test_completions_are_read_with_the_language_fences(name):
    language = languages.get(name)
    text = f"first\n```{language.fence_tags[0]}\nold\n```\nthen\n```{language.fence_tags[-1]}\nnew\n```\n"
    assert language.extract_code(text) == "new\n"
    assert language.extract_code("no code here") == ""
    patched = code_from_completion([{"role": "assistant", "content": text}], name, "task.h")
    assert patched.endswith("new\n")
    assert ('#include "task.h"' in patched) == language.links_task_code


@pytest.mark.parametrize("name", [n for n in NAMES if on_host(n)])
def test_self_test_through_the_test_double(fake_grader, tmp_path, name):
    result = fake_grader.grade(self_test_problem(tmp_path, name),
                               Submission(language=name, code=languages.get(name).self_test.source))
    assert result.score == 100, (result.compile.message, [t.message for t in result.tests.values()])


@pytest.mark.docker
@pytest.mark.parametrize("name", NAMES)
def test_self_test_in_the_real_sandbox(grader, tmp_path, name):
    result = grader.grade(self_test_problem(tmp_path, name),
                          Submission(language=name, code=languages.get(name).self_test.source))
    assert result.compile.status.value == "OK", result.compile.message
    assert result.score == 100, [t.message for t in result.tests.values()]

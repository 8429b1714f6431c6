"""Code in a model's completion, found and patched as open-r1 does: shared by the reward
endpoint and the batch client, so both grade exactly the same code."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .languages import languages


def completion_text(completion: Any) -> str:
    """A completion is a string or a conversation; open-r1 reads the last message's content."""
    if isinstance(completion, str):
        return completion
    if isinstance(completion, list) and completion:
        last = completion[-1]
        content = last.get("content") if isinstance(last, dict) else getattr(last, "content", None)
        return content if isinstance(content, str) else ""
    return ""


def task_header(header_names: Sequence[str], problem_id: str) -> str | None:
    """The header a contestant includes: `<id>.h` if the task has it, else its only header."""
    headers = [name for name in header_names if name != "testlib.h"]
    if f"{problem_id}.h" in headers:
        return f"{problem_id}.h"
    return headers[0] if len(headers) == 1 else None


def extract_code(text: str, language: str = "cpp") -> str:
    """The last fenced block of the language (open-r1 takes the last ```cpp fence)."""
    return languages.get(language).extract_code(text)


def code_from_completion(completion: Any, language: str, header: str | None) -> str:
    """The code to grade: the language's last fence, patched the way open-r1 patches it (C++:
    bits/stdc++.h, the task header and `using namespace std;` when missing)."""
    plugin = languages.get(language)
    return plugin.prepare_completion(plugin.extract_code(completion_text(completion)), header)

"""Code in a model's completion, found and patched as open-r1 does: shared by the reward
endpoint and the batch client, so both grade exactly the same code."""

from __future__ import annotations

import re
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


# -- open-r1's cf_code_reward --------------------------------------------------------------------

# Imports that Python 3.9+ removed and old competitive code still uses (open-r1's patch_code).
_OLD_PYTHON = (
    (re.compile(r"^(\s*)from\s+fractions\s+import\s+gcd\b", re.M), r"\1from math import gcd"),
    (re.compile(r"\bfractions\.gcd\b"), "math.gcd"),
    (re.compile(r"^(\s*)from\s+collections\s+import\s+((?:Mapping|MutableMapping|Sequence|MutableSequence|Iterable|"
                r"Iterator|Callable|Set|MutableSet|Hashable|Sized|Container)\b[\w\s,]*)$", re.M),
     r"\1from collections.abc import \2"),
    (re.compile(r"\btime\.clock\(\)"), "time.perf_counter()"),
)


def cf_extract_code(text: str, language: str) -> str:
    """open-r1's extraction for Codeforces rows: the last fence tagged exactly with the row's
    language (```python or ```cpp, then a line break), case and all."""
    matches = re.findall(rf"```{re.escape(language)}\n(.*?)```", text, re.DOTALL)
    return matches[-1] if matches else ""


def cf_patch_code(code: str, language: str) -> str:
    """open-r1's `patch_code`: C++ gets <bits/stdc++.h> and `using namespace std;` when it uses
    neither; Python gets the imports Python 3.9+ removed rewritten (fractions.gcd, collections ABCs)."""
    if not code.strip():
        return code
    plugin = languages.get(language)
    patched = plugin.prepare_completion(code, None)  # C++: the includes
    if "python" not in plugin.fence_tags:
        return patched
    for pattern, replacement in _OLD_PYTHON:
        patched = pattern.sub(replacement, patched)
    if "math.gcd" in patched and not re.search(r"^\s*import\s+math\b", patched, re.M):
        patched = "import math\n" + patched
    return patched

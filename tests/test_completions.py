"""Code in completions, found and patched as open-r1 does (pure: no service, no Docker)."""

from ioi_grader.completions import code_from_completion, completion_text, extract_code, task_header


def test_the_last_message_and_the_last_fence_count():
    conversation = [{"role": "user", "content": "```cpp\nint user;\n```"},
                    {"role": "assistant", "content": "```cpp\nint a;\n```\nbetter:\n```cpp\nint b;\n```"}]
    assert completion_text(conversation) == conversation[-1]["content"]
    assert extract_code(completion_text(conversation), "cpp") == "int b;\n"
    assert extract_code("```python\nprint(1)\n```", "cpp") == ""
    assert completion_text([]) == "" and completion_text(None) == ""


def test_cpp_is_patched_with_includes_python_is_not():
    code = code_from_completion("```cpp\nint sum(int a, int b) { return a + b; }\n```", "cpp", "aplusb.h")
    assert code.startswith('#include <bits/stdc++.h>\n#include "aplusb.h"\n') and "using namespace std;" in code
    kept = code_from_completion('```cpp\n#include "aplusb.h"\nstd::vector<int> v;\n```', "cpp", "aplusb.h")
    assert kept.count('#include "aplusb.h"') == 1 and "using namespace std;" not in kept
    assert code_from_completion("```python\nprint(1)\n```", "python", "aplusb.h") == "print(1)\n"
    assert code_from_completion("no code", "cpp", "aplusb.h") == ""


def test_the_task_header():
    assert task_header(["aplusb.h", "testlib.h"], "aplusb") == "aplusb.h"
    assert task_header(["only.h"], "other") == "only.h"
    assert task_header(["a.h", "b.h"], "other") is None

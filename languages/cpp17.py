from ._gcc import GnuCxx


class Cpp17(GnuCxx):
    name = "cpp17"
    aliases = ("cpp",)
    summary = "C++17 (GNU g++, -std=gnu++17 -O2 with -DEVAL, or -DONLINE_JUDGE on Codeforces problems), the default"
    std = "gnu++17"

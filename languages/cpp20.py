from ._gcc import GnuCxx


class Cpp20(GnuCxx):
    name = "cpp20"
    summary = "C++20 (GNU g++, -std=gnu++20 -O2 with -DEVAL, or -DONLINE_JUDGE on Codeforces problems)"
    std = "gnu++20"

from ._gcc import GnuCxx


class Cpp17(GnuCxx):
    name = "cpp17"
    aliases = ("cpp",)
    summary = "C++17 (GNU g++, -std=gnu++17 -O2), the IOI default"
    std = "gnu++17"

from ._python import PythonInterpreter


class PyPy3(PythonInterpreter):
    name = "pypy3"
    aliases = ("pypy",)
    summary = "PyPy 3 (Debian's pypy3), a JIT-compiling Python"
    interpreter = "/usr/bin/pypy3"
    image_packages = ("pypy3",)
    extensions = ()  # a .py file is CPython's unless pypy3 is asked for by name

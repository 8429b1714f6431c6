from ._python import PythonInterpreter


class Python3(PythonInterpreter):
    name = "python"
    aliases = ("python3",)
    summary = "CPython 3 (Debian's python3)"
    interpreter = "/usr/bin/python3"
    image_packages = ("python3",)

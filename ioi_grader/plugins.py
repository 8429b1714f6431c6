"""Plugin registries: languages, checker conventions, task types and score types.

Each plugin is one class in one module, found by its name. A registry loads the entry points
of its group (`ioi_grader.languages`, `ioi_grader.checkers`, `ioi_grader.tasktypes`,
`ioi_grader.scoretypes`). An entry point names either a plugin class or a package, and a
package contributes every plugin class defined in its modules. The built-ins are registered
the same way, by one entry point per kind that names the built-in package (`languages/`,
`checkers/`, `tasktypes/`, `scoretypes/`), so a new built-in is one new file in that folder
and needs no other edit. A third-party package adds its own entry point:

    [project.entry-points."ioi_grader.languages"]
    kotlin = "my_package.kotlin:Kotlin"

Problems, the API, the CLI and the loaders read the names they accept from these registries
(`Registry.names()`, `Registry.choices()`, `Registry.enum()`), never from literals.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import inspect
import logging
import pkgutil
import threading
from collections.abc import Iterator
from enum import Enum
from types import ModuleType
from typing import ClassVar, Generic, TypeVar

log = logging.getLogger(__name__)


class Plugin:
    """What every plugin has: the name users write, other names it answers to, one line of help."""

    name: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    summary: ClassVar[str] = ""


class UnknownPlugin(ValueError):
    """A name no plugin of that kind has. The message lists the known names."""


P = TypeVar("P", bound=Plugin)

# Modules of a plugin package that hold shared code rather than plugins.
_NOT_PLUGIN_MODULES = ("base",)


def _enum_member_name(name: str) -> str:
    """'GroupMin' -> 'GROUP_MIN', 'white_diff' -> 'WHITE_DIFF', 'cpp17' -> 'CPP17'."""
    out = []
    for index, char in enumerate(name):
        if char.isupper() and index and (name[index - 1].islower() or name[index - 1].isdigit()):
            out.append("_")
        out.append("_" if not char.isalnum() else char.upper())
    return "".join(out)


class Registry(Generic[P]):
    """The plugins of one kind, loaded on first use. Instances are created once and shared:
    plugins hold no per-request state."""

    def __init__(self, kind: str, base: type[P], group: str, package: str):
        self.kind = kind
        self.base = base
        self.group = group
        self.package = package
        self._plugins: dict[str, P] | None = None  # canonical name -> plugin
        self._lookup: dict[str, str] = {}  # name or alias -> canonical name
        self._enums: dict[str, type[Enum]] = {}
        self._lock = threading.RLock()

    # -- discovery -------------------------------------------------------------------------------

    def _load(self) -> dict[str, P]:
        if self._plugins is not None:
            return self._plugins
        with self._lock:
            if self._plugins is not None:
                return self._plugins
            plugins: dict[str, P] = {}
            lookup: dict[str, str] = {}
            for target in self._targets():
                for cls in self._classes(target):
                    self._add(cls(), plugins, lookup)
            self._plugins, self._lookup = plugins, lookup
            return plugins

    def _targets(self) -> list[object]:
        entry_points = list(importlib.metadata.entry_points(group=self.group))
        targets: list[object] = []
        if not any(ep.value == self.package for ep in entry_points):
            # A source checkout without installed metadata: the built-ins are still ours.
            targets.append(importlib.import_module(self.package))
        for entry_point in entry_points:
            try:
                targets.append(entry_point.load())
            except Exception as error:  # noqa: BLE001 - one broken third-party plugin must not hide the rest
                log.error("cannot load %s plugin %s (%s): %s", self.kind, entry_point.name, entry_point.value, error)
        return targets

    def _classes(self, target: object) -> Iterator[type[P]]:
        if inspect.isclass(target):
            if issubclass(target, self.base) and target.name:
                yield target
            return
        if not isinstance(target, ModuleType):
            return
        modules = [target]
        if hasattr(target, "__path__"):  # a package: every module in it
            for info in sorted(pkgutil.iter_modules(target.__path__), key=lambda i: i.name):
                if info.name.startswith("_") or info.name in _NOT_PLUGIN_MODULES:
                    continue
                modules.append(importlib.import_module(f"{target.__name__}.{info.name}"))
        for module in modules:
            for _, cls in inspect.getmembers(module, inspect.isclass):
                if (cls.__module__ == module.__name__ and issubclass(cls, self.base) and cls.__dict__.get("name")
                        and not inspect.isabstract(cls)):
                    yield cls

    def _add(self, plugin: P, plugins: dict[str, P], lookup: dict[str, str]) -> None:
        for name in (plugin.name, *plugin.aliases):
            if name in lookup and lookup[name] != plugin.name:
                raise TypeError(f"two {self.kind}s answer to {name!r}: {lookup[name]} and {plugin.name}")
            lookup[name] = plugin.name
        plugins[plugin.name] = plugin

    # -- lookup ----------------------------------------------------------------------------------

    def get(self, name: str) -> P:
        plugins = self._load()
        canonical = self._lookup.get(str(name))
        if canonical is None:
            raise UnknownPlugin(f"unknown {self.kind} {name!r}; known: {', '.join(self.choices())}")
        return plugins[canonical]

    def canonical(self, name: str) -> str:
        return self.get(name).name

    def names(self) -> list[str]:
        """Canonical names, in discovery order."""
        return list(self._load())

    def choices(self) -> list[str]:
        """Every name a user may write: canonical names and aliases."""
        self._load()
        return list(self._lookup)

    def __iter__(self) -> Iterator[P]:
        return iter(list(self._load().values()))

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._lookup

    def enum(self, class_name: str) -> type[Enum]:
        """A str enum of every name (aliases are members equal to their plugin's), for typed
        access such as `TaskType.BATCH`; its values are the canonical names."""
        with self._lock:
            made = self._enums.get(class_name)
            if made is None:
                members: dict[str, str] = {}
                for choice in self.choices():
                    members.setdefault(_enum_member_name(choice), self._lookup[choice])
                made = Enum(class_name, members, type=str)
                made.__str__ = lambda member: member.value  # type: ignore[method-assign]
                registry = self

                def _missing_(cls, value):  # aliases and other spellings resolve through the registry
                    if isinstance(value, str) and value in registry:
                        return cls(registry.canonical(value))
                    return None

                made._missing_ = classmethod(_missing_)  # type: ignore[attr-defined]
                self._enums[class_name] = made
            return made

    def member(self, class_name: str, name: str) -> Enum:
        """Validate `name` (raising UnknownPlugin) and return its enum member."""
        return self.enum(class_name)(self.canonical(name))

"""The task registry: tasks register themselves by name with a decorator when their module is imported; the
built-in tasks' modules and the installed plugins (``tasks.plugins``) are imported on first use."""

from __future__ import annotations

import difflib
import importlib
import pkgutil
import re

from xstilts.errors import XstiltsError
from xstilts.tasks.base import Task
from xstilts.tasks.plugins import load_entry_points, origin_of

_TASKS: dict[str, Task] = {}


# Task names and language codes name files and folders (predictions, reports): no separators, no leading dot.
SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


def register(cls: type[Task]) -> type[Task]:
    unsafe = [name for name in (cls.name, *cls.languages) if not SAFE_NAME.match(name)]
    if unsafe:
        raise XstiltsError(
            f"task {cls.name!r} ({origin_of(cls.__module__)}): {unsafe[0]!r} cannot name a file; task names and"
            " language codes are letters, digits, '.', '_' and '-', not starting with '.'"
        )
    if cls.name in _TASKS:
        raise RuntimeError(f"task {cls.name!r} registered twice ({origin_of(cls.__module__)})")
    _TASKS[cls.name] = cls()
    return cls


def origin(task: Task) -> str:
    """``built-in``, or the module of the plugin that registered the task."""
    return origin_of(type(task).__module__)


def _load_all() -> None:
    import xstilts.tasks as package

    for module in pkgutil.iter_modules(package.__path__):
        if module.name not in {"base", "registry", "loading", "plugins"}:
            importlib.import_module(f"{package.__name__}.{module.name}")
    load_entry_points()


def all_tasks() -> dict[str, Task]:
    _load_all()
    return dict(sorted(_TASKS.items()))


def closest(word: str, choices: list[str] | tuple[str, ...]) -> str:
    """A 'did you mean' hint naming the nearest valid choices."""
    near = difflib.get_close_matches(word, list(choices), n=3, cutoff=0.5)
    if near:
        return "did you mean " + " or ".join(repr(n) for n in near) + "?"
    return "valid: " + ", ".join(sorted(choices))


def get_task(name: str) -> Task:
    tasks = all_tasks()
    if name not in tasks:
        raise XstiltsError(f"unknown task {name!r}; {closest(name, list(tasks))}")
    return tasks[name]

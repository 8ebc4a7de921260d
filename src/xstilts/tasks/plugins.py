"""A researcher's own tasks and kinds, registered exactly like the built-in ones, without editing xstilts.

Two ways in: an installed package that declares an entry point in the group ``xstilts.tasks`` (its target module
is imported, and its ``@register`` / ``register_kind`` calls run), loaded with the built-in tasks; or a module an
experiment names, ``plugins: [my_tasks]`` (an importable module name, or a ``.py`` file relative to the experiment
file), imported before the experiment's task names are checked and again by every ``xstilts run-phase`` process.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import importlib.util
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType

from xstilts.errors import ConfigError

ENTRY_POINT_GROUP = "xstilts.tasks"
BUILT_IN = "built-in"

_loaded: dict[str, ModuleType] = {}


def origin_of(module: str) -> str:
    """Where a registered task or kind comes from: ``built-in``, or the plugin module that defined it."""
    return BUILT_IN if module == "xstilts" or module.startswith("xstilts.") else module


def load_entry_points() -> None:
    """Imports every installed plugin of the ``xstilts.tasks`` group once; a broken plugin names its entry point."""
    for entry in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        key = f"entry point {entry.name} = {entry.value}"
        if key in _loaded:
            continue
        try:
            loaded = entry.load()
        except Exception as err:  # whatever the plugin's import raises
            raise ConfigError(f"xstilts plugin {key} (group {ENTRY_POINT_GROUP}) failed to load: {err}") from err
        _loaded[key] = loaded if isinstance(loaded, ModuleType) else sys.modules[entry.module]


def load_plugins(names: Iterable[str], base: Path | None = None) -> None:
    """Imports each named plugin once: a module name (found on ``sys.path``, or beside the experiment file in
    ``base``) or the path of a ``.py`` file (relative paths are relative to ``base``)."""
    for name in names:
        if name in _loaded:
            continue
        _loaded[name] = _import_file(name, base) if name.endswith(".py") else _import_module(name, base)


def _import_module(name: str, base: Path | None) -> ModuleType:
    added = base is not None and str(base) not in sys.path
    if added:
        sys.path.insert(0, str(base))
    try:
        return importlib.import_module(name)
    except ImportError as err:
        raise ConfigError(f"plugin module {name!r} cannot be imported: {err}") from err
    finally:
        if added:
            sys.path.remove(str(base))


def _import_file(name: str, base: Path | None) -> ModuleType:
    path = Path(name).expanduser()
    if not path.is_absolute() and base is not None:
        path = base / path
    if not path.is_file():
        raise ConfigError(f"plugin file {path} does not exist")
    module_name = f"xstilts_plugin_{path.stem}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise ConfigError(f"plugin file {path} cannot be imported as a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module

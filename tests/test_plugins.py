"""A researcher's own tasks, registered from outside the package: from a module an experiment names (``plugins:``)
and from an installed package's ``xstilts.tasks`` entry point, exactly like the built-in tasks."""

from __future__ import annotations

import importlib.metadata
import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import experiment_yaml
from xstilts.cli import app
from xstilts.errors import ConfigError
from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import load_spec
from xstilts.tasks import registry

# A PAWS-X copy under another name: its own task, read by the official PAWS-X reader, trained and evaluated as any.
PLUGIN = """
from xstilts.tasks.pawsx import PAWSX
from xstilts.tasks.registry import register


@register
class {cls}(PAWSX):
    name = "{name}"
"""


def _experiment(tmp_path: Path, tiny_model: Path, data_root: Path, task: str, plugins: str) -> Path:
    text = experiment_yaml(tiny_model, data_root, intermediate="[none]", target=f"[{task}]", plugins=plugins)
    text += f"  {task}: {{data: {{source: local, path: {data_root / 'pawsx'}}}, languages: [en, de]}}\n"
    path = tmp_path / "experiment.yaml"
    path.write_text(text)
    return path


@pytest.mark.slow
def test_a_plugin_module_beside_the_experiment_registers_a_task_that_trains_and_evaluates(
    tiny_model: Path, data_root: Path, tmp_path: Path
) -> None:
    (tmp_path / "my_pairs.py").write_text(PLUGIN.format(cls="MyPairs", name="my_pawsx"))
    path = _experiment(tmp_path, tiny_model, data_root, "my_pawsx", "[my_pairs]")
    spec = load_spec(path)
    assert spec.plugins == [str((tmp_path / "my_pairs.py").resolve())]  # found again by run-phase processes
    assert registry.origin(registry.get_task("my_pawsx")) != "built-in"
    assert [p.tasks for p in build_plan(spec) if p.kind == "evaluate"] == [("my_pawsx",)]
    out = tmp_path / "run"
    result = CliRunner().invoke(app, ["run", str(path), "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = json.loads(CliRunner().invoke(app, ["results", str(out), "--json"]).output)
    assert {(r["task"], r["language"]) for r in records if r["split"] == "test"} == {
        ("my_pawsx", "en"),
        ("my_pawsx", "de"),
    }


def test_an_unknown_plugin_module_is_a_config_error_naming_it(
    tiny_model: Path, data_root: Path, tmp_path: Path
) -> None:
    path = _experiment(tmp_path, tiny_model, data_root, "pawsx", "[no_such_plugin_module]")
    with pytest.raises(ConfigError, match="no_such_plugin_module"):
        load_spec(path)


def test_an_entry_point_plugin_is_listed_with_its_origin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "installed_pairs.py").write_text(PLUGIN.format(cls="InstalledPairs", name="installed_pawsx"))
    monkeypatch.syspath_prepend(str(tmp_path))
    entry = importlib.metadata.EntryPoint("pairs", "installed_pairs", "xstilts.tasks")
    real = importlib.metadata.entry_points

    def entry_points(**selection: str) -> object:
        return [entry] if selection.get("group") == "xstilts.tasks" else real(**selection)

    monkeypatch.setattr(importlib.metadata, "entry_points", entry_points)
    listed = json.loads(CliRunner().invoke(app, ["tasks", "--json"]).output)
    origins = {task["name"]: task["origin"] for task in listed}
    assert origins["installed_pawsx"] == "installed_pairs"
    assert origins["pawsx"] == "built-in"
    assert "installed_pairs" in sys.modules

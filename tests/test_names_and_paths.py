"""Bad data in reports and names: what reaches the HTML report is escaped, names cannot leave the run directory,
and a local data path that is a symlink loop, a dangling link or the wrong kind of entry is a clear error."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import ClassVar

import pytest

from tests.builders import evaluation_record, local, write_pawsx_official
from xstilts.analysis.report import write_report
from xstilts.errors import ConfigError, DataFormatError, XstiltsError
from xstilts.experiments.spec import load_spec
from xstilts.experiments.store import ResultsStore
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import get_task, register

HOSTILE = '<script>alert("x")</script>\'"&'


def test_hostile_names_and_values_reach_the_report_escaped(tmp_path: Path) -> None:
    run_dir = tmp_path / f"run{HOSTILE.replace('/', '_')}"
    run_dir.mkdir()
    store = ResultsStore(run_dir / "results.sqlite")
    for variant in ("baseline", HOSTILE):
        record = evaluation_record(f"{variant}-1", variant, 1, {"en": 70.0, HOSTILE: 50.0})
        record["metrics"].append({"task": HOSTILE, "language": "en", "split": "test", "metric": HOSTILE, "value": 1.0})
        record["config"] = {"model": {"name": HOSTILE, "fingerprint": HOSTILE}}
        store.record_phase(record)
    page = write_report(run_dir).read_text(encoding="utf-8")
    assert "<script" not in page  # the page has no script of its own; every hostile string is text
    assert page.count("&lt;script&gt;") >= 3  # title, variant rows, language columns, model line
    for tag in re.findall(r"<([a-zA-Z][a-zA-Z0-9]*)", page):
        assert tag in {
            "html",
            "head",
            "meta",
            "title",
            "style",
            "body",
            "h1",
            "h2",
            "h3",
            "p",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
            "img",
            "ul",
            "li",
            "code",
            "details",
            "summary",
            "div",
            "span",
        }, tag


@pytest.mark.parametrize("name", ["../../x", "..", "a/b", "/abs", ".hidden", "x\\y", "<script>"])
def test_experiment_names_that_would_leave_the_runs_folder_are_refused(tmp_path: Path, name: str) -> None:
    path = tmp_path / "experiment.yaml"
    path.write_text(f"name: {name!r}\nmodel: m\ntarget: [xnli]\n")
    with pytest.raises(ConfigError, match=r"experiment\.yaml:1: .*String should match pattern"):
        load_spec(path)


def test_a_task_or_language_that_cannot_name_a_file_is_refused_at_registration() -> None:
    class Escaping(Task):
        name = "plugin_task"
        languages = ("en", "../../etc")
        roles = (Role.TARGET,)
        splits: ClassVar[dict[str, tuple[str, ...]]] = {"test": ("en",)}
        train_from = SplitRef("plugin_task", "test")
        select_on = SplitRef("plugin_task", "test")

    with pytest.raises(XstiltsError, match=r"'\.\./\.\./etc' cannot name a file"):
        register(Escaping)


def test_a_symlink_loop_or_dangling_link_as_the_data_path_is_named(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    with pytest.raises(XstiltsError, match=r"local data path .*loop is a symbolic link loop"):
        get_task("pawsx").read("dev", "de", local(loop))
    dangling = tmp_path / "dangling"
    os.symlink(tmp_path / "gone", dangling)
    with pytest.raises(XstiltsError, match=r"dangling is a symbolic link to .*gone, which does not exist"):
        get_task("pawsx").read("dev", "de", local(dangling))
    a_file = tmp_path / "file.tsv"
    a_file.write_text("x\n")
    with pytest.raises(XstiltsError, match=r"file\.tsv is a file; expected a directory"):
        get_task("pawsx").read("dev", "de", local(a_file))


def test_a_directory_or_a_looping_link_where_a_file_is_expected_is_named(tmp_path: Path) -> None:
    root = write_pawsx_official(tmp_path / "pawsx", ["de"], 3)
    official = root / "de" / "dev_2k.tsv"
    official.unlink()
    official.mkdir()
    with pytest.raises(DataFormatError, match=r"dev_2k\.tsv: a directory, not a file"):
        get_task("pawsx").read("dev", "de", local(root))
    squad = tmp_path / "squad"
    squad.mkdir()
    os.symlink(squad / "dev-v1.1.json", squad / "dev-v1.1.json")
    with pytest.raises(DataFormatError, match=r"dev-v1\.1\.json: a symbolic link loop"):
        get_task("squad_v1").read("dev", "en", local(squad))

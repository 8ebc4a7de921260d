"""``xstilts prefetch``: fetch what an experiment reads from the (fake) hub, then run offline; ``--export`` writes the
official local layouts, which read back to the same data."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.fake_hub import FakeHub, FakeRepo, stripped_squad_table
from xstilts.cli import app
from xstilts.data.examples import ClassificationExample, RetrievalExample, SpanExample, TaggingExample, TextExample
from xstilts.data.sources import DataSource
from xstilts.experiments.prefetch import local_sources_yaml, prefetch
from xstilts.experiments.spec import load_spec
from xstilts.tasks.export import export_examples
from xstilts.tasks.registry import get_task


@pytest.fixture
def hub(monkeypatch, tmp_path):
    hub = FakeHub(tmp_path / "hub-cache").install(monkeypatch)
    rows = [{"id": "s1", "question": "Who?", "context": "The cat sat.", "answers": [("cat", 4)]}]
    squad = stripped_squad_table(rows)
    hub.repos["rajpurkar/squad"] = FakeRepo(configs={"plain_text": {"train": squad, "validation": squad}})
    return hub


def _experiment(tmp_path: Path) -> Path:
    path = tmp_path / "e.yaml"
    path.write_text(
        "name: fetch\nmodel: xlm-roberta-base\nintermediate: [none, cosmosqa]\ntarget: [pawsx, xquad]\n"
        "tasks:\n  pawsx: {languages: [en, de]}\n  xquad: {languages: [de, ro]}\n"
    )
    return path


def test_prefetch_downloads_model_and_every_split_then_runs_offline(hub, tmp_path, monkeypatch):
    result = CliRunner().invoke(app, ["prefetch", str(_experiment(tmp_path))], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert ("xlm-roberta-base", None) in [(repo, rev) for repo, rev, _ in hub.snapshots]
    read = {(path, name, split) for path, name, split, _ in hub.calls}
    assert {
        ("google-research-datasets/paws-x", "de", "test"),
        ("google/xquad", "xquad.ro", "validation"),
        ("rajpurkar/squad", "plain_text", "train"),
        ("allenai/cosmos_qa", None, "train"),
    } <= read
    # the script repo's export is in the hub cache now: with the hub gone, it still loads
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert len(get_task("cosmosqa").read("train", "en", DataSource())) == 8


def test_export_writes_local_layouts_that_read_back_the_same(hub, tmp_path):
    spec = load_spec(_experiment(tmp_path))
    fetched = prefetch(spec, tmp_path / "export")
    exported = {(f.task, f.split, f.language): f for f in fetched}
    assert exported[("cosmosqa", "train", "en")].note.startswith("no local layout")
    for (task, split, language), f in exported.items():
        if not f.exported:
            continue
        local = get_task(task).read(split, language, DataSource(source="local", path=f.exported))  # type: ignore[arg-type]
        hub_copy = get_task(task).read(split, language, DataSource())  # type: ignore[arg-type]
        assert [_content(e) for e in local] == [_content(e) for e in hub_copy], (task, split, language)
    snippet = local_sources_yaml(fetched)
    assert f"  pawsx: {{data: {{source: local, path: {tmp_path / 'export' / 'pawsx'}}}}}" in snippet.splitlines()
    assert "cosmosqa" not in snippet


def _content(example):
    """What a local copy must keep (guids are the local reader's own numbering)."""
    if isinstance(example, ClassificationExample):
        return (example.text_a, example.text_b, example.label)
    if isinstance(example, SpanExample):
        return (example.question, example.context, example.answers)
    if isinstance(example, TaggingExample):
        return (example.words, example.tags)
    if isinstance(example, RetrievalExample):
        queries = {q.id: q.text for q in example.queries}
        candidates = {c.id: c.text for c in example.candidates}
        return sorted((queries[q], candidates[c]) for q, c in example.gold)
    if isinstance(example, TextExample):
        return example.text
    raise AssertionError(type(example))


@pytest.mark.parametrize(
    "task,split,language",
    [
        ("xnli", "test", "de"),
        ("mlqa", "dev", "en"),
        ("tydiqa", "test", "en"),
        ("tatoeba", "test", "fi"),
        ("panx", "dev", "de"),
        ("udpos", "dev", "de"),
        ("mlm", "train", "de"),
    ],
)
def test_each_exporter_reads_back(hub, tmp_path, task, split, language):
    examples = _examples(hub, task, split, language)
    root = export_examples(task, tmp_path / task, split, language, examples)
    local = get_task(task).read(split, language, DataSource(source="local", path=str(root)))
    assert [_content(e) for e in local] == [_content(e) for e in examples]


def _examples(hub, task, split, language):
    from xstilts.data.examples import Answer

    if task == "tydiqa":
        return [SpanExample("english-1-1", "Who?", "The cat sat.", (Answer("cat", 4),))]
    if task in ("panx", "udpos"):
        tags = ("B-PER", "I-PER", "O") if task == "panx" else ("PROPN", "PROPN", "VERB")
        return [TaggingExample("t-0", ("Angela", "Merkel", "spricht"), tags), TaggingExample("t-1", ("Ja",), tags[2:])]
    if task == "mlm":
        return [TextExample("m-0", "ein Text"), TextExample("m-1", "noch einer")]
    return get_task(task).read(split, language, DataSource())

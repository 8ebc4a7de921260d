"""Hub readers against a fake hub that behaves like the real one (``tests/fake_hub.py``): the datasets-4.x script
refusal and the parquet export fallback, script-free default sources, and each fault of google/xtreme's data that
xstilts repairs or refuses (issue 12)."""

from __future__ import annotations

import logging

import pytest

from tests.fake_hub import PAWSX_ROWS, FakeHub, FakeRepo
from xstilts.data.examples import SpanExample
from xstilts.data.sources import DataSource
from xstilts.errors import XstiltsError
from xstilts.hub import PARQUET_EXPORT, load_hub_split, recording_hub_reads
from xstilts.tasks.loading import load_examples
from xstilts.tasks.registry import get_task


@pytest.fixture
def hub(monkeypatch, tmp_path):
    import xstilts.hub

    monkeypatch.setattr(xstilts.hub, "_announced", set())
    return FakeHub(tmp_path / "hub-cache").install(monkeypatch)


def test_fake_hub_refuses_script_repos_with_the_datasets_4_message(hub):
    import datasets

    with pytest.raises(RuntimeError, match=r"^Dataset scripts are no longer supported, but found mlqa\.py$"):
        datasets.load_dataset("facebook/mlqa", "mlqa.de.de", split="test")


def test_script_repo_is_read_from_its_parquet_export_and_recorded(hub, caplog):
    with caplog.at_level(logging.WARNING, logger="xstilts.hub"), recording_hub_reads() as reads:
        train = load_hub_split("allenai/cosmos_qa", None, "train", None)
        dev = load_hub_split("allenai/cosmos_qa", None, "validation", None)
    assert (len(train), len(dev)) == (8, 4)
    assert train.features["label"].dtype == "int32"  # the export keeps the card's features
    # only the asked split is downloaded, from the export revision
    assert hub.snapshots[0] == (
        "allenai/cosmos_qa",
        PARQUET_EXPORT,
        ("*/train/*.parquet", "*/partial-train/*.parquet"),
    )
    said = [r.getMessage() for r in caplog.records if "parquet export" in r.getMessage()]
    assert len(said) == 1 and "cosmos_qa.py" in said[0]  # said once per repo
    commit = hub.repos["allenai/cosmos_qa"].export_commit
    assert [(r.split, r.revision_read) for r in reads] == [
        ("train", f"{PARQUET_EXPORT}@{commit}"),
        ("validation", f"{PARQUET_EXPORT}@{commit}"),
    ]


def test_parquet_export_without_the_split_is_a_clear_error(hub):
    with pytest.raises(XstiltsError, match=r"parquet export .* has no mlqa\.en\.en/train"):
        load_hub_split("facebook/mlqa", "mlqa.en.en", "train", None)


def test_cosmosqa_reads_from_the_export(hub):
    examples = get_task("cosmosqa").read("dev", "en", DataSource())
    assert [e.label for e in examples] == ["0", "1", "2", "3"]
    assert examples[0].choices == ("a0", "a1", "a2", "a3")


def test_siqa_default_is_script_free_and_the_allenai_repo_still_loads(hub):
    examples = get_task("siqa").read("train", "en", DataSource())
    assert hub.calls[0] == ("lighteval/siqa", None, "train", None)
    assert [e.label for e in examples] == ["0", "1", "2", "0", "1", "2"]  # "1".."3" on the hub
    allenai = get_task("siqa").read("dev", "en", DataSource(dataset="allenai/social_i_qa"))
    assert [e.label for e in allenai] == ["0", "1", "2"]
    pr = get_task("siqa").read("dev", "en", DataSource(dataset="allenai/social_i_qa", revision="refs/pr/3"))
    assert len(pr) == 3


def test_mlqa_reads_google_xtreme_and_facebook_mlqa_via_its_export(hub):
    examples = get_task("mlqa").read("test", "de", DataSource())
    assert hub.calls[0] == ("google/xtreme", "MLQA.de.de", "test", None)
    assert len(examples) == 3
    facebook = get_task("mlqa").read("dev", "de", DataSource(dataset="facebook/mlqa"))
    assert [e.guid for e in facebook] == [e.guid for e in examples]


def test_mlqa_override_without_the_layout_says_which_layout(hub):
    hub.repos["me/my-mlqa"] = FakeRepo(configs={"default": {}})
    with pytest.raises(XstiltsError, match=r"override of this task must have google/xtreme's: configs MLQA"):
        get_task("mlqa").read("test", "de", DataSource(dataset="me/my-mlqa"))


def test_xnli_override_facebook_xnli_works(hub):
    import datasets

    labels = datasets.ClassLabel(names=["entailment", "neutral", "contradiction"])
    features = datasets.Features(
        {"premise": datasets.Value("string"), "hypothesis": datasets.Value("string"), "label": labels}
    )
    table = datasets.Dataset.from_dict({"premise": ["p"], "hypothesis": ["h"], "label": [2]}, features=features)
    hub.repos["facebook/xnli"] = FakeRepo(configs={"de": {"test": table}})
    [example] = get_task("xnli").read("test", "de", DataSource(dataset="facebook/xnli"))
    assert (example.text_a, example.text_b, example.label) == ("p", "h", "contradiction")
    with pytest.raises(XstiltsError, match="config XNLI, splits validation and test"):
        get_task("xnli").read("test", "de", DataSource(dataset="facebook/mlqa"))


@pytest.mark.parametrize(
    "task,split,language", [("xquad", "test", "de"), ("mlqa", "dev", "en"), ("xquad", "test", "ro")]
)
def test_qa_answer_starts_shifted_by_stripping_are_repaired(hub, caplog, task, split, language):
    with caplog.at_level(logging.WARNING, logger="xstilts.data"):
        examples = get_task(task).read(split, language, DataSource())
    assert all(isinstance(e, SpanExample) for e in examples)
    for example in examples:
        for answer in example.answers:
            assert example.context[answer.start : answer.start + len(answer.text)] == answer.text
    assert any("2 of 3 answer starts repaired" in r.getMessage() for r in caplog.records)


def test_qa_answer_absent_from_its_context_is_dropped_and_counted(hub, caplog):
    from tests.fake_hub import stripped_squad_table

    rows = [{"id": "x", "question": "?", "context": "abc", "answers": [("zzz", 0)]}]
    rows.append({"id": "y", "question": "?", "context": "abc", "answers": [("b", 1)]})
    hub.repos["google/xtreme"].configs["XQuAD.de"] = {"validation": stripped_squad_table(rows)}
    with caplog.at_level(logging.WARNING, logger="xstilts.data"):
        examples = get_task("xquad").read("test", "de", DataSource())
    assert [e.guid for e in examples] == ["y"]
    assert any("1 answers not found" in r.getMessage() and "1 questions" in r.getMessage() for r in caplog.records)


def test_xquad_ro_comes_from_google_xquad(hub):
    examples = get_task("xquad").read("test", "ro", DataSource())
    assert hub.calls == [("google/xquad", "xquad.ro", "validation", None)]
    assert len(examples) == 3
    with pytest.raises(XstiltsError, match="revision 'abc' pins google/xtreme"):
        get_task("xquad").read("test", "ro", DataSource(revision="abc"))
    get_task("xquad").read("test", "de", DataSource(dataset="google/xquad", revision=None))
    assert hub.calls[-1] == ("google/xquad", "xquad.de", "validation", None)


@pytest.mark.parametrize("language", ["az", "lt", "pl", "uk", "ro"])
def test_tatoeba_xtreme_r_languages_need_local_data(hub, language):
    with pytest.raises(XstiltsError, match="use local data: LASER's data/tatoeba/v1"):
        get_task("tatoeba").read("test", language, DataSource())
    assert hub.calls == []


def test_tatoeba_xtreme_language_reads_the_hub(hub):
    [example] = get_task("tatoeba").read("test", "fi", DataSource())
    assert [q.text for q in example.queries] == ["fin one", "fin two"]


def test_udpos_from_the_hub_is_refused_with_the_reason(hub):
    with pytest.raises(XstiltsError, match="Ancient Greek into Greek") as info:
        get_task("udpos").read("test", "el", DataSource())
    assert "UD v2.5" in str(info.value)
    assert hub.calls == []  # google/xtreme's udpos.Greek, 2/3 Ancient Greek here, is never read


def test_pawsx_keeps_every_row(hub):
    examples = get_task("pawsx").read("train", "en", DataSource())
    assert hub.calls == [("google-research-datasets/paws-x", "en", "train", None)]
    assert [(e.text_a, e.label) for e in examples] == [(s1, str(label)) for s1, _, label in PAWSX_ROWS]
    dropped = get_task("pawsx").read("train", "en", DataSource(dataset="google/xtreme"))
    assert len(dropped) < len(PAWSX_ROWS)  # what google/xtreme's loader leaves, read only when asked by name


def _wikipedia(n: int) -> FakeRepo:
    import datasets

    table = datasets.Dataset.from_dict(
        {"id": [str(i) for i in range(n)], "title": [f"T{i}" for i in range(n)], "text": [f"doc {i}" for i in range(n)]}
    )
    return FakeRepo(configs={"20231101.de": {"train": table}})


def test_mlm_limit_reads_a_deterministic_sample_not_the_first_documents(hub):
    hub.repos["wikimedia/wikipedia"] = _wikipedia(200)
    task = get_task("mlm")
    first = load_examples(task, "train", "de", DataSource(), 5)
    again = load_examples(task, "train", "de", DataSource(), 5)
    texts = [e.text for e in first]
    assert len(texts) == 5 and texts == [e.text for e in again]
    assert texts != [f"doc {i}" for i in range(5)]


def test_offline_after_the_export_was_fetched_reads_it_from_the_cache(hub, monkeypatch):
    load_hub_split("allenai/cosmos_qa", None, "validation", None)  # fetched online
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    assert len(load_hub_split("allenai/cosmos_qa", None, "validation", None)) == 4
    with pytest.raises(XstiltsError, match="HF_HUB_OFFLINE is set"):
        load_hub_split("allenai/cosmos_qa", None, "train", None)  # never fetched


@pytest.mark.slow
def test_a_phase_that_read_a_parquet_export_records_it_in_phase_json(hub, tiny_model, data_root, tmp_path):
    import json

    from typer.testing import CliRunner

    from tests.conftest import experiment_yaml
    from xstilts.cli import app

    spec = tmp_path / "e.yaml"
    spec.write_text(experiment_yaml(tiny_model, data_root, intermediate="[cosmosqa]", target="[xnli]"))
    result = CliRunner().invoke(app, ["run", str(spec), "--out", str(tmp_path / "run")])
    assert result.exit_code == 0, result.output
    records = [json.loads(p.read_text()) for p in (tmp_path / "run" / "phases").glob("*/phase.json")]
    read = {r["role"]: r.get("hub_data_read") for r in records}
    commit = hub.repos["allenai/cosmos_qa"].export_commit
    assert [(r["dataset"], r["split"], r["revision_read"]) for r in read["intermediate"]] == [
        ("allenai/cosmos_qa", "train", f"{PARQUET_EXPORT}@{commit}"),
        ("allenai/cosmos_qa", "validation", f"{PARQUET_EXPORT}@{commit}"),
    ]
    assert read["target"] is None and read["evaluate"] is None  # phases that read data as asked keep their shape

"""Intermediate training in non-English source languages: every task with training data in other languages reads
it from its official formats (and the hub), the plan records whether the data are human-written or translated,
user translations are read in the task's own format, and the report compares each source with English."""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path

import pytest

from tests.builders import evaluation_record, install_fake_hub, local, write_text
from xstilts.analysis.report import write_report
from xstilts.analysis.source_languages import comparisons, english_counterpart
from xstilts.errors import ConfigError, XstiltsError
from xstilts.experiments.plan import build_plan
from xstilts.experiments.spec import load_spec
from xstilts.experiments.store import ResultsStore
from xstilts.tasks.base import HUMAN, TRANSLATED
from xstilts.tasks.registry import get_task

SHARED = Path(__file__).resolve().parents[2] / "shared" / "data"


def _goldp(language_name: str, n: int) -> dict:
    """TyDiQA-GoldP JSON (SQuAD v1.1 layout) whose question ids carry the language name, as the release's do."""
    paragraphs = [
        {
            "context": f"the answer is word{i} here",
            "qas": [
                {
                    "id": f"{language_name}-{1000 + i}-0",
                    "question": "what is the answer ?",
                    "answers": [{"text": f"word{i}", "answer_start": 14}],
                }
            ],
        }
        for i in range(n)
    ]
    return {"version": "TyDiQA-GoldP-1.1-for-SQuAD-1.1", "data": [{"title": "t", "paragraphs": paragraphs}]}


def test_tydiqa_trains_in_each_of_its_languages_from_the_combined_and_the_per_language_files(tmp_path: Path) -> None:
    task = get_task("tydiqa")
    assert set(task.splits["train"]) == set(task.languages) and "fi" in task.splits["train"]
    combined = _goldp("finnish", 3)
    combined["data"] += _goldp("english", 2)["data"]
    write_text(tmp_path / "combined" / "tydiqa-goldp-v1.1-train.json", json.dumps(combined))
    finnish = task.read("train", "fi", local(tmp_path / "combined"))
    assert [e.guid.split("-")[0] for e in finnish] == ["finnish"] * 3
    # XTREME's per-language file, in the folder its preprocessing writes
    write_text(
        tmp_path / "xtreme" / "tydiqa-goldp-v1.1-train" / "tydiqa.goldp.ru.train.json", json.dumps(_goldp("russian", 4))
    )
    assert len(task.read("train", "ru", local(tmp_path / "xtreme"))) == 4
    write_text(tmp_path / "bad" / "tydiqa.goldp.ko.train.json", json.dumps(_goldp("finnish", 1)))
    with pytest.raises(XstiltsError, match="is not a korean question"):
        task.read("train", "ko", local(tmp_path / "bad"))
    assert task.train_origin("fi", local(tmp_path)) == HUMAN


def test_tydiqa_hub_train_split_is_filtered_by_the_language_prefix(monkeypatch: pytest.MonkeyPatch) -> None:
    tables, calls = install_fake_hub(monkeypatch)
    ids = ["finnish-1-0", "english-2-0", "finnish-3-0"]
    tables[("google-research-datasets/tydiqa", "secondary_task", "train")] = {
        "id": ids,
        "title": ["t"] * 3,
        "context": ["the answer is x"] * 3,
        "question": ["what ?"] * 3,
        "answers": [{"text": ["x"], "answer_start": [14]}] * 3,
    }
    examples = get_task("tydiqa").read("train", "fi", get_task("tydiqa").default_source)
    assert [e.guid for e in examples] == ["finnish-1-0", "finnish-3-0"]
    assert calls[0][:3] == ("google-research-datasets/tydiqa", "secondary_task", "train")


def test_panx_trains_in_every_panx_language_from_the_raw_wikiann_files() -> None:
    task = get_task("panx")
    assert set(task.splits["train"]) == set(task.languages) >= {"fi", "et", "hu", "de", "ru"}
    if not (SHARED / "panx" / "raw" / "de" / "train").exists():
        pytest.skip("shared PAN-X data not present")
    german = task.read("train", "de", local(SHARED / "panx" / "raw"))
    assert len(german) > 1000 and german[0].tags[3] == "B-LOC"  # "de:Savoyer B-LOC", the file's first sentence
    assert task.train_origin("de", local(SHARED)) == HUMAN


def test_panx_xtreme_tsv_train_in_finnish(tmp_path: Path) -> None:
    task = get_task("panx")
    write_text(tmp_path / "train-fi.tsv", "Helsinki\tB-LOC\non\tO\n\nMatti\tB-PER\n")
    assert [list(e.tags) for e in task.read("train", "fi", local(tmp_path))] == [["B-LOC", "O"], ["B-PER"]]


def test_tagging_hub_configs_give_finnish_and_estonian_training_splits(monkeypatch: pytest.MonkeyPatch) -> None:
    import datasets

    calls: list[tuple] = []

    def load_dataset(path: str, name: str | None = None, *, split: str | None = None, **kwargs: object) -> object:
        calls.append((path, name, split))
        tags = get_task("panx" if name == "PAN-X.fi" else "udpos").labels
        column = "ner_tags" if name == "PAN-X.fi" else "pos_tags"
        features = datasets.Features(
            {
                "tokens": datasets.Sequence(datasets.Value("string")),
                column: datasets.Sequence(datasets.ClassLabel(names=list(tags))),
            }
        )
        return datasets.Dataset.from_dict(
            {"tokens": [["Helsinki"]], column: [[tags.index("B-LOC" if column == "ner_tags" else "PROPN")]]},
            features=features,
        )

    monkeypatch.setattr(datasets, "load_dataset", load_dataset)
    monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
    monkeypatch.delenv("HF_DATASETS_OFFLINE", raising=False)
    assert get_task("panx").read("train", "fi", get_task("panx").default_source)[0].tags == ("B-LOC",)
    assert get_task("udpos").read("train", "et", get_task("udpos").default_source)[0].tags == ("PROPN",)
    assert calls == [("google/xtreme", "PAN-X.fi", "train"), ("google/xtreme", "udpos.Estonian", "train")]


def _conllu(words: list[tuple[str, str]]) -> str:
    rows = [f"{i}\t{form}\t{form}\t{tag}\t_\t_\t0\troot\t_\t_" for i, (form, tag) in enumerate(words, start=1)]
    return "# text = x\n" + "\n".join(rows) + "\n\n"


def test_udpos_trains_in_estonian_and_hungarian_from_merged_treebanks(tmp_path: Path) -> None:
    task = get_task("udpos")
    assert {"fi", "et", "hu", "de", "ru", "kk"} <= set(task.splits["train"])
    assert not {"th", "tl", "yo"} & set(task.splits["train"])  # test-only treebanks
    write_text(tmp_path / "UD_Estonian-EDT" / "et_edt-ud-train.conllu", _conllu([("Tere", "INTJ")]))
    write_text(tmp_path / "UD_Estonian-EWT" / "et_ewt-ud-train.conllu", _conllu([("maja", "NOUN"), ("on", "AUX")]))
    write_text(tmp_path / "UD_Hungarian-Szeged" / "hu_szeged-ud-train.conllu", _conllu([("ház", "NOUN")]))
    estonian = task.read("train", "et", local(tmp_path))
    assert [list(e.tags) for e in estonian] == [["INTJ"], ["NOUN", "AUX"]]  # both treebanks, in file-name order
    assert task.read("train", "hu", local(tmp_path))[0].words == ("ház",)
    with pytest.raises(XstiltsError, match="no 'train' split for language 'th'"):
        task.read("train", "th", local(tmp_path))


def test_udpos_real_finnish_treebank_read_as_a_training_split(tmp_path: Path) -> None:
    dev = SHARED / "ud" / "UD_Finnish-TDT" / "fi_tdt-ud-dev.conllu"
    if not dev.exists():
        pytest.skip("shared UD data not present")
    (tmp_path / "UD_Finnish-TDT").mkdir()
    os.symlink(dev, tmp_path / "UD_Finnish-TDT" / "fi_tdt-ud-train.conllu")  # the same format as TDT's train file
    examples = get_task("udpos").read("train", "fi", local(tmp_path))
    assert len(examples) == len(get_task("udpos").read("dev", "fi", local(SHARED / "ud")))


def _pawsx_file(path: Path, rows: list[tuple[str, str, str]]) -> Path:
    lines = ["id\tsentence1\tsentence2\tlabel", *(f"{i}\t{a}\t{b}\t{y}" for i, (a, b, y) in enumerate(rows, 1))]
    return write_text(path, "\n".join(lines) + "\n")


def test_pawsx_reads_the_official_translated_training_sets(tmp_path: Path) -> None:
    task = get_task("pawsx")
    assert set(task.splits["train"]) == {"en", "de", "es", "fr", "ja", "ko", "zh"}
    _pawsx_file(tmp_path / "de" / "translated_train.tsv", [("hund", "hund", "1"), ("haus", "baum", "0")])
    _pawsx_file(tmp_path / "en" / "train.tsv", [("dog", "dog", "1")])
    german = task.read("train", "de", local(tmp_path))
    assert [(e.text_a, e.label) for e in german] == [("hund", "1"), ("haus", "0")]
    assert len(task.read("train", "en", local(tmp_path))) == 1
    assert task.train_origin("de", local(tmp_path)) == TRANSLATED
    assert task.train_origin("en", local(tmp_path)) == HUMAN


def test_squad_translate_train_files_are_read_and_marked_translated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    task = get_task("squad_v1")
    document = _goldp("q", 2)
    write_text(tmp_path / "translate-train" / "squad.translate.train.en-de.json", json.dumps(document))
    assert len(task.read("train", "de", local(tmp_path))) == 2
    assert task.train_origin("de", task.default_source) == TRANSLATED
    with pytest.raises(XstiltsError, match=re.escape("squad.translate.train.en-ru.json: file not found")):
        task.read("train", "ru", local(tmp_path))
    install_fake_hub(monkeypatch)
    with pytest.raises(XstiltsError, match="no hub copy"):
        task.read("train", "de", task.default_source)


def _mnli_translation(path: Path) -> Path:
    header = "index\tpromptID\tpairID\tgenre\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse"
    header += "\tsentence2_parse\tsentence1\tsentence2\tlabel1\tgold_label"
    row = "0\t1\t1\tfiction\t_\t_\t_\t_\tkissa on talossa\tkissa on\tentailment\tentailment"
    return write_text(path, f"{header}\n{row}\n")


def test_a_user_translation_is_read_in_the_tasks_own_format_and_named_by_its_language(tmp_path: Path) -> None:
    task = get_task("mnli")
    translation = _mnli_translation(tmp_path / "train.fi.tsv")
    examples = task.read("train", "fi", local(translation))
    assert [(e.text_a, e.label) for e in examples] == [("kissa on talossa", "entailment")]
    assert task.train_origin("fi", local(translation)) == TRANSLATED
    with pytest.raises(XstiltsError, match=re.escape("must name its language in the file name, e.g. train.et.tsv")):
        task.read("train", "et", local(translation))
    with pytest.raises(XstiltsError, match="has no single official training file"):
        get_task("udpos").read("train", "fi", local(translation))


def _experiment(tmp_path: Path, intermediate: str, **extra: str) -> Path:
    lines = ["name: sources", "model: xlm-roberta-base", f"intermediate: {intermediate}", "target: [xnli]"]
    lines += [f"{key}: {value}" for key, value in extra.items()]
    return write_text(tmp_path / "experiment.yaml", "\n".join(lines) + "\n")


def test_the_plan_records_provenance_and_selection_language_only_outside_english(tmp_path: Path) -> None:
    translation = _mnli_translation(tmp_path / "mnli.sw.tsv")
    path = _experiment(
        tmp_path,
        "[none, mnli, panx, {task: panx, train_language: fi}, {task: pawsx, train_language: de, select_language: de},"
        f" {{task: mnli, train_language: sw, data: {{source: local, path: {translation.name}}}}}]",
    )
    plan = build_plan(load_spec(path))
    dims = {p.variant: p.dims for p in plan if p.role == "evaluate"}
    assert dims["mnli"] == {"num_tasks": "1", "source_language": "en"}  # English variants: no new dims
    assert dims["panx@fi"]["source_data"] == "human"
    assert dims["pawsx@de~dev-de"] | {} == {
        "num_tasks": "1",
        "source_language": "de",
        "source_data": "translated",
        "select_language": "de",
    }
    assert dims["mnli@sw"]["source_data"] == "translated"
    head = next(p for p in plan if p.variant == "mnli@sw" and p.role == "intermediate").config.heads["mnli@sw"]
    assert head.train.task == "mnli" and head.train.languages == ["sw"] and head.train.source.path == str(translation)
    assert all("source_data" not in p.label for p in plan)  # labels (and pinned ids) stay what they were


@pytest.mark.parametrize(
    ("intermediate", "expected"),
    [
        ("[{task: udpos, train_language: tl}]", "task 'udpos' has no training data in 'tl'"),
        ("[{task: squad_v1, train_language: fi}]", "or give a translation of its training file"),
        (
            "[{task: mnli, train_language: fi, data: {source: local, path: mnli-finnish.tsv}}]",
            "must name its language in the file name",
        ),
        ("[{task: mnli, train_language: fi, data: {source: local, path: train.fi.tsv}}]", "does not exist"),
    ],
)
def test_source_language_errors_name_the_field(tmp_path: Path, intermediate: str, expected: str) -> None:
    with pytest.raises(ConfigError, match=expected) as error:
        load_spec(_experiment(tmp_path, intermediate))
    assert "intermediate[0].train_language" in str(error.value)


def test_english_counterparts_strip_each_members_language() -> None:
    assert english_counterpart("tydiqa@fi") == "tydiqa"
    assert english_counterpart("udpos@et+panx@et/lora") == "panx+udpos/lora"
    assert english_counterpart("pawsx@de~dev-de") == "pawsx~dev-de"


def _store(tmp_path: Path, runs: dict[str, tuple[dict[str, str], dict[int, dict[str, float]]]]) -> None:
    store = ResultsStore(tmp_path / "results.sqlite")
    for variant, (dims, by_seed) in runs.items():
        for seed, values in by_seed.items():
            store.record_phase({**evaluation_record(f"{variant}-{seed}", variant, seed, values), "dims": dims})


def test_report_compares_each_source_with_english_per_evaluation_language(tmp_path: Path) -> None:
    base = {1: {"en": 70.0, "de": 60.0, "ru": 50.0}, 2: {"en": 71.0, "de": 61.0, "ru": 51.0}}

    def shifted(by: dict[str, float]) -> dict[int, dict[str, float]]:
        return {seed: {lang: v + by.get(lang, 0.0) for lang, v in values.items()} for seed, values in base.items()}

    _store(
        tmp_path,
        {
            "baseline": ({}, base),
            "pawsx": ({"num_tasks": "1", "source_language": "en"}, shifted({"de": 1.0})),
            "pawsx@de": (
                {"num_tasks": "1", "source_language": "de", "source_data": "translated"},
                shifted({"de": 4.0, "ru": -1.0}),
            ),
        },
    )
    page = write_report(tmp_path).read_text()
    assert "Source languages: each source against English intermediate training" in page
    assert "Mixes human and translated data: pawsx@de" in page
    assert "Not zero-shot (source = evaluation language): pawsx@de on xnli/de." in page
    with (tmp_path / "report" / "tables" / "source-languages.csv").open() as handle:
        rows = {row["language"]: row for row in csv.DictReader(handle)}
    assert float(rows["de"]["Δ vs en"]) == pytest.approx(3.0) and rows["de"]["seeds"] == "2"
    assert float(rows["ru"]["Δ vs en"]) == pytest.approx(-1.0) and rows["ru"]["data"] == "translated"
    assert float(rows["en"]["Δ vs en"]) == pytest.approx(0.0)
    assert float(rows["de"]["distance (source, language)"]) == 0.0  # URIEL: a language's distance to itself
    assert (tmp_path / "report" / "figures" / "source-languages.png").exists()


def test_the_section_is_left_out_with_one_source_language(tmp_path: Path) -> None:
    _store(tmp_path, {"baseline": ({}, {1: {"en": 1.0}}), "mnli": ({"source_language": "en"}, {1: {"en": 2.0}})})
    assert "Source languages: each source" not in write_report(tmp_path).read_text()


def test_comparisons_skip_variants_without_an_english_counterpart() -> None:
    table = {("xnli", "xnli@de", 1): {"de": 1.0}, ("xnli", "mnli", 1): {"de": 0.0}}
    assert comparisons(table, {"xnli@de": {"source_language": "de"}, "mnli": {"source_language": "en"}}) == []

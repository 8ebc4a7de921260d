"""Readers of the official formats (tsv, SQuAD JSON) and of the hub, through the task registry.

Every file is written by the test into ``tmp_path``; the hub is replaced by ``datasets.Dataset.from_dict`` with
each dataset's hub schema. The last group reads the real XQuAD files under ``../shared/data`` when present.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builders import (
    LANGUAGE_WORDS,
    install_fake_hub,
    local,
    write_glue_mnli,
    write_pawsx_official,
    write_squad,
    write_xnli_official,
    write_xquad,
)
from xstilts.data.examples import Answer, ClassificationExample, SpanExample
from xstilts.data.sources import DataSource
from xstilts.data.squad_json import read_squad_json, span_examples_from_hub
from xstilts.data.tsv import read_tsv_rows, read_tsv_with_header, read_xtreme_pair_tsv
from xstilts.errors import DataFormatError, XstiltsError
from xstilts.tasks.registry import get_task

NLI = ("contradiction", "entailment", "neutral")
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
XQUAD_DIR = SHARED_DATA / "xquad"
XQUAD_LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")

needs_shared_xquad = pytest.mark.skipif(
    not (XQUAD_DIR / "xquad.en.json").is_file(), reason=f"shared XQuAD files not found under {XQUAD_DIR}"
)


def write(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def squad_json(context: str, qas: list[dict], title: str = "T") -> dict:
    return {"version": "1.1", "data": [{"title": title, "paragraphs": [{"context": context, "qas": qas}]}]}


# --------------------------------------------------------------------------------------------------------------
# xstilts.data.tsv


def test_read_tsv_rows_numbers_lines_and_skips_blank_ones(tmp_path):
    path = tmp_path / "f.tsv"
    path.write_bytes(b'a\tb\tc\r\n\n  \nd\t"e\tf\textra\n')
    rows = list(read_tsv_rows(path, min_fields=3))
    assert rows == [(1, ["a", "b", "c"]), (4, ["d", '"e', "f", "extra"])]


def test_read_tsv_rows_keeps_quotes_and_empty_fields(tmp_path):
    path = write(tmp_path / "f.tsv", ['he said "hi\tthen\t', 'x\t"\t"'])
    assert list(read_tsv_rows(path, min_fields=2)) == [(1, ['he said "hi', "then", ""]), (2, ["x", '"', '"'])]


def test_read_tsv_rows_too_few_fields_names_file_and_line(tmp_path):
    path = write(tmp_path / "f.tsv", ["a\tb\tc", "a\tb\tc", "a\tb"])
    with pytest.raises(DataFormatError, match="found 2") as info:
        list(read_tsv_rows(path, min_fields=3))
    assert str(info.value).startswith(f"{path}:3: ")
    assert info.value.path == str(path)
    assert info.value.line == 3


def test_read_tsv_rows_missing_file(tmp_path):
    path = tmp_path / "nothing.tsv"
    with pytest.raises(DataFormatError, match="not found") as info:
        list(read_tsv_rows(path, min_fields=1))
    assert str(path) in str(info.value)


def test_read_tsv_rows_not_utf8(tmp_path):
    path = tmp_path / "latin1.tsv"
    path.write_bytes("caf\u00e9\tb\n".encode("latin-1"))
    with pytest.raises(DataFormatError, match="UTF-8") as info:
        list(read_tsv_rows(path, min_fields=1))
    assert str(path) in str(info.value)


def test_read_tsv_with_header_maps_columns(tmp_path):
    path = write(tmp_path / "h.tsv", ["id\tsentence1\tsentence2\tlabel", "7\ta b\tc d\t1", "", "8\te\tf\t0"])
    rows = list(read_tsv_with_header(path, ("sentence1", "label")))
    assert rows == [
        (2, {"id": "7", "sentence1": "a b", "sentence2": "c d", "label": "1"}),
        (4, {"id": "8", "sentence1": "e", "sentence2": "f", "label": "0"}),
    ]


def test_read_tsv_with_header_missing_column_is_line_1(tmp_path):
    path = write(tmp_path / "h.tsv", ["id\tsentence1\tsentence2", "1\ta\tb"])
    with pytest.raises(DataFormatError, match="label") as info:
        list(read_tsv_with_header(path, ("sentence1", "sentence2", "label")))
    assert str(info.value).startswith(f"{path}:1: ")


def test_read_tsv_with_header_wrong_field_count_names_line(tmp_path):
    path = write(tmp_path / "h.tsv", ["a\tb", "1\t2", "1\t2\t3"])
    with pytest.raises(DataFormatError, match="expected 2") as info:
        list(read_tsv_with_header(path, ("a",)))
    assert str(info.value).startswith(f"{path}:3: ")


def test_read_tsv_with_header_empty_file(tmp_path):
    path = tmp_path / "empty.tsv"
    path.write_text("", encoding="utf-8")
    with pytest.raises(DataFormatError, match="header") as info:
        list(read_tsv_with_header(path, ("a",)))
    assert str(info.value).startswith(f"{path}:1: ")


def test_read_xtreme_pair_tsv_maps_contradictory(tmp_path):
    path = write(
        tmp_path / "dev-de.tsv",
        ["katze hund\thund\tentailment", "haus\tbaum\tcontradictory", "fluss\tsonne\tneutral", "a\tb\tcontradiction"],
    )
    examples = read_xtreme_pair_tsv(path, NLI, "xnli-dev-de")
    assert [e.label for e in examples] == ["entailment", "contradiction", "neutral", "contradiction"]
    assert examples[0] == ClassificationExample("xnli-dev-de-1", "katze hund", "hund", "entailment")
    assert len({e.guid for e in examples}) == 4


def test_read_xtreme_pair_tsv_bad_label_names_line(tmp_path):
    path = write(tmp_path / "dev-de.tsv", ["a\tb\tneutral", "a\tb\tneutral", "a\tb\tneutral", "a\tb\tmaybe"])
    with pytest.raises(DataFormatError, match="'maybe'") as info:
        read_xtreme_pair_tsv(path, NLI, "x")
    assert str(info.value).startswith(f"{path}:4: ")


def test_read_xtreme_pair_tsv_too_few_fields_names_line(tmp_path):
    path = write(tmp_path / "dev-de.tsv", ["a\tb\tneutral", "a\tb\tneutral", "a\tb"])
    with pytest.raises(DataFormatError) as info:
        read_xtreme_pair_tsv(path, NLI, "x")
    assert str(info.value).startswith(f"{path}:3: ")


# --------------------------------------------------------------------------------------------------------------
# xstilts.data.squad_json


def test_read_squad_json_reads_every_question(tmp_path):
    context = "Paris is the capital of France."
    document = {
        "version": "1.1",
        "data": [
            {
                "title": "Paris",
                "paragraphs": [
                    {
                        "context": context,
                        "qas": [
                            {
                                "id": "q1",
                                "question": "What is the capital of France?",
                                "answers": [{"text": "Paris", "answer_start": 0}, {"text": "Paris", "answer_start": 0}],
                            },
                            {
                                "id": "q2",
                                "question": "Capital of what?",
                                "answers": [{"text": "France", "answer_start": 24}],
                            },
                        ],
                    },
                    {"context": "Empty paragraph.", "qas": []},
                ],
            },
            {"title": "B", "paragraphs": [{"context": "xyz", "qas": [{"id": "q3", "question": "?", "answers": []}]}]},
        ],
    }
    path = tmp_path / "squad.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    examples = read_squad_json(path)
    assert examples == [
        SpanExample("q1", "What is the capital of France?", context, (Answer("Paris", 0), Answer("Paris", 0))),
        SpanExample("q2", "Capital of what?", context, (Answer("France", 24),)),
        SpanExample("q3", "?", "xyz", ()),
    ]
    for example in examples:
        for answer in example.answers:
            assert example.context[answer.start : answer.start + len(answer.text)] == answer.text


def test_read_squad_json_keeps_unicode(tmp_path):
    context = "Der Rhein fließt durch Köln — «Köln» ist groß. 北京大学"
    start = context.index("北京")
    path = tmp_path / "x.json"
    path.write_text(
        json.dumps(
            squad_json(context, [{"id": "u", "question": "Wo?", "answers": [{"text": "北京", "answer_start": start}]}]),
            ensure_ascii=False,
        ),
        encoding="utf-8",
    )
    [example] = read_squad_json(path)
    assert example.context == context
    assert example.context[example.answers[0].start :].startswith("北京")


def test_read_squad_json_invalid_json_names_decoder_line(tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('{\n  "data": [\n    {"title": "x",, }\n  ]\n}\n', encoding="utf-8")
    with pytest.raises(DataFormatError, match="invalid JSON") as info:
        read_squad_json(path)
    assert str(info.value).startswith(f"{path}:3: ")
    assert info.value.line == 3


def test_read_squad_json_question_without_question_field(tmp_path):
    path = tmp_path / "q.json"
    path.write_text(json.dumps(squad_json("abc", [{"id": "1", "answers": []}])), encoding="utf-8")
    with pytest.raises(DataFormatError, match="'question'") as info:
        read_squad_json(path)
    assert str(info.value).startswith(str(path))
    assert "data[0].paragraphs[0].qas[0]" in str(info.value)


@pytest.mark.parametrize("start", [-1, 4, 100])
def test_read_squad_json_answer_start_outside_context(tmp_path, start):
    path = tmp_path / "a.json"
    qas = [{"id": "1", "question": "q", "answers": [{"text": "b", "answer_start": start}]}]
    path.write_text(json.dumps(squad_json("abc", qas)), encoding="utf-8")
    with pytest.raises(DataFormatError, match="outside the context") as info:
        read_squad_json(path)
    assert str(path) in str(info.value)
    assert "data[0].paragraphs[0].qas[0].answers[0]" in str(info.value)


@pytest.mark.parametrize(("text", "start"), [("b", 3), ("bcd", 1)])
def test_read_squad_json_answer_running_past_the_context(tmp_path, text, start):
    path = tmp_path / "a.json"
    qas = [{"id": "1", "question": "q", "answers": [{"text": text, "answer_start": start}]}]
    path.write_text(json.dumps(squad_json("abc", qas)), encoding="utf-8")
    with pytest.raises(DataFormatError):
        read_squad_json(path)


@pytest.mark.parametrize(
    ("document", "where"),
    [
        ({"version": "1.1"}, "missing field 'data'"),
        ({"data": [{"title": "x"}]}, "data[0]"),
        ({"data": [{"paragraphs": [{"qas": []}]}]}, "data[0].paragraphs[0]"),
        ({"data": [{"paragraphs": [{"context": 5, "qas": []}]}]}, "data[0].paragraphs[0].context"),
        (squad_json("abc", [{"id": "1", "question": "q", "answers": [{"text": "a"}]}]), "answers[0]"),
        (
            squad_json("abc", [{"id": "1", "question": "q", "answers": [{"text": "a", "answer_start": "0"}]}]),
            "answer_start",
        ),
        (squad_json("abc", [{"question": "q", "answers": []}]), "qas[0]"),
    ],
)
def test_read_squad_json_structural_errors_name_file_and_place(tmp_path, document, where):
    path = tmp_path / "s.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(DataFormatError) as info:
        read_squad_json(path)
    assert str(info.value).startswith(str(path))
    assert where in str(info.value)


def test_read_squad_json_missing_file(tmp_path):
    with pytest.raises(DataFormatError, match="not found") as info:
        read_squad_json(tmp_path / "dev-v1.1.json")
    assert str(tmp_path / "dev-v1.1.json") in str(info.value)


def test_span_examples_from_hub_rows():
    rows = [
        {
            "id": 56,
            "title": "T",
            "context": "a cat and a dog",
            "question": "what?",
            "answers": {"text": ["cat", "a cat"], "answer_start": [2, 0]},
        },
        {"id": "x", "title": "T", "context": "c", "question": "q", "answers": {"text": [], "answer_start": []}},
    ]
    assert span_examples_from_hub(rows) == [
        SpanExample("56", "what?", "a cat and a dog", (Answer("cat", 2), Answer("a cat", 0))),
        SpanExample("x", "q", "c", ()),
    ]


# --------------------------------------------------------------------------------------------------------------
# task readers on local files, through the registry

XNLI_HEADER = (
    "language\tgold_label\tsentence1_binary_parse\tsentence2_binary_parse\tsentence1_parse\tsentence2_parse\t"
    "sentence1\tsentence2\tpromptID\tpairID\tgenre\tlabel1\tlabel2\tlabel3\tlabel4\tlabel5\t"
    "sentence1_tokenized\tsentence2_tokenized\tmatch"
)


def xnli_row(language: str, label: str, s1: str, s2: str) -> str:
    return "\t".join([language, label, "", "", "", "", s1, s2, "1", "1", "facetoface", *[label] * 5, s1, s2, "True"])


def test_xnli_official_layout_filters_by_language(tmp_path):
    root = tmp_path / "XNLI-1.0"
    write(
        root / "xnli.test.tsv",
        [
            XNLI_HEADER,
            xnli_row("en", "neutral", "The cat sat.", "A cat."),
            xnli_row("de", "entailment", 'Die Katze "sitzt".', "Eine Katze."),
            xnli_row("de", "contradiction", "Der Hund.", "Kein Hund."),
            xnli_row("fr", "neutral", "Le chat.", "Un chat."),
        ],
    )
    examples = get_task("xnli").read("test", "de", local(root))
    assert [(e.text_a, e.text_b, e.label) for e in examples] == [
        ('Die Katze "sitzt".', "Eine Katze.", "entailment"),
        ("Der Hund.", "Kein Hund.", "contradiction"),
    ]
    assert len({e.guid for e in examples}) == 2
    assert all(e.guid.startswith("xnli-test-de-") for e in examples)


def test_xnli_official_layout_from_builder(tmp_path):
    root = write_xnli_official(tmp_path / "xnli", ["en", "de", "sw"], n_per_language=7)
    task = get_task("xnli")
    for split in ("dev", "test"):
        for language in ("en", "de", "sw"):
            examples = task.read(split, language, local(root))
            assert len(examples) == 7
            assert {e.label for e in examples} <= set(NLI)
            vocabulary = set(LANGUAGE_WORDS[language]) | {"yes", "no", "maybe"}
            assert all(set(e.text_a.split()) <= vocabulary for e in examples)
    with pytest.raises(XstiltsError, match="no 'test' examples for language 'fr' of task 'xnli'"):
        task.read("test", "fr", local(root))  # an absent language must not score 0 as if it were a result


def test_xnli_official_bad_label_names_line(tmp_path):
    root = tmp_path / "xnli"
    rows = [xnli_row("de", "neutral", "a", "b")] * 2 + [xnli_row("de", "unknown", "a", "b")]
    path = write(root / "xnli.test.tsv", [XNLI_HEADER, *rows])
    with pytest.raises(DataFormatError, match="unknown") as info:
        get_task("xnli").read("test", "de", local(root))
    assert str(info.value).startswith(f"{path}:4: ")


def test_xnli_official_missing_header_column(tmp_path):
    root = tmp_path / "xnli"
    path = write(root / "xnli.dev.tsv", ["language\tgold_label\tsentence1", "de\tneutral\ta"])
    with pytest.raises(DataFormatError, match="sentence2") as info:
        get_task("xnli").read("dev", "de", local(root))
    assert str(info.value).startswith(f"{path}:1: ")


def test_xnli_xtreme_layout(tmp_path):
    root = tmp_path / "xnli"
    write(root / "test-de.tsv", ["Die Katze.\tEine Katze.\tentailment", "Der Hund.\tKein Hund.\tcontradictory"])
    write(root / "test-fr.tsv", ["Le chat.\tUn chat.\tneutral"])
    examples = get_task("xnli").read("test", "de", local(root))
    assert [(e.text_a, e.text_b, e.label) for e in examples] == [
        ("Die Katze.", "Eine Katze.", "entailment"),
        ("Der Hund.", "Kein Hund.", "contradiction"),
    ]
    assert [e.label for e in get_task("xnli").read("test", "fr", local(root))] == ["neutral"]


def test_xnli_xtreme_unlabelled_test_file_is_a_clear_error(tmp_path):
    # XTREME's preprocessing writes test-LANG.tsv without labels (two columns); nothing to evaluate against.
    root = tmp_path / "xnli"
    path = write(root / "test-de.tsv", ["Die Katze.\tEine Katze."])
    with pytest.raises(DataFormatError) as info:
        get_task("xnli").read("test", "de", local(root))
    assert str(info.value).startswith(f"{path}:1: ")


def test_xnli_local_nothing_there(tmp_path):
    with pytest.raises(DataFormatError, match="not found") as info:
        get_task("xnli").read("test", "de", local(tmp_path))
    assert "test-de.tsv" in str(info.value)
    with pytest.raises(XstiltsError, match="does not exist"):
        get_task("xnli").read("test", "de", local(tmp_path / "absent"))
    with pytest.raises(XstiltsError, match="path"):
        get_task("xnli").read("test", "de", DataSource(source="local"))


def test_unknown_language_or_split_is_refused(tmp_path):
    with pytest.raises(XstiltsError, match="'xx'"):
        get_task("xnli").read("test", "xx", local(tmp_path))
    with pytest.raises(XstiltsError, match="'train'"):
        get_task("xnli").read("train", "en", local(tmp_path))
    with pytest.raises(XstiltsError, match="unknown task"):
        get_task("xnlii")


def test_mnli_glue_layout(tmp_path):
    root = write_glue_mnli(tmp_path / "MNLI", n_train=9, n_dev=5)
    task = get_task("mnli")
    train = task.read("train", "en", local(root))
    dev = task.read("dev", "en", local(root))
    assert len(train) == 9
    assert len(dev) == 5
    assert {e.label for e in train + dev} <= set(NLI)
    assert len({e.guid for e in train}) == 9
    # The builder's hypothesis ends with the keyword of its label.
    keyword = {"entailment": "yes", "contradiction": "no", "neutral": "maybe"}
    assert all(e.text_b.split()[-1] == keyword[e.label] for e in train + dev)


def test_mnli_glue_keeps_quotes_and_checks_labels(tmp_path):
    root = tmp_path / "MNLI"
    header = "index\tpromptID\tpairID\tgenre\tsentence1\tsentence2\tlabel1\tgold_label"
    write(
        root / "dev_matched.tsv",
        [header, '0\t1\t1e\tfiction\tHe said "no.\tHe "spoke".\tneutral\tneutral', "1\t2\t2e\tfiction\ta\tb\t-\t-"],
    )
    with pytest.raises(DataFormatError, match="'-'") as info:
        get_task("mnli").read("dev", "en", local(root))
    assert str(info.value).startswith(f"{root / 'dev_matched.tsv'}:3: ")
    write(root / "dev_matched.tsv", [header, '0\t1\t1e\tfiction\tHe said "no.\tHe "spoke".\tneutral\tneutral'])
    [example] = get_task("mnli").read("dev", "en", local(root))
    assert (example.text_a, example.text_b, example.label) == ('He said "no.', 'He "spoke".', "neutral")


def test_pawsx_official_layout(tmp_path):
    root = write_pawsx_official(tmp_path / "x-final", ["en", "de"], n=6)
    task = get_task("pawsx")
    for split, language in (("train", "en"), ("dev", "en"), ("dev", "de"), ("test", "de")):
        examples = task.read(split, language, local(root))
        assert len(examples) == 6
        assert {e.label for e in examples} <= {"0", "1"}
        assert all(e.label == "0" or e.text_a == e.text_b for e in examples)
    root2 = tmp_path / "x2"
    write(root2 / "de" / "dev_2k.tsv", ["id\tsentence1\tsentence2\tlabel", "17\tEin Satz.\tEin Satz!\t1"])
    [example] = task.read("dev", "de", local(root2))
    assert (example.text_a, example.text_b, example.label) == ("Ein Satz.", "Ein Satz!", "1")
    assert "17" in example.guid


def test_pawsx_official_bad_label_and_missing_column(tmp_path):
    root = tmp_path / "x-final"
    rows = ["id\tsentence1\tsentence2\tlabel", "1\ta\tb\t1", "2\ta\tb\t0", "3\ta\tb\tyes"]
    path = write(root / "de" / "dev_2k.tsv", rows)
    with pytest.raises(DataFormatError, match="'yes'") as info:
        get_task("pawsx").read("dev", "de", local(root))
    assert str(info.value).startswith(f"{path}:4: ")
    write(path, ["id\tsentence1\tsentence2", "1\ta\tb"])
    with pytest.raises(DataFormatError, match="label") as info:
        get_task("pawsx").read("dev", "de", local(root))
    assert str(info.value).startswith(f"{path}:1: ")


def test_pawsx_xtreme_layout(tmp_path):
    root = tmp_path / "pawsx"
    write(root / "dev-de.tsv", ["Ein Satz.\tEin Satz.\t1", "Ein Satz.\tEin anderer.\t0"])
    examples = get_task("pawsx").read("dev", "de", local(root))
    assert [(e.text_a, e.text_b, e.label) for e in examples] == [
        ("Ein Satz.", "Ein Satz.", "1"),
        ("Ein Satz.", "Ein anderer.", "0"),
    ]
    write(root / "dev-de.tsv", ["a\tb\t1", "a\tb\t2"])
    with pytest.raises(DataFormatError, match="'2'") as info:
        get_task("pawsx").read("dev", "de", local(root))
    assert str(info.value).startswith(f"{root / 'dev-de.tsv'}:2: ")


def test_squad_v1_local(tmp_path):
    root = write_squad(tmp_path / "squad", n_train=5, n_dev=3)
    task = get_task("squad_v1")
    train = task.read("train", "en", local(root))
    dev = task.read("dev", "en", local(root))
    assert len(train) == 5
    assert len(dev) == 3
    for example in train + dev:
        assert len(example.answers) == 3
        for answer in example.answers:
            assert example.context[answer.start : answer.start + len(answer.text)] == answer.text
            assert example.context[: answer.start].endswith("answer ")


def test_xquad_local(tmp_path):
    root = write_xquad(tmp_path / "xquad", ["en", "de", "sw"], n=4)
    task = get_task("xquad")
    german = task.read("test", "de", local(root))
    assert len(german) == 4
    assert all(set(e.context.split()) <= {*LANGUAGE_WORDS["de"], "answer", "."} for e in german)
    with pytest.raises(DataFormatError, match="not found"):
        task.read("test", "es", local(root))


# --------------------------------------------------------------------------------------------------------------
# hub readers (datasets.load_dataset replaced by an in-memory dataset)


@pytest.fixture
def fake_hub(monkeypatch):
    return install_fake_hub(monkeypatch)


def test_hub_mnli(fake_hub):
    tables, calls = fake_hub
    tables[("nyu-mll/glue", "mnli", "validation_matched")] = {
        "premise": ["p0", "p1", "p2", "p3"],
        "hypothesis": ["h0", "h1", "h2", "h3"],
        "label": [0, 1, -1, 2],
        "idx": [0, 1, 2, 3],
    }
    examples = get_task("mnli").read("dev", "en", DataSource(revision="abc123"))
    assert [(e.text_a, e.text_b, e.label) for e in examples] == [
        ("p0", "h0", "entailment"),
        ("p1", "h1", "neutral"),
        ("p3", "h3", "contradiction"),
    ]
    assert calls == [("nyu-mll/glue", "mnli", "validation_matched", "abc123")]
    tables[("nyu-mll/glue", "mnli", "train")] = {"premise": ["a"], "hypothesis": ["b"], "label": [2], "idx": [0]}
    assert [e.label for e in get_task("mnli").read("train", "en", DataSource())] == ["contradiction"]
    assert calls[-1] == ("nyu-mll/glue", "mnli", "train", None)


def test_hub_xnli_filters_language(fake_hub):
    tables, calls = fake_hub
    tables[("google/xtreme", "XNLI", "test")] = {
        "language": ["en", "de", "fr", "de"],
        "sentence1": ["a", "b", "c", "d"],
        "sentence2": ["A", "B", "C", "D"],
        "gold_label": ["neutral", "entailment", "neutral", "contradiction"],
    }
    examples = get_task("xnli").read("test", "de", DataSource())
    assert [(e.text_a, e.text_b, e.label) for e in examples] == [("b", "B", "entailment"), ("d", "D", "contradiction")]
    assert len({e.guid for e in examples}) == 2
    assert calls == [("google/xtreme", "XNLI", "test", None)]
    tables[("google/xtreme", "XNLI", "validation")] = tables[("google/xtreme", "XNLI", "test")]
    assert len(get_task("xnli").read("dev", "fr", DataSource())) == 1
    assert calls[-1][2] == "validation"


@pytest.mark.parametrize("labels", [["1", "0"], [1, 0]])
def test_hub_pawsx_google_xtreme_by_name(fake_hub, labels):
    tables, calls = fake_hub
    tables[("google/xtreme", "PAWS-X.de", "validation")] = {
        "sentence1": ["s", "t"],
        "sentence2": ["s", "u"],
        "label": labels,
    }
    examples = get_task("pawsx").read("dev", "de", DataSource(dataset="google/xtreme"))
    assert [(e.text_a, e.text_b, e.label) for e in examples] == [("s", "s", "1"), ("t", "u", "0")]
    assert calls == [("google/xtreme", "PAWS-X.de", "validation", None)]


def squad_table(ids: list[str]) -> dict:
    return {
        "id": ids,
        "title": ["T"] * len(ids),
        "context": ["the cat sat on the mat"] * len(ids),
        "question": [f"question {i}" for i in ids],
        "answers": [{"text": ["cat", "the cat"], "answer_start": [4, 0]}] * len(ids),
    }


def test_hub_squad(fake_hub):
    tables, calls = fake_hub
    tables[("rajpurkar/squad", "plain_text", "validation")] = squad_table(["a1", "a2"])
    examples = get_task("squad_v1").read("dev", "en", DataSource())
    assert examples[0] == SpanExample(
        "a1", "question a1", "the cat sat on the mat", (Answer("cat", 4), Answer("the cat", 0))
    )
    assert [e.guid for e in examples] == ["a1", "a2"]
    assert calls == [("rajpurkar/squad", "plain_text", "validation", None)]


def test_hub_xquad(fake_hub):
    tables, calls = fake_hub
    tables[("google/xtreme", "XQuAD.de", "validation")] = squad_table(["x"])
    [example] = get_task("xquad").read("test", "de", DataSource(dataset="google/xtreme", revision="r1"))
    assert example.answers == (Answer("cat", 4), Answer("the cat", 0))
    assert calls == [("google/xtreme", "XQuAD.de", "validation", "r1")]


def test_hub_other_dataset_id_is_used(fake_hub):
    tables, calls = fake_hub
    tables[("me/my-xnli", "XNLI", "test")] = {
        "language": ["de"],
        "sentence1": ["a"],
        "sentence2": ["b"],
        "gold_label": ["neutral"],
    }
    assert len(get_task("xnli").read("test", "de", DataSource(dataset="me/my-xnli"))) == 1
    assert calls == [("me/my-xnli", "XNLI", "test", None)]


def test_hub_offline_error_mentions_offline_and_dataset(monkeypatch):
    import datasets

    def unreachable(*args, **kwargs):
        raise ConnectionError("Couldn't reach 'google/xtreme' on the Hub (LocalEntryNotFoundError)")

    monkeypatch.setattr(datasets, "load_dataset", unreachable)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(XstiltsError) as info:
        get_task("xnli").read("test", "de", DataSource())
    message = str(info.value)
    assert "offline" in message.lower()
    assert "google/xtreme" in message
    assert "XNLI" in message
    assert not isinstance(info.value, DataFormatError)


def test_hub_online_error_names_dataset_and_cause(fake_hub):
    with pytest.raises(XstiltsError) as info:
        get_task("squad_v1").read("train", "en", DataSource())
    message = str(info.value)
    assert "rajpurkar/squad" in message
    assert "'train'" in message
    assert "FileNotFoundError" in message


# --------------------------------------------------------------------------------------------------------------
# the real XQuAD files (skipped when ../shared/data is absent)


@needs_shared_xquad
@pytest.mark.parametrize("language", XQUAD_LANGUAGES)
def test_shared_xquad_every_language(language):
    examples = get_task("xquad").read("test", language, local(XQUAD_DIR))
    assert len(examples) == 1190
    assert len({e.guid for e in examples}) == 1190
    assert all(e.question.strip() and e.context and e.answers for e in examples)
    aligned = sum(e.context[a.start : a.start + len(a.text)] == a.text for e in examples for a in e.answers) / sum(
        len(e.answers) for e in examples
    )
    # Every language's gold answers are exact substrings at answer_start in the published files.
    assert aligned == 1.0, f"{language}: only {aligned:.2%} of answers align with their context"


@needs_shared_xquad
def test_shared_xquad_english_answers_and_shared_ids():
    english = get_task("xquad").read("test", "en", local(XQUAD_DIR))
    for example in english:
        for answer in example.answers:
            assert example.context[answer.start : answer.start + len(answer.text)] == answer.text
    german = get_task("xquad").read("test", "de", local(XQUAD_DIR))
    assert [e.guid for e in german] == [e.guid for e in english]
    assert len({e.context for e in english}) == 240

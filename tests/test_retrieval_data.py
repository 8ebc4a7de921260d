"""Retrieval readers: Tatoeba line pairs, BUCC id<TAB>sentence corpora with gold pairs, XQuAD-R (LAReQA) JSON;
malformed files name the file, the line and the field; the real shared files give SOURCE.md's counts."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from tests.conftest import SHARED_DATA
from tests.retrieval_files import (
    mewsli_context,
    mewsli_entity,
    parallel_sentences,
    write_bucc,
    write_mewsli,
    write_tatoeba,
    write_xquad_r,
    xquad_r_document,
)
from xstilts.data.examples import RetrievalExample
from xstilts.data.mewsli import mention_text
from xstilts.data.sources import DataSource
from xstilts.data.text_pairs import read_xquad_r
from xstilts.errors import DataFormatError, XstiltsError
from xstilts.tasks.lareqa import LAREQA_LANGUAGES
from xstilts.tasks.registry import get_task


def _local(path: Path) -> DataSource:
    return DataSource(source="local", path=str(path))


def test_tatoeba_reads_parallel_lines(tmp_path: Path) -> None:
    write_tatoeba(tmp_path, ["de", "sw"], n=12)
    [example] = get_task("tatoeba").read("test", "sw", _local(tmp_path))
    assert isinstance(example, RetrievalExample)
    pairs = parallel_sentences("sw", 12)
    assert [q.text for q in example.queries] == [s for s, _ in pairs]
    assert [c.text for c in example.candidates] == [e for _, e in pairs]
    assert example.gold == tuple((str(i), str(i)) for i in range(12))


def test_tatoeba_uneven_sides_name_the_file_and_line(tmp_path: Path) -> None:
    write_tatoeba(tmp_path, ["de"], n=5)
    english = tmp_path / "tatoeba.deu-eng.eng"
    english.write_text("".join(english.read_text().splitlines(keepends=True)[:3]))
    with pytest.raises(
        DataFormatError, match=r"tatoeba\.deu-eng\.eng:4: field 'sentence': the two sides are not parallel"
    ):
        get_task("tatoeba").read("test", "de", _local(tmp_path))


def test_tatoeba_empty_line_and_missing_file(tmp_path: Path) -> None:
    write_tatoeba(tmp_path, ["de"], n=5)
    german = tmp_path / "tatoeba.deu-eng.deu"
    lines = german.read_text().splitlines(keepends=True)
    german.write_text("".join([*lines[:2], "\n", *lines[3:]]))
    with pytest.raises(DataFormatError, match=r"tatoeba\.deu-eng\.deu:3: field 'sentence': empty"):
        get_task("tatoeba").read("test", "de", _local(tmp_path))
    with pytest.raises(DataFormatError, match=r"tatoeba\.fra-eng\.fra: file not found"):
        get_task("tatoeba").read("test", "fr", _local(tmp_path))


def test_bucc_reads_both_layouts(tmp_path: Path) -> None:
    pairs = parallel_sentences("de", 6)
    write_bucc(tmp_path / "official", "de", "sample", pairs[:3], ["cat dog", "sun"])
    write_bucc(tmp_path / "official", "de", "training", pairs[3:], ["road"])
    write_bucc(tmp_path / "xtreme", "de", "dev", pairs[:3], ["cat dog", "sun"])
    task = get_task("bucc2018")
    [dev] = task.read("dev", "de", _local(tmp_path / "official"))
    [test] = task.read("test", "de", _local(tmp_path / "official"))
    assert len(dev.queries) == 3 and len(dev.candidates) == 5 and len(test.candidates) == 4
    assert dev.gold == (
        ("de-000000000", "en-000000000"),
        ("de-000000001", "en-000000001"),
        ("de-000000002", "en-000000002"),
    )
    assert task.read("dev", "de", _local(tmp_path / "xtreme")) == [dev]


@pytest.mark.parametrize(
    ("file", "text", "error"),
    [
        (
            "de-en.sample.de",
            "de-1\tkatze\nde-2 hund\n",
            r"de-en\.sample\.de:2: expected 2 tab-separated fields \(id, sentence\), found 1",
        ),
        (
            "de-en.sample.de",
            "de-1\tkatze\nde-1\thund\n",
            r"de-en\.sample\.de:2: field 'id': 'de-1' listed twice \(first on line 1\)",
        ),
        ("de-en.sample.en", "en-1\tcat\nen-2\t \n", r"de-en\.sample\.en:2: field 'sentence': empty"),
        (
            "de-en.sample.gold",
            "de-1\ten-1\nde-1 en-2\n",
            r"de-en\.sample\.gold:2: expected 2 tab-separated fields \(source_id, english_id\)",
        ),
        (
            "de-en.sample.gold",
            "de-1\ten-9\n",
            r"de-en\.sample\.gold:1: field 'english_id': 'en-9' is not in the English",
        ),
        ("de-en.sample.gold", "de-7\ten-1\n", r"de-en\.sample\.gold:1: field 'source_id': 'de-7' is not in the source"),
    ],
)
def test_bucc_malformed_files(tmp_path: Path, file: str, text: str, error: str) -> None:
    files = {"de-en.sample.de": "de-1\tkatze\n", "de-en.sample.en": "en-1\tcat\n", "de-en.sample.gold": "de-1\ten-1\n"}
    files[file] = text
    for name, content in files.items():
        (tmp_path / name).write_text(content)
    with pytest.raises(DataFormatError, match=error):
        get_task("bucc2018").read("dev", "de", _local(tmp_path))


def test_bucc_hub_copy_is_refused_with_the_reason() -> None:
    with pytest.raises(XstiltsError, match="only the gold pairs"):
        get_task("bucc2018").read("test", "de", DataSource())


def test_lareqa_pools_every_language_and_links_parallel_answers(tmp_path: Path) -> None:
    write_xquad_r(tmp_path, list(LAREQA_LANGUAGES), questions=4)
    [example] = get_task("lareqa").read("test", "de", _local(tmp_path))
    assert [q.id for q in example.queries] == ["q0", "q1", "q2", "q3"]
    assert example.queries[0].text == "what katze ?"
    assert len(example.candidates) == 4 * 11
    sentence = {c.id: c for c in example.candidates}
    answers = [c for q, c in example.gold if q == "q2"]
    assert len(answers) == 11 and {a.split("/")[0] for a in answers} == set(LAREQA_LANGUAGES)
    assert sentence["de/0.0/2"].text == "haus baum fluss ." and sentence["de/0.0/2"].context.startswith("katze hund")
    assert "de/0.0/2" in answers and "en/0.0/2" in answers


def test_xquad_r_question_with_answer_in_no_sentence_is_skipped_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # utils_lareqa.generate_examples: "Warning: Skipped an example where the answer start was not contained within
    # any sentence"; its paragraph's sentences join the pool only through a kept question (load_data)
    document = xquad_r_document("en", 2)
    first = document["data"][0]["paragraphs"][0]
    lonely = json.loads(json.dumps(first))
    lonely["qas"] = [lonely["qas"][0] | {"id": "lost"}]
    first["qas"][1]["answers"][0]["answer_start"] = 10_000
    lonely["qas"][0]["answers"][0]["answer_start"] = -1
    document["data"].append({"title": "u", "paragraphs": [lonely]})
    path = tmp_path / "en.json"
    path.write_text(json.dumps(document))
    with caplog.at_level(logging.WARNING, logger="xstilts.data.text_pairs"):
        questions, candidates, gold = read_xquad_r(path)
    assert [q.id for q in questions] == ["q0"] and gold == [("q0", "en/0.0/0")]
    assert [c.id for c in candidates] == ["en/0.0/0", "en/0.0/1"]  # article 1's paragraph has no kept question
    [record] = caplog.records
    assert "skipped 2 question(s)" in record.getMessage()
    assert "data[0].paragraphs[0].qas[1] (q1: answer_start 10000)" in record.getMessage()
    assert "data[1].paragraphs[0].qas[0] (lost: answer_start -1)" in record.getMessage()


def test_xquad_r_gold_is_every_sentence_with_the_answer_sentences_text(tmp_path: Path) -> None:
    # utils_lareqa.load_data: a candidate is gold for a question when its text equals the answer sentence, and
    # candidates are context[begin:end] slices of the sentence breaks, whatever the "sentences" field says.
    context = "Yes . The cat sat . Yes . No ."
    breaks = [[0, 5], [6, 19], [20, 25], [26, 30]]
    paragraph = {
        "context": context,
        "sentence_breaks": breaks,
        "sentences": ["not", "read", "at", "all"],
        "qas": [
            {"id": "q0", "question": "yes?", "answers": [{"text": "Yes", "answer_start": 20}]},
            {"id": "q1", "question": "cat?", "answers": [{"text": "cat", "answer_start": 10}]},
        ],
    }
    path = tmp_path / "en.json"
    path.write_text(json.dumps({"data": [{"paragraphs": [paragraph]}]}))
    questions, candidates, gold = read_xquad_r(path)
    assert [c.text for c in candidates] == ["Yes .", "The cat sat .", "Yes .", "No ."]
    assert all(c.context == context for c in candidates)
    assert gold == [("q0", "en/0.0/0"), ("q0", "en/0.0/2"), ("q1", "en/0.0/1")]
    assert [q.id for q in questions] == ["q0", "q1"]


def test_xquad_r_malformed(tmp_path: Path) -> None:
    write_xquad_r(tmp_path, ["en"], questions=2)
    path = tmp_path / "en.json"
    document = json.loads(path.read_text())
    document["data"][0]["paragraphs"][0]["sentence_breaks"][1] = [3]
    path.write_text(json.dumps(document))
    with pytest.raises(DataFormatError, match=r"paragraphs\[0\]\.sentence_breaks\[1\]': expected \[begin, end\]"):
        read_xquad_r(path)
    del document["data"][0]["paragraphs"][0]["sentence_breaks"]
    path.write_text(json.dumps(document))
    with pytest.raises(DataFormatError, match=r"paragraphs\[0\]': missing field 'sentence_breaks'"):
        read_xquad_r(path)
    path.write_text('{"data": [\n  {"paragraphs": [}\n]}')
    with pytest.raises(DataFormatError, match=r"en\.json:2: invalid JSON"):
        read_xquad_r(path)


TATOEBA = SHARED_DATA / "tatoeba"
XQUAD_R = SHARED_DATA / "xquad_r"


@pytest.mark.skipif(not TATOEBA.is_dir(), reason="shared Tatoeba files not present")
@pytest.mark.parametrize(("language", "count"), [("de", 1000), ("zh", 1000), ("ja", 1000), ("sw", 390)])
def test_real_tatoeba_counts(language: str, count: int) -> None:
    [example] = get_task("tatoeba").read("test", language, _local(TATOEBA))
    assert len(example.queries) == len(example.candidates) == len(example.gold) == count


@pytest.mark.skipif(not XQUAD_R.is_dir(), reason="shared XQuAD-R files not present")
def test_real_xquad_r_counts() -> None:
    questions, candidates, gold = read_xquad_r(XQUAD_R / "en.json")
    assert len(candidates) == 1180  # the English paragraphs' sentences
    assert len(questions) == len(gold) == 1190  # SOURCE.md: 1190 questions per language
    assert len({q.id for q in questions}) == 1190
    [example] = get_task("lareqa").read("test", "th", _local(XQUAD_R))
    assert len(example.queries) == 1190
    assert len(example.gold) == 1190 * 11  # each question's answer sentence in every language
    assert len({c.id.split("/")[0] for c in example.candidates}) == 11


def test_mewsli_query_is_the_baseline_markup_of_one_sentence() -> None:
    text = "Intro here. The verdict came back for Smith, who left {the post}. Next one"
    sentences = [(0, 10), (12, 64), (66, 74)]
    start = text.index("Smith")
    assert mention_text(text, sentences, start, start + 5) == (
        "Smith: The verdict came back for { Smith } , who left (the post)"
    )
    assert mention_text(text, sentences, 5, 14) is None  # crosses a sentence break


def test_mewsli_reads_mentions_of_one_language_and_all_entities(tmp_path: Path) -> None:
    contexts = [
        mewsli_context("de", "Der Hund lief. Die Katze schlief", [("m1", "Hund", "Q1"), ("m2", "Katze", "Q2")]),
        mewsli_context("en", "The dog ran", [("m3", "dog", "Q1")]),
    ]
    entities = [mewsli_entity("Q1", "A dog.\nAn animal."), mewsli_entity("Q2", "A cat."), mewsli_entity("Q3", "Sun")]
    write_mewsli(tmp_path, "test", contexts, entities)
    [example] = get_task("mewsli_x").read("test", "de", _local(tmp_path))
    assert [(q.id, q.text) for q in example.queries] == [
        ("m1", "Hund: Der { Hund } lief"),
        ("m2", "Katze: Die { Katze } schlief"),
    ]
    assert [(c.id, c.text) for c in example.candidates] == [
        ("Q1", "A dog. An animal."),
        ("Q2", "A cat."),
        ("Q3", "Sun"),
    ]
    assert example.gold == (("m1", "Q1"), ("m2", "Q2"))


@pytest.mark.parametrize(
    ("change", "error"),
    [
        (
            lambda c, e: c[0]["mentions"][0]["mention_span"].update(text="Hand"),
            r"-dev\.jsonl:1: field 'mentions\[0\]\.mention_span': text does not match",
        ),
        (lambda c, e: c[1]["context"].pop("text"), r"-dev\.jsonl:2: field 'context': missing field 'text'"),
        (
            lambda c, e: e[1].update(entity_id="Q1"),
            r"candidate_set_entities\.jsonl:2: field 'entity_id': 'Q1' listed twice \(first on line 1\)",
        ),
        (
            lambda c, e: e[0]["sentence_spans"].append({"start": 3, "end": 99}),
            r"entities\.jsonl:1: field 'sentence_spans\[1\]': \[3, 99\) is outside",
        ),
    ],
)
def test_mewsli_malformed_lines(tmp_path: Path, change, error: str) -> None:
    contexts = [
        mewsli_context("de", "Der Hund lief", [("m1", "Hund", "Q1")]),
        mewsli_context("de", "Die Katze", [("m2", "Katze", "Q2")]),
    ]
    entities = [mewsli_entity("Q1", "A dog."), mewsli_entity("Q2", "A cat.")]
    change(contexts, entities)
    write_mewsli(tmp_path, "dev", contexts, entities)
    with pytest.raises(DataFormatError, match=error):
        get_task("mewsli_x").read("dev", "de", _local(tmp_path))


def test_mewsli_invalid_json_names_the_line(tmp_path: Path) -> None:
    write_mewsli(
        tmp_path, "dev", [mewsli_context("de", "Der Hund", [("m1", "Hund", "Q1")])], [mewsli_entity("Q1", "A")]
    )
    path = tmp_path / "wikinews_mentions-dev.jsonl"
    path.write_text(path.read_text() + '{"context": \n')
    with pytest.raises(DataFormatError, match=r"wikinews_mentions-dev\.jsonl:2: invalid JSON"):
        get_task("mewsli_x").read("dev", "de", _local(tmp_path))

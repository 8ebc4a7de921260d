"""The reader fixes the fuzzing found, each pinned with its message: a byte-order mark is dropped, NUL characters,
repeated JSON keys, deep nesting and repeated ids are errors naming the file, line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.builders import squad_document, write_text
from xstilts.data.files import read_json_document, read_jsonl, read_lines
from xstilts.data.squad_json import read_squad_json
from xstilts.data.text_pairs import read_gold_pairs
from xstilts.data.tsv import read_pawsx_tsv, read_xtreme_pair_tsv
from xstilts.errors import DataFormatError

NLI = ("contradiction", "entailment", "neutral")


def test_a_byte_order_mark_is_dropped_from_line_and_json_files(tmp_path: Path) -> None:
    lines = tmp_path / "a.tsv"
    lines.write_bytes(b"\xef\xbb\xbfid\tsentence1\tsentence2\tlabel\n1\ta\tb\t1\n")
    assert [e.guid for e in read_pawsx_tsv(lines, ("0", "1"), "p")] == ["p-1"]
    document = tmp_path / "a.json"
    document.write_bytes(b"\xef\xbb\xbf" + json.dumps({"x": 1}).encode())
    assert read_json_document(document) == {"x": 1}


def test_a_nul_character_is_an_error_at_its_line(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_bytes(b"fine\nbr\x00oken\n")
    with pytest.raises(DataFormatError, match=r"a\.txt:2: NUL character at character 3"):
        list(read_lines(path))


def test_a_json_key_written_twice_is_an_error(tmp_path: Path) -> None:
    path = write_text(tmp_path / "p.json", '{"q1": "a", "q2": "b", "q1": "c"}')
    with pytest.raises(DataFormatError, match=r"p\.json: invalid JSON: key 'q1' written twice in one object"):
        read_json_document(path)
    lines = write_text(tmp_path / "p.jsonl", '{"label": 0}\n{"label": 0, "label": 1}\n')
    with pytest.raises(DataFormatError, match=r"p\.jsonl:2: invalid JSON: key 'label' written twice"):
        list(read_jsonl(lines))


def test_deeply_nested_json_is_an_error_not_a_recursion_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(DataFormatError, match=r"deep\.json: invalid JSON: nested too deeply"):
        read_json_document(path)


def test_a_repeated_question_id_names_both_places(tmp_path: Path) -> None:
    document = squad_document("en", 2, 0)
    qas = document["data"][0]["paragraphs"][1]["qas"]
    qas[0]["id"] = document["data"][0]["paragraphs"][0]["qas"][0]["id"]
    path = write_text(tmp_path / "dev.json", json.dumps(document))
    with pytest.raises(
        DataFormatError,
        match=r"'data\[0\]\.paragraphs\[1\]\.qas\[0\]\.id': 'en-0-0' listed twice "
        r"\(first at data\[0\]\.paragraphs\[0\]\.qas\[0\]\)",
    ):
        read_squad_json(path)


def test_repeated_ids_in_line_formats_name_the_first_line(tmp_path: Path) -> None:
    paws = write_text(tmp_path / "dev.tsv", "id\tsentence1\tsentence2\tlabel\n7\ta\tb\t1\n7\tc\td\t0\n")
    with pytest.raises(DataFormatError, match=r"dev\.tsv:3: field 'id': '7' listed twice \(first on line 2\)"):
        read_pawsx_tsv(paws, ("0", "1"), "p")
    gold = write_text(tmp_path / "de-en.gold", "d1\te1\nd1\te1\n")
    with pytest.raises(DataFormatError, match=r"gold:2: field 'source_id, english_id': .* listed twice"):
        read_gold_pairs(gold, {"d1"}, {"e1"})
    empty = write_text(tmp_path / "empty.gold", "")
    with pytest.raises(DataFormatError, match=r"empty\.gold: no gold pairs"):
        read_gold_pairs(empty, set(), set())


def test_an_extra_column_in_xtremes_pair_files_is_an_error_not_dropped(tmp_path: Path) -> None:
    path = write_text(tmp_path / "dev-de.tsv", "a\tb\tneutral\na\tb\tneutral\textra\n")
    with pytest.raises(DataFormatError, match=r"dev-de\.tsv:2: expected 3 tab-separated fields .*found 4"):
        read_xtreme_pair_tsv(path, NLI, "x")


def test_a_gold_pair_written_twice_in_bucc_labels_is_an_error(tmp_path: Path) -> None:
    from xstilts.evaluation.submission import score_submission

    for side, text in (("predictions", "d1\te1\n"), ("labels", "d1\te1\nd2\te2\nd1\te1\n")):
        write_text(tmp_path / side / "bucc2018" / "test-de.tsv", text)
    with pytest.raises(DataFormatError, match=r"labels/bucc2018/test-de\.tsv:3: gold pair d1 e1 listed twice"):
        score_submission(tmp_path / "predictions", tmp_path / "labels", "xtreme")

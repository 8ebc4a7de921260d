"""Translate-train data for intermediate members trained on another language: XNLI-MT's official files and
XTREME's layout, with errors naming file, line and field, and a clear error for a language without data."""

from __future__ import annotations

from pathlib import Path

import pytest

from xstilts.data.sources import DataSource
from xstilts.errors import DataFormatError, XstiltsError
from xstilts.tasks.registry import get_task


def _local(path: Path) -> DataSource:
    return DataSource(source="local", path=str(path))


def test_reads_xnli_mt_official_files_and_its_label_spelling(tmp_path: Path) -> None:
    (tmp_path / "multinli").mkdir()
    (tmp_path / "multinli" / "multinli.train.de.tsv").write_text(
        "premise\thypo\tlabel\n"
        "Die Katze schläft .\tEin Tier ruht .\tentailment\n"
        "Der Hund bellt .\tDer Hund schweigt .\tcontradictory\n"
        "Es regnet .\tDas Wetter ist schlecht .\tneutral\n",
        encoding="utf-8",
    )
    examples = get_task("xnli").read("train", "de", _local(tmp_path))
    assert [e.label for e in examples] == ["entailment", "contradiction", "neutral"]
    assert examples[1].text_a == "Der Hund bellt ." and examples[1].text_b == "Der Hund schweigt ."
    assert examples[0].guid == "xnli-train-de-2"


def test_reads_xtreme_translate_train_layout(tmp_path: Path) -> None:
    (tmp_path / "train-sw.tsv").write_text("paka analala\tmnyama anapumzika\tentailment\n", encoding="utf-8")
    [example] = get_task("xnli").read("train", "sw", _local(tmp_path))
    assert example.label == "entailment" and example.text_a == "paka analala"


def test_malformed_translate_train_files_name_file_line_and_field(tmp_path: Path) -> None:
    (tmp_path / "multinli").mkdir()
    path = tmp_path / "multinli" / "multinli.train.fr.tsv"
    path.write_text("premise\thypo\tlabel\nun\tdeux\tentailment\ntrois\tquatre\tmaybe\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match=r"multinli\.train\.fr\.tsv:3: field 'label': 'maybe'"):
        get_task("xnli").read("train", "fr", _local(tmp_path))
    path.write_text("premise\thypothesis\tlabel\nun\tdeux\tentailment\n", encoding="utf-8")
    with pytest.raises(DataFormatError, match="hypo"):
        get_task("xnli").read("train", "fr", _local(tmp_path))


def test_a_language_without_training_data_is_refused(tmp_path: Path) -> None:
    with pytest.raises(XstiltsError, match="task 'xnli' has no 'train' split for language 'en'"):
        get_task("xnli").read("train", "en", _local(tmp_path))

"""Readers for the files of an XTREME submission and of its labels, as google-research/xtreme's ``evaluate.py``
reads them (``read_label``, ``read_tag``, ``read_xcopa``, ``read_squad``) and Mewsli-X's ``utils_mewslix.py``
reads its JSON.

Lines are stripped of surrounding whitespace, as the official readers do. Where evaluate.py would silently score
a malformed line (an empty line in a label-per-line file, a tag line holding two fields, a BUCC line that is not
two ids), it is an error here, naming the file and the line, or the JSON key, so a broken submission is never
scored as a bad model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from xstilts.data.choice_files import read_json_document
from xstilts.data.files import parse_json
from xstilts.data.files import read_lines as read_text_lines
from xstilts.errors import DataFormatError

Sentence = tuple[int, list[str]]
"""The line a tagged sentence starts on and its tags, one per token."""


def read_lines(path: Path) -> list[tuple[int, str]]:
    """Every line with its number, stripped (``evaluate.py``'s ``read_label``/``read_tag``); a byte-order mark is
    dropped and undecodable bytes or NUL characters are errors at their line (``data.files.read_lines``)."""
    return [(number, line.strip()) for number, line in read_text_lines(path)]


def read_labels(path: Path) -> list[str]:
    """One label per line (XNLI, PAWS-X, Tatoeba): an empty line is an error rather than a label ``''``."""
    labels = []
    for number, line in read_lines(path):
        if not line:
            raise DataFormatError(path, "empty line; expected one label per line", number)
        labels.append(line)
    return labels


def read_indices(path: Path) -> list[int]:
    """Tatoeba: per source sentence, the index of the retrieved target sentence (compared as integers, where
    evaluate.py compares the text: ``01`` and ``1`` differ only there)."""
    indices = []
    for number, line in read_lines(path):
        if not line.isdigit():
            raise DataFormatError(path, f"expected a sentence index (an integer), found {line!r}", number)
        indices.append(int(line))
    return indices


def read_jsonl_labels(path: Path) -> list[str]:
    """XCOPA: one JSON object per line, its ``label`` field the answer (``read_xcopa``). Labels are returned as
    their JSON text so that ``1`` and ``"1"`` stay different, as they are to evaluate.py."""
    labels = []
    for number, line in read_lines(path):
        row = parse_json(path, line, number)
        if not isinstance(row, dict) or "label" not in row:
            raise DataFormatError(path, "expected a JSON object with a 'label' field", number)
        labels.append(json.dumps(row["label"]))
    return labels


def read_tags(path: Path) -> list[Sentence]:
    """UD-POS and PAN-X: one tag per line, an empty line after each sentence (``read_tag``: every empty line ends
    a sentence, so two in a row give an empty sentence, as they do there)."""
    sentences: list[Sentence] = []
    tags: list[str] = []
    start = 1
    for number, line in read_lines(path):
        if not line:
            sentences.append((start, tags))
            tags, start = [], number + 1
        elif len(line.split()) > 1:
            raise DataFormatError(path, f"expected one tag per line, found {line!r}", number)
        else:
            tags.append(line)
    if tags:
        sentences.append((start, tags))
    return sentences


def read_pairs(path: Path) -> list[tuple[str, str]]:
    """BUCC: one extracted pair per line, ``source id<TAB>target id``."""
    pairs = []
    for number, line in read_lines(path):
        fields = line.split("\t")
        if len(fields) != 2 or not all(fields):
            raise DataFormatError(path, f"expected two tab-separated sentence ids, found {line!r}", number)
        pairs.append((fields[0], fields[1]))
    return pairs


def read_json_object(path: Path) -> dict[str, Any]:
    document = read_json_document(path)
    if not isinstance(document, dict):
        raise DataFormatError(path, f"expected a JSON object at the top level, found {type(document).__name__}")
    return document


def read_answers(path: Path) -> dict[str, str]:
    """QA predictions: a JSON object mapping each question id to the answer text."""
    answers = read_json_object(path)
    for key, value in answers.items():
        if not isinstance(value, str):
            raise DataFormatError(path, f"question {key!r}: expected the answer text, found {type(value).__name__}")
    return answers


def read_rankings(path: Path, gold: bool) -> dict[str, list[str]]:
    """Retrieval JSON (Mewsli-X): each query id mapped to a list of ids, the ranked predictions or the gold items
    (which must not be empty)."""
    rankings = read_json_object(path)
    for key, value in rankings.items():
        if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
            raise DataFormatError(path, f"query {key!r}: expected a list of ids")
        if gold and not value:
            raise DataFormatError(path, f"query {key!r}: no gold id")
    return rankings

"""IGLUE's annotation files as e-bug/iglue releases them (``datasets/<task>/annotations/...``) and the English
training sets in the layouts VOLTA (e-bug/volta) reads; images are resolved by the kind against an ``image_root``.

Facts checked against e-bug/iglue (commit 43cbac9) and e-bug/volta:

- XVNLI and SNLI-VE rows: ``gold_label``, ``sentence1`` (the caption: XVNLI's text premise), ``sentence2``
  (hypothesis), ``pairID``, ``Flikr30kID`` (sic; VOLTA's ``visual_entailment_dataset.py`` reads
  ``snli_ve_{train,dev,test}.jsonl`` with this field; the original SNLI-VE release spells it ``Flickr30K_ID``).
  VOLTA's ``LABEL_MAP`` is contradiction 0, neutral 1, entailment 2; a gold ``-`` (no annotator consensus) gets
  no label there, so it scores 0: XVNLI's 14 such items per language are kept at test time and count as wrong.
- MaRVL rows (``marvl/zero_shot/annotations/marvl-<lang>.jsonl``): ``caption``, ``left_img``, ``right_img``,
  ``label`` (a JSON bool), ``concept``, ``id``; the images lie in ``<lang>/images/<concept>/<file>`` of the MaRVL
  image release, so a row's references are ``<concept>/<file>`` under ``<image_root>/<lang>``.
- NLVR2 (lil-lab/nlvr ``nlvr2/data/{train,dev}.json``, JSON lines): ``identifier`` (``train-10171-0-0``),
  ``sentence``, ``label`` (``"True"``/``"False"``), ``directory`` (train only); the images are
  ``[<directory>/]<identifier without its last part>-img0.png`` and ``-img1.png`` (as VOLTA's and vilbert's
  ``nlvr2_dataset.py`` build the names).
- xGQA (``xGQA/annotations/few_shot/<lang>/{dev,test}.json``): GQA's question JSON, an object keyed by question
  id with ``question``, ``imageId`` and ``answer`` (English); the answer vocabulary is GQA's 1,842 answers,
  ``gqa/annotations/trainval_label2ans.json`` (a list: label index -> answer).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from xstilts.data.examples import ClassificationExample, Example, VisionLanguageExample
from xstilts.data.files import (
    check_label,
    check_unique,
    field_error,
    read_json_document,
    read_jsonl,
    require_file,
    text_field,
    typed_field,
)

VOLTA_NLI_LABELS = ("contradiction", "neutral", "entailment")  # VOLTA's LABEL_MAP order, 0 1 2
NO_CONSENSUS = "-"
_IMAGE_FIELDS = ("Flikr30kID", "Flickr30K_ID")


@dataclass(frozen=True)
class EntailmentRow:
    """One XVNLI / SNLI-VE item: the caption (text premise), the hypothesis, the Flickr30K image, the gold label
    (``-`` where annotators did not agree)."""

    pair_id: str
    premise: str
    hypothesis: str
    image: str
    label: str


def image_premise_examples(guid_prefix: str, rows: Iterable[EntailmentRow], images: str) -> list[Example]:
    """Entailment rows as the vision-language kind reads them: the row's image (under ``images``) is the premise,
    the hypothesis the text; guids ``<prefix>-<pair id>``."""
    return [
        VisionLanguageExample(f"{guid_prefix}-{row.pair_id}", row.hypothesis, (row.image,), images, row.label)
        for row in rows
    ]


def text_premise_examples(guid_prefix: str, rows: Iterable[EntailmentRow]) -> list[Example]:
    """The same rows for a text-only twin: the caption (or the scene in words) is the premise."""
    return [
        ClassificationExample(f"{guid_prefix}-{row.pair_id}", row.premise, row.hypothesis, row.label) for row in rows
    ]


def _image_id(path: Path, line: int, row: dict) -> str:
    for field in _IMAGE_FIELDS:
        if field in row:
            value = text_field(path, line, row, field)
            return value[: -len(".jpg")] if value.endswith(".jpg") else value
    raise field_error(path, line, _IMAGE_FIELDS[0], f"missing (nor {_IMAGE_FIELDS[1]!r}): the premise image's id")


def read_xvnli_folder(root: Path, split: str, language: str, layout: str) -> list[EntailmentRow]:
    """One split of a folder in XVNLI's layout: ``annotations/<lang>/test.jsonl`` for the test sets, VOLTA's
    ``snli_ve_{train,dev}.jsonl`` beside it; gold ``-`` rows are kept outside training. ``layout`` describes the
    folder in the missing-file error."""
    path = root / "annotations" / language / "test.jsonl" if split == "test" else root / f"snli_ve_{split}.jsonl"
    require_file(path, layout)
    return read_entailment_jsonl(path, keep_no_consensus=split != "train")


def read_entailment_jsonl(path: Path, keep_no_consensus: bool) -> list[EntailmentRow]:
    """XVNLI's ``annotations/<lang>/test.jsonl`` or VOLTA's ``snli_ve_<split>.jsonl``; rows with gold ``-`` are kept
    (evaluation: they count as wrong) or left out (training: there is nothing to learn from them)."""
    rows = []
    seen: dict[str, int | str] = {}
    for line, row in read_jsonl(path):
        # The pair id keys the predictions and aligns the languages: an item written twice would count twice.
        pair_id = text_field(path, line, row, "pairID")
        check_unique(path, line, "pairID", pair_id, seen)
        label = check_label(path, line, "gold_label", text_field(path, line, row, "gold_label"), _SPELLINGS)
        if label == NO_CONSENSUS and not keep_no_consensus:
            continue
        rows.append(
            EntailmentRow(
                pair_id,
                text_field(path, line, row, "sentence1"),
                text_field(path, line, row, "sentence2"),
                _image_id(path, line, row),
                label,
            )
        )
    return rows


_SPELLINGS = (*VOLTA_NLI_LABELS, NO_CONSENSUS)


@dataclass(frozen=True)
class ImagePairRow:
    """One MaRVL / NLVR2 item: a statement about two images, true or false."""

    id: str
    statement: str
    left: str
    right: str
    label: bool


def read_marvl_jsonl(path: Path) -> list[ImagePairRow]:
    """MaRVL's ``marvl-<lang>.jsonl``; the image references are ``<concept>/<file>``."""
    rows = []
    seen: dict[str, int | str] = {}
    for line, row in read_jsonl(path):
        concept = text_field(path, line, row, "concept")
        identifier = text_field(path, line, row, "id")
        check_unique(path, line, "id", identifier, seen)
        rows.append(
            ImagePairRow(
                identifier,
                text_field(path, line, row, "caption"),
                f"{concept}/{text_field(path, line, row, 'left_img')}",
                f"{concept}/{text_field(path, line, row, 'right_img')}",
                typed_field(path, line, row, "label", bool),
            )
        )
    return rows


PAIR_LABELS = ("False", "True")  # NLVR2's spelling; MaRVL's JSON bools are written the same way


def read_nlvr2_jsonl(path: Path) -> list[ImagePairRow]:
    """NLVR2's ``{train,dev,test1}.json``; the image references are relative to the split's image folder."""
    rows = []
    seen: dict[str, int | str] = {}
    for line, row in read_jsonl(path):
        identifier = text_field(path, line, row, "identifier")
        check_unique(path, line, "identifier", identifier, seen)
        stem = "-".join(identifier.split("-")[:-1])
        if not stem:
            raise field_error(path, line, "identifier", f"{identifier!r} is not NLVR2's split-set-pair-sentence id")
        directory = row.get("directory")
        if directory is not None and (isinstance(directory, bool) or not isinstance(directory, int | str)):
            # NLVR2's training rows name their image folder by number (0-99); anything else would build a path.
            raise field_error(path, line, "directory", f"expected a folder number, found {type(directory).__name__}")
        prefix = f"{directory}/" if directory is not None else ""
        label = check_label(path, line, "label", text_field(path, line, row, "label"), PAIR_LABELS)
        rows.append(
            ImagePairRow(
                identifier,
                text_field(path, line, row, "sentence"),
                f"{prefix}{stem}-img0.png",
                f"{prefix}{stem}-img1.png",
                label == "True",
            )
        )
    return rows


@dataclass(frozen=True)
class QuestionRow:
    """One GQA / xGQA question about an image, with its English answer."""

    id: str
    question: str
    image: str
    answer: str


def read_gqa_questions(path: Path) -> list[QuestionRow]:
    """GQA's question JSON (xGQA's ``few_shot/<lang>/{dev,test}.json``): an object keyed by question id."""
    document = read_json_document(path)
    if not isinstance(document, dict):
        raise field_error(
            path, None, "(document)", f"expected an object keyed by question id, found {type(document).__name__}"
        )
    return [
        QuestionRow(
            qid,
            text_field(path, None, record, "question", where=qid),
            text_field(path, None, record, "imageId", where=qid),
            text_field(path, None, record, "answer", where=qid),
        )
        for qid, record in document.items()
    ]


def read_gqa_answers(path: Path) -> tuple[str, ...]:
    """GQA's answer vocabulary, ``trainval_label2ans.json``: a JSON list of distinct answer strings."""
    document = read_json_document(path)
    if not isinstance(document, list) or not all(isinstance(answer, str) for answer in document):
        raise field_error(path, None, "(document)", "expected a JSON list of answer strings")
    if len(set(document)) != len(document):
        raise field_error(path, None, "(document)", "an answer is listed twice")
    return tuple(document)

"""NLI files as ANLI and SNLI release them: ANLI v1.0 jsonl (``R1/train.jsonl`` ...), ANLI's annotated dev CSVs
(``ANLI_analysis_r1_dev.csv``) and SNLI 1.0 jsonl (``snli_1.0_train.jsonl``)."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.choice_files import read_csv_with_header, read_jsonl, text_field
from xstilts.data.examples import ClassificationExample
from xstilts.errors import DataFormatError

# ANLI writes its labels as letters; the task's label set is the NLI one of MNLI and XNLI.
ANLI_LABELS = {"e": "entailment", "n": "neutral", "c": "contradiction"}
SNLI_LABELS = ("contradiction", "entailment", "neutral")
SNLI_NO_CONSENSUS = "-"  # annotators disagreed; SNLI's own baselines (and the hub copy, label -1) leave these out


def _anli_label(path: Path, line: int, value: str, field: str) -> str:
    if value not in ANLI_LABELS:
        raise DataFormatError(path, f"field {field!r}: {value!r} is not one of {', '.join(ANLI_LABELS)}", line)
    return ANLI_LABELS[value]


def read_anli_jsonl(path: Path) -> list[ClassificationExample]:
    """One round's split of ANLI v1.0: ``uid``, ``context`` (premise), ``hypothesis``, ``label`` e/n/c."""
    return [
        ClassificationExample(
            f"anli-{text_field(path, line, row, 'uid')}",
            text_field(path, line, row, "context"),
            text_field(path, line, row, "hypothesis"),
            _anli_label(path, line, text_field(path, line, row, "label"), "label"),
        )
        for line, row in read_jsonl(path)
    ]


def read_anli_annotated_csv(path: Path) -> list[ClassificationExample]:
    """ANLI's annotated dev release: ``context``, ``statement`` (the hypothesis), ``gold_label`` e/n/c, ``uid``
    (the official one); its other columns (annotations, model predictions) are not read."""
    return [
        ClassificationExample(
            f"anli-{row['uid']}",
            row["context"],
            row["statement"],
            _anli_label(path, line, row["gold_label"], "gold_label"),
        )
        for line, row in read_csv_with_header(path, ("context", "statement", "gold_label", "uid"))
    ]


def read_snli_jsonl(path: Path) -> list[ClassificationExample]:
    """SNLI 1.0 jsonl: ``pairID``, ``sentence1``, ``sentence2``, ``gold_label``; pairs without a gold label are
    left out (as SNLI's own evaluation and the hub's copy do)."""
    examples = []
    for line, row in read_jsonl(path):
        label = text_field(path, line, row, "gold_label")
        if label == SNLI_NO_CONSENSUS:
            continue
        if label not in SNLI_LABELS:
            raise DataFormatError(
                path, f"field 'gold_label': {label!r} is not one of {', '.join(SNLI_LABELS)} or '-'", line
            )
        examples.append(
            ClassificationExample(
                f"snli-{text_field(path, line, row, 'pairID')}",
                text_field(path, line, row, "sentence1"),
                text_field(path, line, row, "sentence2"),
                label,
            )
        )
    return examples

"""NLI files as ANLI and SNLI release them: ANLI v1.0 jsonl (``R1/train.jsonl`` ...), ANLI's annotated dev CSVs
(``ANLI_analysis_r1_dev.csv``) and SNLI 1.0 jsonl (``snli_1.0_train.jsonl``)."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import ClassificationExample
from xstilts.data.files import check_label, read_csv_with_header, read_jsonl, text_field

# ANLI writes its labels as letters; the task's label set is the NLI one of MNLI and XNLI.
ANLI_LABELS = {"e": "entailment", "n": "neutral", "c": "contradiction"}
SNLI_LABELS = ("contradiction", "entailment", "neutral")
SNLI_NO_CONSENSUS = "-"  # annotators disagreed; SNLI's own baselines (and the hub copy, label -1) leave these out
SNLI_SPELLINGS = (*SNLI_LABELS, SNLI_NO_CONSENSUS)


def _anli_label(path: Path, line: int, value: str, field: str) -> str:
    return ANLI_LABELS[check_label(path, line, field, value, tuple(ANLI_LABELS))]


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
        label = check_label(path, line, "gold_label", text_field(path, line, row, "gold_label"), SNLI_SPELLINGS)
        if label == SNLI_NO_CONSENSUS:
            continue
        examples.append(
            ClassificationExample(
                f"snli-{text_field(path, line, row, 'pairID')}",
                text_field(path, line, row, "sentence1"),
                text_field(path, line, row, "sentence2"),
                label,
            )
        )
    return examples

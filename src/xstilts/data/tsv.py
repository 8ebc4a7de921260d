"""Tab-separated files as the official PAWS-X and XTREME releases write them (the rows themselves are read by
``data.files``: ``read_tsv_rows``, ``read_tsv_with_header``)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from xstilts.data.examples import ClassificationExample
from xstilts.data.files import check_columns, check_label, check_unique, read_tsv_rows, read_tsv_with_header
from xstilts.errors import DataFormatError


def read_xtreme_pair_tsv(path: Path, labels: Sequence[str], guid_prefix: str) -> list[ClassificationExample]:
    """XTREME's preprocessed pair files (``{split}-{lang}.tsv``): sentence1, sentence2, label; no header.

    XNLI's translated files spell one label "contradictory"; XTREME's processor reads it as "contradiction".
    """
    examples = []
    for number, fields in read_tsv_rows(path, min_fields=2):
        if len(fields) == 2:
            raise DataFormatError(
                path,
                "no label column: XTREME's preprocessed test files are unlabelled; for evaluation use the"
                " official release's labelled files",
                number,
            )
        check_columns(path, number, fields, 3, names=("sentence1", "sentence2", "label"))
        label = "contradiction" if fields[2] == "contradictory" else fields[2]
        examples.append(
            ClassificationExample(
                guid=f"{guid_prefix}-{number}",
                text_a=fields[0],
                text_b=fields[1],
                label=check_label(path, number, "label", label, labels),
            )
        )
    return examples


def read_pawsx_tsv(path: Path, labels: Sequence[str], guid_prefix: str) -> list[ClassificationExample]:
    """PAWS-X's official files: a header ``id, sentence1, sentence2, label`` and one pair per line, ids unique."""
    examples = []
    seen: dict[str, int | str] = {}
    for line, row in read_tsv_with_header(path, ("id", "sentence1", "sentence2", "label")):
        check_unique(path, line, "id", row["id"], seen)
        label = check_label(path, line, "label", row["label"], labels)
        examples.append(ClassificationExample(f"{guid_prefix}-{row['id']}", row["sentence1"], row["sentence2"], label))
    return examples

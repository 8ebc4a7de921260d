"""MNLI (GLUE): the paper's sentence-pair intermediate task, and XNLI's English training data."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any

from xstilts.data.examples import ClassificationExample, Example
from xstilts.data.sources import Split
from xstilts.data.tsv import check_label, read_tsv_with_header
from xstilts.hub import load_hub_split
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

NLI_LABELS = ("contradiction", "entailment", "neutral")
# The ClassLabel order of nyu-mll/glue's mnli, stanfordnlp/snli and facebook/anli; -1 marks a pair without a gold label.
HUB_NLI_LABELS = {0: "entailment", 1: "neutral", 2: "contradiction"}
_LOCAL_FILES = {"train": "train.tsv", "dev": "dev_matched.tsv"}
_HUB_SPLITS = {"train": "train", "dev": "validation_matched"}


@register
class MNLI(Task):
    name = "mnli"
    kind = CLASSIFICATION
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    labels = NLI_LABELS
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "nyu-mll/glue"
    local_layout = "the GLUE MNLI directory: train.tsv, dev_matched.tsv (header with sentence1, sentence2, gold_label)"
    train_from = SplitRef("mnli", "train")
    train_file = _LOCAL_FILES["train"]  # a user-supplied translation is this file in another language
    select_on = SplitRef("mnli", "dev")
    description = "Multi-Genre NLI (matched dev)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, "mnli", _HUB_SPLITS[split], revision)
        return list(nli_examples_from_hub(rows, lambda i, row: f"mnli-{split}-{i}"))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        path = root / _LOCAL_FILES[split]
        return [
            ClassificationExample(
                f"mnli-{split}-{line}",
                row["sentence1"],
                row["sentence2"],
                check_label(path, line, "gold_label", row["gold_label"], self.labels),
            )
            for line, row in read_tsv_with_header(path, ("sentence1", "sentence2", "gold_label"))
        ]


def nli_examples_from_hub(
    rows: Iterable[Mapping[str, Any]], guid: Callable[[int, Mapping[str, Any]], str]
) -> list[ClassificationExample]:
    """Premise/hypothesis rows of the English NLI hub datasets, which share one label encoding: pairs without a
    gold label (-1) are left out, as the datasets' own evaluations leave them out. ``guid(row index, row)`` names
    each example; the index counts the skipped rows too, so guids stay those of the full split."""
    return [
        ClassificationExample(guid(i, row), row["premise"], row["hypothesis"], HUB_NLI_LABELS[row["label"]])
        for i, row in enumerate(rows)
        if row["label"] in HUB_NLI_LABELS
    ]

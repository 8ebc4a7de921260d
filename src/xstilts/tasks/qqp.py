"""QQP (GLUE): Quora question pairs, duplicate or not; an English intermediate task of the paper."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import ClassificationExample, Example
from xstilts.data.sources import Split
from xstilts.data.tsv import check_label, read_tsv_with_header
from xstilts.hub import load_hub_split
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

_LOCAL_FILES = {"train": "train.tsv", "dev": "dev.tsv"}
_HUB_SPLITS = {"train": "train", "dev": "validation"}


@register
class QQP(Task):
    name = "qqp"
    kind = CLASSIFICATION
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    labels = ("0", "1")
    metric = "accuracy_f1"
    selection_metric = "accuracy_f1_mean"
    hub_dataset = "nyu-mll/glue"
    local_layout = (
        "the GLUE QQP directory: train.tsv, dev.tsv (header id, qid1, qid2, question1, question2, is_duplicate)"
    )
    train_from = SplitRef("qqp", "train")
    train_file = _LOCAL_FILES["train"]  # a user-supplied translation is this file in another language
    select_on = SplitRef("qqp", "dev")
    description = "Quora Question Pairs (GLUE); accuracy, F1 and their mean, selected on the mean"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, "qqp", _HUB_SPLITS[split], revision)
        return [
            ClassificationExample(f"qqp-{split}-{row['idx']}", row["question1"], row["question2"], str(row["label"]))
            for row in rows
            if row["label"] in (0, 1)
        ]

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        path = root / _LOCAL_FILES[split]
        columns = ("id", "question1", "question2", "is_duplicate")
        return [
            ClassificationExample(
                f"qqp-{split}-{row['id']}",
                row["question1"],
                row["question2"],
                check_label(path, line, "is_duplicate", row["is_duplicate"], self.labels),
            )
            for line, row in read_tsv_with_header(path, columns)
        ]

"""SST-2 (GLUE): binary sentiment of single sentences; an English intermediate task of the paper."""

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
class SST2(Task):
    name = "sst2"
    kind = CLASSIFICATION
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    labels = ("0", "1")
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "nyu-mll/glue"
    local_layout = "the GLUE SST-2 directory: train.tsv, dev.tsv (header sentence, label)"
    train_from = SplitRef("sst2", "train")
    train_file = _LOCAL_FILES["train"]  # a user-supplied translation is this file in another language
    select_on = SplitRef("sst2", "dev")
    description = "Stanford Sentiment Treebank, binary (GLUE); single sentences"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, "sst2", _HUB_SPLITS[split], revision)
        return [
            ClassificationExample(f"sst2-{split}-{row['idx']}", row["sentence"], None, str(row["label"]))
            for row in rows
            if row["label"] in (0, 1)
        ]

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        path = root / _LOCAL_FILES[split]
        return [
            ClassificationExample(
                f"sst2-{split}-{line}",
                row["sentence"],
                None,
                check_label(path, line, "label", row["label"], self.labels),
            )
            for line, row in read_tsv_with_header(path, ("sentence", "label"))
        ]

"""SNLI 1.0: English NLI over image captions; part of the paper's ANLI+ training data."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example
from xstilts.data.nli_files import read_snli_jsonl
from xstilts.data.sources import Split
from xstilts.hub import load_hub_split
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.mnli import NLI_LABELS, nli_examples_from_hub
from xstilts.tasks.registry import register

_HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}


@register
class SNLI(Task):
    name = "snli"
    kind = CLASSIFICATION
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",), "test": ("en",)}
    labels = NLI_LABELS
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "stanfordnlp/snli"
    local_layout = "the SNLI 1.0 directory: snli_1.0_{train,dev,test}.jsonl (pairs without a gold label are skipped)"
    train_from = SplitRef("snli", "train")
    select_on = SplitRef("snli", "dev")
    description = "Stanford NLI"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, "plain_text", _HUB_SPLITS[split], revision)
        return list(nli_examples_from_hub(rows, lambda i, row: f"snli-{split}-{i}"))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return list(read_snli_jsonl(root / f"snli_1.0_{split}.jsonl"))

"""ANLI: adversarial NLI, rounds R1-R3 combined (the paper's ANLI+ trains on it with MNLI and SNLI)."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example
from xstilts.data.files import first_existing
from xstilts.data.nli_files import read_anli_annotated_csv, read_anli_jsonl
from xstilts.data.sources import Split
from xstilts.hub import load_hub_split
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.mnli import NLI_LABELS, nli_examples_from_hub
from xstilts.tasks.registry import register

ROUNDS = (1, 2, 3)


@register
class ANLI(Task):
    name = "anli"
    kind = CLASSIFICATION
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",), "test": ("en",)}
    labels = NLI_LABELS
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "facebook/anli"
    local_layout = (
        "the ANLI v1.0 directory: R1/, R2/, R3/ each with train.jsonl, dev.jsonl, test.jsonl; for dev, the"
        " annotated release's ANLI_analysis_r{1,2,3}_dev.csv in the directory itself also serve"
    )
    train_from = SplitRef("anli", "train")
    select_on = SplitRef("anli", "dev")
    description = "Adversarial NLI, rounds R1-R3 combined (train, dev and test each join the three rounds)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        examples: list[Example] = []
        for n in ROUNDS:
            rows = load_hub_split(dataset, "plain_text", f"{split}_r{n}", revision)
            examples += nli_examples_from_hub(rows, lambda i, row: f"anli-{row['uid']}")
        return examples

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        examples: list[Example] = []
        for n in ROUNDS:
            path = first_existing([root / f"R{n}" / f"{split}.jsonl", root / f"ANLI_analysis_r{n}_{split}.csv"])
            examples += read_anli_jsonl(path) if path.suffix == ".jsonl" else read_anli_annotated_csv(path)
        return examples

"""Cosmos QA: English reading comprehension needing commonsense, four answers; an intermediate task.

Each answer is paired with ``"{context} {question}"`` (jiant's recipe). The test set has no public labels, so
dev selects and nothing is evaluated on test.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.choice_files import choice_label
from xstilts.data.examples import Example, MultipleChoiceExample
from xstilts.data.files import read_csv_with_header
from xstilts.data.sources import Split
from xstilts.hub import load_hub_split
from xstilts.kinds.multiple_choice import MULTIPLE_CHOICE
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

_ANSWERS = ("answer0", "answer1", "answer2", "answer3")
_LABELS = ("0", "1", "2", "3")
_LOCAL_FILES = {"train": "train.csv", "dev": "valid.csv"}
_HUB_SPLITS = {"train": "train", "dev": "validation"}


@register
class CosmosQA(Task):
    name = "cosmosqa"
    kind = MULTIPLE_CHOICE
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    labels = _LABELS
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "allenai/cosmos_qa"
    local_layout = (
        "the official data directory: train.csv, valid.csv (header id, context, question, answer0..answer3, label)"
    )
    train_from = SplitRef("cosmosqa", "train")
    train_file = _LOCAL_FILES["train"]  # a user-supplied translation is this file in another language
    select_on = SplitRef("cosmosqa", "dev")
    description = "Cosmos QA (commonsense reading comprehension)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, None, _HUB_SPLITS[split], revision)
        return [
            MultipleChoiceExample(
                row["id"], f"{row['context']} {row['question']}", tuple(row[k] for k in _ANSWERS), str(row["label"])
            )
            for row in rows
        ]

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        path = root / _LOCAL_FILES[split]
        return [
            MultipleChoiceExample(
                row["id"],
                f"{row['context']} {row['question']}",
                tuple(row[k] for k in _ANSWERS),
                choice_label(path, line, row, "label", _LABELS),
            )
            for line, row in read_csv_with_header(path, ("id", "context", "question", *_ANSWERS, "label"))
        ]

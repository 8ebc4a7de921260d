"""HellaSwag: English commonsense sentence completion with four endings; an intermediate task.

The standard recipe (the HellaSwag authors' BERT baseline, jiant): ``ctx_a`` is the context and each choice is
``ctx_b + " " + ending``. The test set has no public labels, so dev selects and nothing is evaluated on test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.data.choice_files import choice_label
from xstilts.data.examples import Example, MultipleChoiceExample
from xstilts.data.files import field_error, read_jsonl, text_field
from xstilts.data.sources import Split
from xstilts.hub import load_hub_split
from xstilts.kinds.multiple_choice import MULTIPLE_CHOICE
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

HELLASWAG_LABELS = ("0", "1", "2", "3")
_LOCAL_FILES = {"train": "hellaswag_train.jsonl", "dev": "hellaswag_val.jsonl"}
_HUB_SPLITS = {"train": "train", "dev": "validation"}


def _choices(ctx_b: str, endings: list[str]) -> tuple[str, ...]:
    return tuple(f"{ctx_b} {ending}" for ending in endings)


def _example(path: Path, line: int, row: dict[str, Any], split: Split) -> MultipleChoiceExample:
    endings = row.get("endings")
    if not isinstance(endings, list) or len(endings) != 4 or not all(isinstance(e, str) for e in endings):
        raise field_error(path, line, "endings", f"expected a list of 4 strings, found {endings!r}")
    return MultipleChoiceExample(
        guid=f"hellaswag-{split}-{row.get('ind', line)}",
        context=text_field(path, line, row, "ctx_a"),
        choices=_choices(text_field(path, line, row, "ctx_b"), endings),
        label=choice_label(path, line, row, "label", (0, 1, 2, 3)),
    )


@register
class HellaSwag(Task):
    name = "hellaswag"
    kind = MULTIPLE_CHOICE
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    labels = HELLASWAG_LABELS
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "Rowan/hellaswag"
    local_layout = (
        "the official data directory: hellaswag_train.jsonl, hellaswag_val.jsonl (ctx_a, ctx_b, endings, label)"
    )
    train_from = SplitRef("hellaswag", "train")
    train_file = _LOCAL_FILES["train"]  # a user-supplied translation is this file in another language
    select_on = SplitRef("hellaswag", "dev")
    description = "HellaSwag (commonsense sentence completion)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, None, _HUB_SPLITS[split], revision)
        return [
            MultipleChoiceExample(
                f"hellaswag-{split}-{row['ind']}", row["ctx_a"], _choices(row["ctx_b"], row["endings"]), row["label"]
            )
            for row in rows
        ]

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        path = root / _LOCAL_FILES[split]
        return [_example(path, line, row, split) for line, row in read_jsonl(path)]

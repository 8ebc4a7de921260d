"""CommonsenseQA: English commonsense questions with five answers; an intermediate task.

The question stem is the context and each answer text a choice (jiant's and Hugging Face's recipe). The test
set has no public answers, so dev selects and nothing is evaluated on test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.data.choice_files import choice_label
from xstilts.data.examples import Example, MultipleChoiceExample
from xstilts.data.files import field_error, read_jsonl, text_field, typed_field
from xstilts.data.sources import Split
from xstilts.hub import load_hub_split
from xstilts.kinds.multiple_choice import MULTIPLE_CHOICE
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

_KEYS = ("A", "B", "C", "D", "E")
_LOCAL_FILES = {"train": "train_rand_split.jsonl", "dev": "dev_rand_split.jsonl"}
_HUB_SPLITS = {"train": "train", "dev": "validation"}


def _example(path: Path, line: int, row: dict[str, Any], split: Split) -> MultipleChoiceExample:
    question = typed_field(path, line, row, "question", dict)
    choices = typed_field(path, line, question, "choices", list, "question")
    if len(choices) != len(_KEYS) or not all(isinstance(c, dict) for c in choices):
        raise field_error(path, line, "question.choices", f"expected a list of {len(_KEYS)} objects")
    keys = tuple(choices[i].get("label") for i in range(len(_KEYS)))
    if keys != _KEYS:
        raise field_error(path, line, "question.choices", f"labels {keys} are not {_KEYS}")
    return MultipleChoiceExample(
        guid=text_field(path, line, row, "id"),
        context=text_field(path, line, question, "stem", "question"),
        choices=tuple(text_field(path, line, c, "text", f"question.choices[{i}]") for i, c in enumerate(choices)),
        label=choice_label(path, line, row, "answerKey", _KEYS),
    )


@register
class CommonsenseQA(Task):
    name = "commonsenseqa"
    kind = MULTIPLE_CHOICE
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    labels = ("0", "1", "2", "3", "4")
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "tau/commonsense_qa"
    local_layout = (
        "the official release: train_rand_split.jsonl, dev_rand_split.jsonl"
        " (answerKey, question{stem, choices[{label, text}]})"
    )
    train_from = SplitRef("commonsenseqa", "train")
    train_file = _LOCAL_FILES["train"]  # a user-supplied translation is this file in another language
    select_on = SplitRef("commonsenseqa", "dev")
    description = "CommonsenseQA"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, None, _HUB_SPLITS[split], revision)
        return [
            MultipleChoiceExample(
                row["id"],
                row["question"],
                tuple(row["choices"]["text"]),
                str(list(row["choices"]["label"]).index(row["answerKey"])),
            )
            for row in rows
        ]

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        path = root / _LOCAL_FILES[split]
        return [_example(path, line, row, split) for line, row in read_jsonl(path)]

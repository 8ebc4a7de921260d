"""CommonsenseQA: English commonsense questions with five answers; an intermediate task.

The question stem is the context and each answer text a choice (jiant's and Hugging Face's recipe). The test
set has no public answers, so dev selects and nothing is evaluated on test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.data.choice_files import choice_label, read_jsonl, text_field
from xstilts.data.examples import Example, MultipleChoiceExample
from xstilts.data.sources import Split
from xstilts.errors import DataFormatError
from xstilts.hub import load_hub_split
from xstilts.kinds.multiple_choice import MULTIPLE_CHOICE
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

_KEYS = ("A", "B", "C", "D", "E")
_LOCAL_FILES = {"train": "train_rand_split.jsonl", "dev": "dev_rand_split.jsonl"}
_HUB_SPLITS = {"train": "train", "dev": "validation"}


def _example(path: Path, line: int, row: dict[str, Any], split: Split) -> MultipleChoiceExample:
    question = row.get("question")
    if not isinstance(question, dict):
        raise DataFormatError(path, f"field 'question': expected an object, found {type(question).__name__}", line)
    choices = question.get("choices")
    if not isinstance(choices, list) or len(choices) != len(_KEYS) or not all(isinstance(c, dict) for c in choices):
        raise DataFormatError(path, f"field 'question.choices': expected a list of {len(_KEYS)} objects", line)
    keys = tuple(choices[i].get("label") for i in range(len(_KEYS)))
    if keys != _KEYS:
        raise DataFormatError(path, f"field 'question.choices': labels {keys} are not {_KEYS}", line)
    return MultipleChoiceExample(
        guid=text_field(path, line, row, "id"),
        context=text_field(path, line, question, "stem"),
        choices=tuple(text_field(path, line, choice, "text") for choice in choices),
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

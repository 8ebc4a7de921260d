"""COPA (SuperGLUE): English causal commonsense choices; XCOPA's English training and model-selection data.

Each choice is paired with the premise and the question phrased as XTREME-R's ``run_xcopa`` does:
``"{premise} What was the {cause|effect}?"``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.data.choice_files import choice_label
from xstilts.data.examples import Example, MultipleChoiceExample
from xstilts.data.files import check_label, first_existing, read_jsonl, text_field
from xstilts.data.sources import Split
from xstilts.hub import load_hub_split
from xstilts.kinds.multiple_choice import MULTIPLE_CHOICE
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

COPA_LABELS = ("0", "1")
COPA_QUESTIONS = ("cause", "effect")
_FILE_SPLITS = {"train": "train", "dev": "val", "test": "test"}
_HUB_SPLITS = {"train": "train", "dev": "validation"}


def copa_context(premise: str, question: str) -> str:
    return f"{premise} What was the {question}?"


def copa_example(path: Path, line: int, row: dict[str, Any], guid: str) -> MultipleChoiceExample:
    """One COPA/XCOPA record: premise, choice1, choice2, question ("cause"/"effect"), label 0/1."""
    question = check_label(path, line, "question", text_field(path, line, row, "question"), COPA_QUESTIONS)
    return MultipleChoiceExample(
        guid=guid,
        context=copa_context(text_field(path, line, row, "premise"), question),
        choices=(text_field(path, line, row, "choice1"), text_field(path, line, row, "choice2")),
        label=choice_label(path, line, row, "label", (0, 1)),
    )


def copa_files(root: Path, split: Split, language: str) -> list[Path]:
    """The names one (split, language) file has in XTREME's download (``val-en.jsonl`` in XTREME-R,
    ``val.en.jsonl`` in XTREME) and in the official XCOPA repository (``data/LANG/val.LANG.jsonl``)."""
    name = _FILE_SPLITS[split]
    return [
        root / f"{name}-{language}.jsonl",
        root / f"{name}.{language}.jsonl",
        root / language / f"{name}.{language}.jsonl",
        root / "data" / language / f"{name}.{language}.jsonl",
    ]


def read_copa_jsonl(path: Path, guid_prefix: str) -> list[MultipleChoiceExample]:
    return [copa_example(path, line, row, f"{guid_prefix}-{line}") for line, row in read_jsonl(path)]


def copa_examples_from_hub(rows: Any, guid_prefix: str) -> list[MultipleChoiceExample]:
    return [
        MultipleChoiceExample(
            f"{guid_prefix}-{row['idx']}",
            copa_context(row["premise"], row["question"]),
            (row["choice1"], row["choice2"]),
            str(row["label"]),
        )
        for row in rows
    ]


@register
class COPA(Task):
    name = "copa"
    kind = MULTIPLE_CHOICE
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    labels = COPA_LABELS
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "aps/super_glue"
    local_layout = (
        "XTREME's XCOPA download ({train,val}-en.jsonl or {train,val}.en.jsonl) or SuperGLUE's COPA directory"
        " ({train,val}.jsonl): premise, choice1, choice2, question, label"
    )
    train_from = SplitRef("copa", "train")
    select_on = SplitRef("copa", "dev")
    description = "Choice of Plausible Alternatives (SuperGLUE COPA)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, "copa", _HUB_SPLITS[split], revision)
        return list(copa_examples_from_hub(rows, f"copa-{split}"))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        path = first_existing([*copa_files(root, split, "en"), root / f"{_FILE_SPLITS[split]}.jsonl"])
        return list(read_copa_jsonl(path, f"copa-{split}"))

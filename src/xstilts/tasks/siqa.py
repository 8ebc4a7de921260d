"""Social IQa: English social commonsense, three answers per question; XTREME-R's first training stage for XCOPA.

Each answer is paired with ``"{context} {question}"``, as XTREME-R's ``run_xcopa`` encodes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from xstilts.data.choice_files import choice_label
from xstilts.data.examples import Example, MultipleChoiceExample
from xstilts.data.files import first_existing, read_jsonl, read_nonblank_lines, text_field
from xstilts.data.sources import Split
from xstilts.errors import DataFormatError
from xstilts.hub import load_hub_split
from xstilts.kinds.multiple_choice import MULTIPLE_CHOICE
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

_ANSWERS = ("answerA", "answerB", "answerC")
_NUMBERS = ("1", "2", "3")
_V14_FILES = {"train": "socialIQa_v1.4_trn.jsonl", "dev": "socialIQa_v1.4_dev.jsonl"}
_OFFICIAL_FILES = {"train": "train", "dev": "dev"}
_HUB_SPLITS = {"train": "train", "dev": "validation"}
# allenai/social_i_qa still holds social_i_qa.py on main (its tree: 14 commits, "Delete legacy JSON metadata"), which
# datasets 4.x refuses; its conversion waits on refs/pr/3. lighteval/siqa is the same data script-free (its card:
# context, question, answerA-C, label as a string "1"-"3"; train 33410, validation 1954, as social_i_qa's card).


def _example(path: Path, line: int, row: dict[str, Any], guid: str, label: str | None) -> MultipleChoiceExample:
    context, question = text_field(path, line, row, "context"), text_field(path, line, row, "question")
    return MultipleChoiceExample(
        guid, f"{context} {question}", tuple(text_field(path, line, row, key) for key in _ANSWERS), label
    )


def _read_v14(path: Path, split: Split) -> list[MultipleChoiceExample]:
    """XTREME's download (socialIQa_v1.4): the right answer is the row's ``correct`` letter."""
    return [
        _example(path, line, row, f"siqa-{split}-{line}", choice_label(path, line, row, "correct", ("A", "B", "C")))
        for line, row in read_jsonl(path)
    ]


def _read_official(path: Path, labels_path: Path, split: Split) -> list[MultipleChoiceExample]:
    """AllenAI's release: ``{split}.jsonl`` and, line for line, ``{split}-labels.lst`` with 1, 2 or 3."""
    rows = list(read_jsonl(path))
    labels = read_nonblank_lines(labels_path)
    if len(labels) != len(rows):
        raise DataFormatError(labels_path, f"{len(labels)} labels for the {len(rows)} questions of {path.name}")
    examples = []
    for (line, row), (number, label) in zip(rows, labels, strict=True):
        position = choice_label(labels_path, number, {"label": label}, "label", _NUMBERS)
        examples.append(_example(path, line, row, f"siqa-{split}-{line}", position))
    return examples


@register
class SocialIQa(Task):
    name = "siqa"
    kind = MULTIPLE_CHOICE
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    labels = ("0", "1", "2")
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "lighteval/siqa"
    local_layout = (
        "XTREME's download (socialIQa_v1.4_{trn,dev}.jsonl with a 'correct' letter) or AllenAI's release"
        " ({train,dev}.jsonl with {train,dev}-labels.lst)"
    )
    train_from = SplitRef("siqa", "train")
    select_on = SplitRef("siqa", "dev")
    description = "Social IQa (social commonsense QA)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, None, _HUB_SPLITS[split], revision)
        return [
            MultipleChoiceExample(
                f"siqa-{split}-{i}",
                f"{row['context']} {row['question']}",
                tuple(row[key] for key in _ANSWERS),
                str(int(row["label"]) - 1),  # the hub numbers the answers 1, 2, 3
            )
            for i, row in enumerate(rows)
        ]

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        official = root / f"{_OFFICIAL_FILES[split]}.jsonl"
        path = first_existing([root / _V14_FILES[split], official])
        if path == official:
            return list(_read_official(official, root / f"{_OFFICIAL_FILES[split]}-labels.lst", split))
        return list(_read_v14(path, split))

"""SQuAD v1.1: extractive QA intermediate task and the English training data of XQuAD (and MLQA, TyDiQA)."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example
from xstilts.data.sources import Split
from xstilts.data.squad_json import read_squad_json, span_examples_from_hub
from xstilts.hub import load_hub_split
from xstilts.kinds.span_extraction import SPAN_EXTRACTION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

_LOCAL_FILES = {"train": "train-v1.1.json", "dev": "dev-v1.1.json"}
_HUB_SPLITS = {"train": "train", "dev": "validation"}


@register
class SQuADv1(Task):
    name = "squad_v1"
    kind = SPAN_EXTRACTION
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    metric = "squad_v1"
    selection_metric = "f1"
    hub_dataset = "rajpurkar/squad"
    local_layout = "a directory with train-v1.1.json and dev-v1.1.json (SQuAD v1.1 JSON)"
    train_from = SplitRef("squad_v1", "train")
    select_on = SplitRef("squad_v1", "dev")
    description = "SQuAD v1.1 extractive QA"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        return list(span_examples_from_hub(load_hub_split(dataset, "plain_text", _HUB_SPLITS[split], revision)))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return list(read_squad_json(root / _LOCAL_FILES[split]))

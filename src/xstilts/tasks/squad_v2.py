"""SQuAD v2.0: extractive QA with unanswerable questions, an English intermediate task of the paper.

Unanswerable questions are trained to point at token 0 (as every window without the answer already is) and
decoded with the official ``run_squad`` v2 null-score rule at threshold 0.0; scored by the official v2.0
definitions (an unanswerable question is right only when the prediction is empty).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example
from xstilts.data.sources import Split
from xstilts.data.squad_json import read_squad_json, span_examples_from_hub
from xstilts.hub import load_hub_split
from xstilts.kinds.span_extraction import SPAN_EXTRACTION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

_LOCAL_FILES = {"train": "train-v2.0.json", "dev": "dev-v2.0.json"}
_HUB_SPLITS = {"train": "train", "dev": "validation"}


@register
class SQuADv2(Task):
    name = "squad_v2"
    kind = SPAN_EXTRACTION
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    metric = "squad_v2"
    selection_metric = "f1"
    hub_dataset = "rajpurkar/squad_v2"
    local_layout = "a directory with train-v2.0.json and dev-v2.0.json (SQuAD v2.0 JSON; unanswerable: answers [])"
    train_from = SplitRef("squad_v2", "train")
    train_file = _LOCAL_FILES["train"]  # a user-supplied translation is this file in another language
    select_on = SplitRef("squad_v2", "dev")
    null_score_threshold = 0.0
    description = "SQuAD v2.0 extractive QA with unanswerable questions"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        return list(span_examples_from_hub(load_hub_split(dataset, "squad_v2", _HUB_SPLITS[split], revision)))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return list(read_squad_json(root / _LOCAL_FILES[split]))

"""XQuAD: SQuAD v1.1 dev translated into 11 languages; trained on SQuAD v1.1, selected on SQuAD dev."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example
from xstilts.data.sources import Split
from xstilts.data.squad_json import read_squad_json, span_examples_from_hub
from xstilts.hub import load_hub_split
from xstilts.kinds.span_extraction import SPAN_EXTRACTION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

XQUAD_LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")


@register
class XQuAD(Task):
    name = "xquad"
    kind = SPAN_EXTRACTION
    roles = (Role.TARGET,)
    languages = XQUAD_LANGUAGES
    splits = {"test": XQUAD_LANGUAGES}
    metric = "squad_v1"
    selection_metric = "f1"
    hub_dataset = "google/xtreme"
    local_layout = "the official XQuAD directory: xquad.LANG.json (SQuAD v1.1 JSON)"
    train_from = SplitRef("squad_v1", "train")
    select_on = SplitRef("squad_v1", "dev")
    description = "Cross-lingual QA (XQuAD)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        return list(span_examples_from_hub(load_hub_split(dataset, f"XQuAD.{language}", "validation", revision)))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return list(read_squad_json(root / f"xquad.{language}.json"))

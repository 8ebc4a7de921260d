"""XQuAD: SQuAD v1.1 dev translated into 11 languages; trained on SQuAD v1.1, selected on SQuAD dev."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example
from xstilts.data.sources import Split
from xstilts.data.squad_json import read_squad_json, span_examples_from_hub
from xstilts.errors import XstiltsError
from xstilts.hub import load_hub_split
from xstilts.kinds.span_extraction import SPAN_EXTRACTION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

XQUAD_LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")
# google/xtreme has 11 XQuAD configs, ``XQuAD.<lang>``, without Romanian (its dataset card's config list); Romanian,
# added to XQuAD later and part of XTREME-R, is ``xquad.ro`` in google/xquad (its commit 285410c "Add xquad.ro
# data files"; split ``validation``, 1190 questions as every language).
XQUAD_ONLY_HUB = "google/xquad"


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
        if language == "ro" and dataset == self.hub_dataset and revision:
            raise XstiltsError(
                f"XQuAD ro is not in {dataset} (its 11 XQuAD configs lack Romanian) but in {XQUAD_ONLY_HUB}, and the"
                f" revision {revision!r} pins {dataset}; read every language from {XQUAD_ONLY_HUB} instead:"
                f" data: {{dataset: {XQUAD_ONLY_HUB}, revision: ...}}"
            )
        if dataset == XQUAD_ONLY_HUB or (language == "ro" and dataset == self.hub_dataset):
            rows = load_hub_split(XQUAD_ONLY_HUB, f"xquad.{language}", "validation", revision)
            return list(span_examples_from_hub(rows, f"{XQUAD_ONLY_HUB} xquad.{language}"))
        rows = load_hub_split(dataset, f"XQuAD.{language}", "validation", revision)
        return list(span_examples_from_hub(rows, f"{dataset} XQuAD.{language}"))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return list(read_squad_json(root / f"xquad.{language}.json"))

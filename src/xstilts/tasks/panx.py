"""PAN-X (WikiANN NER, Rahimi et al.'s balanced split): XTREME-R's 48 languages (XTREME's 40 plus qu, pl, uk,
az, lt, pa, gu, ro); trained on English train, selected on English dev, scored by seqeval span F1.

Every language of the balanced split has its own train split (annotated from its own Wikipedia, not translated):
``{task: panx, train_language: fi}`` reads ``train-fi.tsv`` (XTREME's layout), ``fi/train`` (raw WikiANN) or the
hub's ``PAN-X.fi`` train split."""

from __future__ import annotations

from pathlib import Path

from xstilts.benchmarks import TASK_LANGUAGES
from xstilts.data.conll import read_panx_raw, read_tagging_tsv, tagging_examples_from_hub
from xstilts.data.examples import Example
from xstilts.data.sources import Split
from xstilts.errors import XstiltsError
from xstilts.hub import load_hub_split
from xstilts.kinds.token_tagging import TOKEN_TAGGING
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

PANX_LANGUAGES = TASK_LANGUAGES["xtreme-r"]["panx"]
# IOB2 tags of PER, ORG and LOC, in the order of the hub dataset's class labels.
NER_TAGS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC")
# google/xtreme's ``PAN-X.<lang>`` configs cover XTREME's 40 languages, not XTREME-R's additions.
_HUB_LANGUAGES = TASK_LANGUAGES["xtreme"]["panx"]
_HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}


@register
class PANX(Task):
    name = "panx"
    kind = TOKEN_TAGGING
    roles = (Role.TARGET,)
    languages = PANX_LANGUAGES
    splits = {"train": PANX_LANGUAGES, "dev": PANX_LANGUAGES, "test": PANX_LANGUAGES}
    labels = NER_TAGS
    metric = "seqeval_f1"
    selection_metric = "f1"
    hub_dataset = "google/xtreme"
    local_layout = (
        "XTREME's preprocessed directory ({train,dev,test}-LANG.tsv: 'word<TAB>tag' per line, a blank line between"
        " sentences) or the raw WikiANN split (LANG/{train,dev,test}: 'LANG:word<TAB>tag' per line)"
    )
    train_from = SplitRef("panx", "train")
    select_on = SplitRef("panx", "dev")
    description = "WikiANN named entity recognition (PAN-X)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        if language not in _HUB_LANGUAGES:
            raise XstiltsError(
                f"hub dataset {dataset} has no PAN-X config for {language!r} (an XTREME-R addition); use local"
                f" data: {self.local_layout}"
            )
        rows = load_hub_split(dataset, f"PAN-X.{language}", _HUB_SPLITS[split], revision)
        return list(tagging_examples_from_hub(rows, "ner_tags", f"panx-{split}-{language}"))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        guid = f"panx-{split}-{language}"
        preprocessed = root / f"{split}-{language}.tsv"
        raw = root / language / split
        if preprocessed.exists():
            return list(read_tagging_tsv(preprocessed, self.labels, guid))
        if raw.exists():
            return list(read_panx_raw(raw, self.labels, guid))
        raise XstiltsError(f"{root}: neither {preprocessed.name} nor {language}/{split} (raw WikiANN)")

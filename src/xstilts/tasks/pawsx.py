"""PAWS-X: paraphrase identification in 7 languages; English train and dev from PAWS-X itself.

The other six languages' training sets are the official release's machine translations of the English one
(``x-final/LANG/translated_train.tsv``, the same columns as ``train.tsv``), used when an intermediate entry asks
for ``{task: pawsx, train_language: LANG}``. The hub loaders read that file for a non-English config's train split
(the loading scripts of google/xtreme's ``PAWS-X.LANG`` configs, HF's ``xtreme.py``, and of ``paws-x``:
``x-final/LANG/translated_train.tsv`` unless the language is ``en``); TFDS's
``xtreme_pawsx`` catalog page (https://www.tensorflow.org/datasets/catalog/xtreme_pawsx) describes them as machine
translations of the English PAWS training data, 49,340 pairs for de."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import ClassificationExample, Example
from xstilts.data.sources import Split
from xstilts.data.tsv import read_pawsx_tsv, read_xtreme_pair_tsv
from xstilts.hub import load_hub_split
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

PAWSX_LANGUAGES = ("de", "en", "es", "fr", "ja", "ko", "zh")
_HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}
_OFFICIAL_FILES = {"train": "train.tsv", "dev": "dev_2k.tsv", "test": "test_2k.tsv"}
TRANSLATED_TRAIN_FILE = "translated_train.tsv"
TRANSLATE_TRAIN_LANGUAGES = tuple(language for language in PAWSX_LANGUAGES if language != "en")


@register
class PAWSX(Task):
    name = "pawsx"
    kind = CLASSIFICATION
    roles = (Role.TARGET,)
    languages = PAWSX_LANGUAGES
    splits = {"train": PAWSX_LANGUAGES, "dev": PAWSX_LANGUAGES, "test": PAWSX_LANGUAGES}
    translated_train = TRANSLATE_TRAIN_LANGUAGES
    labels = ("0", "1")
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "google/xtreme"
    local_layout = (
        "the official x-final directory (LANG/train.tsv, LANG/dev_2k.tsv, LANG/test_2k.tsv with header"
        " id, sentence1, sentence2, label; the other languages' machine-translated training sets as"
        " LANG/translated_train.tsv) or XTREME's preprocessed one ({train,dev,test}-LANG.tsv)"
    )
    train_from = SplitRef("pawsx", "train")
    select_on = SplitRef("pawsx", "dev")
    description = "Cross-lingual paraphrase adversaries (PAWS-X)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, f"PAWS-X.{language}", _HUB_SPLITS[split], revision)
        return [
            ClassificationExample(
                f"pawsx-{split}-{language}-{i}", row["sentence1"], row["sentence2"], str(row["label"])
            )
            for i, row in enumerate(rows)
        ]

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        translated = split == "train" and language in TRANSLATE_TRAIN_LANGUAGES
        official = root / language / (TRANSLATED_TRAIN_FILE if translated else _OFFICIAL_FILES[split])
        if not official.exists():
            return list(
                read_xtreme_pair_tsv(root / f"{split}-{language}.tsv", self.labels, f"pawsx-{split}-{language}")
            )
        return list(read_pawsx_tsv(official, self.labels, f"pawsx-{split}-{language}"))

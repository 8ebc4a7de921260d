"""SQuAD v1.1: extractive QA intermediate task and the English training data of XQuAD (and MLQA, TyDiQA).

Its training set also comes machine-translated, as XTREME's translate-train files
(``squad.translate.train.en-<lang>.json``, SQuAD v1.1 JSON) in the XTREME translations release: the ten XQuAD
languages (which include MLQA's), the file names XTREME-based training code reads from
``squad/translate-train/``. There is no hub copy of them, so they are read from local files only."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example
from xstilts.data.files import first_existing
from xstilts.data.sources import ENGLISH, Split
from xstilts.data.squad_json import read_squad_json, span_examples_from_hub
from xstilts.errors import XstiltsError
from xstilts.hub import load_hub_split
from xstilts.kinds.span_extraction import SPAN_EXTRACTION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

_LOCAL_FILES = {"train": "train-v1.1.json", "dev": "dev-v1.1.json"}
_HUB_SPLITS = {"train": "train", "dev": "validation"}
# XQuAD's languages other than English: those of XTREME's SQuAD v1.1 translate-train files.
TRANSLATE_TRAIN_LANGUAGES = ("ar", "de", "el", "es", "hi", "ru", "th", "tr", "vi", "zh")


def translate_train_file(language: str) -> str:
    return f"squad.translate.train.en-{language}.json"


@register
class SQuADv1(Task):
    name = "squad_v1"
    kind = SPAN_EXTRACTION
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en", *TRANSLATE_TRAIN_LANGUAGES), "dev": ("en",)}
    translated_train = TRANSLATE_TRAIN_LANGUAGES
    metric = "squad_v1"
    selection_metric = "f1"
    hub_dataset = "rajpurkar/squad"
    local_layout = (
        "a directory with train-v1.1.json and dev-v1.1.json (SQuAD v1.1 JSON); translate-train: XTREME's"
        " squad.translate.train.en-LANG.json, in the directory or its translate-train/ folder"
    )
    train_from = SplitRef("squad_v1", "train")
    train_file = _LOCAL_FILES["train"]  # a user-supplied translation is this file in another language
    select_on = SplitRef("squad_v1", "dev")
    description = "SQuAD v1.1 extractive QA"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        if language != ENGLISH:
            raise XstiltsError(
                f"SQuAD translate-train ({language}) has no hub copy; use local data: {self.local_layout}"
            )
        return list(span_examples_from_hub(load_hub_split(dataset, "plain_text", _HUB_SPLITS[split], revision)))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        if language == ENGLISH:
            return list(read_squad_json(root / _LOCAL_FILES[split]))
        name = translate_train_file(language)
        return list(read_squad_json(first_existing([root / name, root / "translate-train" / name])))

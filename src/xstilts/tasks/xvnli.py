"""XVNLI (IGLUE): visual NLI in ar es fr ru (+ en), trained on English SNLI-VE; two tasks over the same items.

``xvnli`` is the benchmark: the Flickr30K image is the premise, the hypothesis the text (vision-language kind).
``xvnli_text`` is its text-only twin for the degradation experiment: the same items, the caption (translated in
XVNLI) as a text premise (classification kind). Both read one local layout (``XVNLI_LAYOUT``); facts and sources
in ``data/iglue.py``. The hub copy floschne/xvnli serves the test sets (``data/iglue_hub.py``). Accuracy; model
selection on English SNLI-VE dev.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example
from xstilts.data.iglue import (
    VOLTA_NLI_LABELS,
    EntailmentRow,
    image_premise_examples,
    read_xvnli_folder,
    text_premise_examples,
)
from xstilts.data.iglue_hub import read_hub_entailment
from xstilts.data.sources import Split
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.kinds.vision_language import VISION_LANGUAGE
from xstilts.tasks.base import SplitRef
from xstilts.tasks.iglue import IGLUETask
from xstilts.tasks.registry import register

XVNLI_LANGUAGES = ("ar", "en", "es", "fr", "ru")
IMAGES = "images"
XVNLI_LAYOUT = (
    "IGLUE's XVNLI folder: annotations/LANG/test.jsonl (e-bug/iglue datasets/XVNLI), VOLTA's English SNLI-VE"
    " snli_ve_{train,dev}.jsonl beside it, and images/ with the Flickr30K images (<Flikr30kID>.jpg; for the"
    " 'regions' stem <Flikr30kID>.npz region features or IGLUE's .h5 feature files)"
)


def _rows(root: Path, split: Split, language: str) -> list[EntailmentRow]:
    return read_xvnli_folder(root, split, language, XVNLI_LAYOUT)


class _XVNLIBase(IGLUETask):
    languages = XVNLI_LANGUAGES
    splits = {"train": ("en",), "dev": ("en",), "test": XVNLI_LANGUAGES}
    labels = VOLTA_NLI_LABELS
    hub_dataset = "floschne/xvnli"
    local_layout = XVNLI_LAYOUT


@register
class XVNLI(_XVNLIBase):
    name = "xvnli"
    kind = VISION_LANGUAGE
    train_from = SplitRef("xvnli", "train")
    select_on = SplitRef("xvnli", "dev")
    description = "Cross-lingual visual NLI (image premise)"

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return image_premise_examples(f"xvnli-{split}-{language}", _rows(root, split, language), str(root / IMAGES))

    def read_hub_test(self, dataset: str, revision: str | None, language: str) -> list[Example]:
        images, rows = read_hub_entailment(dataset, revision, language)
        return image_premise_examples(f"xvnli-test-{language}", rows, str(images))


@register
class XVNLIText(_XVNLIBase):
    name = "xvnli_text"
    kind = CLASSIFICATION
    train_from = SplitRef("xvnli_text", "train")
    select_on = SplitRef("xvnli_text", "dev")
    description = "XVNLI with the caption as a text premise (text-only twin)"

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return text_premise_examples(f"xvnli-{split}-{language}", _rows(root, split, language))

    def read_hub_test(self, dataset: str, revision: str | None, language: str) -> list[Example]:
        _, rows = read_hub_entailment(dataset, revision, language)
        return text_premise_examples(f"xvnli-test-{language}", rows)

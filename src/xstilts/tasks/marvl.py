"""MaRVL (IGLUE): is a statement true of a pair of images, in id sw ta tr zh; trained on English NLVR2.

Two images per example (the ``vision_language_pair`` kind: each (image, statement) is encoded on its own and the
two pooled vectors are joined, as IGLUE's baselines do). Accuracy; model selection on English NLVR2 dev. Facts
and sources in ``data/iglue.py``; the hub copy floschne/marvl serves the test sets (``data/iglue_hub.py``).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example, VisionLanguageExample
from xstilts.data.files import require_file
from xstilts.data.iglue import PAIR_LABELS, ImagePairRow, read_marvl_jsonl, read_nlvr2_jsonl
from xstilts.data.iglue_hub import read_hub_image_pairs
from xstilts.data.sources import Split
from xstilts.kinds.vision_language import VISION_LANGUAGE_PAIR
from xstilts.tasks.base import SplitRef
from xstilts.tasks.iglue import IGLUETask
from xstilts.tasks.registry import register

MARVL_LANGUAGES = ("id", "sw", "ta", "tr", "zh")
MARVL_LAYOUT = (
    "IGLUE's marvl folder: zero_shot/annotations/marvl-LANG.jsonl, images/LANG/<concept>/<file> (the MaRVL image"
    " release); and NLVR2 beside it: nlvr2/data/{train,dev}.json with nlvr2/images/{train,dev}/"
)


def _examples(rows: list[ImagePairRow], images: Path, prefix: str) -> list[Example]:
    return [
        VisionLanguageExample(
            f"{prefix}-{row.id}", row.statement, (row.left, row.right), str(images), PAIR_LABELS[row.label]
        )
        for row in rows
    ]


@register
class MaRVL(IGLUETask):
    name = "marvl"
    kind = VISION_LANGUAGE_PAIR
    languages = MARVL_LANGUAGES
    splits = {"train": ("en",), "dev": ("en",), "test": MARVL_LANGUAGES}
    labels = PAIR_LABELS
    hub_dataset = "floschne/marvl"
    local_layout = MARVL_LAYOUT
    train_from = SplitRef("marvl", "train")
    select_on = SplitRef("marvl", "dev")
    description = "Multicultural reasoning over image pairs"

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        if split == "test":
            path = require_file(root / "zero_shot" / "annotations" / f"marvl-{language}.jsonl", MARVL_LAYOUT)
            return _examples(read_marvl_jsonl(path), root / "images" / language, f"marvl-{language}")
        path = require_file(root / "nlvr2" / "data" / f"{split}.json", MARVL_LAYOUT)
        return _examples(read_nlvr2_jsonl(path), root / "nlvr2" / "images" / split, f"nlvr2-{split}")

    def read_hub_test(self, dataset: str, revision: str | None, language: str) -> list[Example]:
        images, rows = read_hub_image_pairs(dataset, revision, language)
        return _examples(rows, images, f"marvl-{language}")

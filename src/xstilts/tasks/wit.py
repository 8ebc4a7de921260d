"""WIT (IGLUE): image-text retrieval over Wikipedia images and their reference captions in ar bg da el et id ja ko
tr vi (+ en); trained on WIT's English training set (``train_en.jsonl``), selected on ``val_en.jsonl``, as VOLTA's
``RetrievalWIT`` task config and its ``zero_shot/wit`` scripts do. A test file has a row per caption and an image
may have several (``test_en``: 1,000 captions of 685 images), so text retrieval ranks an image by its best caption.
Recall@1/5/10 in both directions; facts and sources in ``data/iglue_retrieval.py``.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.files import require_file
from xstilts.data.iglue_retrieval import Caption, read_wit_captions
from xstilts.data.sources import Split
from xstilts.tasks.base import SplitRef
from xstilts.tasks.registry import register
from xstilts.tasks.xflickrco import IGLUERetrievalTask

WIT_LANGUAGES = ("ar", "bg", "da", "el", "en", "et", "id", "ja", "ko", "tr", "vi")
WIT_LAYOUT = (
    "IGLUE's wit folder: annotations/test_LANG.jsonl, annotations/val_en.jsonl and annotations/train_en.jsonl"
    " (e-bug/iglue datasets/wit; the training file is released zipped), and images/ with the images by wit_ix"
    " (<wit_ix>.jpg or another image suffix; for the 'regions' stem <wit_ix>.npz)"
)
_FILES = {"train": "train_en.jsonl", "dev": "val_en.jsonl"}


@register
class WIT(IGLUERetrievalTask):
    name = "wit"
    languages = WIT_LANGUAGES
    splits = {"train": ("en",), "dev": ("en",), "test": WIT_LANGUAGES}
    hub_dataset = ""
    local_layout = WIT_LAYOUT
    train_from = SplitRef("wit", "train")
    select_on = SplitRef("wit", "dev")
    description = "WIT image-text retrieval (Wikipedia), IR and TR Recall@1 (image-text dual encoder)"

    def captions(self, root: Path, split: Split, language: str) -> list[Caption]:
        name = f"test_{language}.jsonl" if split == "test" else _FILES[split]
        return read_wit_captions(require_file(root / "annotations" / name, WIT_LAYOUT))

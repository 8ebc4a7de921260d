"""xFlickr&CO (IGLUE): image-text retrieval in de es id ja ru tr zh (+ en) over 2,000 test images (1,000 Flickr30K,
1,000 COCO val2014), one caption each; trained on English Flickr30K (``train_ann.jsonl``), selected on Flickr30K's
validation set (``valid_ann.jsonl``: 1,014 images, five captions each), as VOLTA's ``RetrievalFlickr30k`` task
config and its ``zero_shot/xflickrco`` scripts do. Recall@1/5/10 in both directions (``metrics.ranking``); the
image-text kind (``kinds.image_text``). Facts and sources in ``data/iglue_retrieval.py``.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from xstilts.data.examples import Example
from xstilts.data.files import require_file
from xstilts.data.iglue_hub import read_hub_captions
from xstilts.data.iglue_retrieval import Caption, caption_pairs, image_text_set, read_flickr_captions
from xstilts.data.sources import Split
from xstilts.kinds.base import Kind
from xstilts.kinds.image_text import IMAGE_TEXT
from xstilts.tasks.base import SplitRef
from xstilts.tasks.iglue import IGLUETask
from xstilts.tasks.registry import register

XFLICKRCO_LANGUAGES = ("de", "en", "es", "id", "ja", "ru", "tr", "zh")
IMAGES = "images"
XFLICKRCO_LAYOUT = (
    "IGLUE's xFlickrCO folder: annotations/LANG/test.jsonl (e-bug/iglue datasets/xFlickrCO), Flickr30K's"
    " train_ann.jsonl and valid_ann.jsonl (datasets/flickr30k/annotations) beside it, and images/ with the"
    " Flickr30K and COCO val2014 images by img_path (for the 'regions' stem <image id>.npz region features)"
)
_ENGLISH_FILES = {"train": "train_ann.jsonl", "dev": "valid_ann.jsonl"}


class IGLUERetrievalTask(IGLUETask):
    """What xFlickr&CO and WIT share: the image-text kind, Recall@k both ways, selection on the mean of IR and TR
    R@1 on English dev; a training split reads (caption, image) pairs, dev and test one retrieval set."""

    kind: ClassVar[Kind] = IMAGE_TEXT
    metric = "image_text_recall"
    selection_metric = "mean_r@1"

    def captions(self, root: Path, split: Split, language: str) -> list[Caption]:
        raise NotImplementedError

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        captions = self.captions(root, split, language)
        guid = f"{self.name}-{split}-{language}"
        if split == "train":
            return list(caption_pairs(captions, root / IMAGES, guid))
        return [image_text_set(captions, root / IMAGES, guid)]


@register
class XFlickrCO(IGLUERetrievalTask):
    name = "xflickrco"
    languages = XFLICKRCO_LANGUAGES
    splits = {"train": ("en",), "dev": ("en",), "test": XFLICKRCO_LANGUAGES}
    hub_dataset = "floschne/xflickrco"
    local_layout = XFLICKRCO_LAYOUT
    train_from = SplitRef("xflickrco", "train")
    select_on = SplitRef("xflickrco", "dev")
    description = "xFlickr&CO image-text retrieval: 2,000 images, IR and TR Recall@1 (image-text dual encoder)"

    def read_hub_test(self, dataset: str, revision: str | None, language: str) -> list[Example]:
        images, captions = read_hub_captions(dataset, revision, language)
        return [image_text_set(captions, images, f"{self.name}-test-{language}")]

    def captions(self, root: Path, split: Split, language: str) -> list[Caption]:
        path = root / "annotations" / language / "test.jsonl" if split == "test" else root / _ENGLISH_FILES[split]
        return read_flickr_captions(require_file(path, XFLICKRCO_LAYOUT))

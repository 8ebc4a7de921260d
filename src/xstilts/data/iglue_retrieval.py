"""IGLUE's image-text retrieval files (xFlickr&CO, WIT) and their English training sets, in the layouts of e-bug/iglue
(``datasets/...``, commit 43cbac9) as e-bug/volta reads them; images are resolved by the kind against an
``image_root``.

Facts checked against the two repositories:

- xFlickr&CO test (``xFlickrCO/annotations/<lang>/test.jsonl``) and Flickr30K (``flickr30k/annotations/
  {train,valid,test}_ann.jsonl``) share one layout: a row per image, ``sentences`` (a list of captions: five in
  Flickr30K, one in xFlickr&CO), ``id`` (a string for Flickr30K images, a number for COCO's) and ``img_path``
  (``1007129816.jpg``, ``COCO_val2014_000000369771.jpg``). VOLTA's ``volta/datasets/retrieval_dataset.py``
  (``_load_annotationsVal``) keys xFlickr&CO's images by ``img_path``, so the image reference here is ``img_path``
  for both. Two official test captions are empty strings (``de`` line 1960, ``id`` line 901); VOLTA tokenizes them
  as they are, so they are kept (an empty caption is still a query).
- WIT (``wit/annotations/{train_en,val_en,test_<lang>}.jsonl``): a row per caption,
  ``caption_reference_description`` (the caption), ``wit_ix`` (the image: VOLTA's image id for ``RetrievalWIT``;
  one image may have several rows, and the same ``wit_ix`` names the same image in every language), ``image_url``,
  ``language``. The training file is released zipped (``train_en.jsonl.zip``): unzip it beside the others.
- VOLTA's task configs (``config_tasks/iglue_trainval_tasks_boxes36.yml``): ``RetrievalFlickr30k`` trains on
  ``flickr30k/annotations/train_ann.jsonl`` and validates on ``valid_ann.jsonl``; ``RetrievalWIT`` trains on
  ``wit/annotations/train_en.jsonl`` and validates on ``val_en.jsonl``; the zero-shot tests
  (``config_tasks/iglue_test_tasks_boxes36.yml``, ``examples/*/zero_shot/{xflickrco,wit}/test.<lang>.dtu.sh``) read
  ``xFlickrCO/annotations/<lang>/test.jsonl`` and ``wit/annotations/test_<lang>.jsonl``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from xstilts.data.examples import ImageTextSet, RetrievalItem, VisionLanguageExample
from xstilts.data.files import check_nonempty, check_unique, field_error, read_jsonl, text_field, typed_field
from xstilts.errors import DataFormatError


@dataclass(frozen=True)
class Caption:
    """One caption of one image: its id (unique in its file), its text, the image's reference."""

    id: str
    text: str
    image: str


def read_flickr_captions(path: Path) -> list[Caption]:
    """Flickr30K's ``{train,valid,test}_ann.jsonl`` or xFlickr&CO's ``<lang>/test.jsonl``: a row per image; caption
    ids are ``<img_path>#<k>``, the k-th of its ``sentences``."""
    captions: list[Caption] = []
    seen: dict[str, int] = {}
    for line, row in read_jsonl(path):
        image = check_nonempty(path, line, "img_path", text_field(path, line, row, "img_path"))
        check_unique(path, line, "img_path", image, seen)
        sentences = typed_field(path, line, row, "sentences", list)
        if not sentences:
            raise field_error(path, line, "sentences", "empty list: an image needs at least one caption")
        for k, sentence in enumerate(sentences):
            if not isinstance(sentence, str):
                raise field_error(path, line, f"sentences[{k}]", f"expected a string, found {type(sentence).__name__}")
            captions.append(Caption(f"{image}#{k}", sentence, image))
    return _some(path, captions)


def read_wit_captions(path: Path) -> list[Caption]:
    """WIT's ``{train_en,val_en,test_<lang>}.jsonl``: a row per caption; caption ids are ``<wit_ix>#<line>``."""
    captions = []
    for line, row in read_jsonl(path):
        image = check_nonempty(path, line, "wit_ix", text_field(path, line, row, "wit_ix"))
        captions.append(Caption(f"{image}#{line}", text_field(path, line, row, "caption_reference_description"), image))
    return _some(path, captions)


def _some(path: Path, captions: list[Caption]) -> list[Caption]:
    """An empty file would make an empty retrieval set, which scores nothing: it is an error."""
    if not captions:
        raise DataFormatError(path, "no captions (the file has no rows)")
    return captions


def image_text_set(captions: list[Caption], image_root: Path, guid: str) -> ImageTextSet:
    """The retrieval set: every caption, every distinct image (in the order they first appear), the gold links."""
    images = tuple(dict.fromkeys(c.image for c in captions))
    return ImageTextSet(
        guid,
        tuple(RetrievalItem(c.id, c.text) for c in captions),
        images,
        str(image_root),
        tuple((c.id, c.image) for c in captions),
    )


def caption_pairs(captions: list[Caption], image_root: Path, guid: str) -> list[VisionLanguageExample]:
    """Training pairs, one per caption: the caption and its image (the other pairs of a batch are its negatives)."""
    return [VisionLanguageExample(f"{guid}-{c.id}", c.text, (c.image,), str(image_root), None) for c in captions]

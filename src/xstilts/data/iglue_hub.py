"""IGLUE's zero-shot test sets from the hub copies that embed their images (floschne/xvnli, floschne/xgqa,
floschne/marvl, floschne/xflickrco), read into the same rows as the local readers of :mod:`xstilts.data.iglue`.

Each copy is plain parquet (no loading script): one ``default`` config whose splits are the languages, the images
as a struct ``{bytes: binary, path: null}`` per row (not a ``datasets.Image`` feature). The images are written
once, content-addressed, under ``$XSTILTS_CACHE/hub-images/<org>--<name>/`` (``<sha256>.<format>``), so the kind
resolves them like any image folder. Facts, each from its dataset card (``README.md`` ``dataset_info``):

- floschne/xvnli, huggingface.co/datasets/floschne/xvnli/blob/main/README.md (commit 3629bd9): splits ar en es fr
  ru, 1,164 rows each (the IGLUE test files' count, the 14 gold ``-`` items included); columns ``label`` (string),
  ``caption`` (the text premise), ``hypothesis`` (spelled ``hypothsis`` before 3629bd9, blame of 2e31282),
  ``caption_id``, ``pair_id``, ``flikr30k_id``, ``image``. The labels are strings, mapped by name (VOLTA's order
  is contradiction / neutral / entailment; a class-label copy's integers would not be).
- floschne/xgqa (commit b8a1240; card features as in neulab/PangeaBench-xgqa's README 1d5a201, a copy of it, and
  floschne/xgqa's refs/pr/1 diff): splits bn de en id ko pt ru zh, 9,666 rows each (xGQA's few_shot test);
  columns ``question``, ``answer`` (English), ``full_answer``, ``image_id``, ``image``. No question id column.
- floschne/marvl, huggingface.co/datasets/floschne/marvl/blob/main/README.md (data files of commit d25b0dc:
  id sw ta tr zh; 1,128 / 1,108 / 1,242 / 1,180 / 1,012 rows as in neulab/PangeaBench-marvl's card, the local
  files' counts): columns ``id``, ``hypothesis`` (the statement), ``hypo_en``, ``language``, ``label`` (bool),
  ``chapter``, ``concept``, ``annotator_info``, ``left_img_id``, ``right_img_id``, ``left_img``, ``right_img``
  (and resized / stacked variants, not read).

- floschne/xflickrco, huggingface.co/datasets/floschne/xflickrco/blob/0af2c2e/README.md: splits de en es id ja ru
  tr zh, 2,000 rows each (a row per test image); columns ``sentences`` (a string here: the one caption, a
  one-element list in IGLUE's jsonl), ``id`` (the image id, a string), ``image``.

None of them holds IGLUE's English training or dev data (SNLI-VE, GQA balanced, NLVR2, Flickr30K).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from xstilts.artefacts import atomic_write_bytes, xstilts_home
from xstilts.data.files import check_label, check_unique, field_error, text_field, typed_field
from xstilts.data.iglue import NO_CONSENSUS, VOLTA_NLI_LABELS, EntailmentRow, ImagePairRow, QuestionRow
from xstilts.data.iglue_retrieval import Caption
from xstilts.errors import XstiltsError
from xstilts.hub import load_hub_split

XVNLI_HUB_LAYOUT = "floschne/xvnli's: splits = languages; columns label, caption, hypothesis, pair_id, flikr30k_id,"
XVNLI_HUB_LAYOUT += " image {bytes}"
XGQA_HUB_LAYOUT = "floschne/xgqa's: splits = languages; columns question, answer, image_id, image {bytes}"
MARVL_HUB_LAYOUT = (
    "floschne/marvl's: splits = languages; columns id, hypothesis, label (bool), left_img_id, right_img_id,"
    " left_img {bytes}, right_img {bytes}"
)

XFLICKRCO_HUB_LAYOUT = "floschne/xflickrco's: splits = languages; columns sentences (one caption), id, image {bytes}"


def hub_image_root(dataset: str) -> Path:
    """Where the images of a hub copy are written: ``$XSTILTS_CACHE/hub-images/<org>--<name>``."""
    return xstilts_home() / "hub-images" / dataset.replace("/", "--")


def store_image(root: Path, where: Path, line: int, field: str, value: Any) -> str:
    """Writes one embedded image (a ``{bytes, path}`` struct, or raw bytes) as ``<sha256>.<format>`` under
    ``root`` unless it is there already; returns the file name, the reference the kind resolves."""
    data = value.get("bytes") if isinstance(value, dict) else value
    if not isinstance(data, bytes) or not data:
        raise field_error(where, line, field, f"expected embedded image bytes, found {type(data).__name__}")
    digest = hashlib.sha256(data).hexdigest()
    name = f"{digest}.{_image_format(where, line, field, data)}"
    path = root / name
    if not path.is_file():
        atomic_write_bytes(path, data)
    return name


def _image_format(where: Path, line: int, field: str, data: bytes) -> str:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            kind = image.format
    except (UnidentifiedImageError, OSError) as err:
        raise field_error(where, line, field, f"not a readable image: {err}") from err
    return (kind or "img").lower()


def _rows(dataset: str, revision: str | None, language: str, layout: str) -> tuple[Path, Iterable[dict[str, Any]]]:
    """The language's split of the copy, and the name its errors give it (``hub:<dataset>/<split>``)."""
    try:
        table = load_hub_split(dataset, None, language, revision)
    except XstiltsError as err:
        raise XstiltsError(f"{err} (a hub copy of this task must have {layout})") from err
    return Path(f"hub:{dataset}/{language}"), table


def read_hub_entailment(dataset: str, revision: str | None, language: str) -> tuple[Path, list[EntailmentRow]]:
    """XVNLI's test set of ``language`` (gold ``-`` kept: it counts as wrong), and its image folder."""
    root = hub_image_root(dataset)
    where, table = _rows(dataset, revision, language, XVNLI_HUB_LAYOUT)
    rows = []
    for line, row in enumerate(table, start=1):
        label = check_label(
            where, line, "label", text_field(where, line, row, "label"), (*VOLTA_NLI_LABELS, NO_CONSENSUS)
        )
        rows.append(
            EntailmentRow(
                text_field(where, line, row, "pair_id"),
                text_field(where, line, row, "caption"),
                text_field(where, line, row, _hypothesis_field(where, line, row)),
                store_image(root, where, line, "image", row.get("image")),
                label,
            )
        )
    return root, rows


def _hypothesis_field(where: Path, line: int, row: dict[str, Any]) -> str:
    for name in ("hypothesis", "hypothsis"):  # the card's spelling before commit 3629bd9
        if name in row:
            return name
    raise field_error(where, line, "hypothesis", "missing")


def read_hub_questions(dataset: str, revision: str | None, language: str) -> tuple[Path, list[QuestionRow]]:
    """xGQA's test set of ``language``; the copy has no question id column, so a row's id is its line (1-based)."""
    root = hub_image_root(dataset)
    where, table = _rows(dataset, revision, language, XGQA_HUB_LAYOUT)
    return root, [
        QuestionRow(
            str(line),
            text_field(where, line, row, "question"),
            store_image(root, where, line, "image", row.get("image")),
            text_field(where, line, row, "answer"),
        )
        for line, row in enumerate(table, start=1)
    ]


def read_hub_image_pairs(dataset: str, revision: str | None, language: str) -> tuple[Path, list[ImagePairRow]]:
    """MaRVL's test set of ``language``."""
    root = hub_image_root(dataset)
    where, table = _rows(dataset, revision, language, MARVL_HUB_LAYOUT)
    return root, [
        ImagePairRow(
            text_field(where, line, row, "id"),
            text_field(where, line, row, "hypothesis"),
            store_image(root, where, line, "left_img", row.get("left_img")),
            store_image(root, where, line, "right_img", row.get("right_img")),
            typed_field(where, line, row, "label", bool),
        )
        for line, row in enumerate(table, start=1)
    ]


def read_hub_captions(dataset: str, revision: str | None, language: str) -> tuple[Path, list[Caption]]:
    """xFlickr&CO's test set of ``language``: a caption per image, empty captions kept as the local reader keeps
    them (VOLTA scores them as queries)."""
    root = hub_image_root(dataset)
    where, table = _rows(dataset, revision, language, XFLICKRCO_HUB_LAYOUT)
    captions: list[Caption] = []
    seen: dict[str, int] = {}
    for line, row in enumerate(table, start=1):
        image_id = text_field(where, line, row, "id")
        check_unique(where, line, "id", image_id, seen)
        image = store_image(root, where, line, "image", row.get("image"))
        captions.append(Caption(f"{image_id}#0", text_field(where, line, row, "sentences"), image))
    if not captions:
        raise XstiltsError(f"{where}: no rows (a hub copy of this task must have {XFLICKRCO_HUB_LAYOUT})")
    return root, captions


def no_hub_training(task: str, dataset: str, split: str, local_layout: str) -> XstiltsError:
    """The error for a training or dev split asked of a hub copy that holds only the zero-shot test sets."""
    return XstiltsError(
        f"task {task!r}: the hub copy {dataset} holds only IGLUE's test sets (one split per language), not the"
        f" English {split} data; name a local folder for it, data: {{source: hub, path: DIR}}, or read the task"
        f" from local data; DIR in the layout {local_layout}"
    )

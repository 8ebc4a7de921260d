"""Images for vision-language tasks: pixels read with Pillow, or pre-extracted region features.

A vision-language example names its images by a reference resolved against an ``image_root`` (the readers put
the benchmark's image id or path there). Pixels come back as ``uint8`` arrays of shape (3, size, size), squashed
to a square as the CLIP/ViT processors do for fixed-size input; region features, IGLUE's published Faster R-CNN
features (36 boxes x 2048 dimensions), come back as float32 arrays with the boxes as (x1, y1, x2, y2, area),
normalised by the image size, as e-bug/volta's ``datasets/_image_features_reader.py`` builds its 5-number image
locations (x / img_w, y / img_h, box area / image area) from each item's ``features``, ``boxes``, ``img_w`` and
``img_h``.

Region features are read from the image folder in two forms: one ``<id>.npz`` per image, or IGLUE's own H5 files
put in the folder as downloaded. IGLUE's ``datasets/README.md`` (e-bug/iglue 43cbac9) releases its features as H5
(36 boxes, ResNet-101) and as folders of ``npy`` files (10-100 boxes, ResNeXt-101), to be converted to VOLTA's
LMDB by ``features_extraction/h5_to_lmdb.py`` / ``npy_to_lmdb.py``. The H5 files hold one group per image id
(``detectron2_proposal_maxnms.py``: ``features``, ``boxes``, ``img_w``, ``img_h``, ``obj_*``, ``attr_*``). The npy
release keeps boxes and sizes in ``<id>_info.npy``, a pickled dict, and LMDB items are pickles: xstilts never loads
pickles, so those two are refused with what to convert them to.
"""

from __future__ import annotations

import functools
import zipfile
import zlib
from pathlib import Path
from typing import Any

import numpy as np

from xstilts.errors import DataFormatError, XstiltsError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
REGION_FIELDS = ("features", "boxes")


def image_file(image_root: Path, reference: str) -> Path:
    """The file of an image reference: the path as given (relative to ``image_root``), or the id with the first
    image suffix that exists (``123.jpg``); a missing image is an error that names both."""
    direct = image_root / reference
    if direct.is_file():
        return direct
    for suffix in IMAGE_SUFFIXES:
        candidate = image_root / f"{reference}{suffix}"
        if candidate.is_file():
            return candidate
    raise XstiltsError(
        f"image {reference!r} not found under {image_root} (tried the name as given and {', '.join(IMAGE_SUFFIXES)})"
    )


def load_pixels(path: Path, size: int) -> np.ndarray:
    """The image as RGB ``uint8`` pixels, (3, size, size), resized with bicubic resampling. A file Pillow cannot
    decode, or whose header claims more pixels than Pillow's decompression-bomb limit, is an error naming it."""
    try:
        from PIL import Image
    except ImportError as err:  # pragma: no cover - Pillow is a dependency; this names it if an install lacks it
        raise XstiltsError("reading images needs Pillow (pip install pillow)") from err
    try:
        with Image.open(path) as image:
            rgb = image.convert("RGB").resize((size, size), Image.Resampling.BICUBIC)
    except Image.DecompressionBombError as err:
        raise DataFormatError(path, f"image too large to decode: {err}") from err
    except (OSError, SyntaxError, ValueError) as err:  # what Pillow's decoders raise for broken data
        raise DataFormatError(path, f"not a readable image: {err}") from err
    return np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1).copy()


# What a broken .npz raises while numpy opens it and reads its arrays: zip structure and checksums, npy headers,
# compression; zipfile answers a header naming an unknown version or method with NotImplementedError, and one
# flagging an encrypted member with RuntimeError.
_NPZ_ERRORS = (
    OSError,
    ValueError,
    EOFError,
    KeyError,
    zipfile.BadZipFile,
    zlib.error,
    NotImplementedError,
    RuntimeError,
)


def _real_array(where: str, name: str, value: np.ndarray) -> np.ndarray:
    """``value`` as float32 if it holds finite real numbers (not booleans, strings, complex numbers or objects)."""
    if value.dtype.kind not in "fiu":
        raise DataFormatError(where, f"field {name!r}: expected real numbers, found dtype {value.dtype}")
    converted = value.astype(np.float32)
    if not np.isfinite(converted).all():
        raise DataFormatError(where, f"field {name!r}: holds NaN or infinite values (or values beyond float32)")
    return converted


def _one_number(where: str, name: str, value: np.ndarray) -> float:
    """A field that holds one number (an image size, a box count), as a 0-d array or an array of one."""
    converted = _real_array(where, name, value)
    if converted.size != 1:
        raise DataFormatError(where, f"field {name!r} has shape {converted.shape}, expected one number")
    return float(converted.reshape(()))


def load_regions(path: Path, regions: int, dimensions: int) -> tuple[np.ndarray, np.ndarray]:
    """(features (regions, dimensions) float32, boxes (regions, 5) float32) from an ``.npz`` file with the arrays
    ``features`` (N, dimensions) and ``boxes`` (N, 4: x1 y1 x2 y2 in pixels), ``image_w`` and ``image_h`` (or VOLTA's
    ``img_w``/``img_h``). Fewer than ``regions`` boxes are padded with zeros; more are an error (IGLUE's features
    have exactly 36)."""
    try:
        with open(path, "rb") as handle:
            data = np.load(handle, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise DataFormatError(path, "not an npz archive (a single .npy array?); expected np.savez's output")
            with data:
                fields = {name: np.asarray(data[name]) for name in data.files}
    except _NPZ_ERRORS as err:
        raise DataFormatError(path, f"not a readable npz region file: {type(err).__name__}: {err}") from err
    return _normalised(f"{path}", fields, regions, dimensions)


def load_h5_regions(path: Path, key: str, regions: int, dimensions: int) -> tuple[np.ndarray, np.ndarray]:
    """:func:`load_regions` for one image of an H5 file as IGLUE releases its 36-box features: a group per image id
    holding ``features``, ``boxes``, ``img_w`` and ``img_h`` (and ``obj_id``, ``obj_conf``, ``attr_id``,
    ``attr_conf``, not used), as e-bug/volta's ``features_extraction/detectron2_proposal_maxnms.py`` writes them."""
    handle = _open_h5(path)
    if key not in handle:
        raise XstiltsError(f"{path}: no region features for image {key!r}")
    group = handle[key]
    if not isinstance(group, _h5py().Group):
        raise DataFormatError(path, f"entry {key!r} is not a group of arrays (features, boxes, img_w, img_h)")
    fields = {name: np.asarray(item[()]) for name, item in group.items() if isinstance(item, _h5py().Dataset)}
    return _normalised(f"{path} [{key}]", fields, regions, dimensions)


def _normalised(
    where: str, fields: dict[str, np.ndarray], regions: int, dimensions: int
) -> tuple[np.ndarray, np.ndarray]:
    """The fields of one image's region features, checked, scaled by the image size and padded (VOLTA's
    ``_image_features_reader.py``: x / img_w, y / img_h, then the box area over the image area)."""
    sizes = [next((n for n in names if n in fields), None) for names in (("image_w", "img_w"), ("image_h", "img_h"))]
    missing = [name for name in REGION_FIELDS if name not in fields]
    missing += [spelling for spelling, found in zip(("image_w", "image_h"), sizes, strict=True) if found is None]
    if missing:
        raise DataFormatError(where, f"region features lack {', '.join(missing)} (have {', '.join(sorted(fields))})")
    features, boxes = (_real_array(where, name, fields[name]) for name in REGION_FIELDS)
    width, height = (_one_number(where, name, fields[name]) for name in sizes if name is not None)
    if features.ndim != 2 or features.shape[1] != dimensions:
        raise DataFormatError(where, f"field 'features' has shape {features.shape}, expected (N, {dimensions})")
    if boxes.shape != (features.shape[0], 4):
        raise DataFormatError(where, f"field 'boxes' has shape {boxes.shape}, expected ({features.shape[0]}, 4)")
    boxes_said = _one_number(where, "num_boxes", fields["num_boxes"]) if "num_boxes" in fields else len(features)
    if boxes_said != features.shape[0]:
        raise DataFormatError(where, f"num_boxes is {boxes_said:g} but 'features' has {len(features)} rows")
    if features.shape[0] > regions:
        raise DataFormatError(where, f"{features.shape[0]} regions, more than the {regions} configured")
    if width <= 0 or height <= 0:
        raise DataFormatError(where, f"image_w/image_h must be positive, got {width} x {height}")
    scaled = boxes / np.asarray([width, height, width, height], dtype=np.float32)
    area = (scaled[:, 2] - scaled[:, 0]) * (scaled[:, 3] - scaled[:, 1])
    out_features = np.zeros((regions, dimensions), dtype=np.float32)
    out_boxes = np.zeros((regions, 5), dtype=np.float32)
    out_features[: len(features)] = features
    out_boxes[: len(features)] = np.concatenate([scaled, area[:, None]], axis=1)
    return out_features, out_boxes


def region_key(reference: str) -> str:
    """The id region features are stored under: the image's file name without its suffix (IGLUE's extraction
    scripts key every image by ``Path(image).stem``; MaRVL's ``<concept>/<file>`` becomes the file's stem)."""
    path = Path(reference)
    return path.stem if path.suffix.lower() in IMAGE_SUFFIXES else path.name


def load_region_features(
    feature_root: Path, reference: str, regions: int, dimensions: int
) -> tuple[np.ndarray, np.ndarray]:
    """An image's region features from ``feature_root``: its own ``<id>.npz``, else the first of the folder's H5
    files (``*.h5``, ``*.hdf5``, IGLUE's release, e.g. ``test_boxes36.h5``, in name order) that holds the id.

    IGLUE's other two forms are refused with what to do: its ``npy`` release keeps each image's boxes and size in
    ``<id>_info.npy``, a pickled dict, and VOLTA's LMDB stores pickled items; xstilts never loads pickles.
    """
    key = region_key(reference)
    own = feature_root / f"{key}.npz"
    if own.is_file():
        return load_regions(own, regions, dimensions)
    h5_files = _h5_files(feature_root)
    for path in h5_files:
        if key in _open_h5(path):
            return load_h5_regions(path, key, regions, dimensions)
    _refuse_pickled(feature_root, key)
    elsewhere = f" or in {', '.join(p.name for p in h5_files)}" if h5_files else " (and no *.h5 file is there)"
    looked = f"{own}{elsewhere}"
    raise XstiltsError(f"region features for image {reference!r} not found: looked for {looked}")


H5_SUFFIXES = (".h5", ".hdf5")


@functools.lru_cache(maxsize=64)
def _h5_files(feature_root: Path) -> list[Path]:
    """The folder's H5 files, listed once per process (an image folder may hold many thousand files)."""
    return sorted(p for p in feature_root.iterdir() if p.suffix.lower() in H5_SUFFIXES and p.is_file())


def _refuse_pickled(feature_root: Path, key: str) -> None:
    info = feature_root / f"{key}_info.npy"
    if (feature_root / f"{key}.npy").is_file() or info.is_file():
        raise DataFormatError(
            info,
            "IGLUE's npy region features keep the boxes and image size in this pickled dict, which xstilts never"
            f" loads; convert each image to {key}.npz with the arrays features, boxes (x1 y1 x2 y2, pixels), image_w"
            " and image_h, or use IGLUE's H5 release (36 boxes) in this folder",
        )
    lmdb = [p for p in (feature_root / "data.mdb", *feature_root.glob("*.lmdb")) if p.exists()]
    if lmdb:
        raise DataFormatError(
            lmdb[0],
            "VOLTA's LMDB feature stores hold pickled items, which xstilts never loads; use IGLUE's H5 release (put"
            " the .h5 file in this folder) or one <id>.npz per image with features, boxes, image_w and image_h",
        )


def _h5py() -> Any:
    try:
        import h5py
    except ImportError as err:
        raise XstiltsError("reading IGLUE's H5 region features needs h5py: pip install 'xstilts[iglue]'") from err
    return h5py


@functools.lru_cache(maxsize=64)
def _open_h5(path: Path) -> Any:
    """An open, read-only H5 file (kept open: a feature file is looked up once per image)."""
    try:
        return _h5py().File(path, "r")
    except OSError as err:
        raise DataFormatError(path, f"not a readable H5 file: {err}") from err

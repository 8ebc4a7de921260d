"""Images for vision-language tasks: pixels read with Pillow, or pre-extracted region features read from npz files.

A vision-language example names its images by a reference resolved against an ``image_root`` (the readers put
the benchmark's image id or path there). Pixels come back as ``uint8`` arrays of shape (3, size, size), squashed
to a square as the CLIP/ViT processors do for fixed-size input; region features, IGLUE's published Faster R-CNN
features (36 boxes x 2048 dimensions), come back as float32 arrays with the boxes as (x1, y1, x2, y2, area),
normalised by the image size, as e-bug/volta's ``datasets/_image_features_reader.py`` builds its 5-number image
locations (x / img_w, y / img_h, box area / image area) from each LMDB item's ``features``, ``boxes``, ``img_w``
and ``img_h``. VOLTA's LMDB items are pickles, which xstilts never loads: export them once to one ``.npz`` per
image with the same fields (``image_w``/``image_h`` for the sizes).
"""

from __future__ import annotations

import zipfile
import zlib
from pathlib import Path

import numpy as np

from xstilts.errors import DataFormatError, XstiltsError

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
REGION_FIELDS = ("features", "boxes")
SIZE_FIELDS = ("image_w", "image_h")


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


def _region_arrays(path: Path) -> dict[str, np.ndarray]:
    """The arrays of a region file, read without pickles; a file that is no ``.npz`` archive is an error."""
    try:
        with open(path, "rb") as handle:
            data = np.load(handle, allow_pickle=False)
            if not isinstance(data, np.lib.npyio.NpzFile):
                raise DataFormatError(path, "not an npz archive (a single .npy array?); expected np.savez's output")
            with data:
                missing = [name for name in (*REGION_FIELDS, *SIZE_FIELDS) if name not in data.files]
                if missing:
                    raise DataFormatError(
                        path, f"region file lacks {', '.join(missing)} (has {', '.join(data.files) or 'nothing'})"
                    )
                return {name: data[name] for name in (*REGION_FIELDS, *SIZE_FIELDS)}
    except _NPZ_ERRORS as err:
        raise DataFormatError(path, f"not a readable npz region file: {type(err).__name__}: {err}") from err


def _real_array(path: Path, name: str, value: np.ndarray) -> np.ndarray:
    """``value`` as float32 if it holds finite real numbers (not booleans, strings, complex numbers or objects)."""
    if value.dtype.kind not in "fiu":
        raise DataFormatError(path, f"field {name!r}: expected real numbers, found dtype {value.dtype}")
    converted = value.astype(np.float32)
    if not np.isfinite(converted).all():
        raise DataFormatError(path, f"field {name!r}: holds NaN or infinite values (or values beyond float32)")
    return converted


def load_regions(path: Path, regions: int, dimensions: int) -> tuple[np.ndarray, np.ndarray]:
    """(features (regions, dimensions) float32, boxes (regions, 5) float32) from an ``.npz`` file with the arrays
    ``features`` (N, dimensions) and ``boxes`` (N, 4: x1 y1 x2 y2 in pixels), ``image_w`` and ``image_h``. Fewer
    than ``regions`` boxes are padded with zeros; more are an error (IGLUE's features have exactly 36)."""
    arrays = _region_arrays(path)
    features, boxes = (_real_array(path, name, arrays[name]) for name in REGION_FIELDS)
    sizes = [_real_array(path, name, arrays[name]) for name in SIZE_FIELDS]
    for name, size in zip(SIZE_FIELDS, sizes, strict=True):
        if size.shape != ():
            raise DataFormatError(path, f"field {name!r} has shape {size.shape}, expected one number")
    width, height = (float(size) for size in sizes)
    if features.ndim != 2 or features.shape[1] != dimensions:
        raise DataFormatError(path, f"field 'features' has shape {features.shape}, expected (N, {dimensions})")
    if boxes.shape != (features.shape[0], 4):
        raise DataFormatError(path, f"field 'boxes' has shape {boxes.shape}, expected ({features.shape[0]}, 4)")
    if features.shape[0] > regions:
        raise DataFormatError(path, f"{features.shape[0]} regions, more than the {regions} configured")
    if width <= 0 or height <= 0:
        raise DataFormatError(path, f"image_w/image_h must be positive, got {width} x {height}")
    scaled = boxes / np.asarray([width, height, width, height], dtype=np.float32)
    area = (scaled[:, 2] - scaled[:, 0]) * (scaled[:, 3] - scaled[:, 1])
    out_features = np.zeros((regions, dimensions), dtype=np.float32)
    out_boxes = np.zeros((regions, 5), dtype=np.float32)
    out_features[: len(features)] = features
    out_boxes[: len(features)] = np.concatenate([scaled, area[:, None]], axis=1)
    return out_features, out_boxes


def region_file(feature_root: Path, reference: str) -> Path:
    """The npz file of an image's region features: ``<feature_root>/<image id>.npz`` (the id without its suffix)."""
    stem = Path(reference).stem if Path(reference).suffix.lower() in IMAGE_SUFFIXES else reference
    path = feature_root / f"{stem}.npz"
    if not path.is_file():
        raise XstiltsError(f"region features for image {reference!r} not found: {path}")
    return path

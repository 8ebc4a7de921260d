"""IGLUE's formats in the reader fuzzer (``tests/fuzz_formats.py``): valid directories of XVNLI, MaRVL, NLVR2, xGQA
and GQA's answer vocabulary in their official layouts (the fields as the real files in ``../shared/data/iglue``
have them, nested ones included), and the two binary formats a vision-language run reads, region features (one
``.npz`` per image; IGLUE's H5 files are not fuzzed here) and images, with mutations of their own: bytes cut,
changed or dropped as for text, and structural ones (an array dropped, reshaped, of another dtype, non-finite; an
image re-encoded in another mode or format, or a header claiming a huge size).

The binary readers are called as the ``vision_language`` kind calls them (``data.images``): the file found by
its reference under the image root, then read; their result is given back as lists so outcomes compare by value.
"""

from __future__ import annotations

import io
import json
import struct
import zlib
from pathlib import Path
from typing import Any

import numpy as np
from hypothesis import strategies as st

from xstilts.data.images import image_file, load_pixels, load_region_features

IMAGES = "images"
REGIONS = 3  # per file; the reader is called with room for one more (padding) and the dimensions below
DIMENSIONS = 8
PIXELS = 8


def _jsonl(path: Path, rows: list[dict[str, Any]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def write_xvnli(root: Path) -> None:
    """``annotations/fr/test.jsonl``, one item without annotator consensus (``-``, kept at test time)."""
    labels = ["contradiction", "neutral", "entailment", "-"]
    rows = [
        {
            "gold_label": label,
            "sentence1": f"Un homme tient le journal numéro {k}.",
            "sentence2": f"Il lit {k} fois.",
            "captionID": f"75982230{k}.jpg#2",
            "pairID": f"75982230{k}.jpg#2r1{label[0]}",
            "Flikr30kID": f"75982230{k}",
        }
        for k, label in enumerate(labels)
    ]
    _jsonl(root / "annotations" / "fr" / "test.jsonl", rows)


def write_marvl(root: Path) -> None:
    """``zero_shot/annotations/marvl-sw.jsonl`` with the real files' extra fields (a nested ``annotator_info``)."""
    rows = [
        {
            "concept": f"{k}-Sufuria",
            "language": "sw",
            "caption": f"Picha ya kushoto ina sufuria {k}.",
            "left_img": f"{k}-1.jpg",
            "right_img": f"{k}-2.jpg",
            "annotator_info": {"annotator_id": "sw_01", "age": 30 + k},
            "chapter": "Basic actions",
            "id": f"sw-{k}",
            "label": k % 2 == 0,
        }
        for k in range(4)
    ]
    _jsonl(root / "zero_shot" / "annotations" / "marvl-sw.jsonl", rows)


def write_nlvr2(root: Path) -> None:
    """NLVR2's ``nlvr2/data/train.json`` (JSON lines; the training split names each pair's image ``directory``)."""
    rows = [
        {
            "identifier": f"train-{100 + k}-{k % 2}-{k}",
            "sentence": f"There are {k} dogs.",
            "label": str(k % 2 == 1),
            "directory": k + 1,
            "synset": "dog",
        }
        for k in range(4)
    ]
    _jsonl(root / "nlvr2" / "data" / "train.json", rows)


def write_gqa_questions(root: Path) -> None:
    """xGQA's ``xGQA/annotations/few_shot/de/test.json`` (GQA's question JSON, with its nested program fields)."""
    answers = ["women", "left", "yes", "red"]
    document = {
        f"20164061{k}": {
            "semantic": [{"operation": "select", "dependencies": [], "argument": "dress (12)"}],
            "entailed": [f"20164060{k}"],
            "question": f"Wer trägt das Kleid {k}?",
            "imageId": f"n23585{k}",
            "isBalanced": True,
            "answer": answer,
            "types": {"detailed": "relS", "semantic": "rel"},
            "fullAnswer": f"The answer is {answer}.",
        }
        for k, answer in enumerate(answers)
    }
    _write_json(root / "xGQA" / "annotations" / "few_shot" / "de" / "test.json", document)


def write_gqa_answers(root: Path) -> None:
    """GQA's answer vocabulary, ``gqa/annotations/trainval_label2ans.json`` (a list: label index -> answer)."""
    answers = ["cat food", "elephant", "gloves", "women", "left", "yes", "red", "light blue"]
    _write_json(root / "gqa" / "annotations" / "trainval_label2ans.json", answers)


def _write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=1), encoding="utf-8")


# --- binary files ---------------------------------------------------------------------------------------------------


def write_regions(root: Path) -> None:
    """Two images' region features, as ``data.images.load_regions`` documents them (boxes in pixels)."""
    rng = np.random.default_rng(0)
    for k, count in ((0, REGIONS), (1, REGIONS - 1)):
        boxes = np.asarray([[10.0 * i, 5.0 * i, 10.0 * i + 40, 5.0 * i + 30] for i in range(count)], np.float32)
        path = root / IMAGES / f"12345{k}.npz"
        path.parent.mkdir(parents=True, exist_ok=True)
        features = rng.standard_normal((count, DIMENSIONS)).astype(np.float32)
        np.savez(path, features=features, boxes=boxes, image_w=np.int64(640), image_h=np.int64(480))


def read_regions(root: Path) -> list[tuple[list, list]]:
    out = []
    for reference in ("123450", "123451.jpg"):  # a bare id, and an image file name (its features share the stem)
        features, boxes = load_region_features(root / IMAGES, reference, REGIONS + 1, DIMENSIONS)
        out.append((features.tolist(), boxes.tolist()))
    return out


def write_images(root: Path) -> None:
    """A PNG and a JPEG, found by id (``image_file`` tries the suffixes)."""
    from PIL import Image

    rng = np.random.default_rng(0)
    (root / IMAGES).mkdir(parents=True, exist_ok=True)
    for name, size in (("1000092795.png", (12, 10)), ("1000268201.jpg", (16, 16))):
        pixels = rng.integers(0, 256, (size[1], size[0], 3)).astype(np.uint8)
        Image.fromarray(pixels).save(root / IMAGES / name)


def read_images(root: Path) -> list[list]:
    return [load_pixels(image_file(root / IMAGES, ref), PIXELS).tolist() for ref in ("1000092795", "1000268201")]


def _bytes_mutation(draw: Any, data: bytes) -> tuple[str, bytes]:
    kind = draw(st.sampled_from(["truncate", "random_bytes", "empty"]))
    if kind == "truncate":
        return kind, data[: draw(st.integers(0, max(0, len(data) - 1)))]
    if kind == "random_bytes":
        at = draw(st.integers(0, len(data)))
        junk = draw(st.binary(min_size=1, max_size=8))
        return kind, data[:at] + junk + data[at + (0 if draw(st.booleans()) else len(junk)) :]
    return kind, b""


_ARRAY_VALUES = (
    np.float32(1.0),
    np.asarray("640"),
    np.asarray([640, 480]),
    np.zeros((0, DIMENSIONS), np.float32),
    np.zeros((2, 3, 4), np.float32),
    np.asarray([None, 1], dtype=object),
    np.asarray([[1 + 2j] * DIMENSIONS] * 2),
    np.asarray([[True] * 4] * 2),
    np.asarray(b"bytes"),
    np.int64(0),
    np.int64(-5),
    np.zeros((REGIONS + 5, DIMENSIONS), np.float32),
)


def mutate_regions(draw: Any, name: str, data: bytes) -> tuple[str, bytes]:
    """A region file with its bytes broken, or rewritten with one array dropped, replaced, retyped or made
    non-finite, or saved as a bare ``.npy`` array instead of an archive."""
    kind = draw(st.sampled_from(["bytes", "drop_array", "replace_array", "retype_array", "non_finite", "npy"]))
    if kind == "bytes":
        return _bytes_mutation(draw, data)
    with np.load(io.BytesIO(data)) as archive:
        arrays = {key: archive[key] for key in archive.files}
    key = draw(st.sampled_from(sorted(arrays)))
    if kind == "drop_array":
        del arrays[key]
    elif kind == "replace_array":
        arrays[key] = draw(st.sampled_from(_ARRAY_VALUES))
    elif kind == "retype_array":
        dtype = draw(st.sampled_from(["float16", "float64", "int8", "uint8", "U3", "bool", "complex64"]))
        arrays[key] = arrays[key].astype(dtype)
    elif kind == "non_finite":
        value = np.array(arrays[key], dtype=np.float64)
        value.flat[draw(st.integers(0, max(0, value.size - 1)))] = draw(st.sampled_from([np.nan, np.inf, -np.inf]))
        arrays[key] = value
    else:
        out = io.BytesIO()
        np.save(out, arrays[key])
        return f"{kind}:{key}", out.getvalue()
    out = io.BytesIO()
    np.savez(out, **arrays)  # pyright: ignore[reportArgumentType]  (numpy's stub types **kwds as one array-like)
    return f"{kind}:{key}", out.getvalue()


_MODES = ("L", "LA", "RGBA", "P", "1", "I", "I;16", "F", "CMYK")
_FORMATS = ("PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF")


def mutate_image(draw: Any, name: str, data: bytes) -> tuple[str, bytes]:
    """An image with its bytes broken, re-encoded in another mode or file format (which readers must take), or a
    PNG whose header claims another size (huge, zero) with a valid checksum."""
    from PIL import Image

    kind = draw(st.sampled_from(["bytes", "mode", "format", "header_size"]))
    if kind == "bytes":
        return _bytes_mutation(draw, data)
    with Image.open(io.BytesIO(data)) as image:
        image.load()
        original = image.copy()
    if kind == "header_size":
        size = draw(st.sampled_from([(0, 10), (10, 0), (30_000, 30_000), (2**31 - 1, 1), (1, 1), (5000, 4000)]))
        return f"{kind}:{size[0]}x{size[1]}", _png_claiming(original, size)
    mode = draw(st.sampled_from(_MODES)) if kind == "mode" else "RGB"
    target = draw(st.sampled_from(_FORMATS)) if kind == "format" else ("JPEG" if name.endswith(".jpg") else "PNG")
    converted = original.convert(mode)
    out = io.BytesIO()
    try:
        converted.save(out, format=target)
    except (OSError, ValueError, KeyError):  # this format cannot hold this mode: keep the file as it was
        return f"{kind}:unchanged", data
    return f"{kind}:{mode}/{target}", out.getvalue()


def _png_claiming(image: Any, size: tuple[int, int]) -> bytes:
    """The image as PNG with its IHDR chunk's width and height replaced (and the chunk's CRC recomputed)."""
    out = io.BytesIO()
    image.convert("RGB").save(out, format="PNG")
    data = bytearray(out.getvalue())
    start = 8 + 8  # signature, then the IHDR chunk's length and type
    data[start : start + 8] = struct.pack(">II", *size)
    crc = zlib.crc32(bytes(data[start - 4 : start + 13]))
    data[start + 13 : start + 17] = struct.pack(">I", crc)
    return bytes(data)

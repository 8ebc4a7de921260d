"""xFlickr&CO- and WIT-layout files written by the tests, with generated images: each caption names its image's
colour with a word of its language, so a working image-text model must read the image to rank it."""

from __future__ import annotations

import json
import random
from pathlib import Path

from tests.builders import LANGUAGE_WORDS
from tests.vision_builders import write_image

# Six colours, far apart; caption word k of a language names colour k.
PALETTE = ((220, 30, 30), (30, 200, 30), (30, 30, 220), (230, 220, 30), (220, 30, 220), (30, 210, 210))


def _caption(rng: random.Random, language: str, colour: int) -> str:
    words = LANGUAGE_WORDS[language]
    return f"{words[colour]} {rng.choice(words[len(PALETTE) :])}"


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")


def write_xflickrco(root: Path, languages: list[str], n_train: int, n_dev: int, seed: int = 0) -> Path:
    """Flickr30K-layout train_ann.jsonl / valid_ann.jsonl (English, two captions per image) and IGLUE's
    annotations/LANG/test.jsonl (one caption per image, one image per colour), images/<img_path>."""
    rng = random.Random(seed)
    splits = (("train", n_train, 2, 0), ("valid", n_dev, 2, 1000), ("test", len(PALETTE), 1, 2000))
    for split, n, captions, offset in splits:
        rows: dict[str, list[dict]] = {language: [] for language in (["en"] if split != "test" else languages)}
        for i in range(n):
            colour, image = i % len(PALETTE), f"{split}{i}.jpg"
            write_image(root / "images" / image, PALETTE[colour], seed=offset + i)
            for language, lines in rows.items():
                sentences = [_caption(rng, language, colour) for _ in range(captions)]
                lines.append({"sentences": sentences, "id": f"{split}{i}", "img_path": image})
        for language, lines in rows.items():
            _write(root / (f"annotations/{language}/test.jsonl" if split == "test" else f"{split}_ann.jsonl"), lines)
    return root

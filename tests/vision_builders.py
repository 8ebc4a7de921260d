"""Images and IGLUE-layout annotation files written by the tests: the label is carried by the image's colour, so a
working early-fusion model must read the image (the hypotheses are random words), and it transfers to any language.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import numpy as np

from tests.builders import LANGUAGE_WORDS

# The label each image colour stands for (VOLTA's label names).
COLOURS = {"contradiction": (220, 30, 30), "neutral": (30, 200, 30), "entailment": (30, 30, 220)}


def write_image(path: Path, colour: tuple[int, int, int], size: int = 24, seed: int = 0) -> Path:
    """A square of ``colour`` with a little noise, as PNG (what ``image_file`` finds by id)."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    pixels = np.clip(np.asarray(colour)[None, None, :] + rng.integers(-20, 20, (size, size, 3)), 0, 255)
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


def _row(rng: random.Random, language: str, image: str, label: str, k: int) -> dict[str, str]:
    words = LANGUAGE_WORDS[language]
    return {
        "gold_label": label,
        "sentence1": " ".join(rng.choices(words, k=4)),
        "sentence2": " ".join(rng.choices(words, k=3)),
        "captionID": f"{image}.jpg#{k % 5}",
        "pairID": f"{image}.jpg#{k}",
        "Flikr30kID": image,
    }


def write_xvnli(root: Path, languages: list[str], n_train: int, n_dev: int, n_test: int, seed: int = 0) -> Path:
    """VOLTA's snli_ve_{train,dev}.jsonl (English), IGLUE's annotations/LANG/test.jsonl, images/<id>.png."""
    rng = random.Random(seed)
    labels = list(COLOURS)
    counts = {"train": n_train, "dev": n_dev, "test": n_test}
    for split, n in counts.items():
        targets = [(f"snli_ve_{split}.jsonl", "en")] if split != "test" else []
        targets += [(f"annotations/{lang}/test.jsonl", lang) for lang in languages] if split == "test" else []
        images = [f"{split}{i}" for i in range(n)]
        image_labels = [labels[i % 3] for i in range(n)]
        for i, image in enumerate(images):
            write_image(root / "images" / f"{image}.png", COLOURS[image_labels[i]], seed=i)
        for name, language in targets:
            path = root / name
            path.parent.mkdir(parents=True, exist_ok=True)
            rows = [_row(rng, language, image, image_labels[i], i) for i, image in enumerate(images)]
            path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return root

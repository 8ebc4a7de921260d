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


def write_marvl(root: Path, languages: list[str], n_train: int, n_dev: int, n_test: int, seed: int = 0) -> Path:
    """NLVR2 (nlvr2/data/{train,dev}.json, images under nlvr2/images/<split>/) and MaRVL's zero-shot files
    (zero_shot/annotations/marvl-LANG.jsonl, images/LANG/<concept>/): the statement is true when the right image
    is red, whatever its words and the left image (so the second piece's image must reach its half of the head)."""
    rng = random.Random(seed)
    colours = list(COLOURS.values())

    def pair(i: int) -> tuple[tuple[int, int, int], tuple[int, int, int], bool]:
        right_red = i % 2 == 0
        return colours[(i // 2) % 3], colours[0] if right_red else colours[1 + (i // 2) % 2], right_red

    for split, n in (("train", n_train), ("dev", n_dev)):
        lines = []
        for i in range(n):
            left, right, same = pair(i)
            write_image(root / "nlvr2" / "images" / split / f"{split}-{i}-0-img0.png", left, seed=i)
            write_image(root / "nlvr2" / "images" / split / f"{split}-{i}-0-img1.png", right, seed=i + 1)
            sentence = " ".join(rng.choices(LANGUAGE_WORDS["en"], k=3))
            lines.append(json.dumps({"identifier": f"{split}-{i}-0-0", "sentence": sentence, "label": str(same)}))
        path = root / "nlvr2" / "data" / f"{split}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    for language in languages:
        rows = []
        for i in range(n_test):
            left, right, same = pair(i)
            concept = f"{i}-thing"
            write_image(root / "images" / language / concept / f"{i}-a.jpg", left, seed=i)
            write_image(root / "images" / language / concept / f"{i}-b.jpg", right, seed=i + 1)
            caption = " ".join(rng.choices(LANGUAGE_WORDS[language], k=3))
            rows.append(
                {
                    "concept": concept,
                    "language": language,
                    "caption": caption,
                    "left_img": f"{i}-a.jpg",
                    "right_img": f"{i}-b.jpg",
                    "chapter": "c",
                    "id": f"{language}-{i}",
                    "label": same,
                }
            )
        path = root / "zero_shot" / "annotations" / f"marvl-{language}.jsonl"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return root

"""The multimodal demo's scene generator: seeded and deterministic, labels that follow from the scene, balanced
labels per statement type, aligned test items in every language, and hand-checked template sentences."""

from __future__ import annotations

import json
import random
from collections import Counter
from pathlib import Path
from typing import TypeVar

import numpy as np

from xstilts.data.examples import ClassificationExample, Example, VisionLanguageExample
from xstilts.data.scenes import (
    SCENE_LANGUAGES,
    SCENE_SIZES,
    Statement,
    premise,
    render,
    sample_item,
    write_scene_suite,
)
from xstilts.data.sources import SCENES, DataSource
from xstilts.tasks.registry import get_task

SIZES = {"train": 12, "dev": 6, "test": 9}


def test_the_suite_is_the_same_for_the_same_seed_and_rewritten_for_another(tmp_path: Path) -> None:
    a = write_scene_suite(tmp_path / "a", SIZES, seed=3)
    b = write_scene_suite(tmp_path / "b", SIZES, seed=3)
    files = sorted(p.relative_to(a) for p in a.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(b) for p in b.rglob("*") if p.is_file())
    assert all((a / f).read_bytes() == (b / f).read_bytes() for f in files)
    before = (a / "snli_ve_train.jsonl").read_text()
    write_scene_suite(a, SIZES, seed=4)
    assert (a / "snli_ve_train.jsonl").read_text() != before
    assert len(list((a / "images").glob("*.png"))) == sum(SIZES.values())


def test_labels_follow_from_the_scene_and_are_balanced_per_statement_type() -> None:
    rng = random.Random(0)
    counts: Counter[tuple[str, bool]] = Counter()
    for _ in range(3000):
        cells, statement, truth = sample_item(rng)
        assert statement.holds(cells) == truth
        counts[statement.type, truth] += 1
    for kind in ("exists", "not_exists", "all"):
        share = counts[kind, True] / (counts[kind, True] + counts[kind, False])
        assert 0.45 < share < 0.55, (kind, share)


def test_statements_mean_what_they_say() -> None:
    cells = (("red", "circle"), None, ("blue", "square"), ("red", "triangle"))
    assert Statement("exists", "red", "circle").holds(cells)
    assert not Statement("exists", "blue", "circle").holds(cells)
    assert Statement("not_exists", "blue", "circle").holds(cells)
    assert not Statement("all", "red", None).holds(cells)
    assert Statement("all", "red", None).holds((("red", "circle"), None, None, ("red", "square")))


def test_images_draw_each_cell_in_its_colour() -> None:
    image = render((("red", "circle"), None, None, ("blue", "square")), 32)
    assert image.shape == (32, 32, 3) and image.dtype == np.uint8
    assert tuple(image[8, 8]) == (220, 40, 40) and tuple(image[24, 24]) == (40, 80, 220)
    assert tuple(image[8, 24]) == (245, 245, 245) and tuple(image[24, 8]) == (245, 245, 245)


def test_hand_checked_sentences() -> None:
    cells = (("red", "circle"), ("green", "square"), None, None)
    expected = {
        "en": ("The picture shows a red circle and a green square.", "There is no red circle.", "All shapes are red."),
        "de": (
            "Das Bild zeigt einen roten Kreis und ein grünes Quadrat.",
            "Es gibt keinen roten Kreis.",
            "Alle Formen sind rot.",
        ),
        "fr": (
            "L'image montre un cercle rouge et un carré vert.",
            "Il n'y a pas de cercle rouge.",
            "Toutes les formes sont rouges.",
        ),
        "es": (
            "La imagen muestra un círculo rojo y un cuadrado verde.",
            "No hay ningún círculo rojo.",
            "Todas las formas son rojas.",
        ),
        "id": (
            "Gambar ini menunjukkan lingkaran merah dan persegi hijau.",
            "Tidak ada lingkaran merah.",
            "Semua bentuk berwarna merah.",
        ),
        "tr": ("Resimde kırmızı bir daire ve yeşil bir kare var.", "Kırmızı daire yok.", "Bütün şekiller kırmızı."),
        "zh": ("图中有一个红色的圆形和一个绿色的正方形。", "没有红色的圆形。", "所有图形都是红色的。"),
    }
    assert set(expected) == set(SCENE_LANGUAGES)
    for language, (text, negated, universal) in expected.items():
        assert premise(cells, language) == text
        assert Statement("not_exists", "red", "circle").text(language) == negated
        assert Statement("all", "red", None).text(language) == universal
    assert Statement("exists", "green", "triangle").text("de") == "Es gibt ein grünes Dreieck."
    assert Statement("exists", "yellow", "circle").text("tr") == "Sarı bir daire var."


T = TypeVar("T")


def _typed(rows: list[Example], kind: type[T]) -> list[T]:
    assert all(isinstance(row, kind) for row in rows)
    return [row for row in rows if isinstance(row, kind)]


def test_the_tasks_read_aligned_items_in_every_language(tmp_path: Path) -> None:
    root = write_scene_suite(tmp_path / "suite", SIZES)
    source = DataSource(source="local", path=str(root))
    image, text = get_task("demo_scene"), get_task("demo_scene_text")
    english = _typed(image.read("test", "en", source), VisionLanguageExample)
    assert len(image.read("train", "en", source)) == 12 and len(text.read("dev", "en", source)) == 6
    for language in SCENE_LANGUAGES:
        rows = _typed(image.read("test", language, source), VisionLanguageExample)
        assert [(r.images, r.label) for r in rows] == [(e.images, e.label) for e in english]
        premised = _typed(text.read("test", language, source), ClassificationExample)
        assert [r.text_b for r in premised] == [r.text for r in rows]
    line = json.loads((root / "annotations" / "zh" / "test.jsonl").read_text(encoding="utf-8").splitlines()[0])
    assert line["gold_label"] in {"entailment", "contradiction"}


def test_the_default_source_is_the_cached_suite_on_any_machine(tmp_path: Path, monkeypatch) -> None:
    # The default source names no path of this machine (phase ids stay the same everywhere), and the suite is
    # written under the cache that is current when a task reads, not the one seen when xstilts was imported.
    task = get_task("demo_scene")
    assert task.default_source == DataSource(source="local", path=SCENES)
    monkeypatch.setenv("XSTILTS_CACHE", str(tmp_path / "cache"))
    rows = task.read("dev", "en", task.default_source)
    assert len(rows) == SCENE_SIZES["dev"]
    assert (tmp_path / "cache" / "demo-scenes" / "snli_ve_dev.jsonl").is_file()

"""Synthetic scenes for an offline multimodal demo: coloured shapes on a 2x2 grid, with statements about them.

No package ships pretrained vision weights, so an offline vision-language run must train its vision stem from
scratch, on images this module draws (the ``demo_scene`` tasks). One seeded generator writes an XVNLI-shaped
suite (``write_scene_suite``): ``images/<id>.png``, English ``snli_ve_{train,dev}.jsonl`` and
``annotations/LANG/test.jsonl`` in every language, each row with the image id, a text premise (the scene described
in words, for the text-only twin) and a hypothesis (``gold_label`` entailment or contradiction: a scene is a closed
world, so nothing is neutral).

Hypotheses test existence, negation and a universal quantifier ("There is a red circle." / "There is no red
circle." / "All shapes are red."), each true for half the items of its type, with near misses for the false
ones (the colour or the shape present, not both; a mixed scene holding the colour), so that neither the
hypothesis alone nor one word of it decides the label. The test items are the same scenes and statements in
every language (aligned, as XVNLI's are), from hand-written templates: noun phrases are written out per
(colour, shape) so that gender, case and agreement are right rather than assembled.
"""

from __future__ import annotations

import json
import random
import shutil
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from xstilts.artefacts import atomic_write_json, xstilts_home

GENERATOR_VERSION = 1
# Items per split of the default suite: 240 test items per language give a 95% interval of about +-6 accuracy
# points.
SCENE_SIZES = {"train": 1500, "dev": 150, "test": 240}
COLOURS = {"red": (220, 40, 40), "green": (40, 170, 60), "blue": (40, 80, 220), "yellow": (230, 200, 30)}
SHAPES = ("circle", "square", "triangle")
CELLS = 4  # 2 x 2
DONE = "DONE.json"

Cell = tuple[str, str] | None  # (colour, shape) or empty

# The languages' words; noun_phrase and the frames below put them together (the existence and negated-existence
# noun phrases in the case their frame takes; the universal's colour word with plural agreement where needed).
_COLOUR_WORDS = {
    "en": {"red": "red", "green": "green", "blue": "blue", "yellow": "yellow"},
    "de": {"red": "rot", "green": "grün", "blue": "blau", "yellow": "gelb"},
    "fr": {"red": "rouge", "green": "vert", "blue": "bleu", "yellow": "jaune"},
    "es": {"red": "rojo", "green": "verde", "blue": "azul", "yellow": "amarillo"},
    "id": {"red": "merah", "green": "hijau", "blue": "biru", "yellow": "kuning"},
    "tr": {"red": "kırmızı", "green": "yeşil", "blue": "mavi", "yellow": "sarı"},
    "zh": {"red": "红色", "green": "绿色", "blue": "蓝色", "yellow": "黄色"},
}
_SHAPE_WORDS = {
    "en": {"circle": "circle", "square": "square", "triangle": "triangle"},
    "de": {"circle": "Kreis", "square": "Quadrat", "triangle": "Dreieck"},
    "fr": {"circle": "cercle", "square": "carré", "triangle": "triangle"},
    "es": {"circle": "círculo", "square": "cuadrado", "triangle": "triángulo"},
    "id": {"circle": "lingkaran", "square": "persegi", "triangle": "segitiga"},
    "tr": {"circle": "daire", "square": "kare", "triangle": "üçgen"},
    "zh": {"circle": "圆形", "square": "正方形", "triangle": "三角形"},
}
# French and Spanish universals agree with the feminine plural "formes" / "formas".
_PLURAL_FEMININE = {
    "fr": {"red": "rouges", "green": "vertes", "blue": "bleues", "yellow": "jaunes"},
    "es": {"red": "rojas", "green": "verdes", "blue": "azules", "yellow": "amarillas"},
}
# German adjective endings: the masculine Kreis and the neuter Quadrat and Dreieck, by case and article.
_GERMAN_STEM = {"red": "rot", "green": "grün", "blue": "blau", "yellow": "gelb"}


def _german(colour: str, shape: str, form: str) -> str:
    adjective, noun = _GERMAN_STEM[colour], _SHAPE_WORDS["de"][shape]
    masculine = shape == "circle"
    if form == "a":  # accusative, after "Es gibt" and "Das Bild zeigt"
        return f"einen {adjective}en {noun}" if masculine else f"ein {adjective}es {noun}"
    return f"keinen {adjective}en {noun}" if masculine else f"kein {adjective}es {noun}"


def noun_phrase(language: str, colour: str, shape: str, form: str) -> str:
    """A (colour, shape) noun phrase in ``language``: ``form`` "a" (existence, and a premise's list) or "no"."""
    if language == "de":
        return _german(colour, shape, form)
    c, s = _COLOUR_WORDS[language][colour], _SHAPE_WORDS[language][shape]
    if language == "en":
        return f"a {c} {s}" if form == "a" else f"{c} {s}"
    if language in ("fr", "es"):
        article = "un" if form == "a" else ""
        return f"{article} {s} {c}".strip()
    if language == "id":
        return f"{s} {c}"
    if language == "tr":
        return f"{c} bir {s}" if form == "a" else f"{c} {s}"
    return f"一个{c}的{s}" if form == "a" else f"{c}的{s}"  # zh


_FRAMES = {
    "en": {"exists": "There is {np}.", "not_exists": "There is no {np}.", "all": "All shapes are {c}."},
    "de": {"exists": "Es gibt {np}.", "not_exists": "Es gibt {np}.", "all": "Alle Formen sind {c}."},
    "fr": {"exists": "Il y a {np}.", "not_exists": "Il n'y a pas de {np}.", "all": "Toutes les formes sont {c}."},
    "es": {"exists": "Hay {np}.", "not_exists": "No hay ningún {np}.", "all": "Todas las formas son {c}."},
    "id": {"exists": "Ada {np}.", "not_exists": "Tidak ada {np}.", "all": "Semua bentuk berwarna {c}."},
    "tr": {"exists": "{np} var.", "not_exists": "{np} yok.", "all": "Bütün şekiller {c}."},
    "zh": {"exists": "有{np}。", "not_exists": "没有{np}。", "all": "所有图形都是{c}的。"},
}
_PREMISE = {
    "en": "The picture shows {items}.",
    "de": "Das Bild zeigt {items}.",
    "fr": "L'image montre {items}.",
    "es": "La imagen muestra {items}.",
    "id": "Gambar ini menunjukkan {items}.",
    "tr": "Resimde {items} var.",
    "zh": "图中有{items}。",
}
_AND = {"en": " and ", "de": " und ", "fr": " et ", "es": " y ", "id": " dan ", "tr": " ve ", "zh": "和"}
_COMMA = {"zh": "、"}
SCENE_LANGUAGES = tuple(_FRAMES)


@dataclass(frozen=True)
class Statement:
    """A hypothesis about a scene, language-free: its type, colour and (for existence and negation) shape."""

    type: str  # "exists" | "not_exists" | "all"
    colour: str
    shape: str | None

    def holds(self, cells: tuple[Cell, ...]) -> bool:
        objects = [cell for cell in cells if cell is not None]
        if self.type == "all":
            return all(colour == self.colour for colour, _ in objects)
        present = (self.colour, self.shape) in objects
        return present if self.type == "exists" else not present

    def text(self, language: str) -> str:
        frame = _FRAMES[language][self.type]
        if self.type == "all":
            colour = _PLURAL_FEMININE.get(language, _COLOUR_WORDS[language])[self.colour]
            return frame.format(c=colour if language != "de" else _GERMAN_STEM[self.colour])
        assert self.shape is not None
        form = "no" if self.type == "not_exists" else "a"
        phrase = noun_phrase(language, self.colour, self.shape, form)
        text = frame.format(np=phrase)
        return text[0].upper() + text[1:]


def premise(cells: tuple[Cell, ...], language: str) -> str:
    """The scene in words: its objects in reading order (top left to bottom right)."""
    phrases = [noun_phrase(language, c, s, "a") for c, s in (cell for cell in cells if cell is not None)]
    comma = _COMMA.get(language, ", ")
    items = phrases[0] if len(phrases) == 1 else comma.join(phrases[:-1]) + _AND[language] + phrases[-1]
    text = _PREMISE[language].format(items=items)
    return text[0].upper() + text[1:]


def render(cells: tuple[Cell, ...], size: int) -> np.ndarray:
    """(size, size, 3) uint8 pixels: a light background, each occupied cell's shape drawn in its colour."""
    image = np.full((size, size, 3), 245, np.uint8)
    half = size // 2
    yy, xx = np.mgrid[0:half, 0:half]
    centre, radius = (half - 1) / 2, half * 0.38
    masks = {
        "circle": (yy - centre) ** 2 + (xx - centre) ** 2 <= radius**2,
        "square": (abs(yy - centre) <= radius * 0.85) & (abs(xx - centre) <= radius * 0.85),
        "triangle": (yy >= centre - radius)
        & (yy <= centre + radius)
        & (abs(xx - centre) <= (yy - centre + radius) / 2 + 0.5),
    }
    for index, cell in enumerate(cells):
        if cell is not None:
            row, column = divmod(index, 2)
            block = image[row * half : (row + 1) * half, column * half : (column + 1) * half]
            block[masks[cell[1]]] = COLOURS[cell[0]]
    return image


def _random_cells(rng: random.Random, colours: list[str]) -> tuple[Cell, ...]:
    while True:
        cells = tuple(None if rng.random() < 0.3 else (rng.choice(colours), rng.choice(SHAPES)) for _ in range(CELLS))
        if any(cells):
            return cells


def sample_item(rng: random.Random) -> tuple[tuple[Cell, ...], Statement, bool]:
    """A scene, a statement and its truth: type uniform, truth 50/50, false ones near misses."""
    kind, truth = rng.choice(("exists", "not_exists", "all")), rng.random() < 0.5
    colours = list(COLOURS)
    while True:
        if kind == "all":
            colour = rng.choice(colours)
            # True: every object has the colour. False: a mixed scene that holds it (a near miss).
            cells = _random_cells(rng, [colour] if truth else colours)
            statement = Statement("all", colour, None)
        else:
            cells = _random_cells(rng, colours)
            objects = [cell for cell in cells if cell is not None]
            # Half the time the named object is one of the scene's, else a near miss: one word matches, one not.
            if rng.random() < 0.5:
                colour, shape = rng.choice(objects)
            else:
                colour, shape = rng.choice(objects)
                if rng.random() < 0.5:
                    colour = rng.choice([c for c in colours if c != colour])
                else:
                    shape = rng.choice([s for s in SHAPES if s != shape])
            statement = Statement(kind, colour, shape)
        if statement.holds(cells) == truth:
            return cells, statement, truth


def write_scene_suite(root: Path, sizes: dict[str, int], image_size: int = 32, seed: int = 0) -> Path:
    """The XVNLI-shaped suite under ``root`` (written once: a complete suite, marked by DONE.json, is reused).

    ``sizes``: items per split ("train", "dev", "test"); train and dev are English, test is every language of
    :data:`SCENE_LANGUAGES` on the same items."""
    record = {"version": GENERATOR_VERSION, "sizes": sizes, "image_size": image_size, "seed": seed}
    done = root / DONE
    if done.exists() and json.loads(done.read_text(encoding="utf-8")) == record:
        return root
    from PIL import Image

    if root.exists():
        shutil.rmtree(root)
    rng = random.Random(seed)
    for split in ("train", "dev", "test"):
        languages = SCENE_LANGUAGES if split == "test" else ("en",)
        rows: dict[str, list[str]] = {language: [] for language in languages}
        for i in range(sizes[split]):
            cells, statement, truth = sample_item(rng)
            image = f"{split}-{i}"
            path = root / "images" / f"{image}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(render(cells, image_size)).save(path)
            for language in languages:
                row = {
                    "pairID": f"{image}#{statement.type}",
                    "Flikr30kID": image,
                    "sentence1": premise(cells, language),
                    "sentence2": statement.text(language),
                    "gold_label": "entailment" if truth else "contradiction",
                }
                rows[language].append(json.dumps(row, ensure_ascii=False))
        for language, lines in rows.items():
            name = f"annotations/{language}/test.jsonl" if split == "test" else f"snli_ve_{split}.jsonl"
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    atomic_write_json(done, record)
    return root


def default_scene_suite() -> Path:
    """The suite a ``scenes:`` data path names: ``$XSTILTS_CACHE/demo-scenes``, written on first use."""
    return write_scene_suite(xstilts_home() / "demo-scenes", SCENE_SIZES)

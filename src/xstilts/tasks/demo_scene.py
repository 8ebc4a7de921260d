"""The offline multimodal demo's targets: visual entailment over generated scenes, with an image or a text premise.

``demo_scene`` is XVNLI-shaped (vision-language kind: the scene's image is the premise); ``demo_scene_text`` is its
text-only twin over the same items (the scene described in words is the premise), so the analysis's multimodal
degradation compares an intermediate's gain on the two. Both read the suite ``data.scenes.write_scene_suite``
writes (XVNLI's local layout); the default source, ``scenes:``, is that suite in the xstilts cache, written on
first read. English training and dev; the test items are aligned across seven languages.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example
from xstilts.data.iglue import EntailmentRow, image_premise_examples, read_xvnli_folder, text_premise_examples
from xstilts.data.scenes import SCENE_LANGUAGES
from xstilts.data.sources import SCENES, DataSource, Split
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.kinds.vision_language import VISION_LANGUAGE
from xstilts.tasks.base import SplitRef
from xstilts.tasks.iglue import IGLUETask
from xstilts.tasks.registry import register

SCENE_LABELS = ("contradiction", "entailment")
SCENE_LAYOUT = (
    "XVNLI's layout, as data.scenes.write_scene_suite writes it: snli_ve_{train,dev}.jsonl, "
    "annotations/LANG/test.jsonl, images/<id>.png"
)


def _rows(root: Path, split: Split, language: str) -> list[EntailmentRow]:
    return read_xvnli_folder(root, split, language, SCENE_LAYOUT)


class _SceneTask(IGLUETask):
    hub_dataset = ""
    languages = SCENE_LANGUAGES
    splits = {"train": ("en",), "dev": ("en",), "test": SCENE_LANGUAGES}
    labels = SCENE_LABELS
    local_layout = SCENE_LAYOUT
    default_source = DataSource(source="local", path=SCENES)


@register
class DemoScene(_SceneTask):
    name = "demo_scene"
    kind = VISION_LANGUAGE
    train_from = SplitRef("demo_scene", "train")
    select_on = SplitRef("demo_scene", "dev")
    description = "Demonstration visual entailment over generated scenes (image premise; 7 languages)"

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return image_premise_examples(f"scene-{split}-{language}", _rows(root, split, language), str(root / "images"))


@register
class DemoSceneText(_SceneTask):
    name = "demo_scene_text"
    kind = CLASSIFICATION
    train_from = SplitRef("demo_scene_text", "train")
    select_on = SplitRef("demo_scene_text", "dev")
    description = "Demonstration scene entailment with the scene described in words (text-only twin)"

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return text_premise_examples(f"scene-{split}-{language}", _rows(root, split, language))

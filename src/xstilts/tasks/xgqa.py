"""xGQA (IGLUE): visual question answering in bn de id ko pt ru zh (+ en), trained on English GQA (balanced).

Classification over GQA's 1,842 English answers (``gqa/annotations/trainval_label2ans.json``, read from the data,
so the label set is recorded in the phase ids); a gold answer outside the vocabulary is kept and counts as wrong.
The zero-shot test set is ``xGQA/annotations/few_shot/<lang>/test.json``. Facts and sources in ``data/iglue.py``; the
hub copy floschne/xgqa serves the test sets (``data/iglue_hub.py``); the answer vocabulary and English GQA come from
the local folder a hub source names (no hub copy holds them).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example, VisionLanguageExample
from xstilts.data.files import require_file
from xstilts.data.iglue import read_gqa_answers, read_gqa_questions
from xstilts.data.iglue_hub import read_hub_questions
from xstilts.data.sources import DataSource, Split, resolve_local
from xstilts.errors import XstiltsError
from xstilts.kinds.vision_language import VISION_LANGUAGE
from xstilts.tasks.base import SplitRef
from xstilts.tasks.iglue import IGLUETask
from xstilts.tasks.registry import register

XGQA_LANGUAGES = ("bn", "de", "en", "id", "ko", "pt", "ru", "zh")
ANSWERS = Path("gqa") / "annotations" / "trainval_label2ans.json"
XGQA_LAYOUT = (
    "IGLUE's datasets folder: xGQA/annotations/few_shot/LANG/test.json, gqa/annotations/trainval_label2ans.json,"
    " GQA's balanced questions gqa/questions/{train,val}_balanced_questions.json and gqa/images/<imageId>.jpg"
)
_ENGLISH_FILES = {"train": "train_balanced_questions.json", "dev": "val_balanced_questions.json"}


@register
class XGQA(IGLUETask):
    name = "xgqa"
    kind = VISION_LANGUAGE
    languages = XGQA_LANGUAGES
    splits = {"train": ("en",), "dev": ("en",), "test": XGQA_LANGUAGES}
    hub_dataset = "floschne/xgqa"
    local_layout = XGQA_LAYOUT
    train_from = SplitRef("xgqa", "train")
    select_on = SplitRef("xgqa", "dev")
    description = "Cross-lingual GQA (answers in English)"

    def label_set(self, source: DataSource) -> tuple[str, ...]:
        if not source.path:  # a hub source names the local folder with it: {source: hub, path: DIR}
            raise XstiltsError(
                f"task 'xgqa' reads its answer vocabulary from a local folder (data: {{source: local, path: DIR}}, or"
                f" {{source: hub, path: DIR}} with the test sets from the hub): {XGQA_LAYOUT}"
            )
        return read_gqa_answers(require_file(resolve_local(source.path) / ANSWERS, XGQA_LAYOUT))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        if split == "test":
            path = root / "xGQA" / "annotations" / "few_shot" / language / "test.json"
        else:
            path = root / "gqa" / "questions" / _ENGLISH_FILES[split]
        images = str(root / "gqa" / "images")
        return [
            VisionLanguageExample(f"xgqa-{split}-{language}-{row.id}", row.question, (row.image,), images, row.answer)
            for row in read_gqa_questions(require_file(path, XGQA_LAYOUT))
        ]

    def read_hub_test(self, dataset: str, revision: str | None, language: str) -> list[Example]:
        images, rows = read_hub_questions(dataset, revision, language)
        return [
            VisionLanguageExample(f"xgqa-test-{language}-{row.id}", row.question, (row.image,), str(images), row.answer)
            for row in rows
        ]

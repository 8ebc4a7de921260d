"""MLQA: extractive QA in 7 languages, context and question in the same language (XTREME's setting).

English training data is SQuAD v1.1 and model selection is on SQuAD v1.1 dev, as XTREME; scored with MLQA's
official evaluation, whose answer normalisation depends on the language.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example
from xstilts.data.files import first_existing
from xstilts.data.sources import Split
from xstilts.data.squad_json import read_squad_json, span_examples_from_hub
from xstilts.hub import load_hub_split, load_override_split
from xstilts.kinds.span_extraction import SPAN_EXTRACTION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

MLQA_LANGUAGES = ("ar", "de", "en", "es", "hi", "vi", "zh")
_HUB_SPLITS = {"dev": "validation", "test": "test"}
# facebook/mlqa still holds its loading script mlqa.py on main, which datasets 4.x refuses; google/xtreme has the
# same data as script-free parquet configs ``MLQA.<context>.<question>`` (upper case; its tree lists MLQA.ar.ar ...
# MLQA.zh.zh, "Convert dataset to Parquet", splits validation and test), so that is the default.
MLQA_SCRIPT_HUB = "facebook/mlqa"  # configs mlqa.<c>.<q>, read from its parquet export (xstilts.hub)


@register
class MLQA(Task):
    name = "mlqa"
    kind = SPAN_EXTRACTION
    roles = (Role.TARGET,)
    languages = MLQA_LANGUAGES
    splits = {"dev": MLQA_LANGUAGES, "test": MLQA_LANGUAGES}
    metric = "mlqa"
    selection_metric = "f1"
    hub_dataset = "google/xtreme"
    local_layout = (
        "the MLQA_V1 directory: {dev,test}/{dev,test}-context-LANG-question-LANG.json (SQuAD JSON); the files may"
        " also lie in the directory itself"
    )
    train_from = SplitRef("squad_v1", "train")
    select_on = SplitRef("squad_v1", "dev")
    description = "Multilingual QA (MLQA), same-language context and question"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        if dataset == MLQA_SCRIPT_HUB:
            config = f"mlqa.{language}.{language}"
            rows = load_hub_split(dataset, config, _HUB_SPLITS[split], revision)
        else:
            config = f"MLQA.{language}.{language}"
            layout = f"google/xtreme's: configs MLQA.<context>.<question> (here {config}), splits validation and test"
            rows = load_override_split(dataset, config, _HUB_SPLITS[split], revision, layout)
        return list(span_examples_from_hub(rows, f"{dataset} {config}"))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        name = f"{split}-context-{language}-question-{language}.json"
        return list(read_squad_json(first_existing([root / split / name, root / name])))

"""XCOPA: COPA's dev and test sets translated into 11 languages (XTREME-R).

XTREME-R's baseline (``scripts/train_xcopa.sh``) trains on English Social IQa, then continues on English COPA
and selects on the English COPA validation set; here that is ``earlier_stages = ("siqa",)`` followed by this
task's own training on COPA train, selected on COPA dev. Test is the evaluation split, as in XTREME-R.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example
from xstilts.data.files import first_existing
from xstilts.data.sources import Split
from xstilts.hub import load_hub_split
from xstilts.kinds.multiple_choice import MULTIPLE_CHOICE
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.copa import COPA_LABELS, copa_examples_from_hub, copa_files, read_copa_jsonl
from xstilts.tasks.registry import register

XCOPA_LANGUAGES = ("et", "ht", "id", "it", "qu", "sw", "ta", "th", "tr", "vi", "zh")
_HUB_SPLITS = {"dev": "validation", "test": "test"}


@register
class XCOPA(Task):
    name = "xcopa"
    kind = MULTIPLE_CHOICE
    roles = (Role.TARGET,)
    languages = XCOPA_LANGUAGES
    splits = {"dev": XCOPA_LANGUAGES, "test": XCOPA_LANGUAGES}
    labels = COPA_LABELS
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "cambridgeltl/xcopa"
    local_layout = (
        "the official XCOPA repository (data/LANG/{val,test}.LANG.jsonl, or its data/ folder) or XTREME's download"
        " ({val,test}-LANG.jsonl or {val,test}.LANG.jsonl): premise, choice1, choice2, question, label"
    )
    earlier_stages = ("siqa",)
    train_from = SplitRef("copa", "train")
    select_on = SplitRef("copa", "dev")
    description = "Cross-lingual causal commonsense reasoning (XCOPA)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, language, _HUB_SPLITS[split], revision)
        return list(copa_examples_from_hub(rows, f"xcopa-{split}-{language}"))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        path = first_existing(copa_files(root, split, language))
        return list(read_copa_jsonl(path, f"xcopa-{split}-{language}"))

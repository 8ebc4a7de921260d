"""CoSQA: 20,604 human-labelled (web query, Python function) pairs, 20,000 train and 604 dev, as binary pair
classification: does the function answer the query? (Huang et al., ACL 2021.)

Local files: the official JSON (``data.cosqa``), ``cosqa-train.json`` and ``cosqa-dev.json`` (CodeXGLUE's
``Text-Code/NL-code-search-WebQuery/CoSQA``, or CoCLR's ``data/qa``). On the hub the two files are mirrored as JSON
by ``gonglinyuan/CoSQA`` (https://huggingface.co/datasets/gonglinyuan/CoSQA/tree/a5772f61e33ef938bcd28df338f2258558d53f22,
files ``cosqa-train.json`` and ``cosqa-dev.json``, MIT; not the authors' own upload): the ``json`` builder makes
them splits ``train`` and ``validation`` with the same fields.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.cosqa import COSQA_LABELS, CosqaPair, cosqa_pair_examples, read_cosqa_json
from xstilts.data.examples import Example
from xstilts.data.sources import Split
from xstilts.hub import load_hub_split
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

COSQA_FILES = {"train": "cosqa-train.json", "dev": "cosqa-dev.json"}
COSQA_HUB = "gonglinyuan/CoSQA"
_HUB_SPLITS = {"train": "train", "dev": "validation"}


def hub_pairs(dataset: str, revision: str | None, split: Split) -> list[CosqaPair]:
    rows = load_hub_split(dataset, None, _HUB_SPLITS[split], revision)
    return [CosqaPair(r["idx"], r["doc"], r["code"], COSQA_LABELS[int(r["label"])], None) for r in rows]


@register
class CoSQA(Task):
    name = "cosqa"
    kind = CLASSIFICATION
    domain = "code"
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    labels = tuple(COSQA_LABELS.values())
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = COSQA_HUB
    local_layout = "CoSQA's JSON: cosqa-train.json, cosqa-dev.json (idx, doc, code, label)"
    train_from = SplitRef("cosqa", "train")
    select_on = SplitRef("cosqa", "dev")
    description = "CoSQA web query - Python function matching (pair classification)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        return list(cosqa_pair_examples(hub_pairs(dataset, revision, split)))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return list(cosqa_pair_examples(read_cosqa_json(root / COSQA_FILES[split])))

"""cosqa_search: CoSQA's code search, as CoCLR defines it: each query of ``cosqa-retrieval-{dev,test}-500.json``
retrieves its function (``retrieval_idx``) from the 6,267-function pool of ``code_idx_map.txt``; score: MRR over
the whole pool (``metrics.ranking``, CoCLR's ``code_search/run_siamese_test.py``). Trained as a dual encoder on the
matching pairs (label 1) of ``cosqa-train.json``; selected on the dev queries.

The retrieval files are only in CoCLR's repository (``data/search``), not on the hub: dev and test read local files.
The training pairs come from the local ``cosqa-train.json`` or the hub mirror of ``cosqa`` (``tasks.cosqa``).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.cosqa import CosqaPair, cosqa_search_set, read_cosqa_json
from xstilts.data.examples import ContrastivePair, Example, RetrievalItem
from xstilts.data.sources import Split
from xstilts.errors import XstiltsError
from xstilts.kinds.dual_encoder import DUAL_ENCODER
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.cosqa import COSQA_FILES, COSQA_HUB, hub_pairs
from xstilts.tasks.registry import register

POOL_FILE = "code_idx_map.txt"
SEARCH_FILES = {"dev": "cosqa-retrieval-dev-500.json", "test": "cosqa-retrieval-test-500.json"}


def matching_pairs(pairs: list[CosqaPair]) -> list[ContrastivePair]:
    """The training pairs that match (label 1), query -> code; the code's text is its identity."""
    return [
        ContrastivePair(f"cosqa_search-{p.idx}", RetrievalItem(p.idx, p.query), RetrievalItem(f"code-{p.idx}", p.code))
        for p in pairs
        if p.label == "1"
    ]


@register
class CoSQASearch(Task):
    name = "cosqa_search"
    kind = DUAL_ENCODER
    domain = "code"
    roles = (Role.INTERMEDIATE, Role.TARGET)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",), "test": ("en",)}
    metric = "code_search_mrr"
    selection_metric = "mrr"
    hub_dataset = COSQA_HUB
    local_layout = (
        "CoSQA/CoCLR files: cosqa-train.json (training pairs), cosqa-retrieval-{dev,test}-500.json and code_idx_map.txt"
    )
    train_from = SplitRef("cosqa_search", "train")
    select_on = SplitRef("cosqa_search", "dev")
    description = "CoSQA code search: 500 queries per split over 6,267 functions (dual encoder, MRR)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        if split != "train":
            raise XstiltsError(
                f"task {self.name!r}: the {split!r} retrieval set is not on the hub (only in CoCLR's data/search);"
                f" use data: {{source: local, path: ...}} ({self.local_layout})"
            )
        return list(matching_pairs(hub_pairs(dataset, revision, split)))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        if split == "train":
            return list(matching_pairs(read_cosqa_json(root / COSQA_FILES["train"])))
        return [cosqa_search_set(root / SEARCH_FILES[split], root / POOL_FILE, f"{self.name}-{split}")]

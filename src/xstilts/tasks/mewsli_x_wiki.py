"""mewsli_x_wiki: XTREME-R's Mewsli-X training recipe, a dual encoder fine-tuned on Mewsli-X's English Wikipedia
mention-entity pairs (``wikipedia_pairs-train.jsonl``, as ``scripts/train_mewslix.sh`` runs
``third_party/run_retrieval_el.py``) and selected on ``wikipedia_pairs-dev.jsonl`` as retrieval: each dev mention
searches the dev pairs' entities (MRR@20, reported as mAP@20 as Mewsli-X's is). A Mewsli-X target trains it first
with ``tasks: {mewsli_x: {retrieval: {after: dual_encoder}}}``; the files are those of Mewsli-X's dataset directory
(``data.mewsli.read_mention_entity_pairs``), not on the hub."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example, RetrievalExample
from xstilts.data.mewsli import read_mention_entity_pairs
from xstilts.data.sources import DataSource, Split
from xstilts.errors import XstiltsError
from xstilts.kinds.dual_encoder import DUAL_ENCODER
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

_FILES = {"train": "wikipedia_pairs-train.jsonl", "dev": "wikipedia_pairs-dev.jsonl"}


@register
class MewsliXWikipedia(Task):
    name = "mewsli_x_wiki"
    kind = DUAL_ENCODER
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    metric = "ranked_mewslix_map20"
    selection_metric = "map@20"
    hub_dataset = ""
    local_layout = "the Mewsli-X dataset directory: wikipedia_pairs-{train,dev}.jsonl (MentionEntityPair lines)"
    train_from = SplitRef("mewsli_x_wiki", "train")
    select_on = SplitRef("mewsli_x_wiki", "dev")
    default_source = DataSource(source="local")
    description = "Mewsli-X English Wikipedia mention-entity pairs (dual encoder; XTREME-R's Mewsli-X training)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        raise XstiltsError(f"task {self.name!r}: Mewsli-X is not on the hub; use data: {{source: local, path: ...}}")

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        pairs = read_mention_entity_pairs(root / _FILES[split])
        if split == "train":
            return list(pairs)
        pool = {pair.positive.id: pair.positive for pair in pairs}
        queries = tuple(pair.query for pair in pairs)
        gold = tuple((pair.query.id, pair.positive.id) for pair in pairs)
        return [RetrievalExample(f"{self.name}-{split}", queries, tuple(pool.values()), gold)]

"""Mewsli-X (XTREME-R): link an entity mention in a WikiNews article to its WikiData entity by retrieving the
entity's description from a candidate set of about a million entities described in 50 languages. Score: MRR@20,
which XTREME-R reports as mAP@20 (each mention has one gold entity, where the two coincide).

Mentions and entities are embedded with pooled hidden states of one layer, texts built as XTREME-R's baseline
builds them. XTREME-R first fine-tunes a dual encoder on English Wikipedia mention-entity pairs; xstilts has no
dual-encoder training, so a Mewsli-X target is evaluated straight after the intermediate phase, or (``retrieval:
{after: squad_v1}``) after SQuAD v1.1 span-extraction fine-tuning, which is not XTREME-R's recipe.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example, RetrievalExample
from xstilts.data.mewsli import read_entities, read_mentions
from xstilts.data.sources import DataSource, Split
from xstilts.errors import XstiltsError
from xstilts.kinds.retrieval import RETRIEVAL
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

MEWSLI_X_LANGUAGES = ("ar", "de", "en", "es", "fa", "ja", "pl", "ro", "ta", "tr", "uk")


@register
class MewsliX(Task):
    name = "mewsli_x"
    kind = RETRIEVAL
    roles = (Role.TARGET,)
    languages = MEWSLI_X_LANGUAGES
    splits = {"dev": MEWSLI_X_LANGUAGES, "test": MEWSLI_X_LANGUAGES}
    metric = "mewslix_map20"
    selection_metric = "map@20"
    hub_dataset = ""  # not on the hub: its WikiNews texts are rebuilt from dumps by get-mewsli-x.sh
    local_layout = (
        "the Mewsli-X dataset directory (as XTREME-R's download script leaves it): candidate_set_entities.jsonl and"
        " wikinews_mentions-{dev,test}.jsonl"
    )
    train_from = SplitRef("squad_v1", "train")  # used only with retrieval.after: squad_v1
    dual_encoder_stage = "mewsli_x_wiki"  # retrieval.after: dual_encoder, XTREME-R's recipe
    select_on = SplitRef("squad_v1", "dev")
    default_source = DataSource(source="local")
    description = "Entity linking by retrieval over a multilingual entity set (Mewsli-X)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        raise XstiltsError(
            f"task {self.name!r}: Mewsli-X has no hub copy (its WikiNews texts are rebuilt from dumps by"
            f" google-research's get-mewsli-x.sh); use data: {{source: local, path: ...}} ({self.local_layout})"
        )

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        mentions = read_mentions(root / f"wikinews_mentions-{split}.jsonl", language)
        entities = read_entities(root / "candidate_set_entities.jsonl")
        gold = tuple((query.id, entity) for query, entity in mentions)
        return [RetrievalExample(f"mewsli_x-{split}-{language}", tuple(q for q, _ in mentions), entities, gold)]

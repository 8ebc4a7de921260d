"""lareqa_squad: XTREME-R's LAReQA training recipe, a dual encoder fine-tuned on SQuAD v1.1 as answer-sentence
retrieval (``data.answer_sentences``), selected on SQuAD v1.1 dev as the same retrieval (mAP@20, which with one
gold sentence per question is MRR@20). A LAReQA target trains it first with ``tasks: {lareqa: {retrieval: {after:
dual_encoder}}}``; the same SQuAD files as ``squad_v1`` (hub ``rajpurkar/squad``, or local SQuAD JSON)."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.answer_sentences import answer_sentence_pairs, answer_sentence_set
from xstilts.data.examples import Example, SpanExample
from xstilts.data.sources import Split
from xstilts.data.squad_json import read_squad_json, span_examples_from_hub
from xstilts.hub import load_hub_split
from xstilts.kinds.dual_encoder import DUAL_ENCODER
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register
from xstilts.tasks.squad_v1 import SQuADv1


@register
class LAReQASquad(Task):
    name = "lareqa_squad"
    kind = DUAL_ENCODER
    roles = (Role.INTERMEDIATE,)
    languages = ("en",)
    splits = {"train": ("en",), "dev": ("en",)}
    metric = "ranked_map@20"
    selection_metric = "map@20"
    hub_dataset = SQuADv1.hub_dataset
    local_layout = SQuADv1.local_layout
    train_from = SplitRef("lareqa_squad", "train")
    select_on = SplitRef("lareqa_squad", "dev")
    description = "SQuAD v1.1 answer-sentence retrieval (dual encoder; XTREME-R's LAReQA training)"

    def _examples(self, questions: list[SpanExample], split: Split) -> list[Example]:
        if split == "train":
            return list(answer_sentence_pairs(questions))
        return [answer_sentence_set(questions, f"{self.name}-{split}")]

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, "plain_text", {"train": "train", "dev": "validation"}[split], revision)
        return self._examples(span_examples_from_hub(rows), split)

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return self._examples(
            read_squad_json(root / {"train": "train-v1.1.json", "dev": "dev-v1.1.json"}[split]), split
        )

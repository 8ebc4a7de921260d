"""LAReQA on XQuAD-R (XTREME-R): language-agnostic answer retrieval from a multilingual pool.

Each question (11 languages) retrieves answer sentences from the pool of every sentence of every XQuAD-R
paragraph in all 11 languages; its 11 gold answers are the parallel sentences holding its answer. Score: mAP@20.
Questions are embedded alone and candidates as the pair (sentence, its paragraph), with pooled hidden states of one
layer. XTREME-R fine-tunes a dual encoder on SQuAD-based retrieval data first; xstilts has no dual-encoder
training, so a LAReQA target is evaluated straight after the intermediate phase, or (``retrieval: {after:
squad_v1}``) after fine-tuning on SQuAD v1.1 span extraction, which is not XTREME-R's recipe.

The files are read as XTREME's ``third_party/utils_lareqa.py`` reads them (``read_xquad_r``): candidates are the
``context`` slices of the sentence breaks, a question's gold is every sentence of its paragraph with the text of the
sentence holding its answer start (in each language), and a question whose answer start is in no sentence is
skipped with a warning. The default layer is ``round(14 / 24 × layers)``, mean-pooled: XTREME-R's LAReQA script
reads a fine-tuned dual encoder, which has no counterpart here.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example, RetrievalExample, RetrievalItem
from xstilts.data.sources import Split
from xstilts.data.text_pairs import read_xquad_r
from xstilts.errors import XstiltsError
from xstilts.kinds.retrieval import RETRIEVAL
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

LAREQA_LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ru", "th", "tr", "vi", "zh")


@register
class LAReQA(Task):
    name = "lareqa"
    kind = RETRIEVAL
    roles = (Role.TARGET,)
    languages = LAREQA_LANGUAGES
    splits = {"test": LAREQA_LANGUAGES}
    metric = "map@20"
    selection_metric = "map@20"
    hub_dataset = "google-research-datasets/xquad_r"
    local_layout = "the LAReQA repository's xquad-r directory: LANG.json (SQuAD JSON with sentences, sentence_breaks)"
    train_from = SplitRef("squad_v1", "train")  # used only with retrieval.after: squad_v1
    dual_encoder_stage = "lareqa_squad"  # retrieval.after: dual_encoder, XTREME-R's recipe
    select_on = SplitRef("squad_v1", "dev")
    description = "Answer retrieval from a multilingual pool (LAReQA, XQuAD-R)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        # The hub copy is flattened to SQuAD rows without the sentence breaks that define the candidates.
        raise XstiltsError(
            f"task {self.name!r}: the hub copy ({dataset}) lacks XQuAD-R's sentence breaks, which define the"
            f" candidate sentences; use data: {{source: local, path: ...}} ({self.local_layout})"
        )

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        queries: tuple[RetrievalItem, ...] = ()
        pool: list[RetrievalItem] = []
        answers: dict[str, list[str]] = {}
        for pool_language in LAREQA_LANGUAGES:
            questions, candidates, gold = read_xquad_r(root / f"{pool_language}.json")
            pool += candidates
            for question_id, candidate_id in gold:
                answers.setdefault(question_id, []).append(candidate_id)
            if pool_language == language:
                queries = tuple(questions)
        gold_links = tuple((q.id, c) for q in queries for c in answers[q.id])
        return [RetrievalExample(f"lareqa-{language}", queries, tuple(pool), gold_links)]

"""BUCC 2018 bitext mining (XTREME): find the translation pairs hidden in two comparable corpora.

Each language's corpus is mined against the English one with margin-based scoring (LASER's ratio margin, k = 4,
both directions); the score threshold that maximises F1 on the labelled ``sample`` split (xstilts' ``dev``) is
applied to the ``test`` split, XTREME's BUCC ``training`` data, the last split with public gold pairs. Evaluated
straight after the intermediate phase, as in XTREME and the STILTs paper. Each side's sentences are made distinct
by text before mining, as LASER's ``mine_bitext`` does, and a text listed twice on a side gets no id (XTREME's
``read_sent2id``), so its pairs are never scored.

Defaults, as XTREME's ``scripts/run_bucc2018.sh`` runs ``run_retrieval.py`` (``--specific_layer 7`` for every
model, ``--num_layers`` left at its default 12, so the index counts within the last 12 hidden states): mean
pooling (the script's ``--pool_type cls`` is parsed but never passed to ``extract_embeddings``, which mean-pools,
special tokens included) of ``hidden_states[8]`` for a 12-layer encoder and ``hidden_states[20]`` for a 24-layer
one; other depths ``round(14 / 24 × layers)`` (``xstilts.models.pooling``).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example
from xstilts.data.sources import Split
from xstilts.data.text_pairs import read_bucc
from xstilts.errors import XstiltsError
from xstilts.kinds.retrieval import RETRIEVAL
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

BUCC_LANGUAGES = ("de", "fr", "ru", "zh")
# split -> file names: XTREME's download script renames BUCC's sample -> dev and training -> test.
_FILE_SPLITS: dict[str, tuple[str, ...]] = {"dev": ("dev", "sample"), "test": ("test", "training")}


@register
class BUCC2018(Task):
    name = "bucc2018"
    kind = RETRIEVAL
    roles = (Role.TARGET,)
    languages = BUCC_LANGUAGES
    splits = {"dev": BUCC_LANGUAGES, "test": BUCC_LANGUAGES}
    metric = "bucc_f1"
    selection_metric = "f1"
    hub_dataset = "google/xtreme"
    local_layout = (
        "the BUCC 2018 files LANG-en.{sample,training}.{LANG,en,gold} (id<TAB>sentence; gold: LANG_id<TAB>en_id),"
        " or XTREME's renamed LANG-en.{dev,test}.*"
    )
    train_from = SplitRef("squad_v1", "train")  # used only with retrieval.after: squad_v1
    select_on = SplitRef("squad_v1", "dev")
    description = "Bitext mining xx -> en (BUCC 2018)"
    # scripts/run_bucc2018.sh: --specific_layer 7 and the default --num_layers 12, for every model
    retrieval_layers = {12: 8, 24: 20}

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        # The hub's bucc18.LANG configs hold only the gold pairs, not the corpora they are hidden in; mining
        # among them alone would be a much easier task with incomparable scores.
        raise XstiltsError(
            f"task {self.name!r}: the hub copy ({dataset}, bucc18.{language}) has only the gold pairs, not the"
            f" corpora to mine; download BUCC 2018 and use data: {{source: local, path: ...}} ({self.local_layout})"
        )

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        return [read_bucc(root, language, _FILE_SPLITS[split], f"bucc2018-{split}-{language}")]

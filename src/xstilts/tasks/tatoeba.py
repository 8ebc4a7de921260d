"""Tatoeba (LASER v1 test sets): find each sentence's English translation among 1000 English sentences.

XTREME evaluates it without fine-tuning (36 languages); XTREME-R after SQuAD v1.1 fine-tuning (41 languages). In
xstilts a Tatoeba target is evaluated straight after the intermediate phase by default; ``tasks: {tatoeba:
{retrieval: {after: squad_v1}}}`` fine-tunes on SQuAD v1.1 first, as XTREME-R does. Score: accuracy of the cosine
nearest English neighbour of each sentence (xx -> en), embedded with pooled hidden states of one layer
(``retrieval_layer``, ``retrieval_pooling``).

Defaults, as XTREME's ``scripts/run_tatoeba.sh`` (``evaluate_retrieval.py --num_layers 12 --specific_layer 7`` for
mBERT, ``--num_layers 24 --specific_layer 13`` for XLM-R large; mean pooling, special tokens included): the mean of
``hidden_states[8]`` for a 12-layer encoder, of ``hidden_states[14]`` for a 24-layer one, and for other depths
``round(14 / 24 × layers)`` (``xstilts.models.pooling``). The prediction file indexes XTREME's sorted English file
(``utils_preprocess.py``), as its labels do.
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example, RetrievalExample, RetrievalItem
from xstilts.data.sources import Split
from xstilts.data.text_pairs import read_tatoeba
from xstilts.errors import XstiltsError
from xstilts.hub import load_hub_split
from xstilts.kinds.retrieval import RETRIEVAL
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

# XTREME's language codes -> LASER's file codes (XTREME's utils_preprocess.py mapping; XTREME-R adds the last 5).
TATOEBA_CODES = {
    "af": "afr", "ar": "ara", "bg": "bul", "bn": "ben", "de": "deu", "el": "ell", "es": "spa", "et": "est",
    "eu": "eus", "fa": "pes", "fi": "fin", "fr": "fra", "he": "heb", "hi": "hin", "hu": "hun", "id": "ind",
    "it": "ita", "ja": "jpn", "jv": "jav", "ka": "kat", "kk": "kaz", "ko": "kor", "ml": "mal", "mr": "mar",
    "nl": "nld", "pt": "por", "ru": "rus", "sw": "swh", "ta": "tam", "te": "tel", "th": "tha", "tl": "tgl",
    "tr": "tur", "ur": "urd", "vi": "vie", "zh": "cmn",
    "az": "aze", "lt": "lit", "pl": "pol", "uk": "ukr", "ro": "ron",
}  # fmt: skip
TATOEBA_LANGUAGES = tuple(sorted(TATOEBA_CODES))
# google/xtreme has XTREME's 36 ``tatoeba.<code>`` configs only (its dataset card's config list): XTREME-R's five
# additions are not on the hub; XTREME-R's download script, like XTREME's, takes every language from LASER's
# repository (github.com/facebookresearch/LASER, data/tatoeba/v1), the local layout below.
XTREME_R_ONLY = ("az", "lt", "pl", "uk", "ro")


@register
class Tatoeba(Task):
    name = "tatoeba"
    kind = RETRIEVAL
    roles = (Role.TARGET,)
    languages = TATOEBA_LANGUAGES
    splits = {"test": TATOEBA_LANGUAGES}
    metric = "tatoeba_accuracy"
    selection_metric = "accuracy"
    hub_dataset = "google/xtreme"
    local_layout = "LASER's data/tatoeba/v1 directory: tatoeba.XXX-eng.XXX and tatoeba.XXX-eng.eng (XXX: ISO 639-3)"
    train_from = SplitRef("squad_v1", "train")  # used only with retrieval.after: squad_v1 (XTREME-R)
    select_on = SplitRef("squad_v1", "dev")
    description = "Sentence retrieval xx -> en (Tatoeba)"
    # scripts/run_tatoeba.sh: --num_layers 12 --specific_layer 7 (mBERT), 24 / 13 (XLM-R large)
    retrieval_layers = {12: 8, 24: 14}

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        code = TATOEBA_CODES[language]
        if language in XTREME_R_ONLY and dataset == self.hub_dataset:
            raise XstiltsError(
                f"hub dataset {dataset} has no Tatoeba config for {language!r} (tatoeba.{code}: XTREME-R's addition;"
                f" it has XTREME's 36 languages only); use local data: {self.local_layout}, from"
                " github.com/facebookresearch/LASER/tree/main/data/tatoeba/v1"
            )
        rows = load_hub_split(dataset, f"tatoeba.{code}", "validation", revision)
        return [
            RetrievalExample(
                f"tatoeba-{language}",
                tuple(RetrievalItem(str(i), row["source_sentence"]) for i, row in enumerate(rows)),
                tuple(RetrievalItem(str(i), row["target_sentence"]) for i, row in enumerate(rows)),
                tuple((str(i), str(i)) for i in range(len(rows))),
            )
        ]

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        code = TATOEBA_CODES[language]
        stem = root / f"tatoeba.{code}-eng"
        return [read_tatoeba(Path(f"{stem}.{code}"), Path(f"{stem}.eng"), f"tatoeba-{language}")]

"""UD-POS: universal part-of-speech tagging, XTREME-R's 38 languages (XTREME's 33 from UD v2.5, plus lt, pl, uk,
wo, ro from UD v2.7). English training data is every English UD treebank's train split merged, as XTREME's
preprocessing merges all treebanks of a language; model selection on English dev (merged the same way).

Words are XTREME's, not UD's syntactic words: XTREME's files keep each multiword token as one word, its fused
surface form tagged with its span head's UPOS (``zum`` ADP, not ``zu`` ADP + ``dem`` DET; Spanish ``del`` ADP,
English ``don't`` AUX), the output of ud-conversion-tools ``--replace_subtokens_with_fused_forms``. Local data
reproduce this on both routes: XTREME's preprocessed tsv files as they are, and official CoNLL-U treebanks through
the same conversion (``xstilts.data.conll.read_conllu``; identical to XTREME's tsv on the UD v2.5 treebanks
checked). The hub route (google/xtreme's ``udpos.*`` configs, built by HF's ``xtreme.py`` loader from the
CoNLL-U files) skips the range lines (it keeps the rows whose FORM and UPOS are not ``_``), so it gives the
syntactic subtokens and its word sequences differ from XTREME's on languages with multiword tokens (de, es, fr,
it, pt, ar, he, tr, fi, ...): for numbers comparable with XTREME's, use XTREME's tsv files or the CoNLL-U treebanks
(``data: {source: local, path: ...}``).

Every language whose treebanks have a train split can be an intermediate source (``{task: udpos, train_language:
et}``), its treebanks' train files merged as for English; Thai (PUD), Tagalog (TRG) and Yoruba (YTB) have test
treebanks only; Kazakh (KTB) has a 31-sentence train sample (google/xtreme's ``udpos.Kazakh`` card: train 31,
test 1047; https://huggingface.co/datasets/google/xtreme)."""

from __future__ import annotations

from pathlib import Path

from xstilts.benchmarks import TASK_LANGUAGES
from xstilts.data.conll import find_ud_files, read_conllu, read_tagging_tsv, tagging_examples_from_hub
from xstilts.data.examples import Example
from xstilts.data.sources import Split
from xstilts.errors import XstiltsError
from xstilts.hub import load_hub_split
from xstilts.kinds.token_tagging import TOKEN_TAGGING
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

UDPOS_LANGUAGES = TASK_LANGUAGES["xtreme-r"]["udpos"]
# The 17 universal POS tags (UD v2), in the order of the hub dataset's class labels.
UPOS_TAGS = (
    "ADJ",
    "ADP",
    "ADV",
    "AUX",
    "CCONJ",
    "DET",
    "INTJ",
    "NOUN",
    "NUM",
    "PART",
    "PRON",
    "PROPN",
    "PUNCT",
    "SCONJ",
    "SYM",
    "VERB",
    "X",
)
# Languages whose UD treebanks (v2.5 / v2.7, the XTREME selection) have no dev split: test only, or train+test.
_NO_DEV = ("kk", "th", "tl", "yo")
_NO_TRAIN = ("th", "tl", "yo")
# google/xtreme's configs are ``udpos.<English language name>`` and cover XTREME's 33 languages only.
HUB_NAMES = {
    "af": "Afrikaans",
    "ar": "Arabic",
    "bg": "Bulgarian",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "eu": "Basque",
    "fa": "Persian",
    "fi": "Finnish",
    "fr": "French",
    "he": "Hebrew",
    "hi": "Hindi",
    "hu": "Hungarian",
    "id": "Indonesian",
    "it": "Italian",
    "ja": "Japanese",
    "kk": "Kazakh",
    "ko": "Korean",
    "mr": "Marathi",
    "nl": "Dutch",
    "pt": "Portuguese",
    "ru": "Russian",
    "ta": "Tamil",
    "te": "Telugu",
    "th": "Thai",
    "tl": "Tagalog",
    "tr": "Turkish",
    "ur": "Urdu",
    "vi": "Vietnamese",
    "yo": "Yoruba",
    "zh": "Chinese",
}
_HUB_SPLITS = {"train": "train", "dev": "validation", "test": "test"}


@register
class UDPOS(Task):
    name = "udpos"
    kind = TOKEN_TAGGING
    roles = (Role.TARGET,)
    languages = UDPOS_LANGUAGES
    splits = {
        "train": tuple(lang for lang in UDPOS_LANGUAGES if lang not in _NO_TRAIN),
        "dev": tuple(lang for lang in UDPOS_LANGUAGES if lang not in _NO_DEV),
        "test": UDPOS_LANGUAGES,
    }
    labels = UPOS_TAGS
    metric = "seqeval_f1"
    selection_metric = "f1"
    hub_dataset = "google/xtreme"
    local_layout = (
        "XTREME's preprocessed directory ({train,dev,test}-LANG.tsv: 'word<TAB>UPOS' per line, a blank line between"
        " sentences) or a directory of official UD treebanks (UD_*/LANG_*-ud-{train,dev,test}.conllu; every"
        " treebank of a language is merged, and each multiword token becomes one word, its fused form with its head"
        " subtoken's UPOS, as in XTREME's files)"
    )
    train_from = SplitRef("udpos", "train")
    select_on = SplitRef("udpos", "dev")
    description = "Universal Dependencies part-of-speech tagging (UD-POS)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        if language not in HUB_NAMES:
            raise XstiltsError(
                f"hub dataset {dataset} has no UD-POS config for {language!r} (XTREME-R's UD v2.7 addition); use"
                f" local data: {self.local_layout}"
            )
        rows = load_hub_split(dataset, f"udpos.{HUB_NAMES[language]}", _HUB_SPLITS[split], revision)
        return list(tagging_examples_from_hub(rows, "pos_tags", f"udpos-{split}-{language}"))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        guid = f"udpos-{split}-{language}"
        preprocessed = root / f"{split}-{language}.tsv"
        if preprocessed.exists():
            return list(read_tagging_tsv(preprocessed, self.labels, guid))
        treebanks = find_ud_files(root, language, split)
        if not treebanks:
            raise XstiltsError(f"{root}: neither {preprocessed.name} nor any UD_*/{language}_*-ud-{split}.conllu")
        return list(read_conllu(treebanks, self.labels, guid))

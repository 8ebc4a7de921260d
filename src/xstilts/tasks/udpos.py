"""UD-POS: universal part-of-speech tagging, XTREME-R's 38 languages (XTREME's 33 from UD v2.5, plus lt, pl, uk,
wo, ro from UD v2.7). English training data is every English UD treebank's train split merged, as XTREME's
preprocessing merges all treebanks of a language; model selection on English dev (merged the same way).

Words are XTREME's, not UD's syntactic words: XTREME's files keep each multiword token as one word, its fused
surface form tagged with its span head's UPOS (``zum`` ADP, not ``zu`` ADP + ``dem`` DET; Spanish ``del`` ADP,
English ``don't`` AUX), the output of ud-conversion-tools ``--replace_subtokens_with_fused_forms``. Local data
reproduce this on both routes: XTREME's preprocessed tsv files as they are, and official CoNLL-U treebanks through
the same conversion (``xstilts.data.conll.read_conllu``; identical to XTREME's tsv on the UD v2.5 treebanks
checked).

The hub has no copy of XTREME's UD-POS data, so its route is refused with an error that says why: google/xtreme's
``udpos.<Language>`` configs (HF's ``xtreme.py`` loader) merge every UD folder whose name contains ``_<Language>``,
so ``udpos.Greek`` is mostly Ancient Greek (test 2809 sentences = Modern GDT + Ancient PROIEL + Perseus), French
takes in Old French, German's test 100 Swiss German sentences, Chinese (and Russian) classical treebanks; XTREME
selects treebanks by the ISO prefix of their file names. That loader also skips the multiword-token range lines, so
its words are UD's syntactic subtokens, not XTREME's fused forms. Use XTREME's tsv files or the UD v2.5 CoNLL-U
treebanks (``data: {source: local, path: ...}``), which give XTREME's data exactly.

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
        if dataset != self.hub_dataset:  # a copy the user vouches for, in google/xtreme's schema
            rows = load_hub_split(dataset, f"udpos.{HUB_NAMES.get(language, language)}", _HUB_SPLITS[split], revision)
            return list(tagging_examples_from_hub(rows, "pos_tags", f"udpos-{split}-{language}"))
        raise XstiltsError(
            f"UD-POS is not read from hub dataset {dataset}: its udpos.* configs are not XTREME's data (they merge"
            " every UD treebank whose folder name holds the language's name, e.g. Ancient Greek into Greek and Old"
            " French into French, and split multiword tokens into syntactic words); use local data, XTREME's files"
            f" or the UD v2.5 treebanks: {self.local_layout}"
        )

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        guid = f"udpos-{split}-{language}"
        preprocessed = root / f"{split}-{language}.tsv"
        if preprocessed.exists():
            return list(read_tagging_tsv(preprocessed, self.labels, guid))
        treebanks = find_ud_files(root, language, split)
        if not treebanks:
            raise XstiltsError(f"{root}: neither {preprocessed.name} nor any UD_*/{language}_*-ud-{split}.conllu")
        return list(read_conllu(treebanks, self.labels, guid))

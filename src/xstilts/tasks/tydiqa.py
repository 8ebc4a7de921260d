"""TyDiQA-GoldP: extractive QA over gold passages in 9 typologically diverse languages.

As XTREME-R (and not XTREME, which used SQuAD), the English training data is the GoldP training set's English
questions (ids ``english-...``). XTREME's test set is GoldP's dev set, so the evaluation split here is called
``test``; it holds every language's dev questions. GoldP has no held-out English dev set, so model selection is
on SQuAD v1.1 dev, like the other QA targets (never on the evaluation data). Scored with SQuAD v1.1 EM/F1.

The GoldP training set is written in all nine languages (no translation): ``{task: tydiqa, train_language: fi}``
trains on its ``finnish-`` questions, read from the combined train file, XTREME's per-language
``tydiqa.goldp.<iso>.train.json`` (what XTREME's ``utils_preprocess.py`` writes into ``tydiqa-goldp-v1.1-train/``)
or the hub's ``secondary_task`` train split, filtered by the id prefix (the hub viewer of
google-research-datasets/tydiqa, https://huggingface.co/datasets/google-research-datasets/tydiqa: ``secondary_task``
has 55k rows, a mirror's card 49,881 train and 5,077 validation questions over the nine languages).
"""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import Example, SpanExample
from xstilts.data.files import require_file
from xstilts.data.sources import Split
from xstilts.data.squad_json import read_squad_json, span_examples_from_hub
from xstilts.errors import DataFormatError
from xstilts.hub import load_hub_split
from xstilts.kinds.span_extraction import SPAN_EXTRACTION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.registry import register

# TyDiQA names each question's language in its id: "<language name>-<number>-<n>".
LANGUAGE_NAMES = {
    "ar": "arabic",
    "bn": "bengali",
    "en": "english",
    "fi": "finnish",
    "id": "indonesian",
    "ko": "korean",
    "ru": "russian",
    "sw": "swahili",
    "te": "telugu",
}
TYDIQA_LANGUAGES = tuple(sorted(LANGUAGE_NAMES))
_HUB_SPLITS = {"train": "train", "test": "validation"}
_COMBINED_FILES = {"train": "tydiqa-goldp-v1.1-train.json", "test": "tydiqa-goldp-v1.1-dev.json"}


def _language_files(root: Path, split: Split, language: str) -> list[Path]:
    """One language's file, official (dev only: ``tydiqa-goldp-dev-<name>.json``) or as XTREME's preprocessing
    names it (``tydiqa.goldp.<iso>.{train,dev}.json``), in the directory or its release folder."""
    stem = "train" if split == "train" else "dev"
    names = [f"tydiqa-goldp-dev-{LANGUAGE_NAMES[language]}.json"] if split == "test" else []
    names.append(f"tydiqa.goldp.{language}.{stem}.json")
    return [folder / name for folder in (root, root / f"tydiqa-goldp-v1.1-{stem}") for name in names]


def of_language(examples: list[SpanExample], language: str) -> list[SpanExample]:
    prefix = f"{LANGUAGE_NAMES[language]}-"
    return [e for e in examples if e.guid.startswith(prefix)]


@register
class TyDiQA(Task):
    name = "tydiqa"
    kind = SPAN_EXTRACTION
    roles = (Role.TARGET,)
    languages = TYDIQA_LANGUAGES
    splits = {"train": TYDIQA_LANGUAGES, "test": TYDIQA_LANGUAGES}
    metric = "squad_v1"
    selection_metric = "f1"
    hub_dataset = "google-research-datasets/tydiqa"
    local_layout = (
        "the TyDiQA-GoldP v1.1 files, combined (tydiqa-goldp-v1.1-train.json, tydiqa-goldp-v1.1-dev.json) or per"
        " language (tydiqa-goldp-dev-LANGUAGENAME.json; XTREME's tydiqa.goldp.LANG.{train,dev}.json), in the"
        " directory or its tydiqa-goldp-v1.1-{train,dev}/ folders"
    )
    train_from = SplitRef("tydiqa", "train")
    select_on = SplitRef("squad_v1", "dev")
    description = "TyDiQA gold passage; English training = GoldP train's english- questions (XTREME-R)"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        rows = load_hub_split(dataset, "secondary_task", _HUB_SPLITS[split], revision)
        prefix = f"{LANGUAGE_NAMES[language]}-"
        return list(span_examples_from_hub(rows.filter(lambda row: row["id"].startswith(prefix))))

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        for path in _language_files(root, split, language):
            if path.is_file():
                return list(self._checked(read_squad_json(path), path, language))
        path = require_file(root / _COMBINED_FILES[split], self.local_layout)
        return list(of_language(read_squad_json(path), language))

    @staticmethod
    def _checked(examples: list[SpanExample], path: Path, language: str) -> list[SpanExample]:
        """A per-language file must hold that language's questions: a misnamed file would otherwise score silently."""
        prefix = f"{LANGUAGE_NAMES[language]}-"
        for example in examples:
            if not example.guid.startswith(prefix):
                raise DataFormatError(path, f"question {example.guid!r} is not a {LANGUAGE_NAMES[language]} question")
        return examples

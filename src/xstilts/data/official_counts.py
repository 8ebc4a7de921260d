"""How many examples each benchmark split has in its official release, for ``xstilts data check``: a split that
loads with another count is not the data the published numbers were computed on.

``OFFICIAL_COUNTS[task][split][language]``: questions (QA, multiple choice), pairs (classification), sentences
(tagging) or queries (Tatoeba). Only counts with a source are listed; a missing entry means "not recorded", never
zero. Sources, per entry below:
- XNLI: Conneau et al. 2018 (EMNLP), section 3: 2,490 development and 5,010 test pairs per language; translate-train
  is MNLI's training set (Williams et al. 2018: 392,702 pairs), machine-translated line by line.
- PAWS-X: Yang et al. 2019, Table 1 (2,000 dev and 2,000 test pairs per language; 49,401 English training pairs);
  google-research-datasets/paws-x's card (train 49401, validation 2000, test 2000).
- XQuAD: Artetxe et al. 2020, 1,190 question-answer pairs per language (google/xquad's card; the shared
  ``xquad.<lang>.json`` files hold 1190 each).
- MLQA: Lewis et al. 2020 (ACL), dev/test questions per language with context and question in the same language;
  google/xtreme's card gives the same for MLQA.ar.ar (517/5335) and MLQA.de.de (512/4517), and the official
  ``dev-context-L-question-L.json`` files of en, de, es, zh hold the dev counts.
- TyDiQA-GoldP: the official v1.1 dev files (``tydiqa-goldp-dev-<language>.json``), XTREME's test set (XTREME, Hu
  et al. 2020, Table 9).
- UD-POS, PAN-X: XTREME's preprocessed files (``utils_preprocess.py`` output, counted in the shared data's
  SOURCE.md files: UD v2.5 all treebanks of a language merged; PAN-X, Rahimi et al. 2019's balanced split, whose
  per-language sizes google/xtreme's card also gives).
- Tatoeba: LASER's data/tatoeba/v1 files (1,000 pairs for most languages, 390 for Swahili; counted in the files).
- SQuAD v1.1: Rajpurkar et al. 2016 / rajpurkar/squad's card (train 87599, validation 10570). MNLI: nyu-mll/glue's
  card (train 392702, validation_matched 9815). Social IQa: allenai/social_i_qa's card (33410 / 1954). Cosmos QA:
  allenai/cosmos_qa's card (25262 / 2985).
"""

from __future__ import annotations

XNLI_LANGUAGES = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh")
PAWSX_LANGUAGES = ("de", "en", "es", "fr", "ja", "ko", "zh")
XQUAD_LANGUAGES = ("ar", "de", "el", "en", "es", "hi", "ro", "ru", "th", "tr", "vi", "zh")

# MLQA (Lewis et al. 2020), (dev, test) questions per language.
_MLQA = {
    "en": (1148, 11590),
    "de": (512, 4517),
    "es": (500, 5253),
    "ar": (517, 5335),
    "hi": (507, 4918),
    "vi": (511, 5495),
    "zh": (504, 5137),
}
# TyDiQA-GoldP v1.1 dev questions per language (XTREME's test set).
_TYDIQA = {"ar": 921, "bn": 113, "en": 440, "fi": 782, "id": 565, "ko": 276, "ru": 812, "sw": 499, "te": 669}

# PAN-X dev and test sentences per language (equal in Rahimi et al.'s split): google/xtreme's dataset card,
# dataset_info of each PAN-X.<lang> config (validation and test num_examples); the shared XTREME-format files of
# en, de, es, fr, zh have these counts.
_PANX_DEV_TEST = {
    **dict.fromkeys(("jv", "my", "yo"), 100),
    **dict.fromkeys(("af", "bn", "hi", "kk", "ml", "mr", "ms", "sw", "ta", "te", "tl", "ur"), 1000),
    **dict.fromkeys(
        ("ar", "bg", "de", "el", "en", "es", "et", "eu", "fa", "fi", "fr", "he", "hu", "id", "it", "ja", "ka", "ko"),
        10000,
    ),
    **dict.fromkeys(("nl", "pt", "ru", "th", "tr", "vi", "zh"), 10000),
}

OFFICIAL_COUNTS: dict[str, dict[str, dict[str, int]]] = {
    "xnli": {
        "train": {lang: 392702 for lang in XNLI_LANGUAGES if lang != "en"},
        "dev": dict.fromkeys(XNLI_LANGUAGES, 2490),
        "test": dict.fromkeys(XNLI_LANGUAGES, 5010),
    },
    "pawsx": {
        "train": {"en": 49401},
        "dev": dict.fromkeys(PAWSX_LANGUAGES, 2000),
        "test": dict.fromkeys(PAWSX_LANGUAGES, 2000),
    },
    "xquad": {"test": dict.fromkeys(XQUAD_LANGUAGES, 1190)},
    "mlqa": {
        "dev": {lang: counts[0] for lang, counts in _MLQA.items()},
        "test": {lang: counts[1] for lang, counts in _MLQA.items()},
    },
    "tydiqa": {"test": _TYDIQA},
    "udpos": {
        "train": {"en": 21253},
        "dev": {"en": 3974, "de": 19233, "es": 3054, "fr": 2903, "ru": 8108, "fi": 3239},
        "test": {"en": 5440, "es": 3147, "fr": 5009, "ru": 8976, "fi": 4422},
    },
    "panx": {
        "train": {"en": 20000},
        "dev": _PANX_DEV_TEST,
        "test": _PANX_DEV_TEST,
    },
    "tatoeba": {"test": {**dict.fromkeys(("ar", "de", "fi", "hi", "ja", "tr", "zh"), 1000), "sw": 390}},
    "squad_v1": {"train": {"en": 87599}, "dev": {"en": 10570}},
    "mnli": {"train": {"en": 392702}, "dev": {"en": 9815}},
    "siqa": {"train": {"en": 33410}, "dev": {"en": 1954}},
    "cosmosqa": {"train": {"en": 25262}, "dev": {"en": 2985}},
}


def official_count(task: str, split: str, language: str) -> int | None:
    """The official number of examples of one split, or None where none is recorded."""
    return OFFICIAL_COUNTS.get(task, {}).get(split, {}).get(language)

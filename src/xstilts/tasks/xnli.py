"""XNLI: 15-language NLI; English training data is MNLI, model selection on English XNLI dev (XTREME)."""

from __future__ import annotations

from pathlib import Path

from xstilts.data.examples import ClassificationExample, Example
from xstilts.data.sources import Split
from xstilts.data.tsv import check_label, read_tsv_with_header, read_xtreme_pair_tsv
from xstilts.hub import load_hub_split
from xstilts.kinds.classification import CLASSIFICATION
from xstilts.tasks.base import Role, SplitRef, Task
from xstilts.tasks.mnli import NLI_LABELS
from xstilts.tasks.registry import register

XNLI_LANGUAGES = ("ar", "bg", "de", "el", "en", "es", "fr", "hi", "ru", "sw", "th", "tr", "ur", "vi", "zh")
_HUB_SPLITS = {"dev": "validation", "test": "test"}
# Translate-train: MNLI's training set machine-translated into the other 14 languages (XNLI-MT 1.0), used when
# an intermediate entry asks for {task: xnli, train_language: LANG}. On the hub it is facebook/xnli's train split.
TRANSLATE_TRAIN_LANGUAGES = tuple(language for language in XNLI_LANGUAGES if language != "en")
TRANSLATE_TRAIN_HUB = "facebook/xnli"
_HUB_LABELS = ("entailment", "neutral", "contradiction")  # facebook/xnli's ClassLabel order
_MT_LABELS = {"contradictory": "contradiction"}  # XNLI-MT's spelling


@register
class XNLI(Task):
    name = "xnli"
    kind = CLASSIFICATION
    roles = (Role.TARGET,)
    languages = XNLI_LANGUAGES
    splits = {"train": TRANSLATE_TRAIN_LANGUAGES, "dev": XNLI_LANGUAGES, "test": XNLI_LANGUAGES}
    translated_train = TRANSLATE_TRAIN_LANGUAGES
    labels = NLI_LABELS
    metric = "accuracy"
    selection_metric = "accuracy"
    hub_dataset = "google/xtreme"
    local_layout = (
        "the official XNLI-1.0 directory (xnli.dev.tsv, xnli.test.tsv) or XTREME's preprocessed one"
        " ({dev,test}-LANG.tsv: sentence1, sentence2, label); translate-train: XNLI-MT-1.0"
        " (multinli/multinli.train.LANG.tsv: premise, hypo, label) or train-LANG.tsv as XTREME's"
    )
    train_from = SplitRef("mnli", "train")
    select_on = SplitRef("xnli", "dev")
    description = "Cross-lingual NLI"

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        if split == "train":
            dataset = TRANSLATE_TRAIN_HUB if dataset == self.hub_dataset else dataset
            rows = load_hub_split(dataset, language, "train", revision)
            return [
                ClassificationExample(
                    f"xnli-train-{language}-{i}", row["premise"], row["hypothesis"], _HUB_LABELS[row["label"]]
                )
                for i, row in enumerate(rows)
            ]
        rows = load_hub_split(dataset, "XNLI", _HUB_SPLITS[split], revision)
        rows = rows.filter(lambda row: row["language"] == language)
        return [
            ClassificationExample(f"xnli-{split}-{language}-{i}", row["sentence1"], row["sentence2"], row["gold_label"])
            for i, row in enumerate(rows)
        ]

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        if split == "train":
            return _read_translate_train(root, language, self.labels)
        official = root / f"xnli.{split}.tsv"
        if not official.exists():
            return list(read_xtreme_pair_tsv(root / f"{split}-{language}.tsv", self.labels, f"xnli-{split}-{language}"))
        return [
            ClassificationExample(
                f"xnli-{split}-{language}-{line}",
                row["sentence1"],
                row["sentence2"],
                check_label(official, line, "gold_label", row["gold_label"], self.labels),
            )
            for line, row in read_tsv_with_header(official, ("language", "gold_label", "sentence1", "sentence2"))
            if row["language"] == language
        ]


def _read_translate_train(root: Path, language: str, labels: tuple[str, ...]) -> list[Example]:
    """XNLI-MT 1.0 (``multinli/multinli.train.LANG.tsv`` or that file in ``root``), else XTREME's layout."""
    for official in (root / "multinli" / f"multinli.train.{language}.tsv", root / f"multinli.train.{language}.tsv"):
        if official.exists():
            return [
                ClassificationExample(
                    f"xnli-train-{language}-{line}",
                    row["premise"],
                    row["hypo"],
                    check_label(official, line, "label", _MT_LABELS.get(row["label"], row["label"]), labels),
                )
                for line, row in read_tsv_with_header(official, ("premise", "hypo", "label"))
            ]
    return list(read_xtreme_pair_tsv(root / f"train-{language}.tsv", labels, f"xnli-train-{language}"))

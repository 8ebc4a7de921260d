"""What a task is: its kind, languages, splits, label set, metric, and where its data comes from.

One ``Task`` object serves every language of a benchmark (as in jiant). A task file subclasses ``Task``,
declares the facts as class attributes, implements ``read_hub`` and ``read_local``, and registers itself
with ``@register``; nothing else in the code base needs to change to add a task.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import ClassVar

from xstilts.data.examples import Example
from xstilts.data.files import broken_link
from xstilts.data.sources import ENGLISH, DataSource, Split, resolve_local
from xstilts.errors import XstiltsError
from xstilts.kinds.base import Kind
from xstilts.tasks.plugins import origin_of

# Where a training set's text comes from: written in its language, or machine-translated from English.
HUMAN = "human"
TRANSLATED = "translated"


# What a translation file that does not exist yet is recognised by (so that its error says "translation").
_DATA_FILE_SUFFIXES = frozenset({".tsv", ".csv", ".json", ".jsonl", ".txt", ".conllu"})


def translation_file(source: DataSource | None) -> Path | None:
    """The file of a user-supplied translation: a local source whose path is one file (every task's own local
    layout is a directory), else None."""
    if source is None or source.source != "local" or not source.path:
        return None
    path = resolve_local(source.path)
    return path if path.is_file() or (path.suffix in _DATA_FILE_SUFFIXES and not path.exists()) else None


def named_language(path: Path, language: str) -> bool:
    """Whether the file's name carries the language code as one of its parts (``train.fi.tsv``, ``mnli-fi.tsv``)."""
    return language.lower() in re.split(r"[._\-]", path.name.lower())


class Role(str, Enum):
    INTERMEDIATE = "intermediate"
    TARGET = "target"


@dataclass(frozen=True)
class SplitRef:
    """A (task, split) pair: where English training data or the model-selection set comes from."""

    task: str
    split: Split


class Task:
    """Base class of all tasks; subclasses set the class attributes and the two readers."""

    name: ClassVar[str]
    kind: ClassVar[Kind]  # one of the registered kinds (xstilts.kinds)
    roles: ClassVar[tuple[Role, ...]]
    languages: ClassVar[tuple[str, ...]]
    splits: ClassVar[dict[str, tuple[str, ...]]]  # split -> languages that have it
    labels: ClassVar[tuple[str, ...]] = ()
    metric: ClassVar[str]  # name in xstilts.metrics
    selection_metric: ClassVar[str]  # the metric model selection maximises
    hub_dataset: ClassVar[str]
    local_layout: ClassVar[str]  # what a local directory must contain, for `xstilts tasks` and errors
    train_from: ClassVar[SplitRef]  # the English training data (XNLI is trained on MNLI)
    select_on: ClassVar[SplitRef]  # English dev data for model selection (the benchmarks' rule)
    # Tasks trained first, in order, each by its own recipe, before this task's own English training: XTREME-R
    # trains XCOPA's model on Social IQa, then on COPA. The plan makes each stage a train phase of its own.
    earlier_stages: ClassVar[tuple[str, ...]] = ()
    eval_split: ClassVar[Split] = "test"
    # The official English training file inside a local directory (MNLI's ``train.tsv``): a user-supplied
    # translation of the training set is that file's format in another language, given as one file whose name
    # carries the language (``data: {source: local, path: train.fi.tsv}``); None: no such single file.
    train_file: ClassVar[str | None] = None
    # Training languages whose data the official release machine-translated from English (XNLI-MT, PAWS-X's
    # translated_train.tsv, XTREME's SQuAD translate-train); the others are written in their language.
    translated_train: ClassVar[tuple[str, ...]] = ()
    default_source: ClassVar[DataSource] = DataSource()
    description: ClassVar[str] = ""
    # Span extraction with unanswerable questions (SQuAD v2.0): the decoder answers "" when the null score beats
    # the best span by more than this (the official run_squad v2 rule); None: every question has an answer.
    null_score_threshold: ClassVar[float | None] = None
    # Retrieval: the layer XTREME's scripts embed at a given encoder depth (depth -> hidden_states index, see
    # models/pooling.py); a depth not listed scales XTREME-R's layer 14 of 24.
    retrieval_layers: ClassVar[dict[int, int]] = {}
    # A version of what the reader derives from the files beyond reading them (generated negatives): part of the
    # feature-cache key when set, so a changed recipe is never served the old features.
    data_recipe: ClassVar[str | None] = None
    # A task whose training data comes in several languages of its own (CodeSearchNet's programming languages) trains
    # on those listed in ``tasks: {<task>: {languages: [...]}}``, by default on these, and selects on the first.
    training_languages: ClassVar[tuple[str, ...]] = ()
    # A retrieval target's dual-encoder training task (``retrieval: {after: dual_encoder}``): XTREME-R's recipe.
    dual_encoder_stage: ClassVar[str | None] = None
    # What the task's data is about, for the report's grouping of intermediate variants: "natural language" or "code".
    domain: ClassVar[str] = "natural language"

    def check_split(self, split: Split, language: str) -> None:
        have = self.splits.get(split, ())
        if language not in have:
            raise XstiltsError(
                f"task {self.name!r} has no {split!r} split for language {language!r}"
                f" (it has: {', '.join(have) or 'none'})"
            )

    def read_sample(self, split: Split, language: str, source: DataSource, limit: int | None) -> list[Example]:
        """The first ``limit`` examples (all without one); a task whose hub data is too large to read whole (MLM's
        Wikipedia) passes the limit into its reader instead."""
        examples = self.read(split, language, source)
        return examples[:limit] if limit else examples

    def read(self, split: Split, language: str, source: DataSource) -> list[Example]:
        """Reads one split of one language from the configured source; checks the pair exists first."""
        translation = translation_file(source) if split == "train" and language != ENGLISH else None
        if translation is not None:
            return self.read_translation(translation, language)
        self.check_split(split, language)
        if source.source == "local":
            if not source.path:
                raise XstiltsError(f"task {self.name!r}: data source 'local' needs a 'path' ({self.local_layout})")
            root = resolve_local(source.path)
            wrong = broken_link(root)
            if wrong:
                raise XstiltsError(f"task {self.name!r}: local data path {root} is {wrong}")
            if not root.exists():
                raise XstiltsError(f"task {self.name!r}: local data path {root} does not exist")
            if not root.is_dir():
                raise XstiltsError(
                    f"task {self.name!r}: local data path {root} is a file; expected a directory ({self.local_layout})"
                )
            examples = self.read_local(root, split, language)
            where = str(root)
        else:
            dataset = source.dataset or self.hub_dataset
            examples = self.read_hub(dataset, source.revision, split, language)
            where = f"hub dataset {dataset}"
        if not examples:
            # An empty set would score 0 and look like a result; it is always a wrong or partial file.
            raise XstiltsError(f"{where}: no {split!r} examples for language {language!r} of task {self.name!r}")
        return examples

    def check_translation(self, path: Path, language: str) -> None:
        """A user-supplied translation must be a file in this task's training format named with its language."""
        if self.train_file is None:
            raise XstiltsError(
                f"task {self.name!r} has no single official training file, so a translation cannot be given as one"
                f" file ({self.local_layout})"
            )
        if language == ENGLISH or not named_language(path, language):
            raise XstiltsError(
                f"{path}: a translation of {self.name!r}'s {self.train_file} must name its language in the file"
                f" name, e.g. {Path(self.train_file).stem}.{language}{Path(self.train_file).suffix}"
            )
        if not path.is_file():
            raise XstiltsError(f"task {self.name!r}: translation file {path} does not exist")

    def read_translation(self, path: Path, language: str) -> list[Example]:
        """A user-supplied translation, read by the task's own reader of its English training file."""
        self.check_translation(path, language)
        assert self.train_file is not None  # checked above
        with tempfile.TemporaryDirectory(prefix="xstilts-translation-") as folder:
            link = Path(folder) / self.train_file
            link.parent.mkdir(parents=True, exist_ok=True)
            link.symlink_to(path.resolve())
            try:
                examples = self.read_local(Path(folder), "train", ENGLISH)
            except XstiltsError as err:  # name the user's file, not the link
                raise XstiltsError(str(err).replace(str(link), str(path))) from None
        if not examples:
            raise XstiltsError(f"{path}: no training examples for task {self.name!r}")
        return examples

    def train_origin(self, language: str, source: DataSource | None) -> str:
        """Whether the training data in ``language`` from ``source`` is human-written or machine-translated."""
        if translation_file(source) is not None or language in self.translated_train:
            return TRANSLATED
        return HUMAN

    def label_set(self, source: DataSource) -> tuple[str, ...]:
        """The head's output classes. Most tasks fix them (``labels``); a task whose inventory comes with its
        data (CCG supertags) reads it from the source, so the plan, and each phase id, records it."""
        return self.labels

    def read_hub(self, dataset: str, revision: str | None, split: Split, language: str) -> list[Example]:
        raise NotImplementedError

    def read_local(self, root: Path, split: Split, language: str) -> list[Example]:
        raise NotImplementedError

    def describe(self) -> dict[str, object]:
        return {
            "name": self.name,
            "kind": self.kind.name,
            "roles": [role.value for role in self.roles],
            "languages": list(self.languages),
            "splits": {split: list(langs) for split, langs in self.splits.items()},
            "labels": list(self.labels),
            "metric": self.metric,
            "train_from": " then ".join([*self.earlier_stages, f"{self.train_from.task}/{self.train_from.split}"]),
            "select_on": f"{self.select_on.task}/{self.select_on.split} (en)",
            "selection_metric": self.selection_metric,
            "eval_split": self.eval_split,
            "hub": self.hub_dataset,
            "local": self.local_layout,
            "default_source": self.default_source.model_dump(exclude_none=True),
            "description": self.description,
            "origin": origin_of(type(self).__module__),
        }

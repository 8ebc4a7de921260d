"""The typed examples that readers produce and featurizers consume, one type per task kind."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ClassificationExample:
    """A single sentence (``text_b is None``) or a sentence pair with a string label."""

    guid: str
    text_a: str
    text_b: str | None
    label: str | None


@dataclass(frozen=True)
class Answer:
    text: str
    start: int  # character offset into the context


@dataclass(frozen=True)
class SpanExample:
    """A SQuAD-style question over a context, with zero or more gold answers."""

    guid: str
    question: str
    context: str
    answers: tuple[Answer, ...]


@dataclass(frozen=True)
class TextExample:
    """A document or sentence of plain text, for masked language modelling."""

    guid: str
    text: str


@dataclass(frozen=True)
class TaggingExample:
    """A sentence as a sequence of words with one tag per word (``tags is None`` for unlabelled text)."""

    guid: str
    words: tuple[str, ...]
    tags: tuple[str, ...] | None


@dataclass(frozen=True)
class MultipleChoiceExample:
    """A context and N candidate continuations; each choice is encoded as the pair (context, choice).

    ``label`` is the position of the right choice as a string ("0" .. "N-1"), so the task's label set names
    the choice positions and accuracy compares strings as for classification.
    """

    guid: str
    context: str
    choices: tuple[str, ...]
    label: str | None


@dataclass(frozen=True)
class RetrievalItem:
    """One sentence of a retrieval set: a query or a candidate. ``context`` is text read with it but not the
    answer itself (LAReQA: the paragraph around an answer sentence)."""

    id: str
    text: str
    context: str | None = None


@dataclass(frozen=True)
class RetrievalExample:
    """A whole retrieval set of one language: queries, the pool searched, and the gold (query id, candidate id)
    links. Retrieval is over the pool, so the set, not a sentence, is the unit that readers return."""

    guid: str
    queries: tuple[RetrievalItem, ...]
    candidates: tuple[RetrievalItem, ...]
    gold: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class VisionLanguageExample:
    """A text (hypothesis, question or statement) about one or more images, with a string label.

    ``images`` are references resolved against ``image_root`` (image files, or ``<id>.npz`` region features):
    the image id or path the benchmark's annotation row gives.
    """

    guid: str
    text: str
    images: tuple[str, ...]
    image_root: str
    label: str | None


@dataclass(frozen=True)
class ImageTextSet:
    """A whole image-text retrieval set of one language (xFlickr&CO, WIT): its captions, its images (references
    resolved against ``image_root``) and the gold (caption id, image reference) links. Both directions are searched
    over the whole set, so the set is the unit that readers return, as for :class:`RetrievalExample`."""

    guid: str
    captions: tuple[RetrievalItem, ...]
    images: tuple[str, ...]
    image_root: str
    gold: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ContrastivePair:
    """A dual-encoder training pair: a query, the candidate it matches, and optional hard negatives (candidates it
    does not match)."""

    guid: str
    query: RetrievalItem
    positive: RetrievalItem
    negatives: tuple[RetrievalItem, ...] = ()


Example = (
    ClassificationExample
    | SpanExample
    | MultipleChoiceExample
    | TaggingExample
    | TextExample
    | RetrievalExample
    | VisionLanguageExample
    | ImageTextSet
    | ContrastivePair
)

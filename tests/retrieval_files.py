"""Small retrieval files in the official formats (Tatoeba, BUCC 2018, XQuAD-R), written by the tests themselves."""

from __future__ import annotations

import json
import random
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from tests.builders import LANGUAGE_WORDS
from xstilts.data.examples import RetrievalItem
from xstilts.data.sources import DataSource
from xstilts.evaluation.retrieval import EmbeddedSet, Sets, one_set
from xstilts.tasks.tatoeba import TATOEBA_CODES


class FixedEmbedder:
    """Vectors chosen by the test, looked up by text (how an ``EmbeddedSet`` embeds a side, for the retrieval
    protocols)."""

    def __init__(self, vectors: dict[str, np.ndarray]) -> None:
        self.vectors = vectors

    def __call__(self, items: Sequence[RetrievalItem], side: int | None = None) -> np.ndarray:
        return np.stack([self.vectors[item.text] for item in items])


def protocol_sets(task: Any, language: str, source: DataSource, embed: Any) -> Sets:
    """A protocol's sets read from the task, embedded by ``embed`` (fixed vectors, or a tiny encoder)."""
    return lambda split: EmbeddedSet(one_set(task, task.read(split, language, source)), embed)


def parallel_sentences(language: str, n: int, seed: int = 0) -> list[tuple[str, str]]:
    """(sentence in ``language``, its word-by-word English translation), all distinct."""
    rng = random.Random(seed)
    pairs: dict[str, str] = {}
    while len(pairs) < n:
        positions = [rng.randrange(10) for _ in range(rng.randint(3, 6))]
        pairs.setdefault(
            " ".join(LANGUAGE_WORDS["en"][p] for p in positions),
            " ".join(LANGUAGE_WORDS[language][p] for p in positions),
        )
    return [(source, english) for english, source in pairs.items()]


def write_tatoeba(directory: Path, languages: list[str], n: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for language in languages:
        code = TATOEBA_CODES[language]
        pairs = parallel_sentences(language, n)
        (directory / f"tatoeba.{code}-eng.{code}").write_text("".join(f"{s}\n" for s, _ in pairs), encoding="utf-8")
        (directory / f"tatoeba.{code}-eng.eng").write_text("".join(f"{e}\n" for _, e in pairs), encoding="utf-8")
    return directory


def write_bucc(directory: Path, language: str, split: str, pairs: list[tuple[str, str]], noise: list[str]) -> None:
    """``pairs`` are (source, English) translations, hidden among English ``noise`` sentences (BUCC's layout)."""
    directory.mkdir(parents=True, exist_ok=True)
    stem = directory / f"{language}-en.{split}"
    sources = [(f"{language}-{i:09d}", s) for i, (s, _) in enumerate(pairs)]
    english = [(f"en-{i:09d}", e) for i, e in enumerate([e for _, e in pairs] + noise)]
    Path(f"{stem}.{language}").write_text("".join(f"{i}\t{s}\n" for i, s in sources), encoding="utf-8")
    Path(f"{stem}.en").write_text("".join(f"{i}\t{s}\n" for i, s in english), encoding="utf-8")
    gold = "".join(f"{sources[k][0]}\t{english[k][0]}\n" for k in range(len(pairs)))
    Path(f"{stem}.gold").write_text(gold, encoding="utf-8")


def xquad_r_document(language: str, questions: int) -> dict:
    """One article, one paragraph of ``questions`` sentences, question k answered in sentence k (languages without
    a word list in the builders use the English one)."""
    words = LANGUAGE_WORDS.get(language, LANGUAGE_WORDS["en"])
    sentences = [f"{words[k]} {words[(k + 1) % 10]} {words[(k + 2) % 10]} ." for k in range(questions)]
    context = " ".join(sentences)
    breaks, start = [], 0
    for sentence in sentences:
        breaks.append([start, start + len(sentence)])
        start += len(sentence) + 1
    qas = [
        {
            "id": f"q{k}",
            "question": f"what {words[k]} ?",
            "answers": [{"text": words[(k + 1) % 10], "answer_start": breaks[k][0] + len(words[k]) + 1}],
        }
        for k in range(questions)
    ]
    paragraph = {"context": context, "qas": qas, "sentences": sentences, "sentence_breaks": breaks}
    return {"version": "1.1", "data": [{"title": "t", "paragraphs": [paragraph]}]}


def write_xquad_r(directory: Path, languages: list[str], questions: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for language in languages:
        document = xquad_r_document(language, questions)
        (directory / f"{language}.json").write_text(json.dumps(document, ensure_ascii=False), encoding="utf-8")
    return directory


def mewsli_context(language: str, text: str, mentions: list[tuple[str, str, str]]) -> dict:
    """A ``ContextualMentions`` line: sentences split at '. ', each (example id, mention text, entity id) located
    at the mention's first occurrence."""
    spans, start = [], 0
    for piece in text.split(". "):
        spans.append({"start": start, "end": start + len(piece)})
        start += len(piece) + 2
    context = {
        "document_title": "t",
        "document_url": "u",
        "document_id": f"{language}-1",
        "language": language,
        "text": text,
        "sentence_spans": spans,
    }
    return {
        "context": context,
        "mentions": [
            {
                "example_id": example_id,
                "mention_span": {
                    "start": text.index(mention),
                    "end": text.index(mention) + len(mention),
                    "text": mention,
                },
                "entity_id": entity_id,
            }
            for example_id, mention, entity_id in mentions
        ],
    }


def mewsli_entity(entity_id: str, description: str) -> dict:
    return {
        "entity_id": entity_id,
        "title": entity_id,
        "description": description,
        "sentence_spans": [{"start": 0, "end": len(description)}],
        "description_language": "en",
        "description_url": "u",
    }


def write_mewsli(directory: Path, split: str, contexts: list[dict], entities: list[dict]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    lines = "".join(json.dumps(c, ensure_ascii=False) + "\n" for c in contexts)
    (directory / f"wikinews_mentions-{split}.jsonl").write_text(lines, encoding="utf-8")
    lines = "".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entities)
    (directory / "candidate_set_entities.jsonl").write_text(lines, encoding="utf-8")
    return directory

"""Mewsli-X readers: WikiNews entity mentions (``wikinews_mentions-{dev,test}.jsonl``) and the candidate entities
(``candidate_set_entities.jsonl``), in the JSON Lines schema of Mewsli-X's ``schema.py``.

Texts are built as XTREME-R's baseline does (``third_party/utils_mewslix.py``): a mention becomes
``"<mention>: <left> { <mention> } <right>"`` over the one sentence holding it (marker braces already in the text
become parentheses), and an entity its description's annotated sentences joined by spaces; both with newlines and
double spaces normalised away.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from xstilts.data.examples import ContrastivePair, RetrievalItem
from xstilts.data.files import (
    check_unique,
    field_error,
    field_path,
    field_value,
    read_jsonl,
    require_file,
    text_field,
    typed_field,
)
from xstilts.errors import DataFormatError

_MARKED = re.compile(r"\{(.*?)\}")


def _spans(path: Path, line: int, record: dict[str, Any], text: str, where: str) -> list[tuple[int, int]]:
    spans = []
    for k, span in enumerate(typed_field(path, line, record, "sentence_spans", list, where)):
        at = field_path(where, f"sentence_spans[{k}]")
        start = typed_field(path, line, span, "start", int, at)
        end = typed_field(path, line, span, "end", int, at)
        if not 0 <= start < end <= len(text):
            raise field_error(path, line, at, f"[{start}, {end}) is outside the text")
        spans.append((start, end))
    return spans


def _normalise(text: str) -> str:
    return " ".join(text.splitlines()).replace("  ", " ").strip()


def mention_text(text: str, sentences: list[tuple[int, int]], start: int, end: int) -> str | None:
    """The baseline query string of a mention, or None when no one sentence holds it."""
    holding = [(a, b) for a, b in sentences if a <= start < b and a < end <= b]
    if not holding:
        return None
    a, b = holding[0]
    left, right = _MARKED.sub(r"(\1)", text[a:start]), _MARKED.sub(r"(\1)", text[end:b])
    mention = text[start:end]
    return _normalise(f"{mention}: {left} {{ {mention} }} {right}")


def _mention_query(
    path: Path, line: int, mention: Any, text: str, sentences: list[tuple[int, int]], where: str
) -> tuple[RetrievalItem, str]:
    """(the mention as a query, its gold entity id) from a ``Mention`` record over its context's text."""
    example_id = text_field(path, line, mention, "example_id", where)
    entity_id = text_field(path, line, mention, "entity_id", where)
    span = typed_field(path, line, mention, "mention_span", dict, where)
    at = field_path(where, "mention_span")
    start = typed_field(path, line, span, "start", int, at)
    end = typed_field(path, line, span, "end", int, at)
    if text[start:end] != text_field(path, line, span, "text", at) or start >= end:
        raise field_error(path, line, at, f"text does not match context.text[{start}:{end}]")
    query = mention_text(text, sentences, start, end)
    if query is None:
        raise field_error(path, line, at, f"[{start}, {end}) is inside no one sentence")
    return RetrievalItem(example_id, query), entity_id


def _context(path: Path, line: int, record: Any, where: str) -> tuple[dict, str, list[tuple[int, int]]]:
    """A ``Context`` record, its text and its sentence spans."""
    at = field_path(where, "context")
    context = typed_field(path, line, record, "context", dict, where)
    text = text_field(path, line, context, "text", at)
    return context, text, _spans(path, line, context, text, at)


def read_mentions(path: Path, language: str) -> list[tuple[RetrievalItem, str]]:
    """(mention as a query, its gold entity id) for every mention in ``language`` documents. Lines are
    ``ContextualMentions`` (a context and its ``mentions``) or ``ContextualMention`` (one ``mention``)."""
    out = []
    seen: dict[str, int | str] = {}
    for line, record in read_jsonl(path):
        context = typed_field(path, line, record, "context", dict)
        if text_field(path, line, context, "language", "context") != language:
            continue
        _, text, sentences = _context(path, line, record, "")
        mentions = [record["mention"]] if "mention" in record else typed_field(path, line, record, "mentions", list)
        for k, mention in enumerate(mentions):
            where = "mention" if "mention" in record else f"mentions[{k}]"
            query = _mention_query(path, line, mention, text, sentences, where)
            check_unique(path, line, f"{where}.example_id", query[0].id, seen)
            out.append(query)
    if not out:
        raise DataFormatError(path, f"no mentions in language {language!r}")
    return out


def _entity_item(path: Path, line: int, record: Any, where: str = "") -> RetrievalItem:
    """An ``Entity`` record as a candidate: its description's sentences joined by spaces."""
    entity_id = text_field(path, line, record, "entity_id", where)
    description = text_field(path, line, record, "description", where)
    sentences = _spans(path, line, record, description, where)
    return RetrievalItem(entity_id, _normalise(" ".join(description[a:b] for a, b in sentences)))


def read_mention_entity_pairs(path: Path) -> list[ContrastivePair]:
    """Mewsli-X's English Wikipedia training pairs (``wikipedia_pairs-{train,dev}.jsonl``, ``MentionEntityPair``
    records of Mewsli-X's ``schema.py``: a ``contextual_mention`` and its ``entity``) as dual-encoder pairs, texts
    built as for the WikiNews mentions and the candidate entities (XTREME-R's ``processors/mewslix.py`` encodes
    ``preprocess_mention`` and ``preprocess_entity_description`` the same way)."""
    require_file(path, "Mewsli-X MentionEntityPair JSON lines: contextual_mention, entity")
    pairs = []
    for line, record in read_jsonl(path):
        contextual = typed_field(path, line, record, "contextual_mention", dict)
        _, text, sentences = _context(path, line, contextual, "contextual_mention")
        query, entity_id = _mention_query(
            path,
            line,
            field_value(path, line, contextual, "mention", "contextual_mention"),
            text,
            sentences,
            "contextual_mention.mention",
        )
        entity = _entity_item(path, line, typed_field(path, line, record, "entity", dict), "entity")
        if entity.id != entity_id:
            raise field_error(path, line, "entity.entity_id", f"{entity.id!r} is not the mention's {entity_id!r}")
        pairs.append(ContrastivePair(f"{query.id}", query, entity))
    return pairs


def read_entities(path: Path) -> tuple[RetrievalItem, ...]:
    """The candidate entities, each as its description's sentences joined by spaces. The set is shared by every
    language's evaluation and large (about a million lines), so the last one read is kept while its file is
    unchanged."""
    stat = require_file(path).stat()
    return _read_entities(path.resolve(), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _read_entities(path: Path, size: int, mtime_ns: int) -> tuple[RetrievalItem, ...]:
    entities: list[RetrievalItem] = []
    seen: dict[str, int | str] = {}
    for line, record in read_jsonl(path):
        entity = _entity_item(path, line, record)
        check_unique(path, line, "entity_id", entity.id, seen)
        entities.append(entity)
    if not entities:
        raise DataFormatError(path, "no candidate entities")
    return tuple(entities)

"""Mewsli-X readers: WikiNews entity mentions (``wikinews_mentions-{dev,test}.jsonl``) and the candidate entities
(``candidate_set_entities.jsonl``), in the JSON Lines schema of Mewsli-X's ``schema.py``.

Texts are built as XTREME-R's baseline does (``third_party/utils_mewslix.py``): a mention becomes
``"<mention>: <left> { <mention> } <right>"`` over the one sentence holding it (marker braces already in the text
become parentheses), and an entity its description's annotated sentences joined by spaces; both with newlines and
double spaces normalised away.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xstilts.data.examples import RetrievalItem
from xstilts.errors import DataFormatError

_MARKED = re.compile(r"\{(.*?)\}")


def _records(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    if not path.is_file():
        raise DataFormatError(path, "file not found")
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as err:
                raise DataFormatError(path, f"not valid JSON: {err.msg} (column {err.colno})", number) from None
            if not isinstance(record, dict):
                raise DataFormatError(path, "expected a JSON object", number)
            yield number, record


def _get(path: Path, line: int, record: Any, key: str, kind: type, where: str) -> Any:
    value = record.get(key) if isinstance(record, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise DataFormatError(path, f"{where}{key}: expected a {kind.__name__}", line)
    return value


def _spans(path: Path, line: int, record: dict[str, Any], text: str, where: str) -> list[tuple[int, int]]:
    spans = []
    for k, span in enumerate(_get(path, line, record, "sentence_spans", list, where)):
        start = _get(path, line, span, "start", int, f"{where}sentence_spans[{k}].")
        end = _get(path, line, span, "end", int, f"{where}sentence_spans[{k}].")
        if not 0 <= start < end <= len(text):
            raise DataFormatError(path, f"{where}sentence_spans[{k}]: [{start}, {end}) is outside the text", line)
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


def read_mentions(path: Path, language: str) -> list[tuple[RetrievalItem, str]]:
    """(mention as a query, its gold entity id) for every mention in ``language`` documents. Lines are
    ``ContextualMentions`` (a context and its ``mentions``) or ``ContextualMention`` (one ``mention``)."""
    out = []
    for line, record in _records(path):
        context = _get(path, line, record, "context", dict, "")
        if _get(path, line, context, "language", str, "context.") != language:
            continue
        text = _get(path, line, context, "text", str, "context.")
        sentences = _spans(path, line, context, text, "context.")
        mentions = [record["mention"]] if "mention" in record else _get(path, line, record, "mentions", list, "")
        for k, mention in enumerate(mentions):
            where = "mention." if "mention" in record else f"mentions[{k}]."
            example_id = _get(path, line, mention, "example_id", str, where)
            entity_id = _get(path, line, mention, "entity_id", str, where)
            span = _get(path, line, mention, "mention_span", dict, where)
            start = _get(path, line, span, "start", int, f"{where}mention_span.")
            end = _get(path, line, span, "end", int, f"{where}mention_span.")
            if text[start:end] != _get(path, line, span, "text", str, f"{where}mention_span.") or start >= end:
                raise DataFormatError(
                    path, f"{where}mention_span: text does not match context.text[{start}:{end}]", line
                )
            query = mention_text(text, sentences, start, end)
            if query is None:
                raise DataFormatError(path, f"{where}mention_span: [{start}, {end}) is inside no one sentence", line)
            out.append((RetrievalItem(example_id, query), entity_id))
    return out


def read_entities(path: Path) -> tuple[RetrievalItem, ...]:
    """The candidate entities, each as its description's sentences joined by spaces. The set is shared by every
    language's evaluation and large (about a million lines), so the last one read is kept while its file is
    unchanged."""
    if not path.is_file():
        raise DataFormatError(path, "file not found")
    stat = path.stat()
    return _read_entities(path.resolve(), stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=1)
def _read_entities(path: Path, size: int, mtime_ns: int) -> tuple[RetrievalItem, ...]:
    entities: list[RetrievalItem] = []
    seen: dict[str, int] = {}
    for line, record in _records(path):
        entity_id = _get(path, line, record, "entity_id", str, "")
        if entity_id in seen:
            raise DataFormatError(path, f"entity_id: {entity_id!r} already listed on line {seen[entity_id]}", line)
        seen[entity_id] = line
        description = _get(path, line, record, "description", str, "")
        sentences = _spans(path, line, record, description, "")
        entities.append(RetrievalItem(entity_id, _normalise(" ".join(description[a:b] for a, b in sentences))))
    return tuple(entities)

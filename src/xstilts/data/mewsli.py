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

from xstilts.data.examples import RetrievalItem
from xstilts.data.files import check_unique, field_error, field_path, read_jsonl, require_file, text_field, typed_field
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


def read_mentions(path: Path, language: str) -> list[tuple[RetrievalItem, str]]:
    """(mention as a query, its gold entity id) for every mention in ``language`` documents. Lines are
    ``ContextualMentions`` (a context and its ``mentions``) or ``ContextualMention`` (one ``mention``)."""
    out = []
    seen: dict[str, int | str] = {}
    for line, record in read_jsonl(path):
        context = typed_field(path, line, record, "context", dict)
        if text_field(path, line, context, "language", "context") != language:
            continue
        text = text_field(path, line, context, "text", "context")
        sentences = _spans(path, line, context, text, "context")
        mentions = [record["mention"]] if "mention" in record else typed_field(path, line, record, "mentions", list)
        for k, mention in enumerate(mentions):
            where = "mention" if "mention" in record else f"mentions[{k}]"
            example_id = text_field(path, line, mention, "example_id", where)
            check_unique(path, line, f"{where}.example_id", example_id, seen)
            entity_id = text_field(path, line, mention, "entity_id", where)
            span = typed_field(path, line, mention, "mention_span", dict, where)
            at = f"{where}.mention_span"
            start = typed_field(path, line, span, "start", int, at)
            end = typed_field(path, line, span, "end", int, at)
            if text[start:end] != text_field(path, line, span, "text", at) or start >= end:
                raise field_error(path, line, at, f"text does not match context.text[{start}:{end}]")
            query = mention_text(text, sentences, start, end)
            if query is None:
                raise field_error(path, line, at, f"[{start}, {end}) is inside no one sentence")
            out.append((RetrievalItem(example_id, query), entity_id))
    if not out:
        raise DataFormatError(path, f"no mentions in language {language!r}")
    return out


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
        entity_id = text_field(path, line, record, "entity_id")
        check_unique(path, line, "entity_id", entity_id, seen)
        description = text_field(path, line, record, "description")
        sentences = _spans(path, line, record, description, "")
        entities.append(RetrievalItem(entity_id, _normalise(" ".join(description[a:b] for a, b in sentences))))
    if not entities:
        raise DataFormatError(path, "no candidate entities")
    return tuple(entities)

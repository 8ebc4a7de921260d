"""Readers for the retrieval benchmarks' official files: Tatoeba line-parallel pairs, BUCC 2018 ``id<TAB>sentence``
corpora with their gold pairs, and XQuAD-R (LAReQA) SQuAD-style JSON with sentence breaks.

Each returns one :class:`RetrievalExample` (queries, the pool searched, gold links). Malformed input is a
``DataFormatError`` naming the file, the line (for line formats) and what is wrong.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from xstilts.data.examples import RetrievalExample, RetrievalItem
from xstilts.errors import DataFormatError

logger = logging.getLogger(__name__)


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    """(1-based line number, line without its newline); a missing or non-UTF-8 file is a format error."""
    if not path.is_file():
        raise DataFormatError(path, "file not found")
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            for number, line in enumerate(handle, start=1):
                yield number, line.rstrip("\r\n")
    except UnicodeDecodeError as err:
        raise DataFormatError(path, f"not UTF-8 text ({err.reason} at byte {err.start})") from None


def read_sentences(path: Path) -> list[str]:
    """One sentence per line; an empty line is an error (it would shift every later alignment)."""
    sentences = []
    for number, line in _lines(path):
        if not line.strip():
            raise DataFormatError(path, "sentence: empty line", number)
        sentences.append(line)
    return sentences


def read_tatoeba(source_file: Path, english_file: Path, guid: str) -> RetrievalExample:
    """LASER's ``tatoeba.xxx-eng.xxx`` / ``tatoeba.xxx-eng.eng``: line i of one is the translation of line i of
    the other. Queries are the non-English sentences, the pool is the English side: xx -> en, the direction of
    XTREME's submissions and labels (one line per source sentence, an index into the English file; see
    ``retrieval_phase.sorted_positions``). XTREME's own scripts search the other way: ``run_retrieval.py`` calls
    ``utils_retrieve.similarity_search(source, english)``, which indexes the source sentences and queries them with
    each English sentence; its output is thus one line per English sentence, not the labels' layout."""
    queries = read_sentences(source_file)
    english = read_sentences(english_file)
    if len(queries) != len(english):
        shorter, count = (source_file, len(queries)) if len(queries) < len(english) else (english_file, len(english))
        raise DataFormatError(
            shorter,
            f"sentence: the two sides are not parallel ({len(queries)} lines in {source_file.name},"
            f" {len(english)} in {english_file.name}); this file ends first",
            count + 1,
        )
    return RetrievalExample(
        guid,
        tuple(RetrievalItem(str(i), text) for i, text in enumerate(queries)),
        tuple(RetrievalItem(str(i), text) for i, text in enumerate(english)),
        tuple((str(i), str(i)) for i in range(len(queries))),
    )


def read_id_sentences(path: Path) -> list[RetrievalItem]:
    """BUCC's ``LANG-en.SPLIT.LANG`` / ``.en``: ``id<TAB>sentence`` per line, ids unique."""
    items: list[RetrievalItem] = []
    seen: dict[str, int] = {}
    for number, line in _lines(path):
        sentence_id, tab, text = line.partition("\t")
        if not tab or not sentence_id.strip():
            raise DataFormatError(path, "id: expected 'id<TAB>sentence'", number)
        if not text.strip():
            raise DataFormatError(path, f"sentence: empty sentence for id {sentence_id!r}", number)
        if sentence_id in seen:
            raise DataFormatError(path, f"id: {sentence_id!r} already used on line {seen[sentence_id]}", number)
        seen[sentence_id] = number
        items.append(RetrievalItem(sentence_id, text))
    return items


def read_gold_pairs(path: Path, source_ids: set[str], target_ids: set[str]) -> list[tuple[str, str]]:
    """BUCC's ``LANG-en.SPLIT.gold``: ``source_id<TAB>english_id`` per line, both ids present in the corpora."""
    pairs = []
    for number, line in _lines(path):
        fields = line.split("\t")
        if len(fields) != 2 or not all(f.strip() for f in fields):
            raise DataFormatError(path, "pair: expected 'source_id<TAB>english_id'", number)
        source, target = fields
        if source not in source_ids:
            raise DataFormatError(path, f"source_id: {source!r} is not in the source-language file", number)
        if target not in target_ids:
            raise DataFormatError(path, f"english_id: {target!r} is not in the English file", number)
        pairs.append((source, target))
    return pairs


def read_bucc(root: Path, language: str, split_names: tuple[str, ...], guid: str) -> RetrievalExample:
    """The first of ``split_names`` whose files exist in ``root`` (BUCC's own ``sample``/``training`` names or
    XTREME's renamed ``dev``/``test``): queries are the ``language`` sentences, the pool the English ones."""
    stems = [root / f"{language}-en.{name}" for name in split_names]
    stem = next((s for s in stems if Path(f"{s}.{language}").is_file()), stems[0])
    sources = read_id_sentences(Path(f"{stem}.{language}"))
    english = read_id_sentences(Path(f"{stem}.en"))
    gold = read_gold_pairs(Path(f"{stem}.gold"), {s.id for s in sources}, {e.id for e in english})
    return RetrievalExample(guid, tuple(sources), tuple(english), tuple(gold))


def _get(path: Path, record: Any, key: str, kind: type, where: str) -> Any:
    value = record.get(key) if isinstance(record, dict) else None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise DataFormatError(path, f"{where}.{key}: expected a {kind.__name__}")
    return value


def read_xquad_r(path: Path) -> tuple[list[RetrievalItem], list[RetrievalItem], list[tuple[str, str]]]:
    """One XQuAD-R file read as XTREME's ``third_party/utils_lareqa.py`` (``generate_examples``, ``load_data``)
    reads it: (questions, answer-sentence candidates with their paragraph, question -> gold candidate links).

    * A candidate is a slice ``context[begin:end]`` of a ``sentence_breaks`` pair (the ``sentences`` field is not
      read). A paragraph's sentences join the pool only when at least one of its questions is kept.
    * A question's answer sentence is the first sentence whose break holds its first answer's ``answer_start``;
      every sentence of the paragraph with that same text is gold for it.
    * A question whose ``answer_start`` is in no sentence (a sentence-breaking error) is skipped with a warning.

    Candidate ids are ``<file stem>/<article>.<paragraph>/<sentence>``; question ids are XQuAD's, the same in
    every language, which is what makes the pool's parallel answer sentences gold for each question."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DataFormatError(path, "file not found") from None
    except json.JSONDecodeError as err:
        raise DataFormatError(path, f"not valid JSON: {err.msg}", err.lineno) from None
    except UnicodeDecodeError as err:
        raise DataFormatError(path, f"not UTF-8 text ({err.reason})") from None
    questions: list[RetrievalItem] = []
    candidates: list[RetrievalItem] = []
    gold: list[tuple[str, str]] = []
    skipped: list[str] = []
    for a, article in enumerate(_get(path, data, "data", list, "top level")):
        for p, paragraph in enumerate(_get(path, article, "paragraphs", list, f"data[{a}]")):
            where = f"data[{a}].paragraphs[{p}]"
            context = _get(path, paragraph, "context", str, where)
            breaks = _get(path, paragraph, "sentence_breaks", list, where)
            for k, pair in enumerate(breaks):
                if not _is_break(pair):
                    raise DataFormatError(path, f"{where}.sentence_breaks[{k}]: expected [begin, end] offsets")
            sentences = [context[begin:end] for begin, end in breaks]
            ids = [f"{path.stem}/{a}.{p}/{k}" for k in range(len(sentences))]
            kept = 0
            for q, qa in enumerate(_get(path, paragraph, "qas", list, where)):
                qa_where = f"{where}.qas[{q}]"
                answers = _get(path, qa, "answers", list, qa_where)
                if not answers:
                    raise DataFormatError(path, f"{qa_where}.answers: no answer")
                start = _get(path, answers[0], "answer_start", int, f"{qa_where}.answers[0]")
                question_id = _get(path, qa, "id", str, qa_where)
                question = _get(path, qa, "question", str, qa_where)
                holding = next((k for k, (begin, end) in enumerate(breaks) if begin <= start < end), None)
                if holding is None:
                    skipped.append(f"{qa_where} ({question_id}: answer_start {start})")
                    continue
                kept += 1
                questions.append(RetrievalItem(question_id, question))
                answer = sentences[holding]
                gold += [(question_id, ids[k]) for k, sentence in enumerate(sentences) if sentence == answer]
            if kept:
                candidates += [RetrievalItem(i, text, context) for i, text in zip(ids, sentences, strict=True)]
    if skipped:
        logger.warning(
            "%s: skipped %d question(s) whose answer_start is in no sentence (a sentence-breaking error, as XTREME's"
            " utils_lareqa.py skips them): %s",
            path,
            len(skipped),
            "; ".join(skipped),
        )
    return questions, candidates, gold


def _is_break(pair: Any) -> bool:
    return (
        isinstance(pair, list)
        and len(pair) == 2
        and all(isinstance(offset, int) and not isinstance(offset, bool) for offset in pair)
    )

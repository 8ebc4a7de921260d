"""Readers for the retrieval benchmarks' official files: Tatoeba line-parallel pairs, BUCC 2018 ``id<TAB>sentence``
corpora with their gold pairs, and XQuAD-R (LAReQA) SQuAD-style JSON with sentence breaks.

Each returns one :class:`RetrievalExample` (queries, the pool searched, gold links). Malformed input is a
``DataFormatError`` naming the file, the line (for line formats) and what is wrong.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from xstilts.data.examples import RetrievalExample, RetrievalItem
from xstilts.data.files import (
    check_columns,
    check_nonempty,
    check_unique,
    field_error,
    read_json_document,
    read_lines,
    text_field,
    typed_field,
)
from xstilts.errors import DataFormatError

logger = logging.getLogger(__name__)


def read_sentences(path: Path) -> list[str]:
    """One sentence per line; an empty line is an error (it would shift every later alignment)."""
    return [check_nonempty(path, number, "sentence", line) for number, line in read_lines(path)]


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
        raise field_error(
            shorter,
            count + 1,
            "sentence",
            f"the two sides are not parallel ({len(queries)} lines in {source_file.name},"
            f" {len(english)} in {english_file.name}); this file ends first",
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
    seen: dict[str, int | str] = {}
    for number, line in read_lines(path):
        # The sentence is everything after the first tab.
        sentence_id, text = check_columns(path, number, line.split("\t", 1), 2, names=("id", "sentence"))
        check_nonempty(path, number, "id", sentence_id)
        check_nonempty(path, number, "sentence", text)
        check_unique(path, number, "id", sentence_id, seen)
        items.append(RetrievalItem(sentence_id, text))
    return items


def read_gold_pairs(path: Path, source_ids: set[str], target_ids: set[str]) -> list[tuple[str, str]]:
    """BUCC's ``LANG-en.SPLIT.gold``: ``source_id<TAB>english_id`` per line, both ids present in the corpora."""
    pairs = []
    seen: dict[tuple[str, str], int | str] = {}
    for number, line in read_lines(path):
        names = ("source_id", "english_id")
        source, target = check_columns(path, number, line.split("\t"), 2, names=names)
        for name, value in zip(names, (source, target), strict=True):
            check_nonempty(path, number, name, value)
        if source not in source_ids:
            raise field_error(path, number, "source_id", f"{source!r} is not in the source-language file")
        if target not in target_ids:
            raise field_error(path, number, "english_id", f"{target!r} is not in the English file")
        check_unique(path, number, "source_id, english_id", (source, target), seen)
        pairs.append((source, target))
    if not pairs:
        raise DataFormatError(path, "no gold pairs")
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
    data = read_json_document(path)
    questions: list[RetrievalItem] = []
    candidates: list[RetrievalItem] = []
    gold: list[tuple[str, str]] = []
    skipped: list[str] = []
    seen: dict[str, int | str] = {}
    for a, article in enumerate(typed_field(path, None, data, "data", list)):
        for p, paragraph in enumerate(typed_field(path, None, article, "paragraphs", list, f"data[{a}]")):
            where = f"data[{a}].paragraphs[{p}]"
            context = text_field(path, None, paragraph, "context", where)
            breaks = typed_field(path, None, paragraph, "sentence_breaks", list, where)
            for k, pair in enumerate(breaks):
                if not _is_break(pair):
                    raise field_error(path, None, f"{where}.sentence_breaks[{k}]", "expected [begin, end] offsets")
            sentences = [context[begin:end] for begin, end in breaks]
            ids = [f"{path.stem}/{a}.{p}/{k}" for k in range(len(sentences))]
            kept = 0
            for q, qa in enumerate(typed_field(path, None, paragraph, "qas", list, where)):
                qa_where = f"{where}.qas[{q}]"
                answers = typed_field(path, None, qa, "answers", list, qa_where)
                if not answers:
                    raise field_error(path, None, f"{qa_where}.answers", "no answer")
                start = typed_field(path, None, answers[0], "answer_start", int, f"{qa_where}.answers[0]")
                question_id = text_field(path, None, qa, "id", qa_where)
                check_unique(path, None, f"{qa_where}.id", question_id, seen, qa_where)
                question = text_field(path, None, qa, "question", qa_where)
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

"""SQuAD v1.1 as answer-sentence retrieval, the data of XTREME-R's LAReQA dual encoder: each question retrieves
the sentence holding its (first) answer, the sentence read together with its paragraph (XTREME's
``third_party/processors/lareqa.py``: questions encoded alone, answers as the pair (sentence, paragraph); a question
whose answer start falls in no sentence is skipped).

Sentences are found by :func:`sentence_breaks`, a small rule-based breaker of this project: a break after ``.``,
``?`` or ``!`` (and any closing quotes or brackets) followed by white space and an upper-case letter, a digit or an
opening quote or bracket, except after common abbreviations and single initials. XTREME uses its own sed-style
breaker (``sb_sed.py``, tuned on SQuAD); the two agree on ordinary sentences and may differ on the long tail, so
these training sentences are close to, not identical with, XTREME-R's.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

from xstilts.data.examples import ContrastivePair, RetrievalExample, RetrievalItem, SpanExample

_BREAK = re.compile(r"""[.?!][)'"\u201d\]]*\s+(?=[(\['"\u201c]?[A-Z0-9])""")
_ABBREVIATION = re.compile(
    r"""(?:\b(?:Mrs?|Ms|Dr|Prof|Rev|St|Sta|Lt|Gen|Col|Capt|Sgt|Gov|Sen|Rep|Pres|Jr|Sr|Mt|Ft|No|Vol|Jan|Feb|Aug|Sept?|"""
    r"""Oct|Nov|Dec|vs?|cf|ca|approx|etc|e\.g|i\.e|U\.S|a\.k\.a)|\b[A-Z])\.$"""
)


def sentence_breaks(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a paragraph, leading and trailing white space left out."""
    spans, start = [], 0
    for match in _BREAK.finditer(text):
        if _ABBREVIATION.search(text[start : match.start() + 1]):
            continue
        spans.append((start, match.start() + len(match.group().rstrip())))
        start = match.end()
    spans.append((start, len(text)))
    out = []
    for a, b in spans:
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        if a < b:
            out.append((a, b))
    return out


def _paragraph_key(context: str) -> str:
    return hashlib.sha256(context.encode()).hexdigest()[:12]


def _answer_sentence(example: SpanExample) -> tuple[str, tuple[int, int]] | None:
    """(paragraph key, the span of the sentence holding the first answer's start), or None."""
    if not example.answers:
        return None
    start = example.answers[0].start
    for a, b in sentence_breaks(example.context):
        if a <= start < b:
            return _paragraph_key(example.context), (a, b)
    return None


def answer_sentence_pairs(examples: Sequence[SpanExample]) -> list[ContrastivePair]:
    """Question -> (answer sentence, paragraph) training pairs; the sentence's id is its paragraph and span."""
    pairs = []
    for example in examples:
        found = _answer_sentence(example)
        if found is None:
            continue
        key, (a, b) = found
        sentence = RetrievalItem(f"{key}:{a}-{b}", example.context[a:b], example.context)
        pairs.append(ContrastivePair(example.guid, RetrievalItem(example.guid, example.question), sentence))
    return pairs


def answer_sentence_set(examples: Sequence[SpanExample], guid: str) -> RetrievalExample:
    """Every question with an answer sentence searching every sentence of every paragraph (with its paragraph)."""
    pool: dict[str, RetrievalItem] = {}
    for example in examples:
        key = _paragraph_key(example.context)
        for a, b in sentence_breaks(example.context):
            pool.setdefault(f"{key}:{a}-{b}", RetrievalItem(f"{key}:{a}-{b}", example.context[a:b], example.context))
    pairs = answer_sentence_pairs(examples)
    queries = tuple(pair.query for pair in pairs)
    return RetrievalExample(guid, queries, tuple(pool.values()), tuple((p.query.id, p.positive.id) for p in pairs))

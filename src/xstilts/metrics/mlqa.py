"""MLQA exact match and F1, as MLQA's official script (``mlqa_evaluation_v1.py``) defines them.

XTREME fetches that script unchanged as ``third_party/evaluate_mlqa.py`` and scores MLQA with it, passing the
language of the answers. Normalisation, in this order:

1. lower case (``str.lower``);
2. drop every character whose Unicode category starts with ``P``, and the ASCII ``string.punctuation`` (which
   adds the symbols ``$ + < = > ^ ` | ~``);
3. replace articles by a space: en ``a an the``, es ``un una unos unas el la los las``, vi ``của là cái chiếc
   những``, de ``ein eine einen einem eines einer der die das den dem des``, each as a whole word (``\\b``, Unicode
   aware); ar: *every* occurrence of ``ال``, inside words too (the script's other alternative, ``\\sال^``, can
   never match); hi and zh: none;
4. tokenise: zh by mixed segmentation (each character in U+4E00..U+9FA5 and each punctuation character is a token,
   the runs between are split on whitespace), the other languages on whitespace; rejoin with single spaces.

F1 is over bags of those tokens (0 when nothing is shared). Scores are the maximum over gold answers, averaged over
all questions (a question without a prediction scores 0), in percent. Only en, es, de, ar, hi, vi and zh are
defined; any other language is a ``ValueError`` (the official script raises too). Where the official script would
crash (no questions, a question without gold answers) this scores 0, like :mod:`squad_v1`.
"""

from __future__ import annotations

import re
import string
import unicodedata
from collections.abc import Mapping, Sequence

from xstilts.data.examples import SpanExample
from xstilts.metrics.squad_v1 import token_f1

_ASCII_PUNCTUATION = frozenset(string.punctuation)
_CJK = re.compile(r"[\u4e00-\u9fa5]")  # the script's range, narrower than the whole CJK Unified Ideographs block

ARTICLES: dict[str, re.Pattern[str] | None] = {
    "en": re.compile(r"\b(a|an|the)\b"),
    "es": re.compile(r"\b(un|una|unos|unas|el|la|los|las)\b"),
    "hi": None,
    "vi": re.compile(r"\b(của|là|cái|chiếc|những)\b"),
    "de": re.compile(r"\b(ein|eine|einen|einem|eines|einer|der|die|das|den|dem|des)\b"),
    "ar": re.compile("ال"),  # the script's pattern '\sال^|ال': its first alternative cannot match
    "zh": None,
}
LANGUAGES = frozenset(ARTICLES)
MIXED_SEGMENTATION_LANGUAGES = frozenset({"zh"})


def is_punctuation(char: str) -> bool:
    """The script's ``PUNCT``: Unicode categories P* plus ASCII ``string.punctuation``."""
    return char in _ASCII_PUNCTUATION or unicodedata.category(char).startswith("P")


def mixed_segmentation(text: str) -> list[str]:
    """Each character in U+4E00..U+9FA5 or punctuation is a token; the text between is split on whitespace."""
    tokens: list[str] = []
    run: list[str] = []
    for char in text:
        if _CJK.match(char) or is_punctuation(char):
            tokens.extend("".join(run).split())
            run.clear()
            tokens.append(char)
        else:
            run.append(char)
    tokens.extend("".join(run).split())
    return tokens


def _check_language(language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"MLQA defines no normalisation for language {language!r}; known: {sorted(LANGUAGES)}")


def normalize_answer(text: str, language: str) -> str:
    _check_language(language)
    text = "".join(char for char in text.lower() if not is_punctuation(char))
    articles = ARTICLES[language]
    if articles is not None:
        text = articles.sub(" ", text)
    tokens = mixed_segmentation(text) if language in MIXED_SEGMENTATION_LANGUAGES else text.split()
    return " ".join(token for token in tokens if token.strip())


def exact_match_score(prediction: str, ground_truth: str, language: str) -> float:
    return float(normalize_answer(prediction, language) == normalize_answer(ground_truth, language))


def f1_score(prediction: str, ground_truth: str, language: str) -> float:
    return token_f1(normalize_answer(prediction, language).split(), normalize_answer(ground_truth, language).split())


def mlqa(examples: Sequence[SpanExample], predictions: Mapping[str, str], language: str) -> dict[str, float]:
    _check_language(language)
    exact = f1 = 0.0
    for example in examples:
        if example.guid not in predictions:
            continue
        golds = [answer.text for answer in example.answers]
        prediction = predictions[example.guid]
        exact += max((exact_match_score(prediction, g, language) for g in golds), default=0.0)
        f1 += max((f1_score(prediction, g, language) for g in golds), default=0.0)
    total = len(examples) or 1
    return {"exact_match": 100.0 * exact / total, "f1": 100.0 * f1 / total}

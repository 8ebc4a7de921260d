"""SQuAD v1.1 EM/F1 and accuracy, against values computed by hand from the official v1.1 script's definitions.

The official script: lower case, drop ``string.punctuation`` (ASCII only), drop a/an/the as whole words, collapse
whitespace; F1 over bags of whitespace tokens (0 when nothing is shared); the maximum over gold answers; a question
without a prediction scores 0; totals in percent over every question.
"""

from __future__ import annotations

import pytest

from tests.builders import reference_f1, reference_normalize
from xstilts.data.examples import Answer, ClassificationExample, SpanExample
from xstilts.metrics import METRICS
from xstilts.metrics.accuracy import accuracy
from xstilts.metrics.squad_v1 import exact_match_score, f1_score, normalize_answer, squad_v1


def span(guid: str, *golds: str) -> SpanExample:
    return SpanExample(guid=guid, question="q", context=" ".join(golds), answers=tuple(Answer(g, 0) for g in golds))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Paris", "paris"),
        ("The  Quick, brown fox!", "quick brown fox"),
        ("An apple a day", "apple day"),
        ("THE END", "end"),
        ("theatre another anthem", "theatre another anthem"),
        ("the-cat", "thecat"),  # punctuation goes first, so the article is no longer a word
        ("(a)", ""),
        ("A.B.C.", "abc"),
        ("l'homme", "lhomme"),
        ("\tParis\n  France ", "paris france"),
        ("Paris\u00a0France", "paris france"),
        ("«Paris»", "«paris»"),  # v1.1 strips ASCII punctuation only
        ("北京大学。", "北京大学。"),
        ("Über 9,000 €", "über 9000 €"),
        ("", ""),
        ("?!...", ""),
        ("a an the", ""),
    ],
)
def test_normalize_answer(text, expected):
    assert normalize_answer(text) == expected


@pytest.mark.parametrize(
    ("prediction", "gold", "exact", "f1"),
    [
        ("Paris", "paris", 1.0, 1.0),
        ("the Denver Broncos", "Denver Broncos!", 1.0, 1.0),
        ("the cat sat on the mat", "a cat on a mat", 0.0, 6 / 7),  # P = 3/4, R = 1
        ("cat cat cat", "cat", 0.0, 0.5),  # bags: one shared token, P = 1/3, R = 1
        ("cat", "cat cat", 0.0, 2 / 3),  # P = 1, R = 1/2
        ("cat dog", "dog cat", 0.0, 1.0),
        ("Paris, France", "paris", 0.0, 2 / 3),
        ("Santa Clara", "Santa Clara, California", 0.0, 0.8),  # P = 1, R = 2/3
        ("", "Paris", 0.0, 0.0),
        ("Paris", "", 0.0, 0.0),
        ("", "", 1.0, 0.0),  # the official script: equal normal forms, but F1 is 0 when nothing is shared
        ("the", "a", 1.0, 0.0),  # articles only: both normalise to ""
        ("?!.", ".", 1.0, 0.0),  # punctuation only
        ("«Paris»", "Paris", 0.0, 0.0),  # «» are not in string.punctuation
        ("„Paris“", "Paris", 0.0, 0.0),
        ("北京", "北京大学", 0.0, 0.0),  # no spaces: the whole string is one token
        ("北京大学", "北京大学", 1.0, 1.0),
        ("北京 大学", "北京大学", 0.0, 0.0),
        ("北京大学", "北京大学。", 0.0, 0.0),  # ideographic full stop is not ASCII punctuation
        ("东京 大学", "北京 大学", 0.0, 0.5),
    ],
)
def test_exact_match_and_f1(prediction, gold, exact, f1):
    assert exact_match_score(prediction, gold) == exact
    assert f1_score(prediction, gold) == pytest.approx(f1)


STRINGS = [
    "The Broncos' defense",
    "Broncos defense",
    "the the the",
    "a.m. to p.m.",
    "am to pm",
    "Ａ ｂ",
    "1,000 - 2,000",
    "1000 2000",
    "Mary's, John's & Bob's",
    "mary john bob",
    "anthem of the nation",
    "An  Anthem",
    "ca. 1500",
    "c. 1500",
    "«le» chat",
    "le chat",
    "Straße",
    "STRASSE",
]


def test_agrees_with_reference_definition_on_all_pairs():
    for prediction in STRINGS:
        assert normalize_answer(prediction) == reference_normalize(prediction)
        for gold in STRINGS:
            assert exact_match_score(prediction, gold) == float(
                reference_normalize(prediction) == reference_normalize(gold)
            )
            assert f1_score(prediction, gold) == pytest.approx(reference_f1(prediction, gold))


def test_squad_v1_aggregate():
    examples = [
        span("e1", "Denver Broncos", "Broncos"),
        span("e2", "Santa Clara, California", "Levi's Stadium"),
        span("e3", "Super Bowl 50"),
        span("e4", "x"),
    ]
    predictions = {
        "e1": "the Denver Broncos",  # exact against the first gold answer
        # [levis stadium in santa clara]: vs gold 1 P=2/5 R=2/3 F1=1/2; vs gold 2 P=2/5 R=1 F1=4/7; max 4/7
        "e2": "Levi's Stadium in Santa Clara",
        # e3 has no prediction and counts 0
        "e4": "",
        "not-a-question": "ignored",
    }
    scores = squad_v1(examples, predictions)
    assert set(scores) == {"exact_match", "f1"}
    assert scores["exact_match"] == pytest.approx(25.0)
    assert scores["f1"] == pytest.approx(100 * (1 + 4 / 7) / 4)


def test_squad_v1_max_over_gold_answers_is_per_metric():
    # EM comes from one gold answer, F1 from another.
    examples = [span("q", "in 1999", "1999 and 2000")]
    scores = squad_v1(examples, {"q": "In 1999."})
    assert scores["exact_match"] == pytest.approx(100.0)
    assert scores["f1"] == pytest.approx(100.0)
    scores = squad_v1(examples, {"q": "1999 2000"})
    # vs "in 1999": P=1/2 R=1/2 -> 1/2; vs "1999 and 2000": P=1 R=2/3 -> 4/5
    assert scores["exact_match"] == 0.0
    assert scores["f1"] == pytest.approx(80.0)


def test_squad_v1_perfect_and_empty():
    examples = [span("a", "Paris"), span("b", "北京大学")]
    assert squad_v1(examples, {"a": "paris", "b": "北京大学"}) == {"exact_match": 100.0, "f1": 100.0}
    assert squad_v1(examples, {}) == {"exact_match": 0.0, "f1": 0.0}
    assert squad_v1([], {}) == {"exact_match": 0.0, "f1": 0.0}


def test_squad_v1_unicode_punctuation_is_not_stripped():
    examples = [span("a", "Paris"), span("b", "Paris")]
    scores = squad_v1(examples, {"a": "«Paris»", "b": '"Paris"'})
    assert scores["exact_match"] == pytest.approx(50.0)
    assert scores["f1"] == pytest.approx(50.0)


def test_accuracy():
    examples = [
        ClassificationExample("1", "a", "b", "entailment"),
        ClassificationExample("2", "a", "b", "neutral"),
        ClassificationExample("3", "a", "b", "contradiction"),
        ClassificationExample("4", "a", None, "neutral"),
    ]
    predictions = {"1": "entailment", "2": "neutral", "3": "neutral", "extra": "neutral"}
    assert accuracy(examples, predictions) == {"accuracy": pytest.approx(50.0)}
    assert accuracy(examples, {e.guid: e.label for e in examples}) == {"accuracy": 100.0}
    assert accuracy([], {}) == {"accuracy": 0.0}


def test_metric_registry():
    assert METRICS["accuracy"] is accuracy
    assert METRICS["squad_v1"] is squad_v1

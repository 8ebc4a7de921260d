"""Metric checks that kill the mutants mutation testing found alive (``scripts/mutation.sh metrics``).

Each test names the slip it catches; every expected value is worked out by hand from the definitions in the
metric modules' docstrings (the official scripts').
"""

from __future__ import annotations

import pytest

from tests.test_metrics import span
from xstilts.data.examples import ClassificationExample, SpanExample, TaggingExample
from xstilts.metrics import bucc, metric_for, mlqa, retrieval
from xstilts.metrics.accuracy_f1 import accuracy_f1
from xstilts.metrics.squad_v1 import squad_v1
from xstilts.metrics.squad_v2 import squad_v2
from xstilts.metrics.tag_accuracy import tag_accuracy


def test_positive_f1_counts_predicted_and_actual_positives_only() -> None:
    # 3 gold positives, 1 predicted positive (right): F1 = 2 * 1 / (1 + 3). Counting negatives instead would give
    # 2 / (3 + 3) or 2 / (1 + 1).
    examples = [ClassificationExample(str(i), "a", "b", label) for i, label in enumerate("1110")]
    scores = accuracy_f1(examples, {"0": "1", "1": "0", "2": "0", "3": "0"})
    assert scores == {"accuracy": 50.0, "f1": 50.0, "accuracy_f1_mean": 50.0}


def test_bucc_tie_between_a_short_and_a_long_prefix_keeps_the_short_one() -> None:
    # Scores 6..1, gold at ranks 2 and 6 of 2 golds: F1 is 1/2 after rank 2 (P 1/2, R 1/2) and again after rank 6
    # (P 1/3, R 1). Only a strict improvement moves the threshold, so it stays halfway between ranks 2 and 3.
    candidates = [(f"s{i}", f"t{i}", float(6 - i)) for i in range(6)]
    gold = [("s1", "t1"), ("s5", "t5")]
    threshold = bucc.best_threshold(candidates, gold)
    assert threshold == 4.5
    assert bucc.bucc_f1(candidates, gold, threshold) == {"f1": 50.0, "precision": 50.0, "recall": 50.0}


def test_bucc_sentence_ids_names_the_mismatch() -> None:
    with pytest.raises(ValueError, match="2 ids but 1 sentences"):
        bucc.sentence_ids(["a", "b"], ["only one"])


def test_retrieval_k_of_1_is_allowed_and_used() -> None:
    ranked, golds = [["x", "g"], ["g", "x"]], [{"g"}, {"g"}]
    assert retrieval.mean_average_precision(ranked, golds, k=1) == {"map@1": 50.0}
    assert retrieval.mean_reciprocal_rank(ranked, golds, k=1) == {"mrr@1": 50.0}
    # k=2 reaches the second query's gold at rank 2: AP 1/2 there, RR 1/2.
    assert retrieval.mean_average_precision(ranked, golds, k=2) == {"map@2": 75.0}


def test_retrieval_errors_say_what_is_wrong() -> None:
    with pytest.raises(ValueError, match="3 predictions but 2 gold indices"):
        retrieval.tatoeba_accuracy([0, 1, 2], [0, 1])
    with pytest.raises(ValueError, match="k must be at least 1, got 0"):
        retrieval.mean_average_precision([["a"]], [{"a"}], k=0)
    with pytest.raises(ValueError, match="2 rankings but 1 gold sets"):
        retrieval.mean_reciprocal_rank([["a"], ["b"]], [{"a"}])


@pytest.mark.parametrize("name", ["squad_v1", "squad_v2", "mlqa"])
def test_span_metrics_score_questions_after_one_without_a_prediction(name: str) -> None:
    examples = [span("a", "paris"), span("b", "rome"), span("c", "oslo")]
    scores = metric_for(name, "en")(
        examples, {"b": "rome", "c": "oslo"}
    )  # "a" unanswered: 0, but "b" and "c" still count
    assert scores["exact_match"] == pytest.approx(200 / 3)
    assert scores["f1"] == pytest.approx(200 / 3)


def test_mlqa_splits_chinese_characters_only_for_chinese() -> None:
    assert mlqa.normalize_answer("北京大学", "en") == "北京大学"
    assert mlqa.normalize_answer("北京大学", "zh") == "北 京 大 学"
    assert mlqa.f1_score("北京", "北京大学", "en") == 0.0
    assert mlqa.f1_score("北京", "北京大学", "zh") == pytest.approx(2 / 3)


def test_squad_v1_question_without_gold_answers_scores_zero() -> None:
    examples = [SpanExample("a", "q", "ctx", ()), span("b", "rome")]
    assert squad_v1(examples, {"a": "anything", "b": "rome"}) == {"exact_match": 50.0, "f1": 50.0}


def test_squad_v2_group_means_are_means() -> None:
    # Four answerable questions, two answered exactly: 50 in the group (a slip that divides by the sum gives 12.5).
    examples = [span(g, g) for g in ("w", "x", "y", "z")]
    scores = squad_v2(examples, {"w": "w", "x": "x", "y": "no", "z": "no"})
    assert scores["has_answer_exact_match"] == 50.0
    assert scores["has_answer_f1"] == 50.0
    assert "no_answer_exact_match" not in scores


def test_tag_accuracy_of_nothing_to_tag_is_zero() -> None:
    assert tag_accuracy([TaggingExample("a", (), ())], {"a": ()}) == {"accuracy": 0.0}
    assert tag_accuracy([], {}) == {"accuracy": 0.0}

"""SQuAD v2.0 scoring and no-answer decoding, QQP's accuracy/F1, and span scoring through the task: the null-score
rule of the official ``run_squad`` v2 and MLQA's per-language normalisation, on hand-made logits whose answers
are worked out by hand.
"""

from __future__ import annotations

import pytest
import torch

from tests.builders import LANGUAGE_WORDS, hand_span_features, logits_of
from xstilts.data.examples import Answer, ClassificationExample, SpanExample
from xstilts.evaluation import scoring
from xstilts.kinds.span_extraction import decode_spans
from xstilts.metrics import LANGUAGE_METRICS, METRICS, metric_for
from xstilts.metrics.accuracy_f1 import accuracy_f1
from xstilts.metrics.mlqa import mlqa
from xstilts.metrics.squad_v2 import exact_match_score, f1_score, gold_answers, squad_v2
from xstilts.tasks.registry import get_task


def span(guid: str, *golds: str) -> SpanExample:
    return SpanExample(guid, "q", " ".join(golds), tuple(Answer(g, 0) for g in golds))


# --------------------------------------------------------------------------------------------------------------
# the SQuAD v2.0 metric


@pytest.mark.parametrize(
    ("prediction", "gold", "exact", "f1"),
    [
        ("", "", 1.0, 1.0),  # unanswerable, abstained: right (v1.1's F1 would be 0)
        ("Denver", "", 0.0, 0.0),  # unanswerable, answered
        ("", "Denver Broncos", 0.0, 0.0),  # answerable, abstained
        ("the", "", 1.0, 1.0),  # normalises to nothing, like the empty string
        ("the Denver Broncos", "Denver Broncos!", 1.0, 1.0),
        ("cat sat", "the cat sat on mat", 0.0, 2 / 3),  # P = 1, R = 1/2
        ("cat cat", "cat", 0.0, 2 / 3),  # bags: P = 1/2, R = 1
        ("dog", "cat", 0.0, 0.0),
    ],
)
def test_squad_v2_pair_scores(prediction, gold, exact, f1):
    assert exact_match_score(prediction, gold) == exact
    assert f1_score(prediction, gold) == pytest.approx(f1)


def test_squad_v2_gold_answers_drop_empty_after_normalisation():
    assert gold_answers(span("q", "the", "Paris")) == ["Paris"]
    assert gold_answers(span("q", "a", "?")) == [""]
    assert gold_answers(SpanExample("q", "q", "c", ())) == [""]


def test_squad_v2_aggregate_and_groups():
    examples = [
        span("a", "Paris"),  # exact
        span("b", "the cat sat on mat"),  # partial: F1 2/3
        SpanExample("c", "q", "ctx", ()),  # unanswerable, abstained
        SpanExample("d", "q", "ctx", ()),  # unanswerable, answered
        span("e", "Rome"),  # no prediction
    ]
    predictions = {"a": "paris", "b": "cat sat", "c": "", "d": "ctx", "extra": "ignored"}
    scores = squad_v2(examples, predictions)
    assert scores == pytest.approx(
        {
            "exact_match": 100 * 2 / 5,
            "f1": 100 * (1 + 2 / 3 + 1) / 5,
            "has_answer_exact_match": 100 / 3,
            "has_answer_f1": 100 * (1 + 2 / 3) / 3,
            "no_answer_exact_match": 50.0,
            "no_answer_f1": 50.0,
        }
    )


def test_squad_v2_groups_by_raw_gold_answers_and_handles_empty_sets():
    # An answer that normalises to nothing still makes the question "has answer" (the script's qid_to_has_ans),
    # while the only gold it is compared with becomes "".
    scores = squad_v2([span("a", "the")], {"a": ""})
    assert scores == {"exact_match": 100.0, "f1": 100.0, "has_answer_exact_match": 100.0, "has_answer_f1": 100.0}
    assert squad_v2([], {}) == {"exact_match": 0.0, "f1": 0.0}


def test_squad_v2_agrees_with_v1_on_answerable_questions():
    examples = [span("a", "the Denver Broncos", "Broncos"), span("b", "in 1990"), span("c", "blue")]
    predictions = {"a": "Denver Broncos", "b": "1990 season", "c": "red"}
    v1, v2 = METRICS["squad_v1"](examples, predictions), squad_v2(examples, predictions)
    assert v2["exact_match"] == pytest.approx(v1["exact_match"]) and v2["f1"] == pytest.approx(v1["f1"])


# --------------------------------------------------------------------------------------------------------------
# QQP: accuracy, F1 of the positive class, their mean


def test_accuracy_f1_known_values_and_sklearn():
    from sklearn.metrics import f1_score as sk_f1

    gold = ["1", "1", "0", "0", "1", "0"]
    predicted = ["1", "0", "0", "1", "1", "0"]
    examples = [ClassificationExample(str(i), "a", "b", g) for i, g in enumerate(gold)]
    scores = accuracy_f1(examples, {str(i): p for i, p in enumerate(predicted)})
    # TP 2, FP 1, FN 1: F1 = 2·2 / (3 + 3)
    assert scores == pytest.approx({"accuracy": 100 * 4 / 6, "f1": 100 * 4 / 6, "accuracy_f1_mean": 100 * 4 / 6})
    assert scores["f1"] == pytest.approx(100 * sk_f1(gold, predicted, pos_label="1"))
    never = accuracy_f1(examples, {str(i): "0" for i in range(6)})
    assert never == pytest.approx({"accuracy": 50.0, "f1": 0.0, "accuracy_f1_mean": 25.0})
    assert accuracy_f1([], {}) == {"accuracy": 0.0, "f1": 0.0, "accuracy_f1_mean": 0.0}


def test_metric_tables():
    assert METRICS["squad_v2"] is squad_v2 and METRICS["accuracy_f1"] is accuracy_f1
    assert LANGUAGE_METRICS["mlqa"] is mlqa
    assert metric_for("squad_v1", "de") is METRICS["squad_v1"]
    examples = [span("q", "Hund")]
    assert metric_for("mlqa", "de")(examples, {"q": "der Hund"})["exact_match"] == 100.0
    assert metric_for("mlqa", "en")(examples, {"q": "der Hund"})["exact_match"] == 0.0
    with pytest.raises(KeyError):
        metric_for("nonesuch", "en")


# --------------------------------------------------------------------------------------------------------------
# null-score decoding

CONTEXT = "cat dog house tree"
# <s> q </s> </s> cat dog house tree </s>
OFFSETS = [(-1, -1)] * 4 + [(0, 3), (4, 7), (8, 13), (14, 18)] + [(-1, -1)]


def test_null_score_rule_against_the_best_span():
    examples = [SpanExample("q", "q", CONTEXT, ())]
    features = hand_span_features([(0, OFFSETS)])
    # null = 3 + 3 = 6; best span: start 4 (2) + end 5 (2.5) = 4.5 → "cat dog"; null - best = 1.5
    row = logits_of(9, starts={0: 3, 4: 2}, ends={0: 3, 5: 2.5})
    assert decode_spans(examples, features, [row], 30) == {"q": "cat dog"}  # no threshold: v1.1 decoding
    assert decode_spans(examples, features, [row], 30, null_score_threshold=0.0) == {"q": ""}
    assert decode_spans(examples, features, [row], 30, null_score_threshold=1.4) == {"q": ""}
    assert decode_spans(examples, features, [row], 30, null_score_threshold=1.5) == {"q": "cat dog"}  # not >
    assert decode_spans(examples, features, [row], 30, null_score_threshold=2.0) == {"q": "cat dog"}
    # the span beats the null score: answered even at threshold 0
    row = logits_of(9, starts={0: 1, 4: 2}, ends={0: 1, 5: 2.5})
    assert decode_spans(examples, features, [row], 30, null_score_threshold=0.0) == {"q": "cat dog"}


def test_null_score_is_the_lowest_over_windows():
    context2 = "river sun book"
    offsets_a = [(-1, -1)] * 3 + [(0, 5), (6, 9)] + [(-1, -1)]
    offsets_b = [(-1, -1)] * 3 + [(6, 9), (10, 14)] + [(-1, -1)]
    examples = [SpanExample("b", "q", context2, ())]
    features = hand_span_features([(0, offsets_a), (0, offsets_b)], [0, 1])
    # window a: null 5 + 5 = 10; window b: null 1 + 1 = 2; best span "book" 3 + 2.5 = 5.5 (in window b)
    logits = [logits_of(6, starts={0: 5}, ends={0: 5}), logits_of(6, starts={0: 1, 4: 3}, ends={0: 1, 4: 2.5})]
    assert decode_spans(examples, features, logits, 30, null_score_threshold=0.0) == {"b": "book"}
    # with the larger null score in both windows, the minimum (8) beats 5.5
    logits[1] = logits_of(6, starts={0: 4, 4: 3}, ends={0: 4, 4: 2.5})
    assert decode_spans(examples, features, logits, 30, null_score_threshold=0.0) == {"b": ""}
    assert decode_spans(examples, features, logits, 30, null_score_threshold=2.5) == {"b": "book"}


def test_no_valid_span_is_no_answer():
    examples = [SpanExample("c", "q", "nothing", ())]
    features = hand_span_features([(0, [(-1, -1)] * 4)])
    row = logits_of(4, starts={0: -5, 1: 100}, ends={0: -5, 1: 100})
    assert decode_spans(examples, features, [row], 30, null_score_threshold=0.0) == {"c": ""}


# --------------------------------------------------------------------------------------------------------------
# scoring through the task: the decoder is told the task's no-answer rule, the metric the set's language


def score_through(task_name: str, examples, features, logits, language, monkeypatch):
    monkeypatch.setattr(scoring, "forward_all", lambda *args, **kwargs: logits)
    task = get_task(task_name)
    data = {"eval_batch_size": 8, "max_answer_length": 30}
    return scoring.score_set(None, task_name, task, [], examples, features, data, language, 1, torch.device("cpu"))


def test_squad_v2_task_abstains_where_squad_v1_answers(monkeypatch):
    examples = [
        SpanExample("unanswerable", "q", CONTEXT, ()),
        SpanExample("answerable", "q", CONTEXT, (Answer("house", 8),)),
    ]
    features = hand_span_features([(0, OFFSETS), (1, OFFSETS)])
    logits = [
        logits_of(9, starts={0: 3, 4: 2}, ends={0: 3, 5: 2.5}),  # null wins: ""
        logits_of(9, starts={0: 1, 6: 4}, ends={0: 1, 6: 4}),  # span wins: "house"
    ]
    scores, predictions = score_through("squad_v2", examples, features, logits, "en", monkeypatch)
    assert predictions == {"unanswerable": "", "answerable": "house"}
    assert scores["exact_match"] == 100.0 and scores["no_answer_exact_match"] == 100.0
    _, predictions = score_through("squad_v1", examples, features, logits, "en", monkeypatch)
    assert predictions == {"unanswerable": "cat dog", "answerable": "house"}  # v1.1: always a span


def test_mlqa_task_scores_with_the_sets_language(monkeypatch):
    context = "der Hund schläft"
    offsets = [(-1, -1)] * 4 + [(0, 3), (4, 8), (9, 16)] + [(-1, -1)]
    examples = [SpanExample("q", "Wer schläft?", context, (Answer("der Hund", 0),))]
    features = hand_span_features([(0, offsets)])
    logits = [logits_of(8, starts={5: 5}, ends={5: 5})]  # predicts "Hund"
    scores, predictions = score_through("mlqa", examples, features, logits, "de", monkeypatch)
    assert predictions == {"q": "Hund"}
    assert scores == {"exact_match": 100.0, "f1": 100.0}  # "der" is a German article
    scores, _ = score_through("mlqa", examples, features, logits, "en", monkeypatch)
    assert scores == pytest.approx({"exact_match": 0.0, "f1": 100 * 2 / 3})
    scores, _ = score_through("xquad", examples, features, logits, "de", monkeypatch)
    assert scores["exact_match"] == 0.0  # SQuAD v1.1 normalisation knows no German articles


# --------------------------------------------------------------------------------------------------------------
# the n-best cut: run_squad pairs only the 20 best start and the 20 best end tokens of a window

# 30 distinct one-token words: <s> q </s> </s> w0 … w29 </s>, so context word k is token k + 4
NBEST_WORDS = [*LANGUAGE_WORDS["en"], *LANGUAGE_WORDS["de"], *LANGUAGE_WORDS["sw"]]
NBEST_CONTEXT = " ".join(NBEST_WORDS)


def nbest_offsets() -> list[tuple[int, int]]:
    spans, position = [], 0
    for word in NBEST_WORDS:
        spans.append((position, position + len(word)))
        position += len(word) + 1
    return [(-1, -1)] * 4 + spans + [(-1, -1)]


def low_but(n: int, high: dict[int, float]) -> dict[int, float]:
    """Every token at -10 but the given ones: fillers can only pair into scores far below the winners."""
    return {**dict.fromkeys(range(n), -10.0), **high}


@pytest.mark.parametrize(
    ("starts", "ends", "top_20", "with_one_rival_less"),
    [
        # The 21st-ranked start. Starts: tokens 14..33 (20 rivals) at 5, token 30 at 6; token 4 at 4.5 ranks 21st.
        # Ends: token 5 at 10, token 30 at 1. No top-20 start lies before end 5, so the best top-20 pair is
        # (30, 30) = 6 + 1 = 7 (w26; (s, 30) for s < 30 gives 6, a filler end at most 6 - 10). A search without
        # the cut, or the cut with one rival less (token 14 at -10: token 4 ranks 20th), pairs start 4 with end 5:
        # 4.5 + 10 = 14.5 (w0 w1).
        (
            {**dict.fromkeys(range(14, 34), 5.0), 30: 6.0, 4: 4.5},
            {5: 10.0, 30: 1.0},
            "kitabu",  # w26
            ({14: -10.0}, {}, "cat dog"),  # w0 w1
        ),
        # The 21st-ranked end. Ends: tokens 4..23 (20 rivals) at 5, token 8 at 6; token 31 at 4.5 ranks 21st.
        # Starts: token 30 at 10, token 6 at 1. No top-20 end lies after start 30, so the best top-20 pair is
        # (6, 8) = 1 + 6 = 7 (w2 w3 w4). Without the cut, or with one rival less (token 4 at -10), start 30 pairs
        # with end 31: 10 + 4.5 = 14.5 (w26 w27).
        (
            {30: 10.0, 6: 1.0},
            {**dict.fromkeys(range(4, 24), 5.0), 8: 6.0, 31: 4.5},
            "house tree river",  # w2 w3 w4
            ({}, {4: -10.0}, "kitabu barabara"),  # w26 w27
        ),
    ],
    ids=["21st_start", "21st_end"],
)
def test_decode_spans_pairs_only_the_20_best_starts_and_ends(starts, ends, top_20, with_one_rival_less):
    offsets = nbest_offsets()
    n = len(offsets)
    examples = [SpanExample("q", "q", NBEST_CONTEXT, ())]
    features = hand_span_features([(0, offsets)])
    row = logits_of(n, starts=low_but(n, starts), ends=low_but(n, ends))
    assert decode_spans(examples, features, [row], 30) == {"q": top_20}
    # the same logits with one of the 20 rivals demoted: the 21st token ranks 20th and is paired after all
    fewer_starts, fewer_ends, answer = with_one_rival_less
    row = logits_of(n, starts=low_but(n, {**starts, **fewer_starts}), ends=low_but(n, {**ends, **fewer_ends}))
    assert decode_spans(examples, features, [row], 30) == {"q": answer}

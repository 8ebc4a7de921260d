"""XTREME's other metrics (MLQA, seqeval span F1, BUCC, Tatoeba, mAP@20, MRR@20), against values computed by hand
from the official scripts' definitions (see each module's docstring for the source)."""

from __future__ import annotations

import warnings

import pytest

from xstilts.data.examples import Answer, SpanExample
from xstilts.metrics import bucc, mlqa, retrieval
from xstilts.metrics.seqeval_f1 import tagging_f1


def span(guid: str, *golds: str) -> SpanExample:
    return SpanExample(guid=guid, question="q", context=" ".join(golds), answers=tuple(Answer(g, 0) for g in golds))


# --- MLQA -------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("The  Quick, brown fox!", "en", "quick brown fox"),
        ("die Katze", "en", "die katze"),  # only a/an/the in English
        ("«Paris»", "en", "paris"),  # Unicode punctuation goes too (v1.1 keeps « »)
        ("“Paris” — 1998…", "en", "paris 1998"),
        ("$100 + 1 = 101 | a^b ~c `d` <e>", "en", "100 1 101 ab c d e"),  # ASCII symbols are in the set
        ("€100 ±5 ©", "en", "€100 ±5 ©"),  # non-ASCII symbols (S*) are not punctuation
        ("¿Dónde está la casa?", "es", "dónde está casa"),
        ("¡Los Ángeles!", "es", "ángeles"),
        ("Unos laureles y unas lanas", "es", "laureles y lanas"),  # whole words only
        ("Der Hund, die Katze und das Haus", "de", "hund katze und haus"),
        ("Einstein eines Abends", "de", "einstein abends"),
        ("ÜBER DEN DÄCHERN", "de", "über dächern"),
        ("những cái bàn của tôi", "vi", "bàn tôi"),
        ("con mèo chiếc xe là", "vi", "con mèo xe"),  # 'con' is not in the script's list
        ("الكتاب", "ar", "كتاب"),
        ("بالكتاب", "ar", "ب كتاب"),  # every 'ال' goes, mid-word too, leaving a space
        ("مال", "ar", "م"),
        ("القاهرة، مصر.", "ar", "قاهرة مصر"),  # Arabic comma U+060C is punctuation
        ("भारत। एक देश", "hi", "भारत एक देश"),  # danda U+0964 is punctuation; no articles
        ("北京大学。", "zh", "北 京 大 学"),
        ("2008年北京奥运会", "zh", "2008 年 北 京 奥 运 会"),
        ("我爱NLP和Deep Learning", "zh", "我 爱 nlp 和 deep learning"),
        ("「北京」，中国！", "zh", "北 京 中 国"),
        ("ひらがな 東京", "zh", "ひらがな 東 京"),  # kana is not in U+4E00..U+9FA5
        ("龦龧龥", "zh", "龦龧 龥"),  # U+9FA6, U+9FA7 fall outside the script's range, U+9FA5 is inside
        ("the a an", "zh", "the a an"),  # no articles for Chinese
        ("", "en", ""),
        ("?!...¿¡«»", "es", ""),
    ],
)
def test_mlqa_normalize_answer(text, language, expected):
    assert mlqa.normalize_answer(text, language) == expected


def test_mlqa_mixed_segmentation_on_raw_text():
    assert mlqa.mixed_segmentation("ab 北京,cd  e") == ["ab", "北", "京", ",", "cd", "e"]
    assert mlqa.mixed_segmentation("") == []


@pytest.mark.parametrize(
    ("prediction", "gold", "language", "exact", "f1"),
    [
        ("the cat sat", "cat sat on mat", "en", 0.0, 2 / 3),  # P = 1, R = 1/2
        ("北京大学", "北京", "zh", 0.0, 2 / 3),  # characters are tokens: P = 1/2, R = 1
        ("北京。", "北京", "zh", 1.0, 1.0),
        ("الكتاب", "كتاب", "ar", 1.0, 1.0),
        ("«la casa»", "casa", "es", 1.0, 1.0),
        ("das Haus", "ein Haus", "de", 1.0, 1.0),
        ("", "Paris", "en", 0.0, 0.0),  # empty prediction
        ("", "the", "en", 1.0, 0.0),  # both normalise to "": exact, but no shared token for F1
        ("cat cat cat", "cat", "en", 0.0, 0.5),
    ],
)
def test_mlqa_exact_and_f1(prediction, gold, language, exact, f1):
    assert mlqa.exact_match_score(prediction, gold, language) == exact
    assert mlqa.f1_score(prediction, gold, language) == pytest.approx(f1)


def test_mlqa_averages_max_over_golds_in_percent():
    examples = [
        span("q1", "北京大学", "北京"),  # prediction matches the second gold: EM 1, F1 1
        span("q2", "二零零八年"),  # 4 of 5 characters: P = 1, R = 4/5, F1 = 8/9
        span("q3", "上海"),  # no prediction: 0, still counted
        SpanExample(guid="q4", question="q", context="c", answers=()),  # no gold: 0
    ]
    predictions = {"q1": "北京。", "q2": "二零零八", "q4": "北京"}
    scores = mlqa.mlqa(examples, predictions, "zh")
    assert scores["exact_match"] == pytest.approx(25.0)
    assert scores["f1"] == pytest.approx(100 * (1 + 8 / 9) / 4)


def test_mlqa_language_matters_and_unknown_language_raises():
    examples = [span("q", "la casa")]
    assert mlqa.mlqa(examples, {"q": "casa"}, "es")["exact_match"] == 100.0
    assert mlqa.mlqa(examples, {"q": "casa"}, "en")["exact_match"] == 0.0
    assert mlqa.mlqa([], {}, "en") == {"exact_match": 0.0, "f1": 0.0}
    with pytest.raises(ValueError, match="fr"):
        mlqa.mlqa(examples, {"q": "casa"}, "fr")
    with pytest.raises(ValueError):
        mlqa.normalize_answer("x", "ja")


# --- seqeval span F1 ---------------------------------------------------------------------------------------------


def test_tagging_f1_ner_spans():
    gold = [["B-PER", "I-PER", "O", "B-LOC"], ["B-ORG", "I-ORG", "I-ORG"]]
    predicted = [["B-PER", "I-PER", "O", "B-ORG"], ["B-ORG", "I-ORG", "O"]]
    # gold: PER, LOC, ORG(3 tokens); predicted: PER, ORG(wrong place), ORG(2 tokens): one of three is right
    scores = tagging_f1(gold, predicted)
    assert scores == pytest.approx({"f1": 100 / 3, "precision": 100 / 3, "recall": 100 / 3})


def test_tagging_f1_ner_conlleval_mode():
    # Non-strict: a span may open with I-, and a type change inside I- tags opens a new span.
    assert tagging_f1([["I-PER", "I-PER", "O"]], [["B-PER", "I-PER", "O"]])["f1"] == 100.0
    gold = [["B-PER", "I-PER", "I-PER"]]
    predicted = [["B-PER", "I-LOC", "I-LOC"]]  # PER(0..0) + LOC(1..2): neither matches PER(0..2)
    assert tagging_f1(gold, predicted) == {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    # Sentences do not run into each other: the separator closes the span.
    assert tagging_f1([["B-PER"], ["I-PER"]], [["B-PER"], ["B-PER"]])["f1"] == 100.0


def test_tagging_f1_bare_pos_tags_are_spans_not_tokens():
    assert tagging_f1([["NOUN", "NOUN", "VERB"]], [["NOUN", "NOUN", "VERB"]])["f1"] == 100.0
    # Token accuracy would be 2/3; as spans NOUN(0..1)+VERB(2) vs NOUN(0)+VERB(1..2) share nothing.
    assert tagging_f1([["NOUN", "NOUN", "VERB"]], [["NOUN", "VERB", "VERB"]])["f1"] == 0.0
    # gold DET NOUN VERB PUNCT = 4 spans; predicted DET NOUN+NOUN PUNCT = 3 spans; 2 shared.
    scores = tagging_f1([["DET", "NOUN", "VERB", "PUNCT"]], [["DET", "NOUN", "NOUN", "PUNCT"]])
    assert scores == pytest.approx({"f1": 100 * 4 / 7, "precision": 100 * 2 / 3, "recall": 50.0})


def test_tagging_f1_pos_tags_read_through_their_first_letter():
    # SYM starts with S (a single-token chunk): SYM SYM is two spans, unlike NOUN NOUN.
    assert tagging_f1([["SYM", "SYM"]], [["SYM", "NOUN"]]) == pytest.approx(
        {"f1": 50.0, "precision": 50.0, "recall": 50.0}
    )
    # INTJ starts with I: INTJ INTJ is one span.
    assert tagging_f1([["INTJ", "INTJ"]], [["INTJ", "VERB"]])["f1"] == 0.0
    # CCONJ and SCONJ share the type CONJ: CCONJ before SCONJ is never closed, so the gold has one span only.
    scores = tagging_f1([["CCONJ", "SCONJ"]], [["VERB", "SCONJ"]])
    assert scores == pytest.approx({"f1": 100 * 2 / 3, "precision": 50.0, "recall": 100.0})
    # X has the type of O: an X ending its sentence is never closed, in gold and prediction alike.
    assert tagging_f1([["NOUN", "X"]], [["NOUN", "VERB"]]) == pytest.approx(
        {"f1": 100 * 2 / 3, "precision": 50.0, "recall": 100.0}
    )
    assert tagging_f1([["X"]], [["NOUN"]]) == {"f1": 0.0, "precision": 0.0, "recall": 0.0}


def test_tagging_f1_edge_cases():
    assert tagging_f1([], []) == {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    assert tagging_f1([["O", "O"], []], [["O", "O"], []]) == {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    assert tagging_f1((("B-PER", "O"),), (("B-PER", "O"),))["f1"] == 100.0  # tuples are fine
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # seqeval's per-tag and zero-division warnings are kept inside
        tagging_f1([["NOUN"]], [["O"]])
    with pytest.raises(ValueError, match="sentence 1"):
        tagging_f1([["B-PER"], ["O", "O"]], [["B-PER"], ["O"]])
    with pytest.raises(ValueError, match="2 gold sentences but 1"):
        tagging_f1([["O"], ["O"]], [["O"]])


# --- BUCC ---------------------------------------------------------------------------------------------------------

GOLD = {("d1", "e1"), ("d2", "e2"), ("d4", "e4")}
CANDIDATES = [("d1", "e1", 3.0), ("d2", "e2", 2.0), ("d3", "e9", 1.5), ("d4", "e4", 1.0), ("d5", "e5", 0.5)]


def test_bucc_threshold_maximises_f1_and_sits_halfway():
    # Prefix F1: 1/2, 4/5, 2/3, 6/7 (best, after the 4th), 3/4: halfway between 1.0 and 0.5.
    threshold = bucc.best_threshold(CANDIDATES, GOLD)
    assert threshold == 0.75
    scores = bucc.bucc_f1(CANDIDATES, GOLD, threshold)
    assert scores == pytest.approx({"f1": 100 * 6 / 7, "precision": 75.0, "recall": 100.0})
    # Applied to other (test) candidates, extraction is score >= threshold.
    test = [("t1", "u1", 0.75), ("t2", "u2", 0.74), ("t3", "u3", 2.0)]
    scores = bucc.bucc_f1(test, {("t1", "u1"), ("t2", "u2")}, threshold)
    assert scores == pytest.approx({"f1": 50.0, "precision": 50.0, "recall": 50.0})


def test_bucc_earliest_best_wins_and_last_candidate_is_handled():
    # F1 1.0 after the first pair; the later prefixes never beat it strictly.
    assert bucc.best_threshold([("a", "x", 2.0), ("b", "y", 1.0)], {("a", "x")}) == 1.5
    # The best prefix is every candidate: the official script would read past the end; here the last score.
    assert bucc.best_threshold([("a", "x", 2.0), ("b", "y", 1.0)], {("a", "x"), ("b", "y")}) == 1.0


def test_bucc_ties_at_the_threshold():
    gold = {("a", "x"), ("b", "y")}
    candidates = [("a", "x", 2.0), ("b", "y", 1.0), ("c", "z", 1.0), ("d", "w", 0.5)]
    # Best prefix a,b (F1 1) ends inside the tie 1.0/1.0: the threshold is 1.0 and extraction takes c as well.
    assert bucc.best_threshold(candidates, gold) == 1.0
    assert bucc.bucc_f1(candidates, gold, 1.0) == pytest.approx({"f1": 80.0, "precision": 100 * 2 / 3, "recall": 100.0})
    # Ties keep input order: with c first the best prefix is a,c,b (F1 4/5), halfway to 0.5.
    reordered = [candidates[0], candidates[2], candidates[1], candidates[3]]
    assert bucc.best_threshold(reordered, gold) == 0.75
    assert bucc.bucc_f1(reordered, gold, 0.75)["f1"] == pytest.approx(80.0)


def test_bucc_duplicate_pairs_keep_their_best_score_and_count_once():
    candidates = [("a", "x", 1.0), ("a", "x", 3.0), ("b", "y", 2.0), ("a", "x", 0.1)]
    assert bucc.candidate_scores(candidates) == {("a", "x"): 3.0, ("b", "y"): 2.0}
    assert bucc.best_threshold(candidates, [("a", "x"), ("a", "x")]) == 2.5
    assert bucc.bucc_f1(candidates, {("a", "x")}, 2.5) == {"f1": 100.0, "precision": 100.0, "recall": 100.0}
    scores = bucc.bucc_f1(candidates, [("a", "x"), ("a", "x")], 0.5)  # two distinct pairs extracted, not four
    assert scores == pytest.approx({"f1": 100 * 2 / 3, "precision": 50.0, "recall": 100.0})


def test_bucc_duplicate_sentences_lose_their_ids():
    source = bucc.sentence_ids(["de-1", "de-2", "de-3"], ["Hallo Welt\n", "Guten Tag", " Hallo Welt"])
    assert source == {"Guten Tag": "de-2"}
    target = bucc.sentence_ids(["en-1", "en-2"], ["Hello world", "Good day"])
    scored = [(1.2, "Hallo Welt", "Hello world"), (1.1, " Guten Tag ", "Good day\n"), (0.9, "Tschüss", "Bye")]
    candidates = bucc.candidates_from_sentences(scored, source, target)
    assert candidates == [("de-2", "en-2", 1.1)]
    # The gold pair of the repeated sentence still counts in recall.
    scores = bucc.bucc_f1(candidates, {("de-1", "en-1"), ("de-2", "en-2")}, 1.0)
    assert scores == pytest.approx({"f1": 100 * 2 / 3, "precision": 100.0, "recall": 50.0})
    with pytest.raises(ValueError):
        bucc.sentence_ids(["de-1"], ["a", "b"])


def test_bucc_nothing_to_find():
    assert bucc.best_threshold(CANDIDATES, set()) == 0.0
    assert bucc.best_threshold([], GOLD) == 0.0
    assert bucc.best_threshold([("x", "y", 5.0)], GOLD) == 0.0  # nothing correct: 0, as the official script
    assert bucc.bucc_f1(CANDIDATES, set(), 0.0) == {"f1": 0.0, "precision": 0.0, "recall": 0.0}
    assert bucc.bucc_f1([], GOLD, 0.0) == {"f1": 0.0, "precision": 0.0, "recall": 0.0}


# --- Tatoeba, mAP@20, MRR@20 --------------------------------------------------------------------------------------


def test_tatoeba_accuracy():
    assert retrieval.tatoeba_accuracy([0, 2, 2, 3]) == {"accuracy": 75.0}  # gold is the query's own index
    assert retrieval.tatoeba_accuracy([0, 2, 2, 3], [1, 2, 0, 3]) == {"accuracy": 50.0}
    assert retrieval.tatoeba_accuracy([]) == {"accuracy": 0.0}
    with pytest.raises(ValueError):
        retrieval.tatoeba_accuracy([0, 1], [0])


@pytest.mark.parametrize(
    ("ranked", "gold", "k", "expected"),
    [
        (["a", "x", "b", "y", "c"], {"a", "b", "c"}, 20, (1 + 2 / 3 + 3 / 5) / 3),
        (["6", "4", "7", "1", "2"], {"1", "2", "3", "4", "5"}, 2, 0.25),  # divisor min(k, golds) = 2
        (["1", "1", "1", "1", "1"], {"1", "2", "3", "4", "5"}, 5, 0.2),  # a repeat is no new hit
        (["a", "a", "b"], {"a", "b"}, 20, (1 + 2 / 3) / 2),  # ...but still takes a rank
        ([f"x{i}" for i in range(20)] + ["a"], {"a"}, 20, 0.0),  # gold at rank 21
        ([f"x{i}" for i in range(20)] + ["a"], {"a"}, 21, 1 / 21),
        ([f"g{i}" for i in range(20)], {f"g{i}" for i in range(25)}, 20, 1.0),  # 25 golds: normalised by 20
        ([], {"a"}, 20, 0.0),
    ],
)
def test_average_precision_at_k(ranked, gold, k, expected):
    assert retrieval.average_precision_at_k(ranked, gold, k) == pytest.approx(expected)


def test_map_and_mrr_at_20():
    ranked = [["x", "a", "b"], ["a"], ["y", "z"], [f"x{i}" for i in range(20)] + ["a"]]
    golds = [{"a", "b"}, {"a"}, {"a"}, {"a"}]
    # AP: (1/2 + 2/3)/2, 1, 0, 0 (beyond rank 20); RR: 1/2, 1, 0, 0.
    assert retrieval.mean_average_precision(ranked, golds) == pytest.approx({"map@20": 100 * (7 / 12 + 1) / 4})
    assert retrieval.mean_reciprocal_rank(ranked, golds) == pytest.approx({"mrr@20": 100 * 1.5 / 4})
    # One gold per query (Mewsli-X): mAP@20 and MRR@20 coincide.
    single = [{"a"}, {"a"}, {"a"}, {"a"}]
    assert retrieval.mean_average_precision(ranked, single)["map@20"] == pytest.approx(
        retrieval.mean_reciprocal_rank(ranked, single)["mrr@20"]
    )
    assert retrieval.mean_reciprocal_rank(ranked, golds, k=21) == pytest.approx({"mrr@21": 100 * (1.5 + 1 / 21) / 4})


def test_retrieval_edge_cases():
    assert retrieval.mean_average_precision([], []) == {"map@20": 0.0}
    assert retrieval.mean_reciprocal_rank([], []) == {"mrr@20": 0.0}
    with pytest.raises(ValueError, match="query 1"):
        retrieval.mean_average_precision([["a"], ["b"]], [{"a"}, set()])
    with pytest.raises(ValueError, match="query 0"):
        retrieval.mean_reciprocal_rank([["a"]], [set()])
    with pytest.raises(ValueError):
        retrieval.mean_reciprocal_rank([["a"]], [{"a"}, {"b"}])
    with pytest.raises(ValueError):
        retrieval.mean_average_precision([["a"]], [{"a"}], k=0)

"""Featurizers (classification, SQuAD-style spans with doc stride), the feature cache, batching and span decoding.

The tokenizer is the tiny word-level one of ``tests.builders`` (XLM-R special ids: <s>=0, <pad>=1, </s>=2), so
one word is one token and every expected window can be worked out by hand.
"""

from __future__ import annotations

import json
import random
import re

import numpy as np
import pytest
import torch

from tests.builders import LANGUAGE_WORDS, hand_span_features, logits_of, make_tiny_model, squad_document
from xstilts.data.batching import MEGABATCH, collate, evaluation_batches, training_batches
from xstilts.data.examples import Answer, ClassificationExample, SpanExample
from xstilts.data.features import PAD_TOKEN, Column, FeatureCache, Features, cache_key, tokenizer_fingerprint
from xstilts.kinds.classification import featurize_classification
from xstilts.kinds.span_extraction import decode_spans, featurize_spans

NLI = ("contradiction", "entailment", "neutral")
QUESTION = "what is the answer ?"  # 5 tokens
WORDS = LANGUAGE_WORDS["en"]


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny") / "m")


@pytest.fixture(scope="module")
def tokenizer(model_dir):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(model_dir)


def pairs(flat: list[int]) -> list[tuple[int, int]]:
    return list(zip(flat[0::2], flat[1::2], strict=True))


def context_of(n: int, offset: int = 0) -> str:
    return " ".join(WORDS[(i + offset) % len(WORDS)] for i in range(n))


def word_index(context: str) -> dict[int, int]:
    """Character offset of each whitespace word -> its index (one word is one token here)."""
    return {m.start(): i for i, m in enumerate(re.finditer(r"\S+", context))}


def span_example(context: str, answer_word: int | None, n_words: int = 1, question: str = QUESTION, guid="g"):
    """A question whose answer is ``n_words`` words of the context starting at word ``answer_word``."""
    if answer_word is None:
        return SpanExample(guid, question, context, ())
    matches = list(re.finditer(r"\S+", context))
    start = matches[answer_word].start()
    end = matches[answer_word + n_words - 1].end()
    return SpanExample(guid, question, context, (Answer(context[start:end], start),))


def xtreme_windows(n_tokens: int, room: int, doc_stride: int) -> list[tuple[int, int]]:
    """(first context token, number of tokens) of each window, as BERT's / XTREME's run_squad makes them."""
    windows, start = [], 0
    while True:
        length = min(n_tokens - start, room)
        windows.append((start, length))
        if start + length == n_tokens:
            return windows
        start += min(length, doc_stride)


def feature_windows(features: Features, context: str, example_index: int = 0) -> list[tuple[int, int]]:
    index = word_index(context)
    windows = []
    for f, e in enumerate(features.scalars["example_index"]):
        if e != example_index:
            continue
        context_offsets = [p for p in pairs(features.sequences["offsets"][f]) if p[0] >= 0]
        first = index[context_offsets[0][0]]
        # one token per word, contiguous
        assert [index[a] for a, _ in context_offsets] == list(range(first, first + len(context_offsets)))
        windows.append((first, len(context_offsets)))
    return windows


# ----------------------------------------------------------------------------------------------------------------
# classification


def test_featurize_classification_pairs(tokenizer):
    examples = [
        ClassificationExample("a", "cat dog", "dog yes", "entailment"),
        ClassificationExample("b", "haus baum fluss", "no", "contradiction"),
        ClassificationExample("c", "sun", "maybe", None),
    ]
    features = featurize_classification(examples, tokenizer, NLI, max_length=64)
    assert len(features) == 3
    assert features.sequences["input_ids"][0] == tokenizer("cat dog", "dog yes")["input_ids"]
    tokens = tokenizer.convert_ids_to_tokens(features.sequences["input_ids"][1])
    assert tokens == ["<s>", "haus", "baum", "fluss", "</s>", "</s>", "no", "</s>"]
    assert features.scalars["label"] == [1, 0, -1]
    assert features.scalars["example_index"] == [0, 1, 2]
    assert "token_type_ids" not in features.sequences  # XLM-R's tokenizer takes none
    assert features.lengths().tolist() == [8, 8, 6]


def test_featurize_classification_single_sentences_and_truncation(tokenizer):
    long = " ".join(WORDS * 5)
    examples = [ClassificationExample("a", long, None, "1"), ClassificationExample("b", "cat", None, "0")]
    features = featurize_classification(examples, tokenizer, ("0", "1"), max_length=16)
    assert [len(ids) for ids in features.sequences["input_ids"]] == [16, 3]
    assert features.sequences["input_ids"][0][0] == 0
    assert features.sequences["input_ids"][0][-1] == 2
    assert tokenizer.convert_ids_to_tokens(features.sequences["input_ids"][1]) == ["<s>", "cat", "</s>"]
    assert features.scalars["label"] == [1, 0]
    pairs_features = featurize_classification(
        [ClassificationExample("p", long, long, "0")], tokenizer, ("0", "1"), max_length=20
    )
    assert len(pairs_features.sequences["input_ids"][0]) == 20


# ----------------------------------------------------------------------------------------------------------------
# spans


def test_featurize_spans_single_window(tokenizer):
    context = "cat dog house tree river sun ."
    example = span_example(context, 3, n_words=2)  # "tree river"
    features = featurize_spans([example], tokenizer, max_length=64, doc_stride=16, max_query_length=16, training=True)
    assert len(features) == 1
    tokens = tokenizer.convert_ids_to_tokens(features.sequences["input_ids"][0])
    assert tokens == ["<s>", *QUESTION.split(), "</s>", "</s>", *context.split(), "</s>"]
    offsets = pairs(features.sequences["offsets"][0])
    assert len(offsets) == len(tokens)
    assert all(p == (-1, -1) for p in offsets[:8]) and offsets[-1] == (-1, -1)
    assert [context[a:b] for a, b in offsets[8:-1]] == context.split()
    s, e = features.scalars["start_position"][0], features.scalars["end_position"][0]
    assert (s, e) == (8 + 3, 8 + 4)
    assert context[offsets[s][0] : offsets[e][1]] == "tree river"
    assert features.scalars["example_index"] == [0]


@pytest.mark.parametrize("n_tokens", [5, 11, 12, 15, 16, 19, 20, 37])
@pytest.mark.parametrize("doc_stride", [3, 4, 11, 30])
def test_featurize_spans_windows_advance_by_doc_stride(tokenizer, n_tokens, doc_stride):
    max_length = 20
    room = max_length - 5 - 4  # question tokens, <s> q </s> </s> c </s>
    context = context_of(n_tokens)
    example = span_example(context, None)
    features = featurize_spans([example], tokenizer, max_length, doc_stride, max_query_length=64, training=True)
    assert feature_windows(features, context) == xtreme_windows(n_tokens, room, doc_stride)
    assert features.scalars["window_start"] == [start for start, _ in xtreme_windows(n_tokens, room, doc_stride)]
    assert all(len(ids) <= max_length for ids in features.sequences["input_ids"])
    assert set(features.scalars["start_position"]) == {0}


def test_max_context_uses_window_starts_not_offsets():
    """Two tokens may share a character span (a lone "▁" and the piece after it); matching offsets to find
    where a window starts then goes wrong. Window B starts at context token 1 (BERT's _check_is_max_context)."""
    from xstilts.kinds.span_extraction import _max_context

    a = [(0, 1), (0, 1), (1, 2), (2, 3)]
    b = [(0, 1), (1, 2), (2, 3), (3, 4)]
    assert _max_context([a, b], [0, 1]) == [[True, True, True, False], [False, False, True, True]]


def test_featurize_spans_answer_positions_in_every_window(tokenizer):
    context = context_of(37)
    index = word_index(context)
    for answer_word in (0, 5, 12, 20, 36):
        example = span_example(context, answer_word, n_words=1)
        features = featurize_spans([example], tokenizer, 20, 4, 64, training=True)
        windows = feature_windows(features, context)
        assert windows == xtreme_windows(37, 11, 4)
        assert len(windows) > 1
        found = 0
        for f, (first, length) in enumerate(windows):
            s, e = features.scalars["start_position"][f], features.scalars["end_position"][f]
            offsets = pairs(features.sequences["offsets"][f])
            if first <= answer_word < first + length:
                found += 1
                assert context[offsets[s][0] : offsets[e][1]] == example.answers[0].text
                assert index[offsets[s][0]] == answer_word
            else:
                assert (s, e) == (0, 0)
        assert found >= 1


def test_featurize_spans_answer_cut_by_a_window_is_outside_it(tokenizer):
    context = context_of(20)
    example = span_example(context, 13, n_words=3)  # words 13, 14, 15
    features = featurize_spans([example], tokenizer, 20, 4, 64, training=True)
    windows = feature_windows(features, context)
    assert windows == [(0, 11), (4, 11), (8, 11), (12, 8)]  # window 1 holds words 4..14: the answer is cut
    positions = list(zip(features.scalars["start_position"], features.scalars["end_position"], strict=True))
    assert positions[0] == (0, 0) and positions[1] == (0, 0)
    for f in (2, 3):
        s, e = positions[f]
        offsets = pairs(features.sequences["offsets"][f])
        assert e - s == 2
        assert context[offsets[s][0] : offsets[e][1]] == example.answers[0].text


def test_featurize_spans_many_examples_invariants(tokenizer):
    document = squad_document("en", n_questions=40, seed=3)
    examples = [
        SpanExample(
            qa["id"], qa["question"], p["context"], tuple(Answer(a["text"], a["answer_start"]) for a in qa["answers"])
        )
        for p in document["data"][0]["paragraphs"]
        for qa in p["qas"]
    ]
    # questions of different lengths in one call
    examples[1] = SpanExample("long-q", " ".join(WORDS * 3) + " ?", examples[1].context, examples[1].answers)
    features = featurize_spans(examples, tokenizer, max_length=32, doc_stride=8, max_query_length=12, training=True)
    assert features.scalars["example_index"] == sorted(features.scalars["example_index"])
    assert set(features.scalars["example_index"]) == set(range(len(examples)))
    assert len(features) > len(examples)  # some contexts need several windows
    answered = set()
    for f, example_index in enumerate(features.scalars["example_index"]):
        example = examples[example_index]
        offsets = pairs(features.sequences["offsets"][f])
        ids = features.sequences["input_ids"][f]
        assert len(ids) <= 32 and len(offsets) == len(ids)
        s, e = features.scalars["start_position"][f], features.scalars["end_position"][f]
        answer = example.answers[0]
        context_chars = [(a, b) for a, b in offsets if a >= 0]
        inside = context_chars[0][0] <= answer.start and answer.start + len(answer.text) <= context_chars[-1][1]
        if inside:
            answered.add(example_index)
            assert offsets[s][0] >= 0 and e >= s
            assert example.context[offsets[s][0] : offsets[e][1]] == answer.text
        else:
            assert (s, e) == (0, 0)
    assert answered == set(range(len(examples)))
    # the long question is cut to max_query_length tokens
    first = features.scalars["example_index"].index(1)
    tokens = tokenizer.convert_ids_to_tokens(features.sequences["input_ids"][first])
    assert tokens[: 12 + 3] == ["<s>", *(WORDS * 2)[:12], "</s>", "</s>"]


@pytest.mark.parametrize(("question_tokens", "max_query_length"), [(12, 5), (5, 5), (3, 5), (8, 1)])
def test_featurize_spans_question_cut_to_max_query_length(tokenizer, question_tokens, max_query_length):
    question = "  " + " ".join((WORDS * 2)[:question_tokens])
    example = span_example(context_of(6), 2, question=question)
    features = featurize_spans([example], tokenizer, 64, 16, max_query_length, training=True)
    tokens = tokenizer.convert_ids_to_tokens(features.sequences["input_ids"][0])
    kept = min(question_tokens, max_query_length)
    assert tokens[: kept + 3] == ["<s>", *(WORDS * 2)[:kept], "</s>", "</s>"]
    assert tokens[kept + 3 : -1] == context_of(6).split()


def test_featurize_spans_not_training_and_no_answers(tokenizer):
    context = context_of(37)
    example = span_example(context, 20)
    train = featurize_spans([example], tokenizer, 20, 4, 64, training=True)
    evaluation = featurize_spans([example], tokenizer, 20, 4, 64, training=False)
    assert evaluation.sequences == train.sequences
    assert set(evaluation.scalars["start_position"]) == {0} == set(evaluation.scalars["end_position"])
    assert any(train.scalars["start_position"])
    unanswered = featurize_spans([span_example(context, None)], tokenizer, 20, 4, 64, training=True)
    assert set(unanswered.scalars["start_position"]) == {0}


def test_featurize_spans_no_room_for_context(tokenizer):
    with pytest.raises(ValueError, match="no room"):
        featurize_spans([span_example(context_of(5), 1)], tokenizer, 8, 4, 64, training=True)


# ----------------------------------------------------------------------------------------------------------------
# span decoding


CONTEXT = "cat dog house tree"
# <s> q </s> </s> cat dog house tree </s>
OFFSETS = [(-1, -1)] * 4 + [(0, 3), (4, 7), (8, 13), (14, 18)] + [(-1, -1)]


def test_decode_spans_best_valid_pair():
    examples = [SpanExample("q", "q", CONTEXT, ())]
    features = hand_span_features([(0, OFFSETS)])
    # the highest start (a question token) and the highest end (a separator) are not in the context;
    # start 6 + end 5 is higher still, but ends before it starts.
    row = logits_of(9, starts={1: 20, 6: 5, 4: 3}, ends={2: 20, 5: 6.5, 7: 4.5})
    assert decode_spans(examples, features, [row], max_answer_length=30) == {"q": "house tree"}  # 5 + 4.5
    assert decode_spans(examples, features, [row], max_answer_length=2) == {"q": "house tree"}
    # at most one token: start 5 (0) + end 5 (6.5) beats start 6 (5) + end 6 (0)
    assert decode_spans(examples, features, [row], max_answer_length=1) == {"q": "dog"}
    row = logits_of(9, starts={6: 5, 4: 3}, ends={5: 9, 7: 0})
    assert decode_spans(examples, features, [row], max_answer_length=30) == {"q": "cat dog"}  # 3 + 9


def test_decode_spans_across_windows_and_examples():
    context2 = "river sun book"
    offsets2a = [(-1, -1)] * 3 + [(0, 5), (6, 9)] + [(-1, -1)]
    offsets2b = [(-1, -1)] * 3 + [(6, 9), (10, 14)] + [(-1, -1)]
    examples = [
        SpanExample("a", "q", CONTEXT, ()),
        SpanExample("b", "q", context2, ()),
        SpanExample("c", "q", "nothing", ()),
    ]
    only_question = [(-1, -1)] * 4
    features = hand_span_features([(0, OFFSETS), (1, offsets2a), (1, offsets2b), (2, only_question)], [0, 0, 1, 0])
    logits = [
        logits_of(9, starts={4: 1}, ends={4: 1}),
        logits_of(6, starts={3: 2}, ends={3: 2}),  # "river": 4
        logits_of(6, starts={4: 3}, ends={4: 2.5}),  # "book": 5.5, the best over both windows
        logits_of(4, starts={1: 100}, ends={1: 100}),  # no context token at all
    ]
    assert decode_spans(examples, features, logits, max_answer_length=30) == {"a": "cat", "b": "book", "c": ""}


def test_featurize_then_decode_recovers_gold_answers(tokenizer):
    document = squad_document("en", n_questions=12, seed=5)
    examples = [
        SpanExample(
            qa["id"], qa["question"], p["context"], tuple(Answer(a["text"], a["answer_start"]) for a in qa["answers"])
        )
        for p in document["data"][0]["paragraphs"]
        for qa in p["qas"]
    ]
    features = featurize_spans(examples, tokenizer, 24, 6, 16, training=True)
    logits = []
    for f in range(len(features)):
        row = np.random.default_rng(f).normal(0, 0.1, size=(len(features.sequences["input_ids"][f]), 2))
        s, e = features.scalars["start_position"][f], features.scalars["end_position"][f]
        if s:
            row[s, 0] += 10
            row[e, 1] += 10
        logits.append(row)
    predictions = decode_spans(examples, features, logits, max_answer_length=30)
    assert predictions == {e.guid: e.answers[0].text for e in examples}


# ----------------------------------------------------------------------------------------------------------------
# features and the cache


def sample_features() -> Features:
    return Features(
        sequences={
            "input_ids": [[0, 5, 6, 2], [0, 2], [0, 7, 8, 9, 10, 2]],
            "offsets": [[-1, -1, 0, 3, 4, 7, -1, -1], [-1, -1, -1, -1], [-1, -1] * 6],
            "token_type_ids": [[0, 0, 1, 1], [0, 0], [0] * 6],
        },
        scalars={"example_index": [0, 0, 1], "start_position": [2, 0, 0], "label": [-1, 2, 1]},
        columns={
            "input_ids": Column("input", PAD_TOKEN),
            "token_type_ids": Column("input", 0),
            "start_position": Column("target"),
            "label": Column("target"),
        },
    )


def test_features_save_load_roundtrip(tmp_path):
    features = sample_features()
    path = tmp_path / "f.safetensors"
    features.save(path)
    loaded = Features.load(path)
    assert loaded.sequences == features.sequences
    assert loaded.scalars == features.scalars
    assert len(loaded) == 3
    assert loaded.lengths().tolist() == [4, 2, 6]
    assert [p.name for p in tmp_path.iterdir()] == ["f.safetensors"]  # no temporary file left behind


def test_features_save_load_empty(tmp_path):
    features = Features(sequences={"input_ids": [], "offsets": []}, scalars={"example_index": []})
    features.save(tmp_path / "e.safetensors")
    loaded = Features.load(tmp_path / "e.safetensors")
    assert loaded.sequences == {"input_ids": [], "offsets": []}
    assert loaded.scalars == {"example_index": []}
    assert len(loaded) == 0


def test_features_roundtrip_real_span_features(tmp_path, tokenizer):
    features = featurize_spans([span_example(context_of(37), 20)], tokenizer, 20, 4, 64, training=True)
    features.save(tmp_path / "s.safetensors")
    loaded = Features.load(tmp_path / "s.safetensors")
    assert loaded.sequences == features.sequences
    assert loaded.scalars == features.scalars


def test_feature_cache(tmp_path):
    cache = FeatureCache(tmp_path / "cache")
    key = cache_key({"task": "xnli"})
    assert cache.get(key) is None
    cache.put(key, sample_features(), {"task": "xnli", "language": "de"})
    loaded = cache.get(key)
    assert loaded is not None
    assert loaded.sequences == sample_features().sequences
    assert loaded.scalars == sample_features().scalars
    description = json.loads((tmp_path / "cache" / f"{key}.json").read_text(encoding="utf-8"))
    assert description == {"task": "xnli", "language": "de", "features": 3}
    assert cache.get(cache_key({"task": "pawsx"})) is None


def test_cache_key_sensitivity():
    parts = {
        "task": "xnli",
        "kind": "classification",
        "split": "test",
        "language": "de",
        "source": {"hub": "google/xtreme", "revision": "main"},
        "examples": 100,
        "labels": list(NLI),
        "tokenizer": "abc",
        "training": False,
        "max_length": 128,
    }
    key = cache_key(parts)
    assert key == cache_key(dict(reversed(list(parts.items()))))  # order of the keys does not matter
    assert re.fullmatch(r"[0-9a-f]{24}", key)
    changes = {
        "task": "pawsx",
        "kind": "span_extraction",
        "split": "dev",
        "language": "fr",
        "source": {"hub": "google/xtreme", "revision": "v2"},
        "examples": 99,
        "labels": list(reversed(NLI)),
        "tokenizer": "abd",
        "training": True,
        "max_length": 256,
    }
    keys = {key}
    for name, value in changes.items():
        changed = cache_key({**parts, name: value})
        assert changed != key, name
        keys.add(changed)
    assert len(keys) == len(changes) + 1
    assert cache_key({**parts, "doc_stride": 128}) != key
    # A kind's version is part of its features' key: bumping it retires the old cache entries.
    assert cache_key({**parts, "kind_version": 1}) != cache_key({**parts, "kind_version": 2})


def test_tokenizer_fingerprint(model_dir):
    from transformers import AutoTokenizer

    first, again = AutoTokenizer.from_pretrained(model_dir), AutoTokenizer.from_pretrained(model_dir)
    assert tokenizer_fingerprint(first) == tokenizer_fingerprint(again)
    other = AutoTokenizer.from_pretrained(model_dir)
    other.add_tokens(["zebra"])
    assert tokenizer_fingerprint(other) != tokenizer_fingerprint(first)


def test_tokenizer_fingerprint_ignores_truncation_state(model_dir):
    from transformers import AutoTokenizer

    fresh, used = AutoTokenizer.from_pretrained(model_dir), AutoTokenizer.from_pretrained(model_dir)
    used("cat dog", "dog", truncation=True, max_length=16)
    assert tokenizer_fingerprint(used) == tokenizer_fingerprint(fresh)


# ----------------------------------------------------------------------------------------------------------------
# batching


def test_training_batches_is_a_permutation_and_deterministic():
    lengths = np.random.default_rng(0).integers(3, 120, size=1037)
    for grouped in (False, True):
        batches = training_batches(lengths, 16, np.random.default_rng(7), grouped)
        flat = [i for batch in batches for i in batch]
        assert sorted(flat) == list(range(len(lengths)))
        assert sorted(len(b) for b in batches) == [1037 % 16] + [16] * (1037 // 16)
        assert batches == training_batches(lengths, 16, np.random.default_rng(7), grouped)
        assert batches != training_batches(lengths, 16, np.random.default_rng(8), grouped)
        assert flat != list(range(len(lengths)))


def test_training_batches_grouped_are_length_sorted_and_tighter():
    lengths = np.random.default_rng(1).integers(3, 120, size=2000)
    grouped = training_batches(lengths, 8, np.random.default_rng(3), True)
    for batch in grouped:
        values = lengths[batch].tolist()
        assert values == sorted(values, reverse=True)

    def padding(batches):
        return sum(int(lengths[b].max()) * len(b) - int(lengths[b].sum()) for b in batches)

    plain = training_batches(lengths, 8, np.random.default_rng(3), False)
    assert padding(grouped) < padding(plain) / 3
    # the order of the batches is shuffled too, not longest-first
    firsts = [int(lengths[b[0]]) for b in grouped]
    assert firsts != sorted(firsts, reverse=True)
    # each batch comes from one mega-batch of the seeded permutation
    order = np.random.default_rng(3).permutation(len(lengths))
    chunk_of = {int(i): k // (8 * MEGABATCH) for k, i in enumerate(order)}
    assert all(len({chunk_of[i] for i in batch}) == 1 for batch in grouped)


def test_training_batches_small_and_empty():
    assert training_batches(np.array([], dtype=np.int64), 4, np.random.default_rng(0), True) == []
    assert training_batches(np.array([], dtype=np.int64), 4, np.random.default_rng(0), False) == []
    batches = training_batches(np.array([5, 1, 3]), 8, np.random.default_rng(0), True)
    assert batches == [[0, 2, 1]]


def test_evaluation_batches():
    lengths = np.array([3, 9, 1, 9, 4, 7, 2])
    batches = evaluation_batches(lengths, 3)
    assert batches == [[1, 3, 5], [4, 0, 6], [2]]
    assert evaluation_batches(np.array([], dtype=np.int64), 3) == []


def test_collate_pads_and_masks():
    features = sample_features()
    batch = collate(features, [2, 1, 0], pad_id=1, with_targets=False)
    assert set(batch) == {"input_ids", "attention_mask", "token_type_ids"}
    assert batch["input_ids"].tolist() == [[0, 7, 8, 9, 10, 2], [0, 2, 1, 1, 1, 1], [0, 5, 6, 2, 1, 1]]
    assert batch["attention_mask"].tolist() == [[1] * 6, [1, 1, 0, 0, 0, 0], [1, 1, 1, 1, 0, 0]]
    assert batch["token_type_ids"].tolist() == [[0] * 6, [0] * 6, [0, 0, 1, 1, 0, 0]]
    assert all(t.dtype == torch.long for t in batch.values())
    with_targets = collate(features, [1, 0], pad_id=1, with_targets=True)
    assert with_targets["input_ids"].shape == (2, 4)
    assert with_targets["label"].tolist() == [2, -1]
    assert with_targets["start_position"].tolist() == [0, 2]
    assert "end_position" not in with_targets


def test_collate_real_classification_features(tokenizer):
    rng = random.Random(0)
    examples = [
        ClassificationExample(str(i), " ".join(rng.choices(WORDS, k=rng.randint(1, 9))), "yes", "entailment")
        for i in range(10)
    ]
    features = featurize_classification(examples, tokenizer, NLI, 64)
    for indices in evaluation_batches(features.lengths(), 4):
        batch = collate(features, indices, tokenizer.pad_token_id, with_targets=True)
        assert "token_type_ids" not in batch
        for row, i in enumerate(indices):
            ids = features.sequences["input_ids"][i]
            assert batch["input_ids"][row, : len(ids)].tolist() == ids
            assert set(batch["input_ids"][row, len(ids) :].tolist()) <= {tokenizer.pad_token_id}
            assert batch["attention_mask"][row].sum().item() == len(ids)
        assert batch["label"].tolist() == [1] * len(indices)


def test_decode_spans_counts_a_start_only_in_its_max_context_window():
    """Windows cover tokens 0..3 and 2..7 of an 8-token context; w3 is window 0's last token but has context
    on both sides in window 1, so a start at w3 only counts in window 1."""
    from xstilts.data.examples import Answer, SpanExample
    from xstilts.data.features import Features
    from xstilts.kinds.span_extraction import decode_spans

    words = ["w0", "w1", "w2", "w3", "w4", "w5", "w6", "w7"]
    context = " ".join(words)
    spans = [(context.index(w), context.index(w) + 2) for w in words]
    question = [(-1, -1)] * 2

    def window(tokens: list[int]) -> list[int]:
        return [v for pair in question + [spans[t] for t in tokens] for v in pair]

    features = Features(
        sequences={"input_ids": [[0] * 6, [0] * 8], "offsets": [window([0, 1, 2, 3]), window([2, 3, 4, 5, 6, 7])]},
        scalars={"example_index": [0, 0], "window_start": [0, 2]},
    )
    example = SpanExample("q", "question", context, (Answer("w3", context.index("w3")),))
    first = np.full((6, 2), -10.0)
    first[2 + 3, 0] = 9.0  # start at w3: window 0's last token, not its max-context window
    first[2 + 3, 1] = 9.0
    second = np.full((8, 2), -10.0)
    second[2 + 2, 0] = 1.0  # w4, in the middle of window 1
    second[2 + 2, 1] = 1.0
    assert decode_spans([example], features, [first, second], max_answer_length=30) == {"q": "w4"}
    second[2 + 1, 0] = 5.0  # w3 seen from window 1, where it has the most context
    second[2 + 1, 1] = 5.0
    assert decode_spans([example], features, [first, second], max_answer_length=30) == {"q": "w3"}

"""Decoding checks that kill the mutants mutation testing found alive (``scripts/mutation.sh decoding``).

``forward_all`` is otherwise reached only through end-to-end runs (and mutmut leaves it unmutated: it is decorated);
here a hand-made model whose logits are a known function of its inputs shows that every feature gets its own logits
back, in feature order, trimmed to its length.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch

from tests.builders import hand_span_features, logits_of
from xstilts.data.examples import ClassificationExample, SpanExample, TaggingExample
from xstilts.data.features import Features
from xstilts.evaluation.predict import forward_all
from xstilts.kinds.base import ENCODER_COLUMNS
from xstilts.kinds.base import argmax_labels as decode_classification
from xstilts.kinds.span_extraction import _max_context, decode_spans
from xstilts.kinds.token_tagging import decode_tagging

PAD = 1
# Token ids that bfloat16 cannot hold exactly (8 significant bits): autocast on CPU would show as rounding.
ROWS = [[257, 3, 5], [259, 7], [261, 11, 13, 17, 19], [263]]


class EchoModel(torch.nn.Module):
    """Per-token logits (id, attention) for head "tokens", per-sequence (sum of ids, length) for head "sequence",
    through a linear layer so that mixed precision would round them. Records each batch and its mode."""

    def __init__(self) -> None:
        super().__init__()
        self.linear = torch.nn.Linear(2, 2, bias=False)
        with torch.no_grad():
            self.linear.weight.copy_(torch.eye(2))
        self.calls: list[tuple[bool, torch.Tensor]] = []

    def forward(self, head: str, batch: dict[str, torch.Tensor]) -> torch.Tensor:
        self.calls.append((self.training, batch["input_ids"]))
        per_token = torch.stack([batch["input_ids"].float(), batch["attention_mask"].float()], dim=-1)
        if head == "sequence":
            per_token = (per_token * batch["attention_mask"].unsqueeze(-1)).sum(dim=1)
        return self.linear(per_token)


def features() -> Features:
    return Features(
        sequences={"input_ids": [list(r) for r in ROWS]},
        scalars={"example_index": [0, 1, 2, 3]},
        columns=dict(ENCODER_COLUMNS),
    )


def test_forward_all_returns_each_features_per_token_logits_in_feature_order_trimmed_to_its_length() -> None:
    model = EchoModel()
    model.train()
    outputs = forward_all(model, "tokens", features(), PAD, batch_size=2, device=torch.device("cpu"))
    assert len(outputs) == len(ROWS)
    for row, out in zip(ROWS, outputs, strict=True):
        assert out.dtype == np.float32
        np.testing.assert_array_equal(out, np.array([[t, 1.0] for t in row], dtype=np.float32))
    # Longest first, two per batch, padded with PAD to the batch's longest; the model in eval mode.
    assert [training for training, _ in model.calls] == [False, False]
    assert [ids.tolist() for _, ids in model.calls] == [
        [[261, 11, 13, 17, 19], [257, 3, 5, PAD, PAD]],
        [[259, 7], [263, PAD]],
    ]


def test_forward_all_keeps_per_sequence_logits_whole() -> None:
    outputs = forward_all(EchoModel(), "sequence", features(), PAD, batch_size=3, device=torch.device("cpu"))
    expected = [[sum(r), len(r)] for r in ROWS]
    np.testing.assert_array_equal(np.stack(outputs), np.array(expected, dtype=np.float32))


def test_decode_classification_takes_each_rows_argmax_and_refuses_a_count_mismatch() -> None:
    examples = [ClassificationExample(g, "a", "b", None) for g in ("x", "y")]
    logits = [np.array([0.1, 0.7, 0.2]), np.array([0.9, 0.0, 0.1])]
    assert decode_classification(examples, logits, ["c", "e", "n"]) == {"x": "e", "y": "c"}
    with pytest.raises(ValueError):
        decode_classification(examples, logits[:1], ["c", "e", "n"])


def test_decode_spans_answers_empty_for_an_example_without_windows() -> None:
    examples = [SpanExample("a", "q", "red blue", ()), SpanExample("b", "q", "", ())]
    features = hand_span_features([(0, [(0, 3), (4, 8)])])
    assert decode_spans(examples, features, [logits_of(2, {1: 5.0}, {1: 5.0})], 30) == {"a": "blue", "b": ""}


# Logits with ties, 24 tokens: numpy's default (introsort) and stable argsort order the tied maxima differently.
TIED = [0, 1, 1, 1, 0, 0, 0, 0, 2, 1, 1, 0, 1, 2, 1, 1, 2, 2, 2, 1, 2, 2, 1, 2]


def test_decode_spans_breaks_ties_by_position() -> None:
    # Low precision (bfloat16 on GPU) makes equal logits common; the earliest of equally good starts (and ends)
    # wins, as run_squad's stable sort of the n-best does.
    words = [f"w{i}" for i in range(len(TIED))]
    context = " ".join(words)
    offsets, at = [], 0
    for w in words:
        offsets.append((at, at + len(w)))
        at += len(w) + 1
    features = hand_span_features([(0, offsets)])
    example = [SpanExample("a", "q", context, ())]
    ends_last = logits_of(len(TIED), dict(enumerate(map(float, TIED))), {len(TIED) - 1: 9.0})
    assert decode_spans(example, features, [ends_last], 30) == {"a": " ".join(words[8:])}
    starts_first = logits_of(len(TIED), {0: 9.0}, dict(enumerate(map(float, TIED))))
    assert decode_spans(example, features, [starts_first], 30) == {"a": " ".join(words[:9])}


def _context_windows(*lengths: int) -> list[list[tuple[int, int]]]:
    """Windows of one question token (offsets -1, -1: never a max-context token) and ``n`` context tokens."""
    return [[(-1, -1)] + [(i, i + 1) for i in range(n)] for n in lengths]


def test_max_context_ties_go_to_the_longer_window() -> None:
    # Token 3: 2 tokens of context on its short side in both windows (i=3 of 6, i=2 of 5): the longer wins by
    # 0.01 x length, and so it wins every token.
    assert _max_context(_context_windows(6, 5), [0, 1]) == [[False] + [True] * 6, [False] * 6]


def test_max_context_length_only_breaks_ties() -> None:
    # Token 2: 2 tokens each side in window A (5 long) but 1 on its left in B (6 long, from token 1): A wins
    # although B is longer; B wins tokens 3..6.
    assert _max_context(_context_windows(5, 6), [0, 1]) == [
        [False, True, True, True, False, False],
        [False, False, False, True, True, True, True],
    ]


def test_decode_tagging_names_a_word_predicted_twice() -> None:
    examples = [TaggingExample("s", ("a", "b"), None)]
    features = Features(sequences={"word_index": [[0, 1], [1]]}, scalars={"example_index": [0, 0]})
    logits = [np.zeros((2, 2)), np.zeros((1, 2))]
    with pytest.raises(ValueError, match="example s: word 1 predicted twice"):
        decode_tagging(examples, features, logits, ["X", "Y"])
